import { describe, expect, it } from "vitest";
import { sysClose, sysWrite } from "../src/syscalls/sys-file.js";
import { sysPipe2 } from "../src/syscalls/sys-pipe.js";
import { sysPoll, sysPpoll, sysSelect } from "../src/syscalls/sys-poll.js";
import { makeTask } from "./files-helpers.js";

const POLLIN = 1;
const POLLOUT = 4;
const POLLHUP = 0x10;
const POLLNVAL = 0x20;
const EINVAL = 22;
const EBADF = 9;
const ERESTARTNOHAND = 514;

function setup() {
  const tt = makeTask();
  const p = tt.alloc(8);
  tt.num(sysPipe2, p, 0);
  const dv = new DataView(tt.read(p, 8).buffer);
  return { tt, r: dv.getInt32(0, true), w: dv.getInt32(4, true) };
}

function pollfds(tt: ReturnType<typeof makeTask>, list: [number, number][]): number {
  const a = tt.alloc(list.length * 8);
  const b = new DataView(new ArrayBuffer(list.length * 8));
  list.forEach(([fd, ev], i) => {
    b.setInt32(i * 8, fd, true);
    b.setInt16(i * 8 + 4, ev, true);
  });
  tt.mem.copyOut(a, new Uint8Array(b.buffer));
  return a;
}

function revents(tt: ReturnType<typeof makeTask>, a: number, n: number): number[] {
  const dv = new DataView(tt.read(a, n * 8).buffer);
  return Array.from({ length: n }, (_, i) => dv.getInt16(i * 8 + 6, true));
}

describe("poll", () => {
  it("reports readiness, POLLNVAL for closed fds, and returns at once with timeout 0", () => {
    const { tt, r, w } = setup();
    const fds = pollfds(tt, [
      [r, POLLIN],
      [w, POLLOUT],
      [42, POLLIN],
      [-1, POLLIN],
    ]);
    expect(tt.num(sysPoll, fds, 4, 0)).toBe(2);
    expect(revents(tt, fds, 4)).toEqual([0, POLLOUT, POLLNVAL, 0]);
    expect(tt.num(sysPoll, fds, -1, 0)).toBe(-EINVAL);
  });

  it("blocks until a writer writes, and reports POLLHUP when it closes", () => {
    const { tt, r, w } = setup();
    const fds = pollfds(tt, [[r, POLLIN]]);
    const b = tt.call(sysPoll, fds, 1, -1);
    expect(typeof b).toBe("object");
    const blk = b as Exclude<typeof b, number>;
    expect(blk.on.length).toBe(1);
    expect(blk.deadline).toBe(Number.POSITIVE_INFINITY);
    tt.num(sysWrite, w, tt.str("x"), 1);
    expect(blk.resume!(tt.t, "woken")).toBe(1);
    expect(revents(tt, fds, 1)).toEqual([POLLIN]);
    expect(blk.resume!(tt.t, "interrupted")).toBe(-ERESTARTNOHAND);
    tt.num(sysClose, w);
    expect(tt.num(sysPoll, fds, 1, 0)).toBe(1);
    expect(revents(tt, fds, 1)).toEqual([POLLIN | POLLHUP]);
  });

  it("times out with 0 ready and a finite deadline", () => {
    const { tt, r } = setup();
    const fds = pollfds(tt, [[r, POLLIN]]);
    const ts = tt.alloc(16);
    tt.mem.copyOut(ts, new Uint8Array(new BigInt64Array([0n, 5_000_000n]).buffer));
    const b = tt.call(sysPpoll, fds, 1, ts, 0, 8) as Exclude<ReturnType<typeof tt.call>, number>;
    expect(b.deadline).toBeGreaterThan(0);
    expect(b.deadline).toBeLessThan(Number.POSITIVE_INFINITY);
    expect(b.resume!(tt.t, "timeout")).toBe(0);
  });
});

describe("select", () => {
  it("marks ready fds in the bitmaps and rejects closed fds with EBADF", () => {
    const { tt, r, w } = setup();
    tt.num(sysWrite, w, tt.str("y"), 1);
    const rs = tt.alloc(8);
    const ws = tt.alloc(8);
    tt.mem.copyOut(rs, new Uint8Array([1 << r, 0, 0, 0, 0, 0, 0, 0]));
    tt.mem.copyOut(ws, new Uint8Array([(1 << w) | (1 << r), 0, 0, 0, 0, 0, 0, 0]));
    expect(tt.num(sysSelect, 8, rs, ws, 0, 0)).toBe(2);
    expect(tt.read(rs, 1)[0]).toBe(1 << r);
    expect(tt.read(ws, 1)[0]).toBe(1 << w);
    const bad = tt.alloc(8);
    tt.mem.copyOut(bad, new Uint8Array([0x80, 0, 0, 0, 0, 0, 0, 0]));
    expect(tt.num(sysSelect, 8, bad, 0, 0, 0)).toBe(-EBADF);
  });
});

describe("epoll", () => {
  const EPOLLIN = 1;
  const EPOLLET = 0x80000000;
  const EPOLLONESHOT = 0x40000000;
  const ADD = 1;
  const DEL = 2;
  const MOD = 3;

  async function load() {
    const m = await import("../src/syscalls/sys-poll.js");
    const f = await import("../src/syscalls/sys-file.js");
    return { ...m, ...f };
  }

  function ev(tt: ReturnType<typeof makeTask>, events: number, data: number): number {
    const p = tt.alloc(12);
    const dv = new DataView(new ArrayBuffer(12));
    dv.setUint32(0, events >>> 0, true);
    dv.setUint32(4, data, true);
    tt.mem.copyOut(p, new Uint8Array(dv.buffer));
    return p;
  }

  function events(tt: ReturnType<typeof makeTask>, p: number, n: number): [number, number][] {
    const dv = new DataView(tt.read(p, n * 12).buffer);
    return Array.from({ length: n }, (_, i) => [
      dv.getUint32(i * 12, true),
      dv.getUint32(i * 12 + 4, true),
    ]);
  }

  it("reports readiness level-triggered, edge-triggered and one-shot, and validates like Linux", async () => {
    const m = await load();
    const { tt, r, w } = setup();
    const ep = tt.num(m.sysEpollCreate1, 0);
    expect(ep).toBeGreaterThanOrEqual(0);
    expect(tt.num(m.sysEpollCreate, 0)).toBe(-EINVAL);
    expect(tt.num(m.sysEpollCreate1, 1)).toBe(-EINVAL);
    expect(tt.num(m.sysEpollCtl, ep, ADD, r, ev(tt, EPOLLIN, 7))).toBe(0);
    expect(tt.num(m.sysEpollCtl, ep, ADD, r, ev(tt, EPOLLIN, 7))).toBe(-17); // EEXIST
    expect(tt.num(m.sysEpollCtl, ep, MOD, w, ev(tt, EPOLLIN, 7))).toBe(-2); // ENOENT
    expect(tt.num(m.sysEpollCtl, ep, ADD, ep, ev(tt, EPOLLIN, 7))).toBe(-EINVAL);
    expect(tt.num(m.sysEpollCtl, r, ADD, w, ev(tt, EPOLLIN, 7))).toBe(-EINVAL); // not an epoll fd
    const reg = tt.num(m.sysOpen, tt.str("/reg"), 0o102, 0o644);
    expect(tt.num(m.sysEpollCtl, ep, ADD, reg, ev(tt, EPOLLIN, 1))).toBe(-1); // EPERM
    const out = tt.alloc(12 * 4);
    expect(tt.num(m.sysEpollWait, ep, out, 4, 0)).toBe(0);
    expect(tt.num(m.sysEpollWait, ep, out, 0, 0)).toBe(-EINVAL);
    // Level-triggered: reported while data is there.
    tt.num(sysWrite, w, tt.str("x"), 1);
    expect(tt.num(m.sysEpollWait, ep, out, 4, 0)).toBe(1);
    expect(events(tt, out, 1)).toEqual([[EPOLLIN, 7]]);
    expect(tt.num(m.sysEpollWait, ep, out, 4, 0)).toBe(1);
    // Edge-triggered: once per change.
    expect(tt.num(m.sysEpollCtl, ep, MOD, r, ev(tt, EPOLLIN | EPOLLET, 8))).toBe(0);
    expect(tt.num(m.sysEpollWait, ep, out, 4, 0)).toBe(1);
    expect(tt.num(m.sysEpollWait, ep, out, 4, 0)).toBe(0);
    tt.num(sysWrite, w, tt.str("y"), 1);
    expect(tt.num(m.sysEpollWait, ep, out, 4, 0)).toBe(1);
    // One-shot: disabled after one report until EPOLL_CTL_MOD.
    expect(tt.num(m.sysEpollCtl, ep, MOD, r, ev(tt, EPOLLIN | EPOLLONESHOT, 9))).toBe(0);
    expect(tt.num(m.sysEpollWait, ep, out, 4, 0)).toBe(1);
    expect(tt.num(m.sysEpollWait, ep, out, 4, 0)).toBe(0);
    expect(tt.num(m.sysEpollCtl, ep, DEL, r, 0)).toBe(0);
    expect(tt.num(m.sysEpollCtl, ep, DEL, r, 0)).toBe(-2);
  });

  it("blocks until a watched pipe becomes readable; a closed file leaves the set", async () => {
    const m = await load();
    const { tt, r, w } = setup();
    const ep = tt.num(m.sysEpollCreate1, 0);
    tt.num(m.sysEpollCtl, ep, ADD, r, ev(tt, EPOLLIN, 42));
    const out = tt.alloc(12 * 4);
    const b = tt.call(m.sysEpollWait, ep, out, 4, -1);
    expect(typeof b).toBe("object");
    const blk = b as Exclude<typeof b, number>;
    expect(blk.on.length).toBe(1);
    tt.num(sysWrite, w, tt.str("z"), 1);
    expect(blk.resume!(tt.t, "woken")).toBe(1);
    expect(events(tt, out, 1)).toEqual([[EPOLLIN, 42]]);
    expect(blk.resume!(tt.t, "interrupted")).toBe(-4); // EINTR, never restarted
    tt.num(sysClose, r);
    expect(tt.num(m.sysEpollWait, ep, out, 4, 0)).toBe(0);
  });
});

describe("eventfd and timerfd", () => {
  it("eventfd counts, honours EFD_SEMAPHORE and its EINVALs, and blocks readers", async () => {
    const m = await import("../src/syscalls/sys-eventfd.js");
    const { sysRead } = await import("../src/syscalls/sys-file.js");
    const { tt } = setup();
    const e = tt.num(m.sysEventfd2, 3, 0x800 /* EFD_NONBLOCK */);
    const b = tt.alloc(8);
    expect(tt.num(sysRead, e, b, 8)).toBe(8);
    expect(new DataView(tt.read(b, 8).buffer).getBigUint64(0, true)).toBe(3n);
    expect(tt.num(sysRead, e, b, 8)).toBe(-11);
    expect(tt.num(sysRead, e, b, 4)).toBe(-EINVAL);
    const seven = tt.alloc(8);
    tt.mem.copyOut(seven, new Uint8Array(new BigUint64Array([7n]).buffer));
    expect(tt.num(sysWrite, e, seven, 8)).toBe(8);
    expect(tt.num(sysWrite, e, seven, 8)).toBe(8);
    expect(tt.num(sysRead, e, b, 8)).toBe(8);
    expect(new DataView(tt.read(b, 8).buffer).getBigUint64(0, true)).toBe(14n);
    const max = tt.alloc(8);
    tt.mem.copyOut(max, new Uint8Array(8).fill(0xff));
    expect(tt.num(sysWrite, e, max, 8)).toBe(-EINVAL);
    const sem = tt.num(m.sysEventfd2, 2, 1 | 0x800);
    expect(tt.num(sysRead, sem, b, 8)).toBe(8);
    expect(new DataView(tt.read(b, 8).buffer).getBigUint64(0, true)).toBe(1n);
    expect(tt.num(m.sysEventfd2, 0, 0x12345)).toBe(-EINVAL);
    // A blocking read of an empty eventfd sleeps on it until a write (then the read is re-run).
    const blocking = tt.num(m.sysEventfd, 0);
    const blk = tt.call(sysRead, blocking, b, 8);
    expect(typeof blk).toBe("object");
    expect((blk as Exclude<typeof blk, number>).on).toEqual([tt.fdTable.get(blocking)!.waitable()]);
    tt.num(sysWrite, blocking, seven, 8);
    expect(tt.num(sysRead, blocking, b, 8)).toBe(8);
  });

  it("timerfd expires, counts periodic expirations, reports its setting, and validates", async () => {
    const m = await import("../src/syscalls/sys-eventfd.js");
    const { sysRead } = await import("../src/syscalls/sys-file.js");
    const { tt } = setup();
    const t = tt.num(m.sysTimerfdCreate, 1 /* CLOCK_MONOTONIC */, 0x800);
    expect(tt.num(m.sysTimerfdCreate, 1234, 0)).toBe(-EINVAL);
    const spec = tt.alloc(32);
    // 20 ms first expiry, then every 20 ms.
    tt.mem.copyOut(
      spec,
      new Uint8Array(new BigInt64Array([0n, 20_000_000n, 0n, 20_000_000n]).buffer),
    );
    expect(tt.num(m.sysTimerfdSettime, t, 0, spec, 0)).toBe(0);
    const b = tt.alloc(8);
    expect(tt.num(sysRead, t, b, 8)).toBe(-11);
    await new Promise((r) => setTimeout(r, 70));
    expect(tt.num(sysRead, t, b, 8)).toBe(8);
    expect(new DataView(tt.read(b, 8).buffer).getBigUint64(0, true)).toBeGreaterThanOrEqual(2n);
    const cur = tt.alloc(32);
    expect(tt.num(m.sysTimerfdGettime, t, cur)).toBe(0);
    expect(new DataView(tt.read(cur, 32).buffer).getBigInt64(8, true)).toBe(20_000_000n);
    const bad = tt.alloc(32);
    tt.mem.copyOut(bad, new Uint8Array(new BigInt64Array([0n, 0n, 0n, 1_000_000_000n]).buffer));
    expect(tt.num(m.sysTimerfdSettime, t, 0, bad, 0)).toBe(-EINVAL);
    // Disarmed: nothing to read; hostReady of an armed timer resolves at the expiry.
    const zero = tt.alloc(32);
    expect(tt.num(m.sysTimerfdSettime, t, 0, zero, 0)).toBe(0);
    expect(tt.num(sysRead, t, b, 8)).toBe(-11);
    tt.mem.copyOut(spec, new Uint8Array(new BigInt64Array([0n, 0n, 0n, 10_000_000n]).buffer));
    tt.num(m.sysTimerfdSettime, t, 0, spec, 0);
    const f = tt.fdTable.get(t)!;
    await f.waitable()!.hostReady!();
    expect(tt.num(sysRead, t, b, 8)).toBe(8);
  });
});

describe("signalfd", () => {
  it("reads pending signals in its mask as signalfd_siginfo; EAGAIN and EINVAL like Linux", async () => {
    const m = await import("../src/syscalls/sys-eventfd.js");
    const { sysRead } = await import("../src/syscalls/sys-file.js");
    const { newSigInfo } = await import("../src/signals.js");
    const { tt } = setup();
    const mask = tt.alloc(8);
    tt.mem.copyOut(mask, new Uint8Array(new BigUint64Array([1n << 9n]).buffer)); // SIGUSR1 (10)
    const sfd = tt.num(m.sysSignalfd4, -1, mask, 8, 0x800);
    expect(sfd).toBeGreaterThanOrEqual(0);
    expect(tt.num(m.sysSignalfd4, -1, mask, 4, 0)).toBe(-EINVAL);
    expect(tt.num(m.sysSignalfd4, 0, mask, 8, 0)).toBe(-EINVAL); // fd 0 is a pipe, not a signalfd
    const buf = tt.alloc(256);
    expect(tt.num(sysRead, sfd, buf, 256)).toBe(-11);
    const info = newSigInfo(10, -1 /* SI_QUEUE */, "rt");
    info.value = 77;
    tt.pending.enqueue(info);
    tt.pending.enqueue(newSigInfo(12, 0)); // SIGUSR2: not in the mask, stays pending
    expect(tt.num(sysRead, sfd, buf, 8)).toBe(-EINVAL);
    expect(tt.num(sysRead, sfd, buf, 256)).toBe(128);
    const dv = new DataView(tt.read(buf, 128).buffer);
    expect(dv.getUint32(0, true)).toBe(10);
    expect(dv.getInt32(8, true)).toBe(-1);
    expect(dv.getInt32(44, true)).toBe(77);
    expect(tt.pending.mask).toBe(1n << 11n);
  });
});
