/**
 * Tasks: the kernel's threads.
 *
 * A Task is one application thread: a platform Context (registers + the host
 * thing that runs them) plus everything Linux keeps per thread (signal mask,
 * pending signals, alternate stack, clear_child_tid, robust list) and
 * references to what it may share with other tasks (memory, fd table, fs
 * context, signal handlers, thread group).
 *
 * Everything here is owned by the Sentry thread; there are no locks. A
 * method "runs on behalf of" the task it is called on unless said otherwise.
 *
 * Inspired by gVisor's pkg/sentry/kernel/task.go.
 */
import type { Context } from "@tsvisor/platform";
import type { Credentials } from "./credentials.js";
import type { FdTable, FsContext, TaskMemory } from "./interfaces.js";
import type { Kernel } from "./kernel.js";
import { PendingSignals, type SignalHandlers } from "./signals.js";
import { type Block, SyscallArgs } from "./syscalls/syscall.js";
import type { ThreadGroup } from "./thread-group.js";
import type { Waitable, Waiter } from "./waiter.js";

/**
 * Where a task is in its life, as the run loop sees it. The transitions are
 * drawn in apps/docs (run states):
 *
 * ```
 *   ready ──switch/resume──▶ running ──trap──▶ ready
 *     ▲                        │
 *     └──woken/timeout/signal── blocked ◀──handler returned a Block
 *   any ──exit──▶ exited (zombie until reaped, see ThreadGroup)
 *   ready ──group stop──▶ stopped ──SIGCONT──▶ ready
 * ```
 */
export type TaskState =
  /** Runnable; the run loop will switch to it. */
  | { readonly kind: "ready" }
  /** Resumed on the platform (several runnable tasks); its trap comes from waitAny. */
  | { readonly kind: "running" }
  /** Sleeping in a syscall. */
  | {
      readonly kind: "blocked";
      readonly block: Block;
      /** The handler to re-run on wake when `block.resume` is absent. */
      readonly nr: number;
    }
  /** In a group stop (SIGSTOP & co.), until SIGCONT. */
  | { readonly kind: "stopped" }
  /** Has exited; its Context is released. */
  | { readonly kind: "exited" };

/** The payload-free states, shared so the hot path allocates nothing. */
export const READY: TaskState = Object.freeze({ kind: "ready" });
export const RUNNING: TaskState = Object.freeze({ kind: "running" });
export const STOPPED: TaskState = Object.freeze({ kind: "stopped" });
export const EXITED: TaskState = Object.freeze({ kind: "exited" });

/** The alternate signal stack (sigaltstack(2)). */
export interface AltStack {
  sp: number;
  size: number;
  flags: number;
}

/**
 * One application thread.
 *
 * Invariants:
 * - `tid` is unique in the sandbox's PID namespace while the task exists.
 * - `tg.tasks` contains this task until it exits.
 * - `state.kind === "running"` iff its Context was resumed and its trap not
 *   yet collected.
 * - `ctx` is released exactly once, when the task exits.
 */
export class Task implements Waiter {
  /** Syscall arguments view over `ctx.regs` (allocated once). */
  readonly args: SyscallArgs;
  state: TaskState = READY;
  private blocked = 0n;
  /**
   * Linux's TIF_SIGPENDING: this thread should look at its pending signals
   * before returning to the application. Set on the thread a signal is sent
   * or targeted to, and recomputed whenever the mask changes; a thread that
   * merely sent a process-wide signal does not take it.
   */
  sigPending = false;
  /**
   * Mask to restore after the next signal handler frame is set up or the
   * syscall returns (rt_sigsuspend, ppoll, pselect); null when none.
   */
  savedSigMask: bigint | null = null;
  /** Signals sent to this thread (tgkill, faults). */
  readonly pending = new PendingSignals();
  altStack: AltStack = { sp: 0, size: 0, flags: 2 /* SS_DISABLE */ };
  /** set_tid_address / CLONE_CHILD_CLEARTID: cleared and futex-woken at exit. */
  clearChildTid = 0;
  /** set_robust_list(2) head and length. */
  robustListHead = 0;
  robustListLen = 0;
  /** prctl(PR_SET_NAME) / the exec'd file's basename, at most 15 bytes. */
  name: string;
  /** Signal sent to this task when its parent dies (PR_SET_PDEATHSIG). */
  pdeathSignal = 0;
  /** The syscall number of the current trap (orig_rax). */
  syscallNr = -1;
  /**
   * Set by rt_sigreturn (and exec): the current syscall's result must not be
   * treated as a restart code.
   */
  noRestart = false;
  /**
   * Set by rt_sigreturn: rax already holds the restored value (any 64-bit
   * value, not representable as a handler's number result); the dispatcher
   * must not overwrite it.
   */
  raxRestored = false;
  /**
   * restart_syscall(2)'s continuation, set when a syscall returns
   * -ERESTART_RESTARTBLOCK (nanosleep and friends).
   */
  restartBlock: ((t: Task) => number | Block) | null = null;
  /** Time (ms) this thread spent switched in to the application. */
  cpuMs = 0;
  /** When this thread was resumed on the platform (multi mode), for cpuMs. */
  resumedAt = 0;
  /** Exit requested (exit, exit_group, fatal signal); the run loop finishes it. */
  exiting = false;
  /** The status the task exits with, encoded like wait(2)'s status. */
  exitStatus = 0;
  /** Vfork parent waiting for this task to exec or exit, or null. */
  vforkParent: Task | null = null;
  /** Subscriptions of the current Block, to undo on wake. */
  waitingOn: readonly Waitable[] = [];
  /** Handle of the current Block's deadline timer, or null. */
  blockTimer: number | null = null;

  constructor(
    readonly kernel: Kernel,
    /** Thread id in the sandbox's PID namespace. Changed only by exec from a non-leader. */
    public tid: number,
    /** The thread group; changed only by exec (never) — kept for clarity. */
    public tg: ThreadGroup,
    /** The platform context running this thread. */
    public ctx: Context,
    /** The address space (shared with CLONE_VM). */
    public mm: TaskMemory,
    /** Open files (shared with CLONE_FILES). */
    public fdTable: FdTable,
    /** Root, cwd and umask (shared with CLONE_FS). */
    public fs: FsContext,
    /** Credentials; replaced, never mutated. */
    public creds: Credentials,
    /** Signal dispositions (shared with CLONE_SIGHAND). */
    public sighand: SignalHandlers,
    name: string,
  ) {
    this.args = new SyscallArgs(ctx.regs);
    this.name = name;
  }

  /** Thread group id (getpid). */
  get tgid(): number {
    return this.tg.tgid;
  }

  /** Whether this task leads its thread group. */
  get isLeader(): boolean {
    return this.tg.leader === this;
  }

  /**
   * Cheap check on the syscall return path: may a signal be deliverable now?
   * False means definitely not; true means look closer.
   */
  get mayHaveSignals(): boolean {
    return this.sigPending || this.tg.groupStopPending;
  }

  /** Signals blocked by this thread (rt_sigprocmask). */
  get sigMask(): bigint {
    return this.blocked;
  }

  /** Changes the mask and recomputes `sigPending` (recalc_sigpending). */
  set sigMask(m: bigint) {
    this.blocked = m;
    this.sigPending = ((this.pending.mask | this.tg.pending.mask) & ~m) !== 0n;
  }

  /** Waiter: a Waitable this task sleeps on changed. Defers to the run loop. */
  notify(): void {
    if (this.state.kind === "blocked") this.kernel.wake(this, "woken");
  }

  /** Replaces the Context (exec from a non-leader keeps its own, see task-exec). */
  setContext(ctx: Context): void {
    this.ctx = ctx;
    (this as { args: SyscallArgs }).args = new SyscallArgs(ctx.regs);
  }

  toString(): string {
    return `task ${this.tid} (${this.name})`;
  }
}
