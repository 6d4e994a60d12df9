/**
 * Resource limits: getrlimit, setrlimit, prlimit64.
 *
 * Limits are per thread group. RLIM_INFINITY (2^64 - 1) is held as
 * `Infinity`. Runs on behalf of the calling task `t`.
 */
import {
  EFAULT,
  EINVAL,
  EPERM,
  ESRCH,
  RLIMIT_AS,
  RLIMIT_DATA,
  RLIMIT_NOFILE,
  RLIMIT_STACK,
} from "@tsvisor/abi";
import type { Task } from "../task.js";
import { RLIM_NLIMITS, type Rlimit } from "../thread-group.js";
import type { SyscallArgs } from "./syscall.js";

const RLIM_INFINITY = (1n << 64n) - 1n;
/** Linux's fs.nr_open: the highest RLIMIT_NOFILE. */
const NR_OPEN = 1048576;

function encode(v: number): bigint {
  return v === Number.POSITIVE_INFINITY ? RLIM_INFINITY : BigInt(v);
}

function decode(v: bigint): number {
  return v === RLIM_INFINITY ? Number.POSITIVE_INFINITY : Number(v);
}

function writeRlimit(t: Task, addr: number, r: Rlimit): number {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, encode(r.cur), true);
  dv.setBigUint64(8, encode(r.max), true);
  return t.mm.copyOut(addr, b) === 16 ? 0 : -EFAULT;
}

function readRlimit(t: Task, addr: number): Rlimit | number {
  const b = new Uint8Array(16);
  if (t.mm.copyIn(addr, b) !== 16) return -EFAULT;
  const dv = new DataView(b.buffer);
  return { cur: decode(dv.getBigUint64(0, true)), max: decode(dv.getBigUint64(8, true)) };
}

/** Applies a new limit with setrlimit(2)'s rules; returns 0 or -errno. */
function setLimit(t: Task, target: Task, resource: number, r: Rlimit): number {
  if (r.cur > r.max) return -EINVAL;
  const old = target.tg.rlimits[resource]!;
  // "EPERM An unprivileged process tried to raise the hard limit".
  if (r.max > old.max && !t.creds.hasCapability()) return -EPERM;
  if (resource === RLIMIT_NOFILE && r.max > NR_OPEN) return -EPERM;
  target.tg.rlimits[resource] = { cur: r.cur, max: r.max };
  if (resource === RLIMIT_NOFILE) target.fdTable.nofile = Math.min(r.cur, NR_OPEN);
  // Keep mm's enforced limits in step.
  const lim = (target.mm as unknown as { limits?: Record<string, number> }).limits;
  if (lim !== undefined) {
    if (resource === RLIMIT_AS) lim.addressSpaceBytes = r.cur;
    if (resource === RLIMIT_STACK) lim.stackBytes = r.cur;
    if (resource === RLIMIT_DATA) lim.dataBytes = r.cur;
  }
  return 0;
}

export function sysGetrlimit(t: Task, a: SyscallArgs): number {
  const res = a.uint(0);
  if (res >= RLIM_NLIMITS) return -EINVAL;
  return writeRlimit(t, a.ptr(1), t.tg.rlimits[res]!);
}

export function sysSetrlimit(t: Task, a: SyscallArgs): number {
  const res = a.uint(0);
  if (res >= RLIM_NLIMITS) return -EINVAL;
  const r = readRlimit(t, a.ptr(1));
  if (typeof r === "number") return r;
  return setLimit(t, t, res, r);
}

/** prlimit64(2): pid, resource, new_limit, old_limit. */
export function sysPrlimit64(t: Task, a: SyscallArgs): number {
  const pid = a.int(0);
  const res = a.uint(1);
  if (res >= RLIM_NLIMITS) return -EINVAL;
  const target = pid === 0 ? t : t.kernel.pidns.tasks.get(pid);
  if (target === undefined || target.state.kind === "exited") return -ESRCH;
  let next: Rlimit | null = null;
  if (a.ptr(2) !== 0) {
    const r = readRlimit(t, a.ptr(2));
    if (typeof r === "number") return r;
    next = r;
  }
  if (a.ptr(3) !== 0) {
    const w = writeRlimit(t, a.ptr(3), target.tg.rlimits[res]!);
    if (w < 0) return w;
  }
  if (next !== null) return setLimit(t, target, res, next);
  return 0;
}
