import { BUS_ADRERR, SEGV_ACCERR, SEGV_MAPERR, SIGBUS, SIGSEGV } from "@tsvisor/abi";

/**
 * An unresolvable fault that becomes a signal: the kernel sends `signo` with
 * `si_code = code` and `si_addr` = the faulting address (force_sig_fault).
 */
export interface FaultSignal {
  readonly kind: "signal";
  readonly signo: number;
  readonly code: number;
}

/**
 * No page could be allocated (the sandbox memory limit or the memory file is
 * exhausted). Linux would run the OOM killer or send SIGBUS; the kernel
 * decides.
 */
export interface FaultOom {
  readonly kind: "oom";
}

/** `0`: resolved, retry the instruction. Otherwise why not. */
export type FaultResult = 0 | FaultSignal | FaultOom;

/** No VMA at the address: SIGSEGV / SEGV_MAPERR. */
export const FAULT_MAPERR: FaultSignal = Object.freeze({
  kind: "signal",
  signo: SIGSEGV,
  code: SEGV_MAPERR,
});
/** The VMA forbids the access: SIGSEGV / SEGV_ACCERR. */
export const FAULT_ACCERR: FaultSignal = Object.freeze({
  kind: "signal",
  signo: SIGSEGV,
  code: SEGV_ACCERR,
});
/** A file mapping's page lies beyond the end of the file: SIGBUS / BUS_ADRERR. */
export const FAULT_BUS: FaultSignal = Object.freeze({
  kind: "signal",
  signo: SIGBUS,
  code: BUS_ADRERR,
});
/** Out of memory. */
export const FAULT_OOM: FaultOom = Object.freeze({ kind: "oom" });
