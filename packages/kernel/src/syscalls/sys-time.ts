/**
 * Time syscalls served in the Sentry (there is no vDSO): clock_gettime,
 * clock_getres, gettimeofday, time, nanosleep, clock_nanosleep, times,
 * alarm, getitimer/setitimer.
 *
 * Clocks: REALTIME is the host's wall clock; MONOTONIC/BOOTTIME/RAW are the
 * host's CLOCK_MONOTONIC (so native and sandboxed programs agree). CPU-time
 * clocks report the time the run loop had the thread (or the process's
 * threads) switched in to the application, which includes the platform's
 * switch cost.
 *
 * Every handler runs on behalf of the calling task `t`.
 */
import {
  CLOCK_BOOTTIME,
  CLOCK_MONOTONIC,
  CLOCK_MONOTONIC_COARSE,
  CLOCK_MONOTONIC_RAW,
  CLOCK_PROCESS_CPUTIME_ID,
  CLOCK_REALTIME,
  CLOCK_REALTIME_COARSE,
  CLOCK_TAI,
  CLOCK_THREAD_CPUTIME_ID,
  EFAULT,
  EINVAL,
  EPERM,
  ERESTART_RESTARTBLOCK,
  ERESTARTNOHAND,
  ITIMER_PROF,
  ITIMER_REAL,
  ITIMER_VIRTUAL,
  SIGALRM,
  SIGPROF,
  SIGVTALRM,
  TIMER_ABSTIME,
} from "@tsvisor/abi";
import { monotonicOffsetMs } from "../futex.js";
import { newSigInfo } from "../signals.js";
import type { Task } from "../task.js";
import { sendToGroup } from "../task-signals.js";
import type { ThreadGroup } from "../thread-group.js";
import { block, type Block, monotonicMs, type SyscallArgs } from "./syscall.js";

/** A time as whole seconds and nanoseconds. */
interface Ts {
  sec: number;
  nsec: number;
}

function hostMonotonic(): Ts {
  const [s, ns] = process.hrtime();
  return { sec: s, nsec: ns };
}

function realtime(): Ts {
  const ms = performance.timeOrigin + performance.now();
  const sec = Math.floor(ms / 1000);
  return { sec, nsec: Math.floor((ms - sec * 1000) * 1e6) };
}

/** The value of clock `id` for `t`, or null for an invalid clock. */
function clockNow(t: Task, id: number): Ts | null {
  switch (id) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_TAI:
      return realtime();
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
      return hostMonotonic();
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID: {
      const ms = id === CLOCK_THREAD_CPUTIME_ID ? t.cpuMs : t.tg.cpuMs;
      const sec = Math.floor(ms / 1000);
      return { sec, nsec: Math.floor((ms - sec * 1000) * 1e6) };
    }
    default:
      return null;
  }
}

function writeTs(t: Task, addr: number, ts: Ts): number {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setBigInt64(0, BigInt(ts.sec), true);
  dv.setBigInt64(8, BigInt(ts.nsec), true);
  return t.mm.copyOut(addr, b) === 16 ? 0 : -EFAULT;
}

/** Reads a timespec; -EFAULT, or -EINVAL for a negative or unnormalized one. */
function readTs(t: Task, addr: number): Ts | number {
  const b = new Uint8Array(16);
  if (t.mm.copyIn(addr, b) !== 16) return -EFAULT;
  const dv = new DataView(b.buffer);
  const sec = Number(dv.getBigInt64(0, true));
  const nsec = Number(dv.getBigInt64(8, true));
  if (sec < 0 || nsec < 0 || nsec >= 1e9) return -EINVAL;
  return { sec, nsec };
}

const tsMs = (ts: Ts): number => ts.sec * 1000 + ts.nsec / 1e6;

export function sysClockGettime(t: Task, a: SyscallArgs): number {
  const now = clockNow(t, a.int(0));
  if (now === null) return -EINVAL;
  return writeTs(t, a.ptr(1), now);
}

/** clock_getres(2): 1 ns for the high-resolution clocks, a tick for COARSE ones. */
export function sysClockGetres(t: Task, a: SyscallArgs): number {
  const id = a.int(0);
  if (clockNow(t, id) === null) return -EINVAL;
  if (a.ptr(1) === 0) return 0;
  const coarse = id === CLOCK_REALTIME_COARSE || id === CLOCK_MONOTONIC_COARSE;
  return writeTs(t, a.ptr(1), { sec: 0, nsec: coarse ? 4000000 : 1 });
}

/** gettimeofday(2): timeval (and an all-zero timezone, as Linux keeps it). */
export function sysGettimeofday(t: Task, a: SyscallArgs): number {
  const tv = a.ptr(0);
  const tz = a.ptr(1);
  if (tv !== 0) {
    const now = realtime();
    const b = new Uint8Array(16);
    const dv = new DataView(b.buffer);
    dv.setBigInt64(0, BigInt(now.sec), true);
    dv.setBigInt64(8, BigInt(Math.floor(now.nsec / 1000)), true);
    if (t.mm.copyOut(tv, b) !== 16) return -EFAULT;
  }
  if (tz !== 0 && t.mm.copyOut(tz, new Uint8Array(8)) !== 8) return -EFAULT;
  return 0;
}

/** time(2). */
export function sysTime(t: Task, a: SyscallArgs): number {
  const now = realtime().sec;
  if (a.ptr(0) !== 0) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, BigInt(now), true);
    if (t.mm.copyOut(a.ptr(0), b) !== 8) return -EFAULT;
  }
  return now;
}

/**
 * Sleeps until `deadline` (kernel monotonic ms). Interrupted by a signal:
 * relative sleeps store the remaining time at `rem` and restart through
 * restart_syscall (ERESTART_RESTARTBLOCK); absolute ones return ERESTARTNOHAND.
 */
function sleepUntil(t: Task, deadline: number, rem: number, absolute: boolean): number | Block {
  if (deadline <= monotonicMs()) return 0;
  return block([], {
    deadline,
    resume: (_t, why) => {
      if (why === "timeout") return 0;
      if (absolute) return -ERESTARTNOHAND;
      const left = Math.max(0, deadline - monotonicMs());
      if (rem !== 0) {
        const sec = Math.floor(left / 1000);
        if (writeTs(t, rem, { sec, nsec: Math.floor((left - sec * 1000) * 1e6) }) < 0)
          return -EFAULT;
      }
      t.restartBlock = (rt) => sleepUntil(rt, deadline, rem, false);
      return -ERESTART_RESTARTBLOCK;
    },
  });
}

/** nanosleep(2). */
export function sysNanosleep(t: Task, a: SyscallArgs): number | Block {
  const req = readTs(t, a.ptr(0));
  if (typeof req === "number") return req;
  return sleepUntil(t, monotonicMs() + tsMs(req), a.ptr(1), false);
}

/** clock_nanosleep(2): errors are returned as negative errnos like every syscall (glibc flips them). */
export function sysClockNanosleep(t: Task, a: SyscallArgs): number | Block {
  const id = a.int(0);
  const flags = a.int(1);
  if (id === CLOCK_THREAD_CPUTIME_ID) return -EINVAL;
  if (clockNow(t, id) === null) return -EINVAL;
  const req = readTs(t, a.ptr(2));
  if (typeof req === "number") return req;
  if ((flags & TIMER_ABSTIME) !== 0) {
    let deadline: number;
    if (id === CLOCK_REALTIME || id === CLOCK_REALTIME_COARSE || id === CLOCK_TAI) {
      deadline = monotonicMs() + (tsMs(req) - tsMs(realtime()));
    } else {
      deadline = tsMs(req) - monotonicOffsetMs();
    }
    return sleepUntil(t, deadline, 0, true);
  }
  return sleepUntil(t, monotonicMs() + tsMs(req), a.ptr(3), false);
}

/**
 * times(2): user time of the process and its waited-for children in clock
 * ticks (system time 0, see getrusage); the result is ticks since boot.
 */
export function sysTimes(t: Task, a: SyscallArgs): number {
  if (a.ptr(0) !== 0) {
    const b = new Uint8Array(32);
    const dv = new DataView(b.buffer);
    dv.setBigInt64(0, BigInt(Math.floor(t.tg.cpuMs / 10)), true);
    dv.setBigInt64(16, BigInt(Math.floor(t.tg.childrenCpuMs / 10)), true);
    if (t.mm.copyOut(a.ptr(0), b) !== 32) return -EFAULT;
  }
  const up = hostMonotonic();
  return up.sec * 100 + Math.floor(up.nsec / 1e7);
}

/** ITIMER_REAL state of a thread group: the armed timer and its interval. */
interface RealTimer {
  id: number | null;
  deadline: number;
  intervalMs: number;
}

const realTimers = new WeakMap<ThreadGroup, RealTimer>();

function realTimer(tg: ThreadGroup): RealTimer {
  let r = realTimers.get(tg);
  if (r === undefined) {
    r = { id: null, deadline: 0, intervalMs: 0 };
    realTimers.set(tg, r);
  }
  return r;
}

/** Arms (or with valueMs 0, disarms) ITIMER_REAL of `t`'s group. */
function armReal(t: Task, valueMs: number, intervalMs: number): void {
  const k = t.kernel;
  const tg = t.tg;
  const r = realTimer(tg);
  if (r.id !== null) k.timers.cancel(r.id);
  r.id = null;
  r.intervalMs = intervalMs;
  if (valueMs <= 0) return;
  const fire = (): void => {
    r.id = null;
    if (tg.exit.kind !== "alive") return;
    sendToGroup(k, tg, newSigInfo(SIGALRM, 0x80 /* SI_KERNEL */, "kill"));
    if (r.intervalMs > 0) {
      r.deadline += r.intervalMs;
      r.id = k.timers.add(r.deadline, fire);
    }
  };
  r.deadline = monotonicMs() + valueMs;
  r.id = k.timers.add(r.deadline, fire);
}

function remainingMs(tg: ThreadGroup): number {
  const r = realTimers.get(tg);
  if (r === undefined || r.id === null) return 0;
  return Math.max(0, r.deadline - monotonicMs());
}

/**
 * alarm(2): returns the seconds left on the previous alarm, rounded like
 * Linux (to the nearest second, and at least 1 if any time was left).
 */
export function sysAlarm(t: Task, a: SyscallArgs): number {
  const left = remainingMs(t.tg);
  armReal(t, a.uint(0) * 1000, 0);
  if (left === 0) return 0;
  const secs = Math.round(left / 1000);
  return secs === 0 ? 1 : secs;
}

function writeItimerval(t: Task, addr: number, intervalMs: number, valueMs: number): number {
  const b = new Uint8Array(32);
  const dv = new DataView(b.buffer);
  const put = (o: number, ms: number): void => {
    const us = Math.round(ms * 1000);
    dv.setBigInt64(o, BigInt(Math.floor(us / 1e6)), true);
    dv.setBigInt64(o + 8, BigInt(us % 1e6), true);
  };
  put(0, intervalMs);
  put(16, valueMs);
  return t.mm.copyOut(addr, b) === 32 ? 0 : -EFAULT;
}

function getItimer(t: Task, which: number): [number, number] | null {
  if (which === ITIMER_REAL) return [realTimers.get(t.tg)?.intervalMs ?? 0, remainingMs(t.tg)];
  if (which === ITIMER_VIRTUAL || which === ITIMER_PROF) {
    const i = which === ITIMER_VIRTUAL ? 0 : 1;
    const at = t.tg.cpuTimerAt[i];
    return [t.tg.cpuTimerInterval[i], at === 0 ? 0 : Math.max(0.001, at - t.tg.cpuMs)];
  }
  return null;
}

export function sysGetitimer(t: Task, a: SyscallArgs): number {
  const v = getItimer(t, a.int(0));
  if (v === null) return -EINVAL;
  return writeItimerval(t, a.ptr(1), v[0], v[1]);
}

/** setitimer(2): itimerval { it_interval, it_value } of timevals. */
export function sysSetitimer(t: Task, a: SyscallArgs): number {
  const which = a.int(0);
  const old = getItimer(t, which);
  if (old === null) return -EINVAL;
  let interval = 0;
  let value = 0;
  if (a.ptr(1) !== 0) {
    const b = new Uint8Array(32);
    if (t.mm.copyIn(a.ptr(1), b) !== 32) return -EFAULT;
    const dv = new DataView(b.buffer);
    const tv = (o: number): number | null => {
      const s = Number(dv.getBigInt64(o, true));
      const us = Number(dv.getBigInt64(o + 8, true));
      if (s < 0 || us < 0 || us >= 1e6) return null;
      return s * 1000 + us / 1000;
    };
    const i = tv(0);
    const v = tv(16);
    if (i === null || v === null) return -EINVAL;
    interval = i;
    value = v;
  }
  if (a.ptr(2) !== 0 && writeItimerval(t, a.ptr(2), old[0], old[1]) < 0) return -EFAULT;
  if (which === ITIMER_REAL) armReal(t, value, interval);
  else {
    const tg = t.tg;
    const i = which === ITIMER_VIRTUAL ? 0 : 1;
    tg.cpuTimerAt[i] = value > 0 ? tg.cpuMs + value : 0;
    tg.cpuTimerInterval[i] = interval;
    tg.cpuTimersArmed = tg.cpuTimerAt[0] !== 0 || tg.cpuTimerAt[1] !== 0;
  }
  return 0;
}

/**
 * clock_settime(2) / settimeofday(2): only CLOCK_REALTIME is settable
 * ("EINVAL The clockid specified is not settable"), and the sandbox may not
 * change the host's clock: EPERM, as for a process without CAP_SYS_TIME.
 */
export function sysClockSettime(t: Task, a: SyscallArgs): number {
  const id = a.int(0);
  if (id !== CLOCK_REALTIME) return clockNow(t, id) === null ? -EINVAL : -EINVAL;
  const ts = readTs(t, a.ptr(1));
  if (typeof ts === "number") return ts;
  return -EPERM;
}

export function sysSettimeofday(t: Task, a: SyscallArgs): number {
  if (a.ptr(0) !== 0) {
    const b = new Uint8Array(16);
    if (t.mm.copyIn(a.ptr(0), b) !== 16) return -EFAULT;
    const us = Number(new DataView(b.buffer).getBigInt64(8, true));
    if (us < 0 || us >= 1e6) return -EINVAL;
  }
  return -EPERM;
}

/**
 * Fires ITIMER_VIRTUAL (SIGVTALRM) and ITIMER_PROF (SIGPROF) of `t`'s group
 * whose CPU-time deadline has passed. Called by the run loop after a switch
 * when `tg.cpuTimersArmed`. The Sentry does not split user from system
 * time, so both count the time switched in.
 */
export function checkCpuTimers(t: Task): void {
  const tg = t.tg;
  const now = tg.cpuMs;
  for (let i = 0; i < 2; i++) {
    const at = tg.cpuTimerAt[i]!;
    if (at === 0 || now < at) continue;
    sendToGroup(
      t.kernel,
      tg,
      newSigInfo(i === 0 ? SIGVTALRM : SIGPROF, 0x80 /* SI_KERNEL */, "kill"),
    );
    const iv = tg.cpuTimerInterval[i]!;
    tg.cpuTimerAt[i] = iv > 0 ? Math.max(at + iv, now + 0.001) : 0;
  }
  tg.cpuTimersArmed = tg.cpuTimerAt[0] !== 0 || tg.cpuTimerAt[1] !== 0;
}

/** Milliseconds of CPU time until `t`'s group's next CPU timer (Infinity if none). */
export function cpuTimerRemaining(t: Task): number {
  const tg = t.tg;
  if (!tg.cpuTimersArmed) return Number.POSITIVE_INFINITY;
  let r = Number.POSITIVE_INFINITY;
  for (const at of tg.cpuTimerAt) if (at !== 0) r = Math.min(r, at - tg.cpuMs);
  return Math.max(0, r);
}
