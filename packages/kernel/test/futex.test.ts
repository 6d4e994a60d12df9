/**
 * futex(2) logic without a platform: a fake task over a test memory manager.
 * Checks errnos, wake counts, bitsets, requeue and wake_op semantics.
 */
import {
  EAGAIN,
  EDEADLK,
  EFAULT,
  EINVAL,
  ENOSYS,
  EPERM,
  ETIMEDOUT,
  FUTEX_CLOCK_REALTIME,
  FUTEX_CMP_REQUEUE,
  FUTEX_LOCK_PI,
  FUTEX_PRIVATE_FLAG,
  FUTEX_REQUEUE,
  FUTEX_TRYLOCK_PI,
  FUTEX_UNLOCK_PI,
  FUTEX_WAIT,
  FUTEX_WAIT_BITSET,
  FUTEX_WAITERS,
  FUTEX_WAKE,
  FUTEX_WAKE_BITSET,
  FUTEX_WAKE_OP,
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  PROT_READ,
  PROT_WRITE,
} from "@tsvisor/abi";
import { describe, expect, it } from "vitest";
import { doFutex, FutexTable } from "../src/futex.js";
import type { Kernel } from "../src/kernel.js";
import type { Block } from "../src/syscalls/syscall.js";
import type { Task } from "../src/task.js";
import { newTestMemory } from "./fake-memory.js";

function setup() {
  const mm = newTestMemory();
  const base = mm.mmap({
    addr: 0,
    length: 8192,
    prot: PROT_READ | PROT_WRITE,
    flags: MAP_PRIVATE | MAP_ANONYMOUS,
  });
  const k = { futexes: new FutexTable() } as unknown as Kernel;
  const t = { mm, kernel: k } as unknown as Task;
  const set = (addr: number, v: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    mm.copyOut(addr, b);
  };
  const get = (addr: number) => {
    const b = new Uint8Array(4);
    mm.copyIn(addr, b);
    return new DataView(b.buffer).getUint32(0, true);
  };
  const futex = (uaddr: number, op: number, val: number, t2 = 0, uaddr2 = 0, val3 = 0) =>
    doFutex(k, t, uaddr, op | FUTEX_PRIVATE_FLAG, val, t2, uaddr2, val3);
  return { mm, base, k, t, set, get, futex };
}

function asBlock(r: number | Block): Block {
  if (typeof r === "number") throw new Error(`expected a Block, got ${r}`);
  return r;
}

describe("futex", () => {
  it("FUTEX_WAIT: EAGAIN on mismatch, EINVAL misaligned, EFAULT unmapped", () => {
    const { base, set, futex } = setup();
    set(base, 5);
    expect(futex(base, FUTEX_WAIT, 4)).toBe(-EAGAIN);
    expect(futex(base + 2, FUTEX_WAIT, 5)).toBe(-EINVAL);
    expect(futex(0x1000, FUTEX_WAIT, 0)).toBe(-EFAULT);
  });

  it("FUTEX_WAKE wakes waiters in order and counts them", () => {
    const { base, t, futex } = setup();
    const b1 = asBlock(futex(base, FUTEX_WAIT, 0));
    const b2 = asBlock(futex(base, FUTEX_WAIT, 0));
    expect(futex(base, FUTEX_WAKE, 1)).toBe(1);
    expect(b1.resume?.(t, "woken")).toBe(0);
    expect(futex(base, FUTEX_WAKE, 10)).toBe(1);
    expect(b2.resume?.(t, "woken")).toBe(0);
    expect(futex(base, FUTEX_WAKE, 10)).toBe(0);
  });

  it("a timed-out or interrupted waiter leaves the queue", () => {
    const { base, t, futex } = setup();
    const b = asBlock(futex(base, FUTEX_WAIT, 0));
    expect(b.resume?.(t, "timeout")).toBe(-ETIMEDOUT);
    expect(futex(base, FUTEX_WAKE, 1)).toBe(0);
  });

  it("bitsets select waiters; a zero bitset is EINVAL", () => {
    const { base, t, futex } = setup();
    const b = asBlock(futex(base, FUTEX_WAIT_BITSET, 0, 0, 0, 0b01));
    expect(futex(base, FUTEX_WAKE_BITSET, 1, 0, 0, 0b10)).toBe(0);
    expect(futex(base, FUTEX_WAKE_BITSET, 1, 0, 0, 0b11)).toBe(1);
    expect(b.resume?.(t, "woken")).toBe(0);
    expect(futex(base, FUTEX_WAKE_BITSET, 1, 0, 0, 0)).toBe(-EINVAL);
    expect(futex(base, FUTEX_WAIT_BITSET, 0, 0, 0, 0)).toBe(-EINVAL);
  });

  it("FUTEX_REQUEUE moves waiters; CMP_REQUEUE checks the value", () => {
    const { base, set, futex } = setup();
    const a = base;
    const b = base + 64;
    asBlock(futex(a, FUTEX_WAIT, 0));
    asBlock(futex(a, FUTEX_WAIT, 0));
    asBlock(futex(a, FUTEX_WAIT, 0));
    // Wake 1, move 1 of the remaining 2.
    expect(futex(a, FUTEX_REQUEUE, 1, 1, b)).toBe(2);
    expect(futex(b, FUTEX_WAKE, 10)).toBe(1);
    expect(futex(a, FUTEX_WAKE, 10)).toBe(1);
    set(a, 7);
    expect(futex(a, FUTEX_CMP_REQUEUE, 1, 1, b, 6)).toBe(-EAGAIN);
    expect(futex(a, FUTEX_CMP_REQUEUE, 1, 1, b, 7)).toBe(0);
  });

  it("FUTEX_WAKE_OP applies the operation and wakes by its comparison", () => {
    const { base, t, set, get, futex } = setup();
    const a = base;
    const b = base + 64;
    set(b, 1);
    const wa = asBlock(futex(a, FUTEX_WAIT, 0));
    const wb = asBlock(futex(b, FUTEX_WAIT, 1));
    // FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 1): *b += 1; wake b if old == 1.
    const op = (1 << 28) | (0 << 24) | (1 << 12) | 1;
    expect(futex(a, FUTEX_WAKE_OP, 1, 1, b, op)).toBe(2);
    expect(get(b)).toBe(2);
    expect(wa.resume?.(t, "woken")).toBe(0);
    expect(wb.resume?.(t, "woken")).toBe(0);
  });

  it("FUTEX_CLOCK_REALTIME is ENOSYS except with FUTEX_WAIT_BITSET", () => {
    const { base, futex } = setup();
    expect(futex(base, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 1)).toBe(-ENOSYS);
    expect(futex(base, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 1, 0, 0, 1)).toBe(-EAGAIN);
  });

  it("PI futexes: lock, EDEADLK, contention hands the lock over on unlock, EPERM for non-owners", () => {
    const { mm, base, get } = setup();
    const k = {
      futexes: new FutexTable(),
      pidns: { tasks: new Map<number, unknown>() },
    } as unknown as Kernel;
    const mk = (tid: number) => {
      const t = { mm, kernel: k, tid, state: { kind: "running" } } as unknown as Task;
      (k.pidns.tasks as Map<number, unknown>).set(tid, t);
      return t;
    };
    const a = mk(10);
    const b = mk(11);
    const pi = (t: Task, op: number) => doFutex(k, t, base, op | FUTEX_PRIVATE_FLAG, 0, 0, 0, 0);
    expect(pi(a, FUTEX_LOCK_PI)).toBe(0);
    expect(get(base)).toBe(10);
    expect(pi(a, FUTEX_LOCK_PI)).toBe(-EDEADLK);
    expect(pi(b, FUTEX_TRYLOCK_PI)).toBe(-EAGAIN);
    const blk = asBlock(pi(b, FUTEX_LOCK_PI));
    expect(get(base)).toBe((10 | FUTEX_WAITERS) >>> 0);
    expect(pi(b, FUTEX_UNLOCK_PI)).toBe(-EPERM);
    expect(pi(a, FUTEX_UNLOCK_PI)).toBe(0);
    expect(get(base)).toBe(11);
    expect(blk.resume?.(b, "woken")).toBe(0);
    expect(pi(b, FUTEX_UNLOCK_PI)).toBe(0);
    expect(get(base)).toBe(0);
  });
});
