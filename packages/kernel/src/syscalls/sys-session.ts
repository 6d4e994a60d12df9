/**
 * Sessions and process groups: setsid, setpgid, getpgid, getpgrp, getsid.
 *
 * Every handler runs on behalf of the calling task `t`.
 */
import { EACCES, EINVAL, EPERM, ESRCH } from "@tsvisor/abi";
import { ProcessGroup, Session } from "../session.js";
import type { Task } from "../task.js";
import type { ThreadGroup } from "../thread-group.js";
import type { SyscallArgs } from "./syscall.js";

/** Moves `tg` into process group `pg`, dropping its old group if emptied. */
function joinGroup(t: Task, tg: ThreadGroup, pg: ProcessGroup): void {
  const ns = t.kernel.pidns;
  const old = tg.processGroup;
  if (old === pg) return;
  old.members.delete(tg);
  if (old.members.size === 0) {
    old.session.processGroups.delete(old);
    ns.processGroups.delete(old.pgid);
    if (old.session.processGroups.size === 0) ns.sessions.delete(old.session.sid);
  }
  tg.processGroup = pg;
  pg.members.add(tg);
  ns.processGroups.set(pg.pgid, pg);
}

/** setsid(2): "EPERM The process group ID of any process equals the PID of the calling process." */
export function sysSetsid(t: Task): number {
  const tg = t.tg;
  const ns = t.kernel.pidns;
  if (ns.processGroups.has(tg.tgid)) return -EPERM;
  const s = new Session(tg.tgid, tg);
  ns.sessions.set(s.sid, s);
  joinGroup(t, tg, new ProcessGroup(tg.tgid, s));
  return s.sid;
}

/** setpgid(2). */
export function sysSetpgid(t: Task, a: SyscallArgs): number {
  let pid = a.int(0);
  let pgid = a.int(1);
  if (pgid < 0) return -EINVAL;
  if (pid === 0) pid = t.tgid;
  if (pgid === 0) pgid = pid;
  const ns = t.kernel.pidns;
  const target = ns.threadGroups.get(pid);
  if (target === undefined || target.exit.kind === "reaped") return -ESRCH;
  // The target must be the caller or one of its children.
  if (target !== t.tg && target.parent !== t.tg) return -ESRCH;
  if (target !== t.tg) {
    if (target.processGroup.session !== t.tg.processGroup.session) return -EPERM;
    if (target.didExec) return -EACCES;
  }
  // A session leader cannot change its process group.
  if (target.sid === target.tgid) return -EPERM;
  const session = t.tg.processGroup.session;
  let pg = ns.processGroups.get(pgid);
  if (pg === undefined) {
    if (pgid !== pid) return -EPERM;
    pg = new ProcessGroup(pgid, session);
  } else if (pg.session !== session) {
    return -EPERM;
  }
  joinGroup(t, target, pg);
  return 0;
}

function lookup(t: Task, pid: number): ThreadGroup | null {
  if (pid === 0) return t.tg;
  const tg = t.kernel.pidns.threadGroups.get(pid);
  return tg === undefined || tg.exit.kind === "reaped" ? null : tg;
}

export function sysGetpgid(t: Task, a: SyscallArgs): number {
  const pid = a.int(0);
  if (pid < 0) return -ESRCH;
  const tg = lookup(t, pid);
  return tg === null ? -ESRCH : tg.pgid;
}

export function sysGetpgrp(t: Task): number {
  return t.tg.pgid;
}

export function sysGetsid(t: Task, a: SyscallArgs): number {
  const pid = a.int(0);
  if (pid < 0) return -ESRCH;
  const tg = lookup(t, pid);
  return tg === null ? -ESRCH : tg.sid;
}
