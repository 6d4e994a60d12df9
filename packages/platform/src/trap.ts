/**
 * What stopped an application thread. `Context.switch` returns one of these.
 *
 * The returned object is owned by the Context and reused: it is valid until
 * the next `switch`/`resume` of that Context (no allocation per trap).
 */
export type Trap = SyscallTrap | FaultTrap | SignalTrap | InterruptedTrap;

/**
 * The thread executed `syscall`. Conventions (identical on every platform, as
 * ptrace's `PTRACE_SYSEMU` shows them):
 * - `orig_rax` holds the syscall number, `rdi, rsi, rdx, r10, r8, r9` the args;
 * - `rip` points just after the 2-byte `syscall` instruction;
 * - `rcx` = `rip` and `r11` = `rflags`, as the SYSCALL instruction left them.
 * The kernel writes the result to `rax` and switches again. To restart the
 * call, it sets `rip -= 2` and `rax = orig_rax`.
 */
export interface SyscallTrap {
  readonly kind: "syscall";
}

/** Kinds of access that faulted. */
export type Access = "read" | "write" | "exec";

/**
 * A memory fault (a #PF, or the host's SIGSEGV/SIGBUS) at `addr`. `rip` is the
 * faulting instruction, so switching again retries it once the kernel has
 * fixed the mapping.
 */
export interface FaultTrap {
  readonly kind: "fault";
  /** The faulting address (`si_addr`, CR2). */
  addr: number;
  access: Access;
  /** True when a page was mapped at `addr` but forbade the access (protection fault). */
  present: boolean;
  /** The signal the fault becomes if the kernel cannot resolve it: SIGSEGV (11) or SIGBUS (7). */
  signo: number;
}

/**
 * A synchronous signal other than a memory fault: SIGILL, SIGFPE, SIGTRAP
 * (int3, single-step), or a #GP/#UD the platform maps to SIGSEGV/SIGILL.
 * `code` is the `si_code` Linux would give (e.g. ILL_ILLOPN, FPE_INTDIV,
 * TRAP_BRKPT, SI_KERNEL), and `addr` the `si_addr`.
 */
export interface SignalTrap {
  readonly kind: "signal";
  signo: number;
  code: number;
  addr: number;
}

/** `interrupt()` was called, or the switch's timeout passed. State is intact. */
export interface InterruptedTrap {
  readonly kind: "interrupted";
}
