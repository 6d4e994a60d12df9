/**
 * Credentials syscalls: get/set uid, gid, resuid, resgid, fsuid, fsgid and
 * supplementary groups, with Linux's rules for privileged (euid 0, standing
 * in for CAP_SETUID/CAP_SETGID) and unprivileged callers.
 *
 * Every handler runs on behalf of the calling task `t` and replaces
 * `t.creds` (never mutates it: it may be shared).
 */
import { EFAULT, EINVAL, EPERM } from "@tsvisor/abi";
import type { Task } from "../task.js";
import type { SyscallArgs } from "./syscall.js";

/** Linux's NGROUPS_MAX. */
const NGROUPS_MAX = 65536;
/** (uid_t)-1: "leave unchanged". */
const KEEP = 0xffffffff;

export const sysGetuid = (t: Task): number => t.creds.uid;
export const sysGeteuid = (t: Task): number => t.creds.euid;
export const sysGetgid = (t: Task): number => t.creds.gid;
export const sysGetegid = (t: Task): number => t.creds.egid;

function write3(t: Task, a: SyscallArgs, x: number, y: number, z: number): number {
  const b = new Uint8Array(4);
  const dv = new DataView(b.buffer);
  for (const [i, v] of [x, y, z].entries()) {
    dv.setUint32(0, v, true);
    if (t.mm.copyOut(a.ptr(i), b) !== 4) return -EFAULT;
  }
  return 0;
}

export function sysGetresuid(t: Task, a: SyscallArgs): number {
  const c = t.creds;
  return write3(t, a, c.uid, c.euid, c.suid);
}

export function sysGetresgid(t: Task, a: SyscallArgs): number {
  const c = t.creds;
  return write3(t, a, c.gid, c.egid, c.sgid);
}

/** setuid(2): root sets all three ids; others only the effective id to the real or saved one. */
export function sysSetuid(t: Task, a: SyscallArgs): number {
  const uid = a.uint(0);
  if (uid === KEEP) return -EINVAL;
  const c = t.creds;
  if (c.hasCapability()) {
    t.creds = c.with({ uid, euid: uid, suid: uid, fsuid: uid });
    return 0;
  }
  if (uid !== c.uid && uid !== c.suid) return -EPERM;
  t.creds = c.with({ euid: uid, fsuid: uid });
  return 0;
}

export function sysSetgid(t: Task, a: SyscallArgs): number {
  const gid = a.uint(0);
  if (gid === KEEP) return -EINVAL;
  const c = t.creds;
  if (c.hasCapability()) {
    t.creds = c.with({ gid, egid: gid, sgid: gid, fsgid: gid });
    return 0;
  }
  if (gid !== c.gid && gid !== c.sgid) return -EPERM;
  t.creds = c.with({ egid: gid, fsgid: gid });
  return 0;
}

/** setresuid(2): each id may be -1 (unchanged); unprivileged callers may pick among their current ids. */
export function sysSetresuid(t: Task, a: SyscallArgs): number {
  const [r, e, s] = [a.uint(0), a.uint(1), a.uint(2)];
  const c = t.creds;
  const allowed = (v: number): boolean => v === KEEP || v === c.uid || v === c.euid || v === c.suid;
  if (!c.hasCapability() && !(allowed(r) && allowed(e) && allowed(s))) return -EPERM;
  const euid = e === KEEP ? c.euid : e;
  t.creds = c.with({
    uid: r === KEEP ? c.uid : r,
    euid,
    suid: s === KEEP ? c.suid : s,
    fsuid: euid,
  });
  return 0;
}

export function sysSetresgid(t: Task, a: SyscallArgs): number {
  const [r, e, s] = [a.uint(0), a.uint(1), a.uint(2)];
  const c = t.creds;
  const allowed = (v: number): boolean => v === KEEP || v === c.gid || v === c.egid || v === c.sgid;
  if (!c.hasCapability() && !(allowed(r) && allowed(e) && allowed(s))) return -EPERM;
  const egid = e === KEEP ? c.egid : e;
  t.creds = c.with({
    gid: r === KEEP ? c.gid : r,
    egid,
    sgid: s === KEEP ? c.sgid : s,
    fsgid: egid,
  });
  return 0;
}

/**
 * setreuid(2): "If the real user ID is set or the effective user ID is set to
 * a value not equal to the previous real user ID, the saved set-user-ID will
 * be set to the new effective user ID."
 */
export function sysSetreuid(t: Task, a: SyscallArgs): number {
  const [r, e] = [a.uint(0), a.uint(1)];
  const c = t.creds;
  if (!c.hasCapability()) {
    if (r !== KEEP && r !== c.uid && r !== c.euid) return -EPERM;
    if (e !== KEEP && e !== c.uid && e !== c.euid && e !== c.suid) return -EPERM;
  }
  const uid = r === KEEP ? c.uid : r;
  const euid = e === KEEP ? c.euid : e;
  const suid = r !== KEEP || (e !== KEEP && e !== c.uid) ? euid : c.suid;
  t.creds = c.with({ uid, euid, suid, fsuid: euid });
  return 0;
}

export function sysSetregid(t: Task, a: SyscallArgs): number {
  const [r, e] = [a.uint(0), a.uint(1)];
  const c = t.creds;
  if (!c.hasCapability()) {
    if (r !== KEEP && r !== c.gid && r !== c.egid) return -EPERM;
    if (e !== KEEP && e !== c.gid && e !== c.egid && e !== c.sgid) return -EPERM;
  }
  const gid = r === KEEP ? c.gid : r;
  const egid = e === KEEP ? c.egid : e;
  const sgid = r !== KEEP || (e !== KEEP && e !== c.gid) ? egid : c.sgid;
  t.creds = c.with({ gid, egid, sgid, fsgid: egid });
  return 0;
}

/** setfsuid(2): always returns the previous fsuid; changes it only when permitted. */
export function sysSetfsuid(t: Task, a: SyscallArgs): number {
  const v = a.uint(0);
  const c = t.creds;
  const old = c.fsuid;
  if (v === KEEP) return old;
  if (c.hasCapability() || v === c.uid || v === c.euid || v === c.suid || v === c.fsuid) {
    t.creds = c.with({ fsuid: v });
  }
  return old;
}

export function sysSetfsgid(t: Task, a: SyscallArgs): number {
  const v = a.uint(0);
  const c = t.creds;
  const old = c.fsgid;
  if (v === KEEP) return old;
  if (c.hasCapability() || v === c.gid || v === c.egid || v === c.sgid || v === c.fsgid) {
    t.creds = c.with({ fsgid: v });
  }
  return old;
}

/** getgroups(2): size 0 returns the count; a too-small size is EINVAL. */
export function sysGetgroups(t: Task, a: SyscallArgs): number {
  const size = a.int(0);
  const g = t.creds.groups;
  if (size < 0) return -EINVAL;
  if (size === 0) return g.length;
  if (size < g.length) return -EINVAL;
  const b = new Uint8Array(4 * g.length);
  const dv = new DataView(b.buffer);
  for (const [i, v] of g.entries()) dv.setUint32(4 * i, v, true);
  if (g.length > 0 && t.mm.copyOut(a.ptr(1), b) !== b.length) return -EFAULT;
  return g.length;
}

export function sysSetgroups(t: Task, a: SyscallArgs): number {
  const size = a.int(0);
  if (size < 0 || size > NGROUPS_MAX) return -EINVAL;
  if (!t.creds.hasCapability()) return -EPERM;
  const b = new Uint8Array(4 * size);
  if (size > 0 && t.mm.copyIn(a.ptr(1), b) !== b.length) return -EFAULT;
  const dv = new DataView(b.buffer);
  const groups: number[] = [];
  for (let i = 0; i < size; i++) groups.push(dv.getUint32(4 * i, true));
  t.creds = t.creds.with({ groups: [...new Set(groups)].sort((x, y) => x - y) });
  return 0;
}
