/**
 * POSIX per-process timers: timer_create, timer_settime, timer_gettime,
 * timer_getoverrun, timer_delete. Expiry sends the timer's signal (SI_TIMER
 * with si_timerid, si_overrun and the sigevent value) to the process or,
 * with SIGEV_THREAD_ID, to one thread; an expiry while the previous signal
 * is still pending counts an overrun instead, as Linux does.
 *
 * Timers run on the kernel's monotonic timer queue. CPU-time clocks are
 * approximated by elapsed time (tsvisor does not account CPU time).
 *
 * Every handler runs on behalf of the calling task `t`.
 */
import {
  CLOCK_BOOTTIME,
  CLOCK_MONOTONIC,
  CLOCK_PROCESS_CPUTIME_ID,
  CLOCK_REALTIME,
  CLOCK_THREAD_CPUTIME_ID,
  EAGAIN,
  EFAULT,
  EINVAL,
  SIGALRM,
  SIGEV_NONE,
  SIGEV_SIGNAL,
  SIGEV_THREAD_ID,
  TIMER_ABSTIME,
} from "@tsvisor/abi";
import { newSigInfo, type SigInfo } from "../signals.js";
import type { Task } from "../task.js";
import { sendToGroup, sendToTask } from "../task-signals.js";
import type { ThreadGroup } from "../thread-group.js";
import { monotonicMs, type SyscallArgs } from "./syscall.js";

/** One POSIX timer. Owned by its thread group. */
interface PosixTimer {
  readonly id: number;
  readonly clock: number;
  readonly notify: number;
  readonly signo: number;
  readonly value: number;
  /** SIGEV_THREAD_ID target, or null for the process. */
  readonly thread: Task | null;
  handle: number | null;
  /** Next expiry on the kernel monotonic clock (ms). */
  deadline: number;
  intervalMs: number;
  overrun: number;
  lastInfo: SigInfo | null;
}

/** Linux's default limit is RLIMIT_SIGPENDING-bound; keep a fixed cap. */
const MAX_TIMERS = 4096;

const tables = new WeakMap<ThreadGroup, { next: number; timers: Map<number, PosixTimer> }>();
function table(tg: ThreadGroup): { next: number; timers: Map<number, PosixTimer> } {
  let x = tables.get(tg);
  if (x === undefined) {
    x = { next: 0, timers: new Map() };
    tables.set(tg, x);
  }
  return x;
}

function validClock(id: number): boolean {
  return (
    id === CLOCK_REALTIME ||
    id === CLOCK_MONOTONIC ||
    id === CLOCK_BOOTTIME ||
    id === CLOCK_PROCESS_CPUTIME_ID ||
    id === CLOCK_THREAD_CPUTIME_ID ||
    id === 8 /* REALTIME_ALARM */ ||
    id === 9 /* BOOTTIME_ALARM */
  );
}

/** timer_create(2): clockid, sevp, timerid. */
export function sysTimerCreate(t: Task, a: SyscallArgs): number {
  const clock = a.int(0);
  if (!validClock(clock)) return -EINVAL;
  const tab = table(t.tg);
  if (tab.timers.size >= MAX_TIMERS) return -EAGAIN;
  const id = tab.next;
  let notify = SIGEV_SIGNAL;
  let signo = SIGALRM;
  let value = id;
  let thread: Task | null = null;
  if (a.ptr(1) !== 0) {
    const b = new Uint8Array(64);
    if (t.mm.copyIn(a.ptr(1), b) !== 64) return -EFAULT;
    const dv = new DataView(b.buffer);
    value = Number(dv.getBigUint64(0, true));
    signo = dv.getInt32(8, true);
    notify = dv.getInt32(12, true);
    if (notify === SIGEV_THREAD_ID) {
      const target = t.kernel.pidns.tasks.get(dv.getInt32(16, true));
      if (target === undefined || target.tg !== t.tg || target.state.kind === "exited")
        return -EINVAL;
      thread = target;
    } else if (notify !== SIGEV_SIGNAL && notify !== SIGEV_NONE) {
      return -EINVAL;
    }
    if (notify !== SIGEV_NONE && (signo < 1 || signo > 64)) return -EINVAL;
  }
  const idb = new Uint8Array(4);
  new DataView(idb.buffer).setInt32(0, id, true);
  if (t.mm.copyOut(a.ptr(2), idb) !== 4) return -EFAULT;
  tab.next++;
  tab.timers.set(id, {
    id,
    clock,
    notify,
    signo,
    value,
    thread,
    handle: null,
    deadline: 0,
    intervalMs: 0,
    overrun: 0,
    lastInfo: null,
  });
  return 0;
}

function lookup(t: Task, id: number): PosixTimer | null {
  return tables.get(t.tg)?.timers.get(id) ?? null;
}

/** Fires `tm` of `tg`: queue its signal (or count an overrun) and re-arm. */
function expire(t: Task, tg: ThreadGroup, tm: PosixTimer): void {
  tm.handle = null;
  if (tg.exit.kind !== "alive") return;
  if (tm.notify !== SIGEV_NONE) {
    const queued = tm.lastInfo !== null && (tm.thread ?? tg).pending.has(tm.lastInfo);
    if (queued) {
      tm.lastInfo!.overrun++;
      tm.overrun = tm.lastInfo!.overrun;
    } else {
      const info = newSigInfo(tm.signo, -2 /* SI_TIMER */, "timer");
      info.timerId = tm.id;
      info.value = tm.value;
      tm.lastInfo = info;
      tm.overrun = 0;
      if (tm.thread !== null) sendToTask(t.kernel, tm.thread, info);
      else sendToGroup(t.kernel, tg, info);
    }
  }
  if (tm.intervalMs > 0) {
    tm.deadline += tm.intervalMs;
    tm.handle = t.kernel.timers.add(tm.deadline, () => expire(t, tg, tm));
  }
}

function readSpecMs(dv: DataView, o: number): number | null {
  const s = Number(dv.getBigInt64(o, true));
  const ns = Number(dv.getBigInt64(o + 8, true));
  if (s < 0 || ns < 0 || ns >= 1e9) return null;
  return s * 1000 + ns / 1e6;
}

function writeSpec(t: Task, addr: number, intervalMs: number, valueMs: number): number {
  const b = new Uint8Array(32);
  const dv = new DataView(b.buffer);
  const put = (o: number, ms: number): void => {
    const ns = Math.round(ms * 1e6);
    dv.setBigInt64(o, BigInt(Math.floor(ns / 1e9)), true);
    dv.setBigInt64(o + 8, BigInt(ns % 1e9), true);
  };
  put(0, intervalMs);
  put(16, valueMs);
  return t.mm.copyOut(addr, b) === 32 ? 0 : -EFAULT;
}

function remaining(tm: PosixTimer): number {
  return tm.handle === null ? 0 : Math.max(0, tm.deadline - monotonicMs());
}

/** timer_settime(2): timerid, flags, new_value, old_value. */
export function sysTimerSettime(t: Task, a: SyscallArgs): number {
  const tm = lookup(t, a.int(0));
  if (tm === null) return -EINVAL;
  const b = new Uint8Array(32);
  if (t.mm.copyIn(a.ptr(2), b) !== 32) return -EFAULT;
  const dv = new DataView(b.buffer);
  const interval = readSpecMs(dv, 0);
  let value = readSpecMs(dv, 16);
  if (interval === null || value === null) return -EINVAL;
  if (a.ptr(3) !== 0 && writeSpec(t, a.ptr(3), tm.intervalMs, remaining(tm)) < 0) return -EFAULT;
  if (tm.handle !== null) t.kernel.timers.cancel(tm.handle);
  tm.handle = null;
  tm.intervalMs = interval;
  if (value === 0) return 0;
  if ((a.int(1) & TIMER_ABSTIME) !== 0) {
    const now =
      tm.clock === CLOCK_REALTIME || tm.clock === 8
        ? Date.now()
        : tm.clock === CLOCK_MONOTONIC || tm.clock === CLOCK_BOOTTIME || tm.clock === 9
          ? (() => {
              const [s, ns] = process.hrtime();
              return s * 1000 + ns / 1e6;
            })()
          : monotonicMs() - t.tg.startTime;
    value = Math.max(0, value - now);
  }
  const tg = t.tg;
  tm.deadline = monotonicMs() + value;
  tm.handle = t.kernel.timers.add(tm.deadline, () => expire(t, tg, tm));
  return 0;
}

export function sysTimerGettime(t: Task, a: SyscallArgs): number {
  const tm = lookup(t, a.int(0));
  if (tm === null) return -EINVAL;
  return writeSpec(t, a.ptr(1), tm.intervalMs, remaining(tm));
}

export function sysTimerGetoverrun(t: Task, a: SyscallArgs): number {
  const tm = lookup(t, a.int(0));
  if (tm === null) return -EINVAL;
  return Math.min(tm.overrun, 0x7fffffff);
}

export function sysTimerDelete(t: Task, a: SyscallArgs): number {
  const tab = tables.get(t.tg);
  const tm = tab?.timers.get(a.int(0));
  if (tab === undefined || tm === undefined) return -EINVAL;
  if (tm.handle !== null) t.kernel.timers.cancel(tm.handle);
  tab.timers.delete(tm.id);
  return 0;
}

/** Deletes every timer of `tg` (exec and exit). */
export function deleteTimers(t: Task, tg: ThreadGroup): void {
  const tab = tables.get(tg);
  if (tab === undefined) return;
  for (const tm of tab.timers.values()) if (tm.handle !== null) t.kernel.timers.cancel(tm.handle);
  tables.delete(tg);
}
