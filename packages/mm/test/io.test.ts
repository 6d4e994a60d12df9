import {
  EFAULT,
  EINVAL,
  ENAMETOOLONG,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_PRIVATE,
  PROT_EXEC,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
} from "@tsvisor/abi";
import { PAGE_SIZE } from "@tsvisor/platform";
import { describe, expect, it } from "vitest";
import { checkAll, newEnv, peek, poke } from "./fakes.js";

const P = PAGE_SIZE;
const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const BASE = 0x20000000;

function setup() {
  const env = newEnv();
  const { mm } = env;
  // [BASE, +2P) RW | [+2P, +3P) R | [+3P, +4P) NONE | hole | [+5P, +6P) W-only | [+6P,+7P) X-only
  expect(mm.mmap({ addr: BASE, length: 2 * P, prot: RW, flags: ANON | MAP_FIXED })).toBe(BASE);
  expect(mm.mmap({ addr: BASE + 2 * P, length: P, prot: PROT_READ, flags: ANON | MAP_FIXED })).toBe(
    BASE + 2 * P,
  );
  expect(mm.mmap({ addr: BASE + 3 * P, length: P, prot: PROT_NONE, flags: ANON | MAP_FIXED })).toBe(
    BASE + 3 * P,
  );
  expect(
    mm.mmap({ addr: BASE + 5 * P, length: P, prot: PROT_WRITE, flags: ANON | MAP_FIXED }),
  ).toBe(BASE + 5 * P);
  expect(mm.mmap({ addr: BASE + 6 * P, length: P, prot: PROT_EXEC, flags: ANON | MAP_FIXED })).toBe(
    BASE + 6 * P,
  );
  return env;
}

describe("copyIn / copyOut", () => {
  it("round-trips across a page boundary and is visible to the application", () => {
    const { mm, allocator } = setup();
    const src = new Uint8Array(P).map((_, i) => i & 0xff);
    expect(mm.copyOut(BASE + P - 5, src)).toBe(src.length);
    const dst = new Uint8Array(src.length);
    expect(mm.copyIn(BASE + P - 5, dst)).toBe(src.length);
    expect(dst).toEqual(src);
    expect(peek(mm, BASE + P - 5 + 300)).toBe(300 & 0xff);
    poke(mm, BASE + 7, 0xab);
    const one = new Uint8Array(1);
    expect(mm.copyIn(BASE + 7, one)).toBe(1);
    expect(one[0]).toBe(0xab);
    checkAll(allocator, [mm]);
  });

  it("EFAULT when any byte is outside a VMA or not permitted", () => {
    const { mm } = setup();
    const buf = new Uint8Array(16);
    // Runs from RW into R: reading is fine, writing is EFAULT (copy_to_user on a read-only page).
    expect(mm.copyIn(BASE + 2 * P - 8, buf)).toBe(16);
    expect(mm.copyOut(BASE + 2 * P - 8, buf)).toBe(-EFAULT);
    expect(mm.copyOutPartial(BASE + 2 * P - 8, buf)).toBe(8);
    // R into PROT_NONE.
    expect(mm.copyIn(BASE + 3 * P - 8, buf)).toBe(-EFAULT);
    expect(mm.copyInPartial(BASE + 3 * P - 8, buf)).toBe(8);
    // Into the hole.
    expect(mm.copyIn(BASE + 4 * P, buf)).toBe(-EFAULT);
    // Write-only and exec-only pages are readable on x86, like Linux's copy_from_user.
    expect(mm.copyIn(BASE + 5 * P, buf)).toBe(16);
    expect(mm.copyOut(BASE + 5 * P, buf)).toBe(16);
    expect(mm.copyIn(BASE + 6 * P, buf)).toBe(16);
    expect(mm.copyOut(BASE + 6 * P, buf)).toBe(-EFAULT);
    // Absurd addresses.
    expect(mm.copyIn(-1, buf)).toBe(-EFAULT);
    expect(mm.copyIn(2 ** 60, buf)).toBe(-EFAULT);
    expect(mm.copyIn(0, buf)).toBe(-EFAULT);
    // Empty copies succeed anywhere.
    expect(mm.copyIn(0, new Uint8Array(0))).toBe(0);
  });

  it("zero clears memory and needs write permission", () => {
    const { mm } = setup();
    mm.copyOut(BASE, new Uint8Array(100).fill(9));
    expect(mm.zero(BASE + 10, 50)).toBe(50);
    const b = new Uint8Array(100);
    mm.copyIn(BASE, b);
    expect(b[9]).toBe(9);
    expect(b[10]).toBe(0);
    expect(b[59]).toBe(0);
    expect(b[60]).toBe(9);
    expect(mm.zero(BASE + 2 * P, 1)).toBe(-EFAULT);
  });

  it("reads untouched anonymous memory as zeros without allocating", () => {
    const { mm, allocator } = setup();
    const b = new Uint8Array(2 * P).fill(1);
    expect(mm.copyIn(BASE, b)).toBe(2 * P);
    expect(b.every((x) => x === 0)).toBe(true);
    expect(allocator.usage).toBe(0);
  });
});

describe("strings and words", () => {
  it("copyInString stops at NUL, across pages, with EFAULT and ENAMETOOLONG", () => {
    const { mm } = setup();
    const s = new TextEncoder().encode("héllo/wörld\0");
    expect(mm.copyOut(BASE + P - 4, s)).toBe(s.length);
    expect(mm.copyInString(BASE + P - 4, 4096)).toBe("héllo/wörld");
    expect(mm.copyInString(BASE + P - 4, 5)).toBe(-ENAMETOOLONG);
    expect(mm.copyInString(BASE + P - 4, s.length)).toBe("héllo/wörld");
    expect(mm.copyInString(BASE + P - 4, s.length - 1)).toBe(-ENAMETOOLONG);
    // No NUL before the hole.
    expect(mm.mmap({ addr: BASE + 10 * P, length: P, prot: RW, flags: ANON | MAP_FIXED })).toBe(
      BASE + 10 * P,
    );
    mm.copyOut(BASE + 11 * P - 4, new Uint8Array([65, 65, 65, 65]));
    expect(mm.copyInString(BASE + 11 * P - 4, 4096)).toBe(-EFAULT);
    expect(mm.copyInString(BASE + 11 * P - 4, 4)).toBe(-ENAMETOOLONG);
    expect(mm.copyInString(BASE + 4 * P, 4096)).toBe(-EFAULT);
    const raw = mm.copyInCString(BASE + P - 4, 100);
    expect(raw).toEqual(s.subarray(0, s.length - 1));
  });

  it("reads and writes u32/u64, negative results only for EFAULT", () => {
    const { mm } = setup();
    expect(mm.writeU64(BASE + P - 4, 0x1234_5678_9abc)).toBe(0);
    expect(mm.readU64(BASE + P - 4)).toBe(0x1234_5678_9abc);
    expect(mm.readU32(BASE + P - 4)).toBe(0x5678_9abc);
    expect(mm.writeU64(BASE, -1)).toBe(0);
    expect(mm.readU64(BASE)).toBe(2 ** 64);
    expect(mm.readBigU64(BASE)).toBe(2n ** 64n - 1n);
    expect(mm.writeU32(BASE, 0xffffffff)).toBe(0);
    expect(mm.readU32(BASE)).toBe(0xffffffff);
    expect(mm.readU64(BASE + 3 * P - 4)).toBe(-EFAULT);
    expect(mm.writeU32(BASE + 2 * P, 1)).toBe(-EFAULT);
  });

  it("reads iovecs with import_iovec's rules and scatters/gathers", () => {
    const { mm } = setup();
    const iov = BASE + 1024;
    mm.writeU64(iov, BASE + 100);
    mm.writeU64(iov + 8, 3);
    mm.writeU64(iov + 16, BASE + 2 * P - 2);
    mm.writeU64(iov + 24, 4);
    const v = mm.readIovecs(iov, 2);
    expect(v).toEqual([
      { base: BASE + 100, len: 3 },
      { base: BASE + 2 * P - 2, len: 4 },
    ]);
    if (typeof v === "number") throw new Error();
    // Scatter: the second buffer crosses into the read-only page after 2 bytes.
    expect(mm.copyOutVec(v, new Uint8Array([1, 2, 3, 4, 5, 6, 7]))).toBe(5);
    expect(mm.copyOutVec([{ base: BASE + 2 * P, len: 4 }], new Uint8Array(4))).toBe(-EFAULT);
    const got = new Uint8Array(7);
    expect(mm.copyInVec(v, got)).toBe(7);
    expect([...got.subarray(0, 5)]).toEqual([1, 2, 3, 4, 5]);
    expect(mm.readIovecs(iov, 1025)).toBe(-EINVAL);
    mm.writeU64(iov + 8, -5);
    expect(mm.readIovecs(iov, 2)).toBe(-EINVAL);
    expect(mm.readIovecs(BASE + 3 * P, 1)).toBe(-EFAULT);
    expect(mm.readIovecs(BASE + 3 * P, 0)).toEqual([]);
  });
});
