import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { HostError, type MemfdNative } from "@tsvisor/platform";

/**
 * Stop kinds the addon returns (see native/addon.cc `StopKind`).
 */
export const STOP_SYSCALL = 0;
export const STOP_SIGNAL = 1;
export const STOP_INTERRUPTED = 2;
export const STOP_EXITED = 3;
export const STOP_EVENT = 4;

/**
 * The native surface of the ptrace platform (native/addon.cc). Mechanism
 * only: each call checks its arguments, makes the host call and throws
 * `HostError(call, errno)` on failure. `regs` arrays are `user_regs_struct`
 * images (`Registers`); `out` arrays are Float64Array(4) scratch filled with
 * stop details (signo / si_code / si_addr, or a raw wait status).
 */
export interface PtraceNative extends MemfdNative {
  /** Registers the error class and the no-op wake-up handler; returns the kick signal. */
  init(errorClass: typeof HostError): number;
  /**
   * Starts a stub process (`mode` "sysemu" or "systrap", see native/stub.c);
   * returns its pid once it is traced, locked and parked. `ctlfd` -1: none.
   */
  spawnStub(
    path: string,
    memfd: number,
    ctlfd: number,
    pgid: number,
    mode: string,
    regsOut: Uint32Array,
  ): number;
  getRegs(tid: number, regs: Uint32Array): void;
  setRegs(tid: number, regs: Uint32Array): void;
  sysemu(
    pid: number,
    tid: number,
    regs: Uint32Array,
    timeoutMs: number,
    out: Float64Array,
    pin: number,
  ): number;
  resume(tid: number, regs: Uint32Array): void;
  /** Returns the tid that stopped (out[0] = wait status), or 0 on timeout. */
  waitAny(pgid: number, timeoutMs: number, out: Float64Array): number;
  decode(tid: number, status: number, regs: Uint32Array, out: Float64Array): number;
  cont(tid: number, regs: Uint32Array, out: Float64Array): number;
  waitStop(tid: number): number;
  getFP(tid: number, buf: Uint8Array): number;
  setFP(tid: number, buf: Uint8Array, length: number): void;
  tgkill(pid: number, tid: number, sig: number): void;
  killReap(pid: number, tids: Int32Array): void;
  /** Writes regs and detaches a traced thread. */
  detachThread(tid: number, regs: Uint32Array): void;
  /**
   * Keeps a context's unchanging switch arguments natively; returns the id
   * trapSwitchPrepared takes. The arrays must live until trapUnprepare(id).
   */
  trapPrepare(
    regs: Uint32Array,
    out: Float64Array,
    spinNs: number,
    pin: number,
    globals: number,
  ): number;
  trapUnprepare(id: number): void;
  /** systrap: hands a prepared context's regs to a trapped slot and waits for its next trap. */
  trapSwitchPrepared(id: number, ctl: number, pid: number, tid: number, timeoutMs: number): number;
  trapResume(ctl: number, regs: Uint32Array): void;
  /** TSC cycles per ns, to turn the adaptive spin budget into stub cycles. */
  trapInit(cyclesPerNs: number): void;
  trapCollect(ctl: number, regs: Uint32Array, out: Float64Array): number;
  trapWaitReady(ctl: number, timeoutMs: number): boolean;
  /** Waits until a slot's thread has exited (tid word cleared); false on timeout. */
  trapWaitExit(ctl: number, timeoutMs: number): boolean;
  /**
   * Index of a trapped (or dead) slot among ctls[0..n), or -1 on timeout;
   * ids holds the pid and tid of each slot's thread.
   */
  trapWaitAny(
    globals: number,
    ctls: Float64Array,
    n: number,
    timeoutMs: number,
    ids: Int32Array,
  ): number;
}

/** Where the package's native build lives (`build/Release`), from src/ or dist/. */
export const buildDir = join(dirname(fileURLToPath(import.meta.url)), "..", "build", "Release");
/** The stub executable built beside the addon. */
export const stubPath = join(buildDir, "tsvisor-stub");

let loaded: { native: PtraceNative; kickSignal: number } | null = null;
let loadError: Error | null = null;

/** Loads and initialises the addon once; throws the load error every time it failed. */
export function loadNative(): { native: PtraceNative; kickSignal: number } {
  if (loaded !== null) return loaded;
  if (loadError !== null) throw loadError;
  try {
    const file = join(buildDir, "tsvisor_ptrace.node");
    if (!existsSync(file) || !existsSync(stubPath)) {
      throw new Error(`native addon not built (${file} or ${stubPath} missing)`);
    }
    const native = createRequire(import.meta.url)(file) as PtraceNative;
    const kickSignal = native.init(HostError);
    loaded = { native, kickSignal };
    return loaded;
  } catch (e) {
    loadError = e as Error;
    throw e;
  }
}
