/**
 * Thread groups: Linux processes.
 *
 * A ThreadGroup holds what POSIX calls process-wide: the pid (tgid), the
 * parent/children tree used by wait(2), shared pending signals, job control
 * state, resource limits, the process group, and the exit status once the
 * group is dead.
 *
 * Inspired by gVisor's pkg/sentry/kernel/thread_group.go.
 */
import { readFileSync } from "node:fs";
import { PendingSignals } from "./signals.js";
import type { ProcessGroup } from "./session.js";
import type { Task } from "./task.js";
import { WaitQueue } from "./waiter.js";

/** A resource limit pair; `Infinity` stands for RLIM_INFINITY. */
export interface Rlimit {
  cur: number;
  max: number;
}

/** Number of RLIMIT_* resources on Linux. */
export const RLIM_NLIMITS = 16;

/** Linux's defaults for a process started from a typical shell. */
export function defaultRlimits(): Rlimit[] {
  const inf = Number.POSITIVE_INFINITY;
  const l: Rlimit[] = Array.from({ length: RLIM_NLIMITS }, () => ({ cur: inf, max: inf }));
  l[3] = { cur: 8 * 1024 * 1024, max: inf }; // RLIMIT_STACK
  l[4] = { cur: 0, max: inf }; // RLIMIT_CORE
  l[6] = { cur: 63459, max: 63459 }; // RLIMIT_NPROC
  l[7] = { cur: 1024, max: 1048576 }; // RLIMIT_NOFILE
  l[8] = { cur: 8 * 1024 * 1024, max: 8 * 1024 * 1024 }; // RLIMIT_MEMLOCK
  l[11] = { cur: 63459, max: 63459 }; // RLIMIT_SIGPENDING
  l[12] = { cur: 819200, max: 819200 }; // RLIMIT_MSGQUEUE
  l[13] = { cur: 0, max: 0 }; // RLIMIT_NICE
  l[14] = { cur: 0, max: 0 }; // RLIMIT_RTPRIO
  return l;
}

/**
 * The limits of the process that runs the Sentry, from /proc/self/limits,
 * so a sandboxed program starts with the limits it would have natively
 * (falls back to {@link defaultRlimits} where unreadable).
 */
export function hostRlimits(): Rlimit[] {
  const l = defaultRlimits();
  try {
    const lines = readFileSync("/proc/self/limits", "latin1").split("\n").slice(1);
    lines.forEach((line, i) => {
      if (i >= RLIM_NLIMITS) return;
      const m = /^.{26}(\S+)\s+(\S+)/.exec(line);
      if (m === null) return;
      const v = (x: string): number => (x === "unlimited" ? Number.POSITIVE_INFINITY : Number(x));
      const cur = v(m[1]!);
      const max = v(m[2]!);
      if (!Number.isNaN(cur) && !Number.isNaN(max)) l[i] = { cur, max };
    });
  } catch {
    // Not Linux, or no procfs: the defaults stand.
  }
  return l;
}

/**
 * Life of a thread group, for wait(2):
 * alive → exiting (exit_group or fatal signal in progress, threads dying)
 * → zombie (all tasks exited, status waits for the parent) → reaped.
 */
export type GroupExitState =
  | { readonly kind: "alive" }
  | { readonly kind: "exiting"; readonly status: number }
  | { readonly kind: "zombie"; readonly status: number }
  | { readonly kind: "reaped"; readonly status: number };

/**
 * A job-control event the parent has not yet consumed with WUNTRACED /
 * WCONTINUED, or none.
 */
export type JobControlEvent =
  | { readonly kind: "none" }
  | { readonly kind: "stopped"; readonly signo: number }
  | { readonly kind: "continued" };

/**
 * One process.
 *
 * Invariants:
 * - `tasks` holds every non-exited task of the group; `leader` stays the
 *   leader task object even after it exited (a zombie leader, as in Linux),
 *   until exec from another thread makes that thread the leader.
 * - `parent` is null only for the sandbox's init; `parent.children` contains
 *   this group until it is reaped.
 * - `exit.kind === "zombie"` iff every task exited and the group is not reaped.
 */
export class ThreadGroup {
  readonly tasks = new Set<Task>();
  readonly children = new Set<ThreadGroup>();
  /** Signals sent to the process (kill). */
  readonly pending = new PendingSignals();
  /** Notified when a child changes state (exit, stop, continue) for wait(2). */
  readonly childEvents = new WaitQueue();
  /** Notified when a task of this group exits (exec's de_thread waits on it). */
  readonly threadExits = new WaitQueue();
  /** Notified when the whole group exits (pidfd readiness). */
  readonly exitEvents = new WaitQueue();
  exit: GroupExitState = { kind: "alive" };
  /** A group stop was requested and not all tasks have stopped yet. */
  groupStopPending = false;
  /** The group is stopped (all tasks in a group stop). */
  stopped = false;
  /** Signal that caused the current/last group stop. */
  stopSignal = 0;
  /** Pending report for a waiting parent (WUNTRACED / WCONTINUED). */
  jobEvent: JobControlEvent = { kind: "none" };
  /** Signal sent to the parent at exit (SIGCHLD, or clone's CSIGNAL; 0: none). */
  exitSignal = 17;
  readonly rlimits: Rlimit[];
  /**
   * CPU time (ms) of reaped children and their waited-for descendants
   * (RUSAGE_CHILDREN, times' cutime). Application time is measured as the
   * time a task spends switched in (see Task.cpuMs); the Sentry's own time
   * is not split out, so system time is reported as 0.
   */
  childrenCpuMs = 0;
  /** CPU time (ms) of this group's exited threads. */
  exitedCpuMs = 0;
  /**
   * ITIMER_VIRTUAL (index 0) and ITIMER_PROF (index 1): the group CPU time
   * (ms, as `cpuMs`) at which each expires (0: disarmed) and its interval.
   * The run loop checks them after each switch when `cpuTimersArmed`.
   */
  readonly cpuTimerAt: [number, number] = [0, 0];
  readonly cpuTimerInterval: [number, number] = [0, 0];
  cpuTimersArmed = false;

  /** CPU time (ms) of the whole process: live threads plus exited ones. */
  get cpuMs(): number {
    let ms = this.exitedCpuMs;
    for (const t of this.tasks) ms += t.cpuMs;
    return ms;
  }
  /** Start time on the kernel monotonic clock (ms). */
  readonly startTime = performance.now();
  /** Set when the group called exec successfully at least once (setpgid's EACCES). */
  didExec = false;
  /** Absolute path of the executable (/proc/PID/exe); null before the first exec. */
  exePath: string | null = null;
  /** The auxiliary vector of the last exec, as bytes (/proc/PID/auxv). */
  auxv: Uint8Array | null = null;

  constructor(
    /** The process id, equal to the leader's tid. */
    public tgid: number,
    public leader: Task | null,
    public parent: ThreadGroup | null,
    public processGroup: ProcessGroup,
    rlimits?: Rlimit[],
  ) {
    this.rlimits = rlimits ?? defaultRlimits();
    processGroup.members.add(this);
  }

  /** The process group id. */
  get pgid(): number {
    return this.processGroup.pgid;
  }

  /** The session id. */
  get sid(): number {
    return this.processGroup.session.sid;
  }

  /** Whether the group is alive (not exiting, not a zombie). */
  get alive(): boolean {
    return this.exit.kind === "alive";
  }
}
