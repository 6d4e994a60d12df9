/**
 * Wait queues: how a task sleeps in the Sentry.
 *
 * A syscall handler that cannot finish now returns a {@link Block} naming the
 * {@link Waitable}s it waits on. The run loop subscribes the task to each of
 * them, and the task sleeps until one of them notifies, its deadline passes,
 * or a signal interrupts it. Nothing here allocates per wake-up except the
 * subscription entries themselves.
 *
 * Inspired by gVisor's pkg/waiter (Queue, Entry) and task_block.go.
 */

/**
 * Something a sleeping task is woken by. Called on the Sentry thread.
 */
export interface Waiter {
  /** The object the waiter subscribed to may have become ready. */
  notify(): void;
}

/**
 * Anything a task can wait on. Files (pipes, ttys, sockets), futexes, child
 * exits and vfork completions all implement it.
 *
 * Contract:
 * - `subscribe(w)` then a state change on the object calls `w.notify()` at
 *   least once until `unsubscribe(w)`.
 * - Notifying is a hint: the woken task re-checks (re-runs its syscall).
 */
export interface Waitable {
  subscribe(w: Waiter): void;
  unsubscribe(w: Waiter): void;
  /**
   * Present on objects whose readiness depends on the host (a host fd such
   * as the sandbox's stdin): resolves when the host side may have become
   * ready. The run loop awaits it only when no task can run, so a host read
   * never blocks other tasks.
   */
  hostReady?(): Promise<void>;
}

/**
 * A list of waiters, notified together.
 *
 * Invariants: each waiter appears at most once. Owned by the Sentry thread.
 */
export class WaitQueue implements Waitable {
  private readonly waiters = new Set<Waiter>();

  subscribe(w: Waiter): void {
    this.waiters.add(w);
  }

  unsubscribe(w: Waiter): void {
    this.waiters.delete(w);
  }

  /** Wakes every subscribed waiter. */
  notifyAll(): void {
    if (this.waiters.size === 0) return;
    for (const w of [...this.waiters]) w.notify();
  }

  /** Wakes at most `n` waiters in subscription order; returns how many. */
  notifyN(n: number): number {
    let woken = 0;
    for (const w of [...this.waiters]) {
      if (woken >= n) break;
      w.notify();
      woken++;
    }
    return woken;
  }

  get size(): number {
    return this.waiters.size;
  }
}

/** Why a blocked task resumed. */
export type WakeReason = "woken" | "timeout" | "interrupted";
