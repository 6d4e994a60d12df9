import {
  BUS_ADRALN,
  FPE_FLTDIV,
  FPE_FLTINV,
  FPE_FLTOVF,
  FPE_FLTRES,
  FPE_FLTUND,
  FPE_INTDIV,
  ILL_ILLOPN,
  SI_KERNEL,
  SIGBUS,
  SIGFPE,
  SIGILL,
  SIGSEGV,
  SIGTRAP,
  TRAP_TRACE,
} from "@tsvisor/abi";
import type { FaultTrap, SignalTrap } from "@tsvisor/platform";
import { MAX_USER_ADDRESS } from "./layout.js";

/** x86 exception vectors. */
export const X86_DE = 0;
export const X86_DB = 1;
export const X86_BP = 3;
export const X86_OF = 4;
export const X86_BR = 5;
export const X86_UD = 6;
export const X86_NM = 7;
export const X86_DF = 8;
export const X86_TS = 10;
export const X86_NP = 11;
export const X86_SS = 12;
export const X86_GP = 13;
export const X86_PF = 14;
export const X86_MF = 16;
export const X86_AC = 17;
export const X86_XM = 19;

/** #PF error-code bits. */
const PF_PRESENT = 1;
const PF_WRITE = 2;
const PF_INSTR = 0x10;

/**
 * Fills `t` for a #PF at `cr2` with error code `err`.
 *
 * `present` follows Linux's notion (a mapping exists but forbids the
 * access), so a PROT_NONE page, which the page table keeps as not-present,
 * counts as present: `mapped(addr)` says whether the address space maps it.
 */
export function pageFault(
  t: FaultTrap,
  cr2: number,
  err: number,
  mapped: (addr: number) => boolean,
): FaultTrap {
  t.addr = cr2;
  t.access = (err & PF_INSTR) !== 0 ? "exec" : (err & PF_WRITE) !== 0 ? "write" : "read";
  // Outside the user range (e.g. the platform area) nothing is mapped as far
  // as the program is concerned: Linux reports SEGV_MAPERR there.
  t.present = cr2 < MAX_USER_ADDRESS && ((err & PF_PRESENT) !== 0 || mapped(cr2));
  t.signo = SIGSEGV;
  return t;
}

/**
 * si_code of a #MF (x87) or #XM (SIMD) exception, as Linux's
 * fpu__exception_code() computes it from the FP state: the lowest unmasked
 * exception flag decides.
 */
export function fpExceptionCode(vector: number, fxsave: Uint8Array): number {
  const dv = new DataView(fxsave.buffer, fxsave.byteOffset, 512);
  let err: number;
  if (vector === X86_MF) {
    const cwd = dv.getUint16(0, true);
    const swd = dv.getUint16(2, true);
    err = swd & ~cwd;
  } else {
    const mxcsr = dv.getUint32(24, true);
    err = ~(mxcsr >> 7) & mxcsr;
  }
  if (err & 0x001) return FPE_FLTINV;
  if (err & 0x004) return FPE_FLTDIV;
  if (err & 0x008) return FPE_FLTOVF;
  if (err & 0x012) return FPE_FLTUND;
  if (err & 0x020) return FPE_FLTRES;
  return 0;
}

/**
 * Fills `t` with the signal Linux sends for exception `vector` (not #PF)
 * raised at `rip` (arch/x86/kernel/traps.c):
 * - #DE → SIGFPE FPE_INTDIV, si_addr = rip;
 * - #UD → SIGILL ILL_ILLOPN, si_addr = rip (also `int $0x80` on PVM, which
 *   delivers it as #UD);
 * - #BP (int3) → SIGTRAP SI_KERNEL, si_addr = 0 (checked against the host by
 *   test/native-signals.test.ts);
 * - #DB (single step) → SIGTRAP TRAP_TRACE;
 * - #GP and the remaining faults → SIGSEGV SI_KERNEL, si_addr = 0;
 *   #NP/#SS → SIGBUS SI_KERNEL; #AC → SIGBUS BUS_ADRALN;
 * - #MF/#XM → SIGFPE with the code of `fpExceptionCode`.
 */
export function exceptionSignal(
  t: SignalTrap,
  vector: number,
  rip: number,
  fxsave: () => Uint8Array,
): SignalTrap {
  t.addr = 0;
  switch (vector) {
    case X86_DE:
      t.signo = SIGFPE;
      t.code = FPE_INTDIV;
      t.addr = rip;
      break;
    case X86_DB:
      t.signo = SIGTRAP;
      t.code = TRAP_TRACE;
      t.addr = rip;
      break;
    case X86_BP:
      t.signo = SIGTRAP;
      t.code = SI_KERNEL;
      break;
    case X86_UD:
      t.signo = SIGILL;
      t.code = ILL_ILLOPN;
      t.addr = rip;
      break;
    case X86_NP:
    case X86_SS:
      t.signo = SIGBUS;
      t.code = SI_KERNEL;
      break;
    case X86_AC:
      t.signo = SIGBUS;
      t.code = BUS_ADRALN;
      break;
    case X86_MF:
    case X86_XM:
      t.signo = SIGFPE;
      t.code = fpExceptionCode(vector, fxsave());
      t.addr = rip;
      break;
    default:
      t.signo = SIGSEGV;
      t.code = SI_KERNEL;
      break;
  }
  return t;
}

/** `int imm8` (CD ib). */
const INT_IMM8 = 0xcd;

/**
 * True when the #UD at `rip` is really a software interrupt `int n`: PVM
 * delivers `int n` from ring 3 as #UD, where the CPU (and bare-metal KVM,
 * whose gates for n >= 32 are absent or DPL 0) raises #GP, which Linux turns
 * into SIGSEGV SI_KERNEL. `int $0x80` is the same: a kernel that emulates
 * 32-bit system calls can recognise CD 80 at rip.
 */
export function isSoftwareInterrupt(fetch: (addr: number) => number, rip: number): boolean {
  return fetch(rip) === INT_IMM8;
}

/**
 * The rip of the IN/OUT instruction (to `port`) that a PIO exit reported at
 * `rip`: KVM reports the exit at the instruction (fast PIO, bare metal) or
 * after it (instruction emulation, as on PVM).
 */
export function pioInstructionStart(
  fetch: (addr: number) => number,
  rip: number,
  port: number,
): number {
  const pioLength = (a: number): number => {
    let len = 0;
    let b = fetch(a);
    // Operand-size and rep prefixes.
    while ((b === 0x66 || b === 0xf3 || b === 0xf2) && len < 2) {
      len++;
      b = fetch(a + len);
    }
    if (b >= 0xe4 && b <= 0xe7) return fetch(a + len + 1) === port ? len + 2 : 0; // in/out imm8
    if ((b >= 0xec && b <= 0xef) || (b >= 0x6c && b <= 0x6f)) return len + 1; // in/out %dx, ins/outs
    return 0;
  };
  if (pioLength(rip) > 0) return rip;
  for (const back of [3, 2, 1]) if (pioLength(rip - back) === back) return rip - back;
  return rip;
}
