/**
 * futex(2), set_robust_list's neighbour. The logic is in ../futex.ts.
 *
 * Runs on behalf of the calling task `t`; may block.
 */
import { doFutex } from "../futex.js";
import type { Task } from "../task.js";
import type { Block, SyscallArgs } from "./syscall.js";

export function sysFutex(t: Task, a: SyscallArgs): number | Block {
  return doFutex(t.kernel, t, a.ptr(0), a.int(1), a.int(2), a.ptr(3), a.ptr(4), a.uint(5));
}

/** restart_syscall(2): continues a call interrupted with ERESTART_RESTARTBLOCK. */
export function sysRestartSyscall(t: Task): number | Block {
  const r = t.restartBlock;
  t.restartBlock = null;
  if (r === null) return -4; // EINTR: nothing to restart
  return r(t);
}
