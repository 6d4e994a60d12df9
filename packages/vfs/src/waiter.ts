/**
 * What a task can wait on, as the VFS sees it.
 *
 * The kernel owns blocking (its run loop and wait queues); files only need
 * to tell it what to wait on. {@link Waitable} here has the same shape as
 * the kernel's, so any vfs file's waitable plugs into the kernel's `Block`
 * without the vfs depending on the kernel.
 *
 * Inspired by gVisor's pkg/waiter.
 */

/** Something woken when a waitable object's state changes. */
export interface Waiter {
  notify(): void;
}

/**
 * Anything a task can wait on (pipes, ttys, host stdio).
 *
 * Contract: after `subscribe(w)`, a state change calls `w.notify()` at least
 * once until `unsubscribe(w)`. Notification is a hint; the woken task re-runs
 * its syscall. `hostReady`, when present, resolves when the host side may
 * have become ready; the run loop awaits it only when no task can run.
 */
export interface Waitable {
  subscribe(w: Waiter): void;
  unsubscribe(w: Waiter): void;
  hostReady?(): Promise<void>;
}

/** A set of waiters notified together. Owned by the Sentry thread. */
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

  /** Wakes at most `n` waiters in subscription order (futex wake); returns how many. */
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
