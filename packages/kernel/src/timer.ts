/**
 * Kernel timers: deadlines on the kernel monotonic clock (milliseconds,
 * `performance.now()`), fired by the run loop. The run loop turns the nearest
 * deadline into the timeout of its platform wait, so a sleeping task wakes on
 * time even while other tasks compute.
 *
 * Invariants: `heap` is a binary min-heap on `when`; a cancelled timer stays
 * in the heap (lazy deletion) but not in `live`.
 */
interface TimerEntry {
  readonly id: number;
  readonly when: number;
  readonly fn: () => void;
}

export class TimerQueue {
  private heap: TimerEntry[] = [];
  private readonly live = new Set<number>();
  private nextId = 1;

  /** Schedules `fn` at absolute time `when` (ms); returns a handle for cancel. */
  add(when: number, fn: () => void): number {
    const e: TimerEntry = { id: this.nextId++, when, fn };
    this.live.add(e.id);
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.when <= e.when) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
    return e.id;
  }

  /** Cancels a timer; a no-op if it already fired or was cancelled. */
  cancel(id: number): void {
    this.live.delete(id);
  }

  /** Number of live timers. */
  get size(): number {
    return this.live.size;
  }

  /** Time of the earliest live timer, or Infinity. */
  nextDeadline(): number {
    this.dropDead();
    return this.heap.length > 0 ? this.heap[0]!.when : Number.POSITIVE_INFINITY;
  }

  /** Fires (in deadline order) every live timer due at or before `now`; returns how many. */
  fire(now: number): number {
    let n = 0;
    for (;;) {
      this.dropDead();
      const top = this.heap[0];
      if (top === undefined || top.when > now) return n;
      this.pop();
      this.live.delete(top.id);
      top.fn();
      n++;
    }
  }

  private dropDead(): void {
    while (this.heap.length > 0 && !this.live.has(this.heap[0]!.id)) this.pop();
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r]!.when < h[l]!.when ? r : l;
      if (h[c]!.when >= last.when) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
}
