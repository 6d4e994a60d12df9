/**
 * Task and thread-group exit: exit(2), exit_group(2), death by signal,
 * zombies, reparenting, SIGCHLD, and the child-state queries of wait4(2) and
 * waitid(2).
 *
 * Wait statuses use Linux's encoding: exited `(code & 0xff) << 8`, killed
 * `sig | 0x80 if core`, stopped `(sig << 8) | 0x7f`, continued `0xffff`.
 *
 * Inspired by gVisor's pkg/sentry/kernel/task_exit.go.
 */
import {
  __WALL,
  ECHILD,
  __WCLONE,
  CLD_CONTINUED,
  CLD_DUMPED,
  CLD_EXITED,
  CLD_KILLED,
  CLD_STOPPED,
  SA_NOCLDWAIT,
  SIGCHLD,
  SIGKILL,
  WCONTINUED,
  WEXITED,
  WNOWAIT,
  WUNTRACED,
} from "@tsvisor/abi";
import { wakeFutexAt } from "./futex.js";
import type { Kernel } from "./kernel.js";
import { exitRobustList } from "./futex.js";
import { newSigInfo, SIG_IGN } from "./signals.js";
import { EXITED, type Task } from "./task.js";
import { deleteTimers } from "./syscalls/sys-timer.js";
import { retargetShared, sendToGroup } from "./task-signals.js";
import type { ThreadGroup } from "./thread-group.js";

/** Wait status of a normal exit with `code`. */
export function exitedStatus(code: number): number {
  return (code & 0xff) << 8;
}

/**
 * Starts the exit of every task in `tg` (exit_group(2), or a fatal signal):
 * the group's status becomes `status` (wait encoding) and every thread is
 * made to exit at its next stop. On behalf of any task; idempotent (the
 * first status wins, as with Linux's SIGNAL_GROUP_EXIT).
 */
export function groupExit(k: Kernel, tg: ThreadGroup, status: number): void {
  if (tg.exit.kind !== "alive") return;
  tg.exit = { kind: "exiting", status };
  tg.groupStopPending = false;
  tg.stopped = false;
  for (const t of tg.tasks) {
    t.exiting = true;
    t.exitStatus = status;
    const st = t.state;
    if (st.kind === "blocked") k.wake(t, "interrupted");
    else if (st.kind === "running") t.ctx.interrupt();
    else if (st.kind === "stopped") k.makeReady(t);
  }
}

/** Reference counts of resources shared by CLONE_VM / CLONE_FILES / CLONE_FS. */
const users = new WeakMap<object, number>();

/** Records one more task using `r`. */
export function addUser(r: object): void {
  users.set(r, (users.get(r) ?? 0) + 1);
}

/** Drops one user of `r`; returns true when it was the last. */
export function dropUser(r: object): boolean {
  const n = (users.get(r) ?? 1) - 1;
  users.set(r, n);
  return n <= 0;
}

/** Number of tasks using `r`. */
export function userCount(r: object): number {
  return users.get(r) ?? 0;
}

/**
 * Releases a task's memory, files and fs context references (exit, or exec
 * replacing the memory). On behalf of `t`.
 */
export function releaseMemory(t: Task): void {
  if (dropUser(t.mm)) t.mm.release();
}

/**
 * Finishes the exit of `t`, which is not running on the platform. Runs the
 * exit-time duties in Linux's order (mm_release: robust list, clear_child_tid
 * futex wake, vfork completion; then files; then the thread group's death
 * when it was the last thread), and releases its context.
 */
export function exitTask(k: Kernel, t: Task): void {
  if (t.state.kind === "exited") return;
  const tg = t.tg;
  if (tg.exit.kind === "exiting") t.exitStatus = tg.exit.status;
  exitRobustList(k, t);
  if (t.clearChildTid !== 0 && userCount(t.mm) > 1) {
    // mm_release: "*clear_child_tid = 0; futex_wake(clear_child_tid, 1)".
    const zero = new Uint8Array(4);
    if (t.mm.copyOut(t.clearChildTid, zero) === 4) wakeFutexAt(k, t, t.clearChildTid, 1);
  }
  releaseVfork(k, t);
  retargetShared(k, t);
  t.state = EXITED;
  for (const w of t.waitingOn) w.unsubscribe(t);
  t.waitingOn = [];
  k.hostWaiters.delete(t);
  if (t.blockTimer !== null) k.timers.cancel(t.blockTimer);
  t.ctx.release();
  releaseMemory(t);
  if (dropUser(t.fdTable)) t.fdTable.release();
  if (dropUser(t.fs)) t.fs.release();
  tg.tasks.delete(t);
  tg.exitedCpuMs += t.cpuMs;
  if (!t.isLeader) k.pidns.tasks.delete(t.tid);
  tg.threadExits.notifyAll();
  if (tg.tasks.size === 0) groupDied(k, tg);
}

/** Wakes a vfork parent waiting on `t` (the child exec'd or exited). */
export function releaseVfork(k: Kernel, t: Task): void {
  const p = t.vforkParent;
  if (p === null) return;
  t.vforkParent = null;
  if (p.state.kind === "blocked") k.wake(p, "woken");
}

/** The last task of `tg` exited: it becomes a zombie (or is reaped at once). */
function groupDied(k: Kernel, tg: ThreadGroup): void {
  const status =
    tg.exit.kind === "exiting" ? tg.exit.status : (tg.leader?.exitStatus ?? exitedStatus(0));
  tg.exit = { kind: "zombie", status };
  tg.exitEvents.notifyAll();
  if (tg.leader !== null) deleteTimers(tg.leader, tg);
  tg.stopped = false;
  tg.groupStopPending = false;
  const init = k.reaper;
  // Reparent children to the sandbox's reaper (pid 1), which reaps them.
  for (const c of [...tg.children]) {
    tg.children.delete(c);
    if (init === null) {
      c.parent = null;
      if (c.exit.kind === "zombie") reap(k, c);
      continue;
    }
    c.parent = init;
    init.children.add(c);
    for (const ct of c.tasks) {
      if (ct.pdeathSignal !== 0) sendToGroup(k, c, newSigInfo(ct.pdeathSignal, 0, "kill"));
    }
    if (c.exit.kind === "zombie") {
      if (autoReaps(init)) reap(k, c);
      else init.childEvents.notifyAll();
    }
  }
  if (tg === k.main) {
    const sig = status & 0x7f;
    k.initResult =
      sig === 0
        ? { status: (status >> 8) & 0xff, signal: null, coreDumped: false }
        : { status: null, signal: sig, coreDumped: (status & 0x80) !== 0 };
    // The sandbox ends with its first process, like a container: every
    // other process is killed (as when a PID namespace's init dies).
    for (const other of k.pidns.threadGroups.values()) {
      if (other !== tg && other !== k.reaper) groupExit(k, other, SIGKILL);
    }
    k.kick();
  }
  const parent = tg.parent;
  if (parent === null) {
    reap(k, tg);
    return;
  }
  if (tg.exitSignal !== 0) {
    const sig = status & 0x7f;
    const info = newSigInfo(
      tg.exitSignal,
      sig === 0 ? CLD_EXITED : status & 0x80 ? CLD_DUMPED : CLD_KILLED,
      "chld",
    );
    info.pid = tg.tgid;
    info.uid = tg.leader?.creds.uid ?? 0;
    info.status = sig === 0 ? (status >> 8) & 0xff : sig;
    sendToGroup(k, parent, info);
  }
  if (tg.exitSignal === SIGCHLD && autoReaps(parent)) {
    reap(k, tg);
  }
  parent.childEvents.notifyAll();
}

/**
 * Whether children of `parent` are reaped without wait(2): SIGCHLD set to
 * SIG_IGN or SA_NOCLDWAIT (sigaction(2): "If a process explicitly ignores
 * SIGCHLD ... then children do not become zombies").
 */
function autoReaps(parent: ThreadGroup): boolean {
  const l = parent.leader;
  if (l === null) return true; // the kernel's reaper (pid 1) reaps at once
  const a = l.sighand.actions[SIGCHLD]!;
  return a.handler === SIG_IGN || (a.flags & SA_NOCLDWAIT) !== 0;
}

/** Removes a zombie for good: frees its ids and detaches it from its parent. */
export function reap(k: Kernel, tg: ThreadGroup): void {
  if (tg.exit.kind !== "zombie") return;
  tg.exit = { kind: "reaped", status: tg.exit.status };
  tg.parent?.children.delete(tg);
  k.pidns.threadGroups.delete(tg.tgid);
  if (tg.leader !== null) k.pidns.tasks.delete(tg.leader.tid);
  const pg = tg.processGroup;
  pg.members.delete(tg);
  if (pg.members.size === 0) {
    pg.session.processGroups.delete(pg);
    k.pidns.processGroups.delete(pg.pgid);
    if (pg.session.processGroups.size === 0) k.pidns.sessions.delete(pg.session.sid);
  }
}

/** Which children a wait call selects. */
export type WaitTarget =
  | { readonly kind: "any" }
  | { readonly kind: "pid"; readonly pid: number }
  | { readonly kind: "pgid"; readonly pgid: number };

/** What a wait call reports about one child. */
export interface WaitReport {
  pid: number;
  /** The child's CPU time (ms) for wait4's rusage. */
  cpuMs: number;
  uid: number;
  /** wait4 status word. */
  status: number;
  /** waitid's si_code (CLD_*) and si_status. */
  code: number;
  siStatus: number;
}

/**
 * Looks for a child of `t` in a reportable state (wait4/waitid). Returns a
 * report, 0 when matching children exist but none is ready, or -ECHILD
 * (as a negative number) when nothing matches. Consumes the event (reaps
 * a zombie) unless WNOWAIT.
 */
export function findWaitable(
  k: Kernel,
  t: Task,
  target: WaitTarget,
  options: number,
): WaitReport | number {
  let matched = false;
  for (const c of t.tg.children) {
    if (target.kind === "pid" && c.tgid !== target.pid) continue;
    if (target.kind === "pgid" && c.pgid !== target.pgid) continue;
    // wait(2): "__WCLONE: wait for clone children only ... __WALL: wait for all children".
    if ((options & __WALL) === 0) {
      const isClone = c.exitSignal !== SIGCHLD;
      if (((options & __WCLONE) !== 0) !== isClone) continue;
    }
    matched = true;
    const uid = c.leader?.creds.uid ?? 0;
    if (c.exit.kind === "zombie" && (options & WEXITED) !== 0) {
      const status = c.exit.status;
      const sig = status & 0x7f;
      const r: WaitReport = {
        pid: c.tgid,
        cpuMs: c.exitedCpuMs + c.childrenCpuMs,
        uid,
        status,
        code: sig === 0 ? CLD_EXITED : status & 0x80 ? CLD_DUMPED : CLD_KILLED,
        siStatus: sig === 0 ? (status >> 8) & 0xff : sig,
      };
      if ((options & WNOWAIT) === 0) {
        t.tg.childrenCpuMs += c.exitedCpuMs + c.childrenCpuMs;
        reap(k, c);
      }
      return r;
    }
    if (c.exit.kind !== "alive") continue;
    const ev = c.jobEvent;
    if (ev.kind === "stopped" && (options & WUNTRACED) !== 0) {
      if ((options & WNOWAIT) === 0) c.jobEvent = { kind: "none" };
      return {
        pid: c.tgid,
        cpuMs: c.cpuMs,
        uid,
        status: (ev.signo << 8) | 0x7f,
        code: CLD_STOPPED,
        siStatus: ev.signo,
      };
    }
    if (ev.kind === "continued" && (options & WCONTINUED) !== 0) {
      if ((options & WNOWAIT) === 0) c.jobEvent = { kind: "none" };
      return {
        pid: c.tgid,
        cpuMs: c.cpuMs,
        uid,
        status: 0xffff,
        code: CLD_CONTINUED,
        siStatus: 18,
      };
    }
  }
  return matched ? 0 : -ECHILD;
}
