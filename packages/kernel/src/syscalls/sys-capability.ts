/**
 * capget(2)/capset(2), personality(2) and the mlock family.
 *
 * Capabilities are not modelled separately from the effective uid: uid 0
 * holds every capability up to CAP_LAST_CAP, others none. Memory is never
 * swapped in the sandbox, so locking always succeeds.
 *
 * Every handler runs on behalf of the calling task `t`.
 */
import { EFAULT, EINVAL, EPERM, ESRCH } from "@tsvisor/abi";
import type { Task } from "../task.js";
import type { SyscallArgs } from "./syscall.js";

const LINUX_CAPABILITY_VERSION_1 = 0x19980330;
const LINUX_CAPABILITY_VERSION_2 = 0x20071026;
const LINUX_CAPABILITY_VERSION_3 = 0x20080522;
/** CAP_LAST_CAP = 40: capabilities 0..40 as two 32-bit words. */
const ALL_CAPS: [number, number] = [0xffffffff, 0x1ff];

/** Reads the header's version; returns the number of data structs (1 or 2) or -EINVAL after writing back v3. */
function checkHeader(t: Task, hdr: number): { words: number; pid: number } | number {
  const b = new Uint8Array(8);
  if (t.mm.copyIn(hdr, b) !== 8) return -EFAULT;
  const dv = new DataView(b.buffer);
  const version = dv.getUint32(0, true);
  const pid = dv.getInt32(4, true);
  if (version === LINUX_CAPABILITY_VERSION_1) return { words: 1, pid };
  if (version === LINUX_CAPABILITY_VERSION_2 || version === LINUX_CAPABILITY_VERSION_3)
    return { words: 2, pid };
  // capget(2): "EINVAL ... the kernel writes its preferred version in the header".
  dv.setUint32(0, LINUX_CAPABILITY_VERSION_3, true);
  if (t.mm.copyOut(hdr, b) !== 8) return -EFAULT;
  return -EINVAL;
}

export function sysCapget(t: Task, a: SyscallArgs): number {
  const h = checkHeader(t, a.ptr(0));
  if (typeof h === "number") return h;
  if (h.pid < 0) return -EINVAL;
  const target = h.pid === 0 ? t : t.kernel.pidns.tasks.get(h.pid);
  if (target === undefined || target.state.kind === "exited") return -ESRCH;
  if (a.ptr(1) === 0) return 0;
  const b = new Uint8Array(12 * h.words);
  const dv = new DataView(b.buffer);
  const root = target.creds.euid === 0;
  for (let i = 0; i < h.words; i++) {
    const caps = root ? ALL_CAPS[i]! : 0;
    dv.setUint32(12 * i, caps, true); // effective
    dv.setUint32(12 * i + 4, caps, true); // permitted
    dv.setUint32(12 * i + 8, 0, true); // inheritable
  }
  return t.mm.copyOut(a.ptr(1), b) === b.length ? 0 : -EFAULT;
}

/** capset(2): only the caller (pid 0 or its own); may drop but not raise beyond what it has. */
export function sysCapset(t: Task, a: SyscallArgs): number {
  const h = checkHeader(t, a.ptr(0));
  if (typeof h === "number") return h;
  if (h.pid !== 0 && h.pid !== t.tid) return -EPERM;
  const b = new Uint8Array(12 * h.words);
  if (t.mm.copyIn(a.ptr(1), b) !== b.length) return -EFAULT;
  const dv = new DataView(b.buffer);
  const root = t.creds.euid === 0;
  for (let i = 0; i < h.words; i++) {
    const have = root ? ALL_CAPS[i]! : 0;
    const eff = dv.getUint32(12 * i, true);
    const perm = dv.getUint32(12 * i + 4, true);
    if ((perm & ~have) !== 0 || (eff & ~perm) !== 0) return -EPERM;
  }
  return 0;
}

const personalities = new WeakMap<object, number>();

/** personality(2): 0xffffffff queries; the persona is recorded, PER_LINUX (0) by default. */
export function sysPersonality(t: Task, a: SyscallArgs): number {
  const p = a.uint(0);
  const old = personalities.get(t.tg) ?? 0;
  if (p !== 0xffffffff) personalities.set(t.tg, p);
  return old;
}

/** mlock(2)/munlock(2)/mlock2(2): nothing is ever paged out; validate and succeed. */
export function sysMlock(_t: Task, a: SyscallArgs): number {
  return a.u64(1) > 0x7ffffffff000 ? -EINVAL : 0;
}

export function sysMlock2(_t: Task, a: SyscallArgs): number {
  if ((a.uint(2) & ~1) !== 0) return -EINVAL; // MLOCK_ONFAULT only
  return a.u64(1) > 0x7ffffffff000 ? -EINVAL : 0;
}

/** mlockall(2): flags MCL_CURRENT|MCL_FUTURE|MCL_ONFAULT, not ONFAULT alone. */
export function sysMlockall(_t: Task, a: SyscallArgs): number {
  const f = a.int(0);
  if (f === 0 || (f & ~7) !== 0 || f === 4) return -EINVAL;
  return 0;
}

export function sysMunlockall(): number {
  return 0;
}
