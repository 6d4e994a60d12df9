/** Pending-signal queues, siginfo encoding and the timer queue. */
import { describe, expect, it } from "vitest";
import {
  encodeSigInfo,
  lowestSignal,
  newSigInfo,
  PendingSignals,
  SignalHandlers,
  SIG_IGN,
  sigBit,
} from "../src/signals.js";
import { TimerQueue } from "../src/timer.js";

describe("PendingSignals", () => {
  it("merges standard signals and queues real-time ones", () => {
    const p = new PendingSignals();
    expect(p.enqueue(newSigInfo(10, 0))).toBe(true);
    expect(p.enqueue(newSigInfo(10, 0))).toBe(false);
    expect(p.enqueue(newSigInfo(34, -1))).toBe(true);
    expect(p.enqueue(newSigInfo(34, -1))).toBe(true);
    expect(p.mask).toBe(sigBit(10) | sigBit(34));
    expect(p.dequeue(0n)?.signo).toBe(10);
    expect(p.dequeue(0n)?.signo).toBe(34);
    expect(p.mask).toBe(sigBit(34));
    expect(p.dequeue(0n)?.signo).toBe(34);
    expect(p.mask).toBe(0n);
    expect(p.dequeue(0n)).toBeNull();
  });

  it("delivers the lowest unblocked signal first and respects the mask", () => {
    const p = new PendingSignals();
    for (const s of [40, 15, 2]) p.enqueue(newSigInfo(s, 0));
    expect(p.dequeue(sigBit(2))?.signo).toBe(15);
    expect(p.dequeue(0n)?.signo).toBe(2);
    p.discard(sigBit(40));
    expect(p.mask).toBe(0n);
  });

  it("lowestSignal finds bits in both halves", () => {
    expect(lowestSignal(sigBit(1))).toBe(1);
    expect(lowestSignal(sigBit(33) | sigBit(64))).toBe(33);
    expect(lowestSignal(sigBit(64))).toBe(64);
  });
});

describe("siginfo", () => {
  it("encodes the sigchld and sigfault unions at Linux's offsets", () => {
    const b = new DataView(new ArrayBuffer(128));
    const c = newSigInfo(17, 1, "chld");
    c.pid = 42;
    c.uid = 1000;
    c.status = 7;
    encodeSigInfo(c, b, 0);
    expect([
      b.getInt32(0, true),
      b.getInt32(8, true),
      b.getInt32(16, true),
      b.getUint32(20, true),
      b.getInt32(24, true),
    ]).toEqual([17, 1, 42, 1000, 7]);
    const f = newSigInfo(11, 2, "fault");
    f.addr = 0x7fff12345678;
    encodeSigInfo(f, b, 0);
    expect(Number(b.getBigUint64(16, true))).toBe(0x7fff12345678);
    expect(b.getInt32(20 + 8, true)).toBe(0);
  });
});

describe("SignalHandlers.forExec", () => {
  it("resets caught handlers and keeps ignored ones", () => {
    const h = new SignalHandlers();
    h.actions[2]!.handler = 0x401000;
    h.actions[15]!.handler = SIG_IGN;
    const e = h.forExec();
    expect(e.actions[2]!.handler).toBe(0);
    expect(e.actions[15]!.handler).toBe(SIG_IGN);
    expect(h.actions[2]!.handler).toBe(0x401000);
  });
});

describe("TimerQueue", () => {
  it("fires in deadline order, skips cancelled timers and reports the next deadline", () => {
    const q = new TimerQueue();
    const fired: number[] = [];
    q.add(30, () => fired.push(30));
    const id = q.add(10, () => fired.push(10));
    q.add(20, () => fired.push(20));
    q.cancel(id);
    expect(q.nextDeadline()).toBe(20);
    expect(q.fire(25)).toBe(1);
    expect(q.fire(100)).toBe(1);
    expect(fired).toEqual([20, 30]);
    expect(q.nextDeadline()).toBe(Number.POSITIVE_INFINITY);
  });
});
