/**
 * An example third-party platform: it wraps another platform (ptrace by
 * default, or the one named by TSVISOR_INNER_PLATFORM) and counts the traps
 * that the kernel receives, by kind. It prints the counts to stderr when the
 * process exits.
 *
 * Compile it to JavaScript and load it with
 *   tsvisor run --platform ./counting-platform.js -- PROGRAM ARGS…
 */
import {
  type AddressSpace,
  type Context,
  type Platform,
  type PlatformOptions,
  type PlatformProvider,
  type ProbeResult,
  PlatformUnavailableError,
  loadPlatform,
} from "@tsvisor/platform";

const innerName = process.env.TSVISOR_INNER_PLATFORM ?? "ptrace";

/** Traps seen by every context of every platform this provider created. */
const counts = { syscall: 0, fault: 0, signal: 0, interrupted: 0 };

process.on("exit", () => {
  process.stderr.write(`counting-platform: ${JSON.stringify(counts)}\n`);
});

/** Loads the wrapped provider once; `null` with the reason when it cannot run. */
let inner: PlatformProvider | null = null;
let innerError = "";
try {
  // Resolve the inner platform from this module's location.
  inner = await loadPlatform(innerName, (spec) => import(spec));
} catch (e) {
  if (!(e instanceof PlatformUnavailableError)) throw e;
  innerError = e.message;
}

/**
 * Wraps `ctx` so that every completed trap is counted. The wrapper keeps
 * the Context contract: it returns the inner Context's (reused) Trap
 * object, and it allocates nothing per switch.
 */
function countingContext(ctx: Context): Context {
  return {
    get regs() {
      return ctx.regs;
    },
    get trap() {
      return ctx.trap;
    },
    getFPState: () => ctx.getFPState(),
    setFPState: (state) => ctx.setFPState(state),
    switch(as: AddressSpace, timeoutMs?: number) {
      const trap = ctx.switch(as, timeoutMs);
      counts[trap.kind]++;
      return trap;
    },
    resume: (as) => ctx.resume(as),
    interrupt: () => ctx.interrupt(),
    release: () => ctx.release(),
  };
}

function countingPlatform(p: Platform): Platform {
  // waitAny returns the inner Context; the kernel knows only the wrappers.
  const wrappers = new Map<Context, Context>();
  return {
    name: `counting(${p.name})`,
    capabilities: p.capabilities,
    memoryFile: p.memoryFile,
    newAddressSpace: () => p.newAddressSpace(),
    newContext() {
      const ctx = p.newContext();
      const wrapper = countingContext(ctx);
      const release = wrapper.release;
      wrapper.release = () => {
        wrappers.delete(ctx);
        release();
      };
      wrappers.set(ctx, wrapper);
      return wrapper;
    },
    waitAny(timeoutMs: number) {
      const ctx = p.waitAny(timeoutMs);
      if (ctx === null) return null;
      counts[ctx.trap.kind]++;
      return wrappers.get(ctx) ?? null;
    },
    release() {
      wrappers.clear();
      p.release();
    },
  };
}

const provider: PlatformProvider = {
  name: "counting",
  probe(): ProbeResult {
    if (inner === null) {
      return {
        ok: false,
        reason: `inner platform "${innerName}" is unavailable (${innerError})`,
        fix: "set TSVISOR_INNER_PLATFORM to a platform that runs on this host",
      };
    }
    return inner.probe();
  },
  create(options?: PlatformOptions): Platform {
    if (inner === null) throw new PlatformUnavailableError(innerError);
    return countingPlatform(inner.create(options));
  },
};

export default provider;
