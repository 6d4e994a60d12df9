/**
 * The wait status word of wait4(2)/waitpid(2) (the `int *wstatus`), with the
 * <sys/wait.h> macros as functions. Layout (low 16 bits):
 * - exited: exit code in bits 8-15, low byte 0;
 * - killed: signal in bits 0-6, WCOREFLAG (0x80) if a core was dumped;
 * - stopped: 0x7f in the low byte, the stop signal in bits 8-15 (ptrace
 *   event stops add `event << 16`);
 * - continued: 0xffff.
 *
 * @module
 */

/** Set in a killed status when the process dumped core. */
export const WCOREFLAG = 0x80;
/** The status of a continued child (glibc's __W_CONTINUED). */
export const W_CONTINUED = 0xffff;

/** `W_EXITCODE(ret, sig)`: status for exit code `ret` (sig 0) or death by `sig` (ret 0). */
export function W_EXITCODE(ret: number, sig: number): number {
  return ((ret & 0xff) << 8) | sig;
}
/** `W_STOPCODE(sig)`: status of a child stopped by `sig`. */
export function W_STOPCODE(sig: number): number {
  return (sig << 8) | 0x7f;
}
export function WEXITSTATUS(status: number): number {
  return (status & 0xff00) >> 8;
}
export function WTERMSIG(status: number): number {
  return status & 0x7f;
}
export function WSTOPSIG(status: number): number {
  return WEXITSTATUS(status);
}
export function WIFEXITED(status: number): boolean {
  return WTERMSIG(status) === 0;
}
export function WIFSIGNALED(status: number): boolean {
  return (((status & 0x7f) + 1) << 24) >> 25 > 0;
}
export function WIFSTOPPED(status: number): boolean {
  return (status & 0xff) === 0x7f;
}
export function WIFCONTINUED(status: number): boolean {
  return status === W_CONTINUED;
}
export function WCOREDUMP(status: number): boolean {
  return (status & WCOREFLAG) !== 0;
}
