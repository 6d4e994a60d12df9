/**
 * Futexes: futex(2) wait/wake/requeue/wake_op/bitset operations, robust
 * futex cleanup at exit, and the CLONE_CHILD_CLEARTID wake.
 *
 * Keys: a futex is identified by (memory manager, address). Private futexes
 * need nothing more. Shared futexes (no FUTEX_PRIVATE_FLAG) use the same key,
 * which is right for threads and for processes sharing an address space, but
 * not across processes that map the same shared memory at different
 * addresses or after fork (see the support note of futex in the table).
 *
 * Atomicity: FUTEX_WAIT's compare-and-sleep is atomic with respect to every
 * wake, because both run on the Sentry thread. FUTEX_WAKE_OP's
 * read-modify-write of `uaddr2` is not atomic with respect to application
 * threads running at that moment on other CPUs.
 *
 * Inspired by gVisor's pkg/sentry/kernel/futex and Linux's kernel/futex.
 */
import {
  EAGAIN,
  EDEADLK,
  EFAULT,
  EINVAL,
  ENOSYS,
  EPERM,
  ERESTART_RESTARTBLOCK,
  ERESTARTNOINTR,
  ERESTARTSYS,
  ESRCH,
  ETIMEDOUT,
  FUTEX_BITSET_MATCH_ANY,
  FUTEX_CLOCK_REALTIME,
  FUTEX_CMP_REQUEUE,
  FUTEX_LOCK_PI,
  FUTEX_LOCK_PI2,
  FUTEX_OWNER_DIED,
  FUTEX_PRIVATE_FLAG,
  FUTEX_REQUEUE,
  FUTEX_TID_MASK,
  FUTEX_TRYLOCK_PI,
  FUTEX_UNLOCK_PI,
  FUTEX_WAIT,
  FUTEX_WAIT_BITSET,
  FUTEX_WAITERS,
  FUTEX_WAKE,
  FUTEX_WAKE_BITSET,
  FUTEX_WAKE_OP,
} from "@tsvisor/abi";
import type { Kernel } from "./kernel.js";
import { type Block, block, monotonicMs } from "./syscalls/syscall.js";
import type { Task } from "./task.js";
import { WaitQueue } from "./waiter.js";

/** One task sleeping in FUTEX_WAIT(_BITSET). */
class FutexWaiter {
  readonly queue = new WaitQueue();
  woken = false;
  /** PI waiters: FUTEX_UNLOCK_PI made this waiter the owner. */
  handedOff = false;
  constructor(
    readonly task: Task,
    public key: FutexKey,
    readonly bitset: number,
  ) {}
}

/** Identifies a futex word. */
interface FutexKey {
  readonly space: object;
  readonly addr: number;
}

/** All futex waiters of one kernel, by address space then address. */
export class FutexTable {
  private readonly bySpace = new WeakMap<object, Map<number, FutexWaiter[]>>();

  private list(key: FutexKey, create: boolean): FutexWaiter[] | undefined {
    let m = this.bySpace.get(key.space);
    if (m === undefined) {
      if (!create) return undefined;
      m = new Map();
      this.bySpace.set(key.space, m);
    }
    let l = m.get(key.addr);
    if (l === undefined && create) {
      l = [];
      m.set(key.addr, l);
    }
    return l;
  }

  private removeList(key: FutexKey): void {
    this.bySpace.get(key.space)?.delete(key.addr);
  }

  enqueue(w: FutexWaiter): void {
    this.list(w.key, true)!.push(w);
  }

  remove(w: FutexWaiter): void {
    const l = this.list(w.key, false);
    if (l === undefined) return;
    const i = l.indexOf(w);
    if (i >= 0) l.splice(i, 1);
    if (l.length === 0) this.removeList(w.key);
  }

  /** Number of waiters on `key`. */
  count(key: FutexKey): number {
    return this.list(key, false)?.length ?? 0;
  }

  /** Removes and returns the first waiter on `key` without waking it. */
  takeFirst(key: FutexKey): FutexWaiter | null {
    const l = this.list(key, false);
    if (l === undefined || l.length === 0) return null;
    const w = l.shift()!;
    if (l.length === 0) this.removeList(key);
    return w;
  }

  /** Wakes up to `n` waiters on `key` whose bitset intersects `bitset`. */
  wake(key: FutexKey, n: number, bitset: number): number {
    const l = this.list(key, false);
    if (l === undefined) return 0;
    let woken = 0;
    for (let i = 0; i < l.length && woken < n; ) {
      const w = l[i]!;
      if ((w.bitset & bitset) !== 0) {
        l.splice(i, 1);
        w.woken = true;
        w.queue.notifyAll();
        woken++;
      } else {
        i++;
      }
    }
    if (l.length === 0) this.removeList(key);
    return woken;
  }

  /** Wakes up to `nWake` waiters on `from`, then moves up to `nRequeue` others to `to`. */
  requeue(from: FutexKey, to: FutexKey, nWake: number, nRequeue: number): number {
    const done = this.wake(from, nWake, FUTEX_BITSET_MATCH_ANY);
    const l = this.list(from, false);
    if (l === undefined) return done;
    let moved = 0;
    while (l.length > 0 && moved < nRequeue) {
      const w = l.shift()!;
      w.key = to;
      this.enqueue(w);
      moved++;
    }
    if (l.length === 0) this.removeList(from);
    return done + moved;
  }
}

const scratch = new Uint8Array(4);
const scratchView = new DataView(scratch.buffer);

/** Reads the u32 at `addr` in `t`'s memory, or returns -EFAULT. */
function readU32(t: Task, addr: number): number {
  if (addr % 4 !== 0) return -EINVAL;
  if (t.mm.copyIn(addr, scratch) !== 4) return -EFAULT;
  return scratchView.getUint32(0, true);
}

/** Writes the u32 at `addr`, returning 0 or -EFAULT. */
function writeU32(t: Task, addr: number, v: number): number {
  scratchView.setUint32(0, v >>> 0, true);
  return t.mm.copyOut(addr, scratch) === 4 ? 0 : -EFAULT;
}

/** The slice of mm's (internal) VMA lookup that shared futex keys need. */
interface VmaView {
  readonly shared: boolean;
  readonly obj: object | null;
  readonly file: object | null;
  offsetOf(addr: number): number;
}

/**
 * The key of the futex word at `addr`. Like Linux's get_futex_key: a
 * private futex, or any futex in private memory, is (address space,
 * address); a shared futex in a MAP_SHARED mapping is (shared object or
 * file, offset), so processes mapping the same memory at different
 * addresses (or after fork) meet on one key.
 */
function keyOf(t: Task, addr: number, priv = true): FutexKey {
  if (!priv) {
    const vmas = (t.mm as unknown as { vmas?: { find(a: number): VmaView | undefined } }).vmas;
    const v = vmas?.find(addr);
    if (v?.shared) {
      const space = v.obj ?? v.file;
      if (space !== null) return { space, addr: v.offsetOf(addr) };
    }
  }
  return { space: t.mm, addr };
}

/** Wakes one waiter at `addr` in `t`'s address space (exit's clear_child_tid). */
export function wakeFutexAt(k: Kernel, t: Task, addr: number, n: number): number {
  return k.futexes.wake(keyOf(t, addr, false), n, FUTEX_BITSET_MATCH_ANY);
}

/**
 * Sleeps until woken, the deadline, or a signal. `deadline` is on the
 * monotonic ms clock (Infinity for none). `restartable` selects the
 * interrupted result: ERESTARTSYS for untimed waits, ERESTART_RESTARTBLOCK
 * for timed ones (Linux's futex_wait_restart).
 */
function futexWait(
  k: Kernel,
  t: Task,
  addr: number,
  val: number,
  deadline: number,
  bitset: number,
  priv: boolean,
): number | Block {
  if (bitset === 0) return -EINVAL;
  const cur = readU32(t, addr);
  if (cur < 0) return cur;
  // futex(2): "If the futex value does not match val, the call fails with EAGAIN."
  if (cur !== val >>> 0) return -EAGAIN;
  const w = new FutexWaiter(t, keyOf(t, addr, priv), bitset);
  k.futexes.enqueue(w);
  return block(w.queue, {
    deadline,
    resume: (_t, why) => {
      if (w.woken) return 0;
      if (why === "woken") return -EAGAIN; // cannot happen: only wake() notifies
      k.futexes.remove(w);
      if (why === "timeout") return -ETIMEDOUT;
      if (deadline === Number.POSITIVE_INFINITY) return -ERESTARTSYS;
      t.restartBlock = (rt) => futexWait(k, rt, addr, val, deadline, bitset, priv);
      return -ERESTART_RESTARTBLOCK;
    },
  });
}

/**
 * FUTEX_LOCK_PI(2)/FUTEX_TRYLOCK_PI: takes the PI futex at `addr` for `t`
 * (its word becomes `t.tid`, keeping FUTEX_OWNER_DIED), or queues `t` until
 * FUTEX_UNLOCK_PI hands the lock over. Priorities are not boosted (tsvisor
 * has no scheduling priorities). A signal restarts the call, as Linux's
 * ERESTARTNOINTR does.
 */
function lockPi(
  k: Kernel,
  t: Task,
  addr: number,
  deadline: number,
  priv: boolean,
  tryOnly: boolean,
): number | Block {
  if (addr % 4 !== 0) return -EINVAL;
  const key = keyOf(t, addr, priv);
  const v = readU32(t, addr);
  if (v < 0) return v;
  const owner = v & FUTEX_TID_MASK;
  if (owner === 0) {
    const waiters = k.futexes.count(key) > 0 ? FUTEX_WAITERS : 0;
    return writeU32(t, addr, (t.tid | (v & FUTEX_OWNER_DIED) | waiters) >>> 0);
  }
  if (owner === t.tid) return -EDEADLK;
  if (tryOnly) return -EAGAIN;
  // attach_to_pi_owner: "ESRCH The thread ID in the futex word at uaddr does not exist."
  const o = k.pidns.tasks.get(owner);
  if ((o === undefined || o.state.kind === "exited") && (v & FUTEX_OWNER_DIED) === 0) return -ESRCH;
  if ((v & FUTEX_WAITERS) === 0) {
    const w = writeU32(t, addr, (v | FUTEX_WAITERS) >>> 0);
    if (w < 0) return w;
  }
  const w = new FutexWaiter(t, key, FUTEX_BITSET_MATCH_ANY);
  k.futexes.enqueue(w);
  return block(w.queue, {
    deadline,
    resume: (rt, why) => {
      if (w.handedOff) return 0;
      k.futexes.remove(w);
      // Woken without the lock (the owner died: robust cleanup): try again.
      if (w.woken) return lockPi(k, rt, addr, deadline, priv, false);
      if (why === "timeout") return -ETIMEDOUT;
      return -ERESTARTNOINTR;
    },
  });
}

/** FUTEX_UNLOCK_PI: hands the lock to the first waiter, or clears the word. */
function unlockPi(k: Kernel, t: Task, addr: number, priv: boolean): number {
  if (addr % 4 !== 0) return -EINVAL;
  const v = readU32(t, addr);
  if (v < 0) return v;
  // futex(2): "EPERM The caller does not own the lock represented by the futex word."
  if ((v & FUTEX_TID_MASK) !== t.tid) return -EPERM;
  const key = keyOf(t, addr, priv);
  const next = k.futexes.takeFirst(key);
  if (next === null) return writeU32(t, addr, 0);
  const more = k.futexes.count(key) > 0 ? FUTEX_WAITERS : 0;
  const r = writeU32(t, addr, (next.task.tid | more) >>> 0);
  next.handedOff = true;
  next.woken = true;
  next.queue.notifyAll();
  return r;
}

/** Decodes and applies FUTEX_WAKE_OP's operation to `old`; returns [new value, condition]. */
function wakeOp(encoded: number, old: number): [number, boolean] {
  const op = (encoded >>> 28) & 0x7;
  const cmp = (encoded >>> 24) & 0xf;
  let oparg = (encoded << 8) >> 20; // sign-extended 12 bits
  const cmparg = (encoded << 20) >> 20;
  if ((encoded >>> 28) & 0x8) oparg = 1 << (oparg & 31); // FUTEX_OP_OPARG_SHIFT
  let nv: number;
  switch (op) {
    case 0:
      nv = oparg;
      break; // SET
    case 1:
      nv = old + oparg;
      break; // ADD
    case 2:
      nv = old | oparg;
      break; // OR
    case 3:
      nv = old & ~oparg;
      break; // ANDN
    case 4:
      nv = old ^ oparg;
      break; // XOR
    default:
      return [-1, false];
  }
  const o = old | 0;
  let c: boolean;
  switch (cmp) {
    case 0:
      c = o === cmparg;
      break;
    case 1:
      c = o !== cmparg;
      break;
    case 2:
      c = o < cmparg;
      break;
    case 3:
      c = o <= cmparg;
      break;
    case 4:
      c = o > cmparg;
      break;
    case 5:
      c = o >= cmparg;
      break;
    default:
      return [-1, false];
  }
  return [nv >>> 0, c];
}

/** Reads a struct timespec at `addr` as milliseconds, or a negative errno. */
export function readTimespecMs(t: Task, addr: number): number {
  const b = new Uint8Array(16);
  if (t.mm.copyIn(addr, b) !== 16) return -EFAULT;
  const dv = new DataView(b.buffer);
  const sec = Number(dv.getBigInt64(0, true));
  const nsec = Number(dv.getBigInt64(8, true));
  if (sec < 0 || nsec < 0 || nsec >= 1e9) return -EINVAL;
  return sec * 1000 + nsec / 1e6;
}

/**
 * futex(2). On behalf of `t`; may block.
 *
 * Arguments: uaddr, futex_op, val, timeout (or val2), uaddr2, val3.
 */
export function doFutex(
  k: Kernel,
  t: Task,
  uaddr: number,
  opWord: number,
  val: number,
  timeoutOrVal2: number,
  uaddr2: number,
  val3: number,
): number | Block {
  const cmd = opWord & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
  const realtime = (opWord & FUTEX_CLOCK_REALTIME) !== 0;
  const priv = (opWord & FUTEX_PRIVATE_FLAG) !== 0;
  // futex(2): FUTEX_CLOCK_REALTIME is for the waits with absolute timeouts;
  // Linux (futex_cmd_has_timeout / the oracle) refuses it for plain
  // FUTEX_WAIT with ENOSYS.
  if (realtime && cmd !== FUTEX_WAIT_BITSET && cmd !== FUTEX_LOCK_PI2) return -ENOSYS;
  switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
      let deadline = Number.POSITIVE_INFINITY;
      if (timeoutOrVal2 !== 0) {
        const ms = readTimespecMs(t, timeoutOrVal2);
        if (ms < 0) return ms;
        if (cmd === FUTEX_WAIT) {
          // FUTEX_WAIT's timeout is relative (CLOCK_MONOTONIC).
          deadline = monotonicMs() + ms;
        } else if (realtime) {
          deadline = monotonicMs() + (ms - Date.now());
        } else {
          deadline = ms - monotonicOffsetMs();
        }
      }
      const bitset = cmd === FUTEX_WAIT ? FUTEX_BITSET_MATCH_ANY : val3 >>> 0;
      return futexWait(k, t, uaddr, val, deadline, bitset, priv);
    }
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET: {
      if (uaddr % 4 !== 0) return -EINVAL;
      const bitset = cmd === FUTEX_WAKE ? FUTEX_BITSET_MATCH_ANY : val3 >>> 0;
      if (bitset === 0) return -EINVAL;
      // futex_wake wakes at least one waiter even for val <= 0 (`if (++ret >= nr_wake) break`).
      return k.futexes.wake(keyOf(t, uaddr, priv), Math.max(1, val | 0), bitset);
    }
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE: {
      if (uaddr % 4 !== 0 || uaddr2 % 4 !== 0) return -EINVAL;
      const nWake = val | 0;
      const nRequeue = timeoutOrVal2 | 0;
      if (nWake < 0 || nRequeue < 0) return -EINVAL;
      if (cmd === FUTEX_CMP_REQUEUE) {
        const cur = readU32(t, uaddr);
        if (cur < 0) return cur;
        if (cur !== val3 >>> 0) return -EAGAIN;
      }
      return k.futexes.requeue(keyOf(t, uaddr, priv), keyOf(t, uaddr2, priv), nWake, nRequeue);
    }
    case FUTEX_WAKE_OP: {
      if (uaddr % 4 !== 0 || uaddr2 % 4 !== 0) return -EINVAL;
      const old = readU32(t, uaddr2);
      if (old < 0) return old;
      const [nv, cond] = wakeOp(val3, old);
      if (nv < 0) return -ENOSYS;
      const w = writeU32(t, uaddr2, nv);
      if (w < 0) return w;
      let n = k.futexes.wake(keyOf(t, uaddr, priv), val, FUTEX_BITSET_MATCH_ANY);
      if (cond)
        n += k.futexes.wake(keyOf(t, uaddr2, priv), timeoutOrVal2 | 0, FUTEX_BITSET_MATCH_ANY);
      return n;
    }
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2:
    case FUTEX_TRYLOCK_PI: {
      let deadline = Number.POSITIVE_INFINITY;
      if (cmd !== FUTEX_TRYLOCK_PI && timeoutOrVal2 !== 0) {
        const ms = readTimespecMs(t, timeoutOrVal2);
        if (ms < 0) return ms;
        // FUTEX_LOCK_PI: absolute CLOCK_REALTIME; FUTEX_LOCK_PI2: absolute
        // CLOCK_MONOTONIC unless FUTEX_CLOCK_REALTIME.
        const rt = cmd === FUTEX_LOCK_PI || realtime;
        deadline = rt ? monotonicMs() + (ms - Date.now()) : ms - monotonicOffsetMs();
      }
      return lockPi(k, t, uaddr, deadline, priv, cmd === FUTEX_TRYLOCK_PI);
    }
    case FUTEX_UNLOCK_PI:
      return unlockPi(k, t, uaddr, priv);
    default:
      // FUTEX_FD and the requeue-PI operations are not implemented.
      return -ENOSYS;
  }
}

/**
 * Converts between CLOCK_MONOTONIC (host, as a program reads it through
 * clock_gettime) and the kernel's monotonic ms clock (performance.now).
 * Returns hostMonotonicMs - performance.now().
 */
export function monotonicOffsetMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1000 + ns / 1e6 - performance.now();
}

/** Linux's ROBUST_LIST_LIMIT. */
const ROBUST_LIST_LIMIT = 2048;

/**
 * exit_robust_list: for each futex on `t`'s robust list (and the pending
 * one) still owned by `t`, set FUTEX_OWNER_DIED and wake one waiter.
 */
export function exitRobustList(k: Kernel, t: Task): void {
  const head = t.robustListHead;
  if (head === 0) return;
  const b = new Uint8Array(24);
  if (t.mm.copyIn(head, b) !== 24) return;
  const dv = new DataView(b.buffer);
  let entry = Number(dv.getBigUint64(0, true));
  const offset = Number(dv.getBigInt64(8, true));
  // Bit 0 of list pointers flags PI futexes; addresses exceed 32 bits, so no `&`.
  const pendingRaw = Number(dv.getBigUint64(16, true));
  const pending = pendingRaw - (pendingRaw % 2);
  const next = new Uint8Array(8);
  const ndv = new DataView(next.buffer);
  for (let i = 0; i < ROBUST_LIST_LIMIT && entry !== head && entry !== 0; i++) {
    const e = entry - (entry % 2);
    if (t.mm.copyIn(e, next) !== 8) return;
    const following = Number(ndv.getBigUint64(0, true));
    if (e !== pending) handleFutexDeath(k, t, e + offset);
    entry = following;
  }
  if (pending !== 0) handleFutexDeath(k, t, pending + offset);
}

/** handle_futex_death: mark a robust futex owned by `t` as owner-died. */
function handleFutexDeath(k: Kernel, t: Task, addr: number): void {
  if (addr % 4 !== 0) return;
  const v = readU32(t, addr);
  if (v < 0) return;
  if ((v & FUTEX_TID_MASK) !== t.tid) return;
  const nv = ((v & FUTEX_WAITERS) | FUTEX_OWNER_DIED) >>> 0;
  if (writeU32(t, addr, nv) < 0) return;
  if ((v & FUTEX_WAITERS) !== 0) k.futexes.wake(keyOf(t, addr, false), 1, FUTEX_BITSET_MATCH_ANY);
}
