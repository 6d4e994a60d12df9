import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { HostError, type MemfdNative } from "@tsvisor/platform";

/** Result codes of `vcpuRun` / `vmWaitAny` (native/kvm.cc `RunResult`). */
export const RUN_SYSCALL = 0;
export const RUN_EXCEPTION = 1;
export const RUN_INTERRUPTED = 2;
export const RUN_TIMEOUT = 3;
export const RUN_BAD_IO = 4;
export const RUN_ERROR = 5;

/** Indices into a vCPU's exit-information array (`Float64Array(8)`). */
export const X_VECTOR = 0;
export const X_ERROR_CODE = 1;
export const X_CR2 = 2;
export const X_EXIT_REASON = 3;
export const X_DETAIL = 4;
export const X_DETAIL2 = 5;
export const X_PORT = 6;
export const X_NUM = 8;

/** Words of the sregs image of `vcpuSetSregs` / `vcpuGetSregs` (see native/kvm.cc). */
export const SREGS_WORDS = 43;

/**
 * The native surface of the KVM platform (native/kvm.cc). Mechanism only:
 * each call checks its arguments, makes the host call and throws
 * `HostError(call, errno)` on failure. VMs and vCPUs are integer handles.
 * Host addresses are numbers (user-space addresses are below 2^47).
 */
export interface KvmNative extends MemfdNative {
  /** Registers the error class and the handler of `kickSignal` (interrupts and timeouts). */
  init(errorClass: typeof HostError, kickSignal: number): void;
  /** `[stage, errno]`: 0 ok; 1 open(/dev/kvm); 2 API version; 3 KVM_CREATE_VM; 4 missing capability (errno = cap). */
  probe(): [number, number];
  vmCreate(): number;
  vmCheckExtension(vm: number, cap: number): number;
  /** Adds, moves or (size 0) deletes memory slot `slot`. */
  vmSetSlot(vm: number, slot: number, gpa: number, size: number, hostAddr: number): void;
  /** Creates (first call), then moves a one-page slot: KVM drops all shadow page-table entries and guest TLBs. */
  vmFlush(vm: number, slot: number, gpa: number): void;
  /** KVM_GET_SUPPORTED_CPUID as entries of 8 words (function, index, flags, eax, ebx, ecx, edx, 0). */
  vmSupportedCpuid(vm: number): Uint32Array;
  vmDestroy(vm: number): void;
  /** Waits for an async run: `handle * 16 + result`, or -1 when `timeoutMs` (>= 0) passed. */
  vmWaitAny(vm: number, timeoutMs: number, spinUs: number): number;
  vcpuCreate(vm: number, id: number): number;
  /** Binds the register file (user_regs_struct image) and exit-information array. */
  vcpuBind(vcpu: number, regs: Uint32Array, xinfo: Float64Array): void;
  /** See `VcpuConfig` in guest-image.ts for the word order. */
  vcpuConfigure(vcpu: number, config: BigUint64Array): void;
  vcpuSetCpuid(vcpu: number, entries: Uint32Array): void;
  vcpuSetSregs(vcpu: number, sregs: BigUint64Array): void;
  vcpuGetSregs(vcpu: number): BigUint64Array;
  vcpuSetMsrs(vcpu: number, indices: Uint32Array, values: BigUint64Array): void;
  vcpuGetMsr(vcpu: number, index: number): bigint;
  hostXcr0(): bigint;
  /** CPUID of the host CPU: [eax, ebx, ecx, edx]. */
  hostCpuid(leaf: number, subleaf: number): Uint32Array;
  vcpuSetXcr0(vcpu: number, xcr0: bigint): void;
  vcpuGetXsave(vcpu: number, out: Uint8Array): void;
  vcpuSetXsave(vcpu: number, image: Uint8Array): void;
  /**
   * Runs on the calling thread until a trap; returns a RUN_* code. The host
   * addresses are the address space's IST stack top and IRET frame page for
   * this vCPU.
   */
  vcpuRun(
    vcpu: number,
    cr3: number,
    timeoutMs: number,
    istTopHost: number,
    frameHost: number,
  ): number;
  vcpuInterrupt(vcpu: number): void;
  /** Runs the vCPU on its own host thread; collect with `vmWaitAny`. */
  vcpuStart(vcpu: number, cr3: number, istTopHost: number, frameHost: number): void;
}

/**
 * The real-time signal that knocks a thread out of KVM_RUN. Distinct from the
 * ptrace platform's (59) so that both can be loaded in one process.
 */
export const KICK_SIGNAL = 58;

/** Where the package's native build lives (`build/Release`), from src/ or dist/. */
export const buildDir = join(dirname(fileURLToPath(import.meta.url)), "..", "build", "Release");

let loaded: KvmNative | null = null;
let loadError: Error | null = null;

/** Loads and initialises the addon once; throws the load error every time it failed. */
export function loadNative(): KvmNative {
  if (loaded !== null) return loaded;
  if (loadError !== null) throw loadError;
  try {
    const file = join(buildDir, "tsvisor_kvm.node");
    if (!existsSync(file)) throw new Error(`native addon not built (${file} missing)`);
    const native = createRequire(import.meta.url)(file) as KvmNative;
    native.init(HostError, KICK_SIGNAL);
    loaded = native;
    return native;
  } catch (e) {
    loadError = e as Error;
    throw e;
  }
}
