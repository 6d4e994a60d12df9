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
