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
import { HostError, MemfdMemoryFile, newRegisters } from "@tsvisor/platform";
import {
  MAX_USER_ADDRESS,
  MIN_USER_ADDRESS,
  PtraceAddressSpace,
  type PtraceMode,
  type StubHost,
  type StubThread,
  SYSTRAP_SLOT_SIZE,
} from "./address-space.js";
import { type ContextHost, PtraceContext } from "./context.js";
import { PtraceMemoryFile } from "./memory-file.js";
import { loadNative, type PtraceNative, stubPath } from "./native.js";

/** Default memory file size: 64 GiB, sparse. */
export const DEFAULT_MEMORY_FILE_SIZE = 64 * 2 ** 30;

/** Options of the ptrace platform beyond the common ones. */
export interface PtraceOptions extends PlatformOptions {
  /**
   * "systrap" (default): application syscalls raise SIGSYS in the stub
   * (seccomp RET_TRAP) and are handed over through shared memory, no ptrace
   * stop per syscall. "sysemu": every syscall is a PTRACE_SYSEMU stop.
   * The TSVISOR_PTRACE_MODE environment variable overrides the default.
   */
  mode?: PtraceMode;
  /**
   * systrap: how long each side spins waiting for the other before it
   * sleeps on a futex, in microseconds (default 100, or TSVISOR_PTRACE_SPIN_US;
   * 0 = never spin).
   */
  spinMicros?: number;
  /**
   * Pin each stub thread to the Sentry's current CPU when it is switched to
   * (same-CPU hand-offs are cheap here, cross-CPU wake-ups are not). Default:
   * true under sysemu, and under systrap when spinMicros is 0.
   */
  pinStubs?: boolean;
}

/**
 * Default systrap spin budget (µs). Measured here (getppid round trip, quiet
 * machine): 20 µs gave 4.4 µs median because GC pauses and timer ticks
 * outlast the spin now and then and each miss costs a ~50 µs cross-CPU
 * futex wake-up; 100 µs gave 3.0 µs (200 µs: 3.0 µs). The budget still halves
 * on every miss, so a program that blocks stops burning a CPU.
 */
const DEFAULT_SPIN_MICROS = 100;

/** Number of systrap control slots (one per stub thread ever created). */
const SYSTRAP_SLOTS = 16384;

function cpuMHz(): number {
  try {
    const m = /^cpu MHz\s*:\s*([\d.]+)/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    return m ? Number(m[1]) : 3000;
  } catch {
    return 3000;
  }
}

function cpuHasFlag(flag: string): boolean {
  try {
    return new RegExp(`^flags\\s*:.*\\b${flag}\\b`, "m").test(
      readFileSync("/proc/cpuinfo", "utf8"),
    );
  } catch {
    return false;
  }
}

/**
 * The ptrace platform: application threads are stub threads traced by the
 * Sentry thread that created the platform, whose syscalls reach the Sentry
 * through the systrap fast path (default) or PTRACE_SYSEMU (`mode:
 * "sysemu"`); every address space is a seccomp-locked stub process (see
 * address-space.ts).
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
  /** Size of the memory file (StubHost). */
  get memoryFileSize(): number {
    return this.memoryFile.size;
  }
  readonly mode: PtraceMode;
  readonly spinNs: number;
  readonly pin: number;
  readonly ctlfd: number;
  readonly controlView: DataView | null = null;
  readonly controlBase: number = 0;
  private nextSlot = 1;
  private waitCtls = new Float64Array(256);
  private waitIds = new Int32Array(512);
  private readonly waitCtxs: PtraceContext[] = [];
  /** Process group of all stubs; also the pid of the anchor stub that leads it. */
  readonly pgid: number;
  readonly fpStateSize: number;
  readonly template: Uint32Array = newRegisters();
  private readonly addressSpaces = new Set<PtraceAddressSpace>();
  private readonly contexts = new Set<PtraceContext>();
  /** Resumed, not yet collected contexts by stub tid. */
  private readonly resumed = new Map<number, PtraceContext>();
  /** systrap: resumed contexts and their control slots. */
  private readonly resumedSlots = new Map<PtraceContext, StubThread>();
  private readonly out = new Float64Array(4);
  private released = false;

  constructor(options: PtraceOptions = {}) {
    const { native, kickSignal } = loadNative();
    this.native = native;
    this.kickSignal = kickSignal;
    const envMode = process.env.TSVISOR_PTRACE_MODE;
    this.mode =
      options.mode ?? (envMode === "sysemu" || envMode === "systrap" ? envMode : "systrap");
    const envSpin = Number(process.env.TSVISOR_PTRACE_SPIN_US);
    const spinMicros =
      options.spinMicros ??
      (Number.isFinite(envSpin) &&
      envSpin >= 0 &&
      process.env.TSVISOR_PTRACE_SPIN_US !== "" &&
      process.env.TSVISOR_PTRACE_SPIN_US !== undefined
        ? envSpin
        : DEFAULT_SPIN_MICROS);
    this.spinNs = spinMicros * 1000;
    this.pin = (options.pinStubs ?? (this.mode === "sysemu" || spinMicros === 0)) ? 1 : 0;
    this.memoryFile = new PtraceMemoryFile(
      native,
      options.memoryFileSize ?? DEFAULT_MEMORY_FILE_SIZE,
    );
    this.memfd = this.memoryFile.fd;
    this.ctlfd = -1;
    let pgid = -1;
    try {
      if (this.mode === "systrap") {
        const size = SYSTRAP_SLOTS * SYSTRAP_SLOT_SIZE;
        this.control = new MemfdMemoryFile(native, size, size, "tsvisor-control");
        this.ctlfd = this.control.fd;
        this.controlBase = this.control.hostAddr;
        this.controlBuffer = this.control.chunk(0).buffer as ArrayBuffer;
        this.controlView = new DataView(this.controlBuffer);
        // struct systrap_globals: spin_cycles at 8, fsgsbase at 16.
        this.controlView.setBigUint64(8, BigInt(Math.round(spinMicros * cpuMHz())), true);
        native.trapInit(cpuMHz() / 1000);
        this.controlView.setBigUint64(16, cpuHasFlag("fsgsbase") ? 1n : 0n, true);
      }
      pgid = native.spawnStub(stubPath, this.memfd, this.ctlfd, 0, this.mode, this.template);
      const probe = new Uint8Array(1 << 16);
      this.fpStateSize = native.getFP(pgid, probe);
    } catch (e) {
      if (pgid > 0) native.killReap(pgid, new Int32Array(0));
      this.releaseFiles();
      throw e;
    }
    this.pgid = pgid;
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

  /** systrap: the control file (struct systrap_globals, then the slots). */
  private control: MemfdMemoryFile | null = null;
  private controlBuffer: ArrayBuffer | null = null;

  allocSlot(): { slot: number; ctl: number } {
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      if (this.nextSlot >= SYSTRAP_SLOTS) throw new Error("out of systrap control slots");
      slot = this.nextSlot++;
    }
    return { slot, ctl: this.controlBase + slot * SYSTRAP_SLOT_SIZE };
  }

  freeSlot(slot: number): void {
    // Clear the control block so the next thread starts from a clean state.
    new Uint8Array(this.controlBuffer!, slot * SYSTRAP_SLOT_SIZE, 4096).fill(0);
    this.freeSlots.push(slot);
  }

  /** systrap slots whose thread is gone and which no stub maps (reused first). */
  private readonly freeSlots: number[] = [];

  /** Number of systrap control slots ever handed out (for tests). */
  get slotsAllocated(): number {
    return this.nextSlot - 1 - this.freeSlots.length;
  }

  waitAny(timeoutMs: number): Context | null {
    if (this.resumed.size === 0 && this.resumedSlots.size === 0) {
      throw new Error("waitAny: no context is resumed");
    }
    if (this.mode === "systrap") {
      let n = 0;
      this.waitCtxs.length = 0;
      if (this.waitCtls.length < this.resumedSlots.size) {
        this.waitCtls = new Float64Array(2 * this.resumedSlots.size);
        this.waitIds = new Int32Array(4 * this.resumedSlots.size);
      }
      for (const [ctx, t] of this.resumedSlots) {
        this.waitIds[2 * n] = t.pid;
        this.waitIds[2 * n + 1] = t.tid;
        this.waitCtls[n++] = t.ctl;
        this.waitCtxs.push(ctx);
      }
      const i = this.native.trapWaitAny(
        this.controlBase,
        this.waitCtls,
        n,
        timeoutMs,
        this.waitIds,
      );
      if (i < 0) return null;
      const ctx = this.waitCtxs[i]!;
      ctx.collect(0);
      return ctx;
    }
    for (;;) {
      const tid = this.native.waitAny(this.pgid, timeoutMs, this.out);
      if (tid === 0) return null;
      const ctx = this.resumed.get(tid);
      if (ctx === undefined) continue; // e.g. a late exit of a thread already released
      ctx.collect(this.out[0]!);
      return ctx;
    }
  }

  markResumed(ctx: PtraceContext, t: StubThread): void {
    if (t.slot >= 0) this.resumedSlots.set(ctx, t);
    else this.resumed.set(t.tid, ctx);
  }

  markCollected(ctx: PtraceContext, t: StubThread): void {
    if (t.slot >= 0) this.resumedSlots.delete(ctx);
    else this.resumed.delete(t.tid);
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
    this.releaseFiles();
  }

  private releaseFiles(): void {
    this.memoryFile.release();
    this.control?.release();
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
    const pid = native.spawnStub(stubPath, fd, -1, 0, "sysemu", newRegisters());
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
