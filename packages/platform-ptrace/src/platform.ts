import { existsSync, readFileSync } from "node:fs";
import type {
  AddressSpace,
  Context,
  Platform,
  PlatformCapabilities,
  PlatformOptions,
  PlatformProvider,
  ProbeResult,
} from "@tsvisor/platform";
import { HostError, newRegisters } from "@tsvisor/platform";
import { PtraceAddressSpace, type StubHost } from "./address-space.js";
import { type ContextHost, PtraceContext } from "./context.js";
import { PtraceMemoryFile } from "./memory-file.js";
import { loadNative, type PtraceNative, stubPath } from "./native.js";

/** Default memory file size: 64 GiB, sparse. */
export const DEFAULT_MEMORY_FILE_SIZE = 64 * 2 ** 30;
/** Lowest application address: Linux's default vm.mmap_min_addr. */
export const MIN_USER_ADDRESS = 0x10000;
/**
 * One past the highest application address. The stub's own image is linked
 * at this address (native/stub.c, binding.gyp) and it unmaps everything
 * else, so `[MIN_USER_ADDRESS, MAX_USER_ADDRESS)` is entirely the Sentry's.
 */
export const MAX_USER_ADDRESS = 0x7fffc0000000;

/**
 * The ptrace platform: application threads are stub threads run under
 * PTRACE_SYSEMU by the Sentry thread that created the platform; every
 * address space is a seccomp-locked stub process (see address-space.ts).
 *
 * All stubs are in one process group led by an "anchor" stub that never runs
 * application code, so `waitAny` can wait for stubs only (waitpid(-pgid))
 * and never reaps Node's own children.
 *
 * Preconditions: every method is called on the thread that created the
 * platform (it is the ptrace tracer), except `Context.interrupt()`.
 */
export class PtracePlatform implements Platform, StubHost, ContextHost {
  readonly name = "ptrace";
  readonly capabilities: PlatformCapabilities;
  readonly memoryFile: PtraceMemoryFile;
  readonly native: PtraceNative;
  readonly kickSignal: number;
  readonly memfd: number;
  /** Process group of all stubs; also the pid of the anchor stub that leads it. */
  readonly pgid: number;
  readonly fpStateSize: number;
  readonly template: Uint32Array = newRegisters();
  private readonly addressSpaces = new Set<PtraceAddressSpace>();
  private readonly contexts = new Set<PtraceContext>();
  /** Resumed, not yet collected contexts by stub tid. */
  private readonly resumed = new Map<number, PtraceContext>();
  private readonly out = new Float64Array(4);
  private released = false;

  constructor(options: PlatformOptions = {}) {
    const { native, kickSignal } = loadNative();
    this.native = native;
    this.kickSignal = kickSignal;
    this.memoryFile = new PtraceMemoryFile(
      native,
      options.memoryFileSize ?? DEFAULT_MEMORY_FILE_SIZE,
    );
    this.memfd = this.memoryFile.fd;
    try {
      this.pgid = native.spawnStub(stubPath, this.memfd, 0, this.template);
    } catch (e) {
      this.memoryFile.release();
      throw e;
    }
    const probe = new Uint8Array(1 << 16);
    this.fpStateSize = native.getFP(this.pgid, probe);
    this.capabilities = {
      minUserAddress: MIN_USER_ADDRESS,
      maxUserAddress: MAX_USER_ADDRESS,
      fpStateSize: this.fpStateSize,
      parallelContexts: true,
    };
  }

  newAddressSpace(): AddressSpace {
    if (this.released) throw new Error("platform released");
    const as = new PtraceAddressSpace(this);
    this.addressSpaces.add(as);
    return as;
  }

  newContext(): Context {
    if (this.released) throw new Error("platform released");
    const ctx = new PtraceContext(this);
    this.contexts.add(ctx);
    return ctx;
  }

  waitAny(timeoutMs: number): Context | null {
    if (this.resumed.size === 0) throw new Error("waitAny: no context is resumed");
    for (;;) {
      const tid = this.native.waitAny(this.pgid, timeoutMs, this.out);
      if (tid === 0) return null;
      const ctx = this.resumed.get(tid);
      if (ctx === undefined) continue; // e.g. a late exit of a thread already released
      ctx.collect(tid, this.out[0]!);
      return ctx;
    }
  }

  markResumed(ctx: PtraceContext, tid: number): void {
    this.resumed.set(tid, ctx);
  }

  markCollected(_ctx: PtraceContext, tid: number): void {
    this.resumed.delete(tid);
  }

  forgetContext(ctx: PtraceContext): void {
    this.contexts.delete(ctx);
  }

  forgetAddressSpace(as: PtraceAddressSpace): void {
    this.addressSpaces.delete(as);
    for (const ctx of this.contexts) ctx.forget(as);
  }

  release(): void {
    if (this.released) return;
    for (const ctx of [...this.contexts]) ctx.release();
    for (const as of [...this.addressSpaces]) as.release();
    this.released = true;
    this.native.killReap(this.pgid, new Int32Array(0));
    this.memoryFile.release();
  }
}

let probed: ProbeResult | null = null;

function ptraceScopeHint(): string {
  const f = "/proc/sys/kernel/yama/ptrace_scope";
  if (!existsSync(f)) return "";
  const v = readFileSync(f, "utf8").trim();
  return v === "0" || v === "1" ? "" : ` (Yama ptrace_scope is ${v})`;
}

/** Checks that the addon loads and that a stub can be traced and locked. */
function probe(): ProbeResult {
  if (probed !== null) return probed;
  let native: PtraceNative;
  try {
    native = loadNative().native;
  } catch (e) {
    probed = {
      ok: false,
      reason: `the native addon failed to load: ${(e as Error).message.split("\n")[0]}`,
      fix: "build it: npm_config_nodedir=/usr pnpm --filter @tsvisor/platform-ptrace build (needs gcc, g++, make, python3)",
    };
    return probed;
  }
  let fd = -1;
  try {
    fd = native.memfdCreate("tsvisor-probe", 1 << 30);
    const pid = native.spawnStub(stubPath, fd, 0, newRegisters());
    native.killReap(pid, new Int32Array(0));
    probed = { ok: true };
  } catch (e) {
    const errno = e instanceof HostError ? e.errno : -1;
    probed = {
      ok: false,
      reason: `cannot start a traced stub: ${(e as Error).message}${ptraceScopeHint()}`,
      fix:
        errno === 1 /* EPERM */
          ? "allow ptrace: set kernel.yama.ptrace_scope to 0 or 1, or run the container without a seccomp profile that blocks ptrace (e.g. --cap-add SYS_PTRACE / --security-opt seccomp=unconfined)"
          : "check that seccomp filters and ptrace are available in this kernel, or use --platform kvm",
    };
  } finally {
    if (fd >= 0) native.closeFd(fd);
  }
  return probed;
}

/** The "ptrace" platform provider: `--platform ptrace`. */
export const provider: PlatformProvider = {
  name: "ptrace",
  probe,
  create: (options?: PlatformOptions) => new PtracePlatform(options),
};
