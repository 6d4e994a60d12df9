/**
 * Scheduler syscalls: sched_yield, sched_getaffinity/setaffinity,
 * sched_getscheduler/getparam/setscheduler/setparam, priority ranges,
 * getpriority/setpriority.
 *
 * The Sentry does not schedule by policy: every task is SCHED_OTHER with
 * nice 0, and affinity masks are accepted and reported as "all CPUs".
 * Runs on behalf of the calling task `t`.
 */
import { availableParallelism } from "node:os";
import { EFAULT, EINVAL, EPERM, ESRCH } from "@tsvisor/abi";
import type { Task } from "../task.js";
import type { SyscallArgs } from "./syscall.js";

const SCHED_OTHER = 0;
const SCHED_FIFO = 1;
const SCHED_RR = 2;
const SCHED_BATCH = 3;
const SCHED_IDLE = 5;

function target(t: Task, pid: number): Task | null {
  if (pid < 0) return null;
  if (pid === 0) return t;
  const x = t.kernel.pidns.tasks.get(pid);
  return x === undefined || x.state.kind === "exited" ? null : x;
}

export function sysSchedYield(): number {
  return 0;
}

/** cpumask_size() on a kernel with few CPUs: one unsigned long. */
const CPUMASK_SIZE = 8;

/** sched_getaffinity(2): returns the number of bytes written (cpumask size). */
export function sysSchedGetaffinity(t: Task, a: SyscallArgs): number {
  const len = a.u64(1);
  const ncpu = availableParallelism();
  // "EINVAL ... len is smaller than the size of the affinity mask used by the kernel" / not a multiple of long.
  if (len * 8 < ncpu || len % 8 !== 0) return -EINVAL;
  if (target(t, a.int(0)) === null) return -ESRCH;
  const size = Math.max(CPUMASK_SIZE, Math.ceil(ncpu / 64) * 8);
  const b = new Uint8Array(Math.min(len, size));
  for (let c = 0; c < ncpu; c++) b[c >> 3]! |= 1 << (c & 7);
  return t.mm.copyOut(a.ptr(2), b) === b.length ? b.length : -EFAULT;
}

export function sysSchedSetaffinity(t: Task, a: SyscallArgs): number {
  if (target(t, a.int(0)) === null) return -ESRCH;
  const len = Math.min(a.u64(1), 128);
  const b = new Uint8Array(len);
  if (len > 0 && t.mm.copyIn(a.ptr(2), b) !== len) return -EFAULT;
  // "EINVAL The affinity bit mask mask contains no processors that are currently physically on the system".
  const ncpu = availableParallelism();
  let any = false;
  for (let c = 0; c < Math.min(ncpu, len * 8); c++) if ((b[c >> 3]! >> (c & 7)) & 1) any = true;
  return any ? 0 : -EINVAL;
}

export function sysSchedGetscheduler(t: Task, a: SyscallArgs): number {
  return target(t, a.int(0)) === null ? (a.int(0) < 0 ? -EINVAL : -ESRCH) : SCHED_OTHER;
}

export function sysSchedGetparam(t: Task, a: SyscallArgs): number {
  if (a.int(0) < 0 || a.ptr(1) === 0) return -EINVAL;
  if (target(t, a.int(0)) === null) return -ESRCH;
  return t.mm.copyOut(a.ptr(1), new Uint8Array(4)) === 4 ? 0 : -EFAULT;
}

/** sched_setscheduler(2): only SCHED_OTHER/BATCH/IDLE with priority 0; real-time policies need privileges we do not model. */
export function sysSchedSetscheduler(t: Task, a: SyscallArgs): number {
  const policy = a.int(1);
  if (a.int(0) < 0 || a.ptr(2) === 0) return -EINVAL;
  if (target(t, a.int(0)) === null) return -ESRCH;
  const b = new Uint8Array(4);
  if (t.mm.copyIn(a.ptr(2), b) !== 4) return -EFAULT;
  const prio = new DataView(b.buffer).getInt32(0, true);
  if (policy === SCHED_OTHER || policy === SCHED_BATCH || policy === SCHED_IDLE)
    return prio === 0 ? 0 : -EINVAL;
  if (policy === SCHED_FIFO || policy === SCHED_RR)
    return prio >= 1 && prio <= 99 ? -EPERM : -EINVAL;
  return -EINVAL;
}

export function sysSchedSetparam(t: Task, a: SyscallArgs): number {
  if (a.int(0) < 0 || a.ptr(1) === 0) return -EINVAL;
  if (target(t, a.int(0)) === null) return -ESRCH;
  const b = new Uint8Array(4);
  if (t.mm.copyIn(a.ptr(1), b) !== 4) return -EFAULT;
  return new DataView(b.buffer).getInt32(0, true) === 0 ? 0 : -EINVAL;
}

export function sysSchedGetPriorityMax(_t: Task, a: SyscallArgs): number {
  const p = a.int(0);
  if (p === SCHED_FIFO || p === SCHED_RR) return 99;
  if (p === SCHED_OTHER || p === SCHED_BATCH || p === SCHED_IDLE) return 0;
  return -EINVAL;
}

export function sysSchedGetPriorityMin(_t: Task, a: SyscallArgs): number {
  const p = a.int(0);
  if (p === SCHED_FIFO || p === SCHED_RR) return 1;
  if (p === SCHED_OTHER || p === SCHED_BATCH || p === SCHED_IDLE) return 0;
  return -EINVAL;
}

/** getpriority(2): the raw syscall returns 20 - nice (nice 0 → 20). */
export function sysGetpriority(_t: Task, a: SyscallArgs): number {
  const which = a.int(0);
  if (which < 0 || which > 2) return -EINVAL;
  return 20;
}

export function sysSetpriority(t: Task, a: SyscallArgs): number {
  const which = a.int(0);
  if (which < 0 || which > 2) return -EINVAL;
  const nice = a.int(2);
  // Lowering nice below 0 needs privilege.
  if (nice < 0 && !t.creds.hasCapability()) return -EPERM;
  return 0;
}
