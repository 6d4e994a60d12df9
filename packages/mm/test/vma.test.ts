import {
  EACCES,
  EFAULT,
  EINVAL,
  ENOMEM,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_GROWSDOWN,
  MAP_PRIVATE,
  MAP_SHARED,
  MREMAP_DONTUNMAP,
  MREMAP_FIXED,
  MREMAP_MAYMOVE,
  PROT_EXEC,
  PROT_GROWSDOWN,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
} from "@tsvisor/abi";
import { PAGE_SIZE } from "@tsvisor/platform";
import { describe, expect, it } from "vitest";
import { TestFile, checkAll, newEnv, peek, poke } from "./fakes.js";

const P = PAGE_SIZE;
const R = PROT_READ;
const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const BASE = 0x20000000;

type MM = ReturnType<typeof newEnv>["mm"];
function ranges(mm: MM) {
  return mm.vmas.a.map((v) => [v.start - BASE, v.end - BASE, v.prot]);
}
function fixed(mm: MM, addr: number, len: number, prot = RW, flags = ANON) {
  const r = mm.mmap({ addr, length: len, prot, flags: flags | MAP_FIXED });
  expect(r).toBe(addr);
  return r;
}

describe("mprotect", () => {
  it("splits a VMA in three and merges it back", () => {
    const { mm, allocator } = newEnv();
    fixed(mm, BASE, 3 * P);
    poke(mm, BASE + P, 5);
    expect(mm.mprotect(BASE + P, P, R)).toBe(0);
    expect(ranges(mm)).toEqual([
      [0, P, RW],
      [P, 2 * P, R],
      [2 * P, 3 * P, RW],
    ]);
    expect(mm.handleFault(BASE + P, "write")).toMatchObject({ code: 2 });
    expect(peek(mm, BASE + P)).toBe(5);
    checkAll(allocator, [mm]);
    expect(mm.mprotect(BASE + P, P, RW)).toBe(0);
    expect(ranges(mm)).toEqual([[0, 3 * P, RW]]);
    poke(mm, BASE + P, 6);
    checkAll(allocator, [mm]);
  });

  it("write-protects pages already mirrored", () => {
    const { mm, as } = newEnv();
    fixed(mm, BASE, 4 * P);
    poke(mm, BASE, 1);
    poke(mm, BASE + P, 1);
    expect(as.at(BASE)!.prot).toBe(RW);
    expect(mm.mprotect(BASE, 4 * P, R)).toBe(0);
    expect(as.at(BASE)!.prot).toBe(R);
    expect(as.at(BASE + 3 * P)!.prot).toBe(R);
  });

  it("changes the VMAs before a hole, then fails with ENOMEM", () => {
    const { mm } = newEnv();
    fixed(mm, BASE, 2 * P);
    fixed(mm, BASE + 3 * P, P);
    expect(mm.mprotect(BASE, 4 * P, R)).toBe(-ENOMEM);
    expect(ranges(mm)).toEqual([
      [0, 2 * P, R],
      [3 * P, 4 * P, RW],
    ]);
    expect(mm.mprotect(BASE + 2 * P, P, R)).toBe(-ENOMEM);
  });

  it("validates arguments like Linux", () => {
    const { mm } = newEnv();
    fixed(mm, BASE, 2 * P);
    expect(mm.mprotect(BASE + 1, P, R)).toBe(-EINVAL);
    expect(mm.mprotect(BASE, P, 0x40)).toBe(-EINVAL);
    expect(mm.mprotect(BASE, 0, 0x40)).toBe(0);
    expect(mm.mprotect(BASE, P, PROT_GROWSDOWN)).toBe(-EINVAL);
    expect(mm.mprotect(BASE, P, R | 0x3000000)).toBe(-EINVAL);
  });

  it("refuses PROT_WRITE on a shared mapping of a file opened read-only (EACCES)", () => {
    const { mm } = newEnv();
    const f = new TestFile("/data", 4 * P);
    const a = mm.mmap({
      addr: BASE,
      length: 2 * P,
      prot: R,
      flags: MAP_SHARED | MAP_FIXED,
      file: f,
      fileWritable: false,
    });
    expect(a).toBe(BASE);
    expect(mm.mprotect(BASE, 2 * P, RW)).toBe(-EACCES);
    expect(
      mm.mmap({ addr: 0, length: P, prot: RW, flags: MAP_SHARED, file: f, fileWritable: false }),
    ).toBe(-EACCES);
    expect(
      mm.mmap({ addr: 0, length: P, prot: R, flags: MAP_PRIVATE, file: f, fileReadable: false }),
    ).toBe(-EACCES);
    // A private mapping of the same file may become writable.
    const b = mm.mmap({
      addr: 0,
      length: P,
      prot: R,
      flags: MAP_PRIVATE,
      file: f,
      fileWritable: false,
    });
    expect(mm.mprotect(b, P, RW)).toBe(0);
  });

  it("PROT_GROWSDOWN extends the change down to the start of a stack VMA", () => {
    const { mm } = newEnv();
    fixed(mm, BASE, 4 * P, RW, ANON | MAP_GROWSDOWN);
    expect(mm.mprotect(BASE + 2 * P, P, R | PROT_EXEC | PROT_GROWSDOWN)).toBe(0);
    expect(ranges(mm)).toEqual([
      [0, 3 * P, R | PROT_EXEC],
      [3 * P, 4 * P, RW],
    ]);
  });
});

describe("munmap", () => {
  it("punches a hole, splitting the VMA, and frees its pages", () => {
    const { mm, allocator, as } = newEnv();
    fixed(mm, BASE, 4 * P);
    for (let i = 0; i < 4; i++) poke(mm, BASE + i * P, i + 1);
    expect(mm.munmap(BASE + P, 2 * P)).toBe(0);
    expect(ranges(mm)).toEqual([
      [0, P, RW],
      [3 * P, 4 * P, RW],
    ]);
    expect(allocator.usage).toBe(2 * P);
    expect(as.at(BASE + P)).toBeUndefined();
    expect(mm.handleFault(BASE + P, "read")).toMatchObject({ signo: 11, code: 1 });
    expect(peek(mm, BASE + 3 * P)).toBe(4);
    checkAll(allocator, [mm]);
  });

  it("ignores unmapped parts and rejects bad arguments", () => {
    const { mm } = newEnv();
    expect(mm.munmap(BASE, 10 * P)).toBe(0);
    expect(mm.munmap(BASE + 1, P)).toBe(-EINVAL);
    expect(mm.munmap(BASE, 0)).toBe(-EINVAL);
    expect(mm.munmap(0x7ffffffff000, 2 * P)).toBe(-EINVAL);
    expect(mm.munmap(BASE, 1)).toBe(0);
  });
});

describe("mremap", () => {
  it("shrinks in place", () => {
    const { mm, allocator } = newEnv();
    fixed(mm, BASE, 4 * P);
    poke(mm, BASE + 3 * P, 1);
    expect(mm.mremap(BASE, 4 * P, P + 1, 0)).toBe(BASE);
    expect(ranges(mm)).toEqual([[0, 2 * P, RW]]);
    checkAll(allocator, [mm]);
  });

  it("grows in place when the next pages are free, else fails without MAYMOVE", () => {
    const { mm } = newEnv();
    fixed(mm, BASE, 2 * P);
    fixed(mm, BASE + 4 * P, P, R);
    expect(mm.mremap(BASE, 2 * P, 4 * P, 0)).toBe(BASE);
    expect(ranges(mm)).toEqual([
      [0, 4 * P, RW],
      [4 * P, 5 * P, R],
    ]);
    expect(mm.mremap(BASE, 4 * P, 5 * P, 0)).toBe(-ENOMEM);
  });

  it("moves with MREMAP_MAYMOVE, keeping the contents without copying", () => {
    const { mm, allocator } = newEnv();
    fixed(mm, BASE, 2 * P);
    fixed(mm, BASE + 2 * P, P, R);
    poke(mm, BASE + 7, 77);
    poke(mm, BASE + P + 9, 99);
    const used = allocator.usage;
    const n = mm.mremap(BASE, 2 * P, 8 * P, MREMAP_MAYMOVE);
    expect(n).toBeGreaterThan(0);
    expect(n).not.toBe(BASE);
    expect(mm.vmas.find(BASE)).toBeUndefined();
    expect(peek(mm, n + 7)).toBe(77);
    expect(peek(mm, n + P + 9)).toBe(99);
    expect(peek(mm, n + 7 * P)).toBe(0);
    expect(allocator.usage).toBeGreaterThanOrEqual(used);
    checkAll(allocator, [mm]);
  });

  it("MREMAP_FIXED replaces the target; overlapping ranges are EINVAL", () => {
    const { mm, allocator } = newEnv();
    fixed(mm, BASE, 2 * P);
    fixed(mm, BASE + 10 * P, 4 * P, R);
    poke(mm, BASE, 1);
    expect(mm.mremap(BASE, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, BASE + 11 * P)).toBe(
      BASE + 11 * P,
    );
    expect(ranges(mm)).toEqual([
      [10 * P, 11 * P, R],
      [11 * P, 13 * P, RW],
      [13 * P, 14 * P, R],
    ]);
    expect(peek(mm, BASE + 11 * P)).toBe(1);
    expect(
      mm.mremap(BASE + 11 * P, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, BASE + 12 * P),
    ).toBe(-EINVAL);
    expect(mm.mremap(BASE + 11 * P, P, P, MREMAP_FIXED, BASE)).toBe(-EINVAL);
    checkAll(allocator, [mm]);
  });

  it("MREMAP_DONTUNMAP leaves the old range mapped and empty", () => {
    const { mm, allocator } = newEnv();
    fixed(mm, BASE, 2 * P);
    poke(mm, BASE, 42);
    const n = mm.mremap(BASE, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
    expect(n).toBeGreaterThan(0);
    expect(peek(mm, n)).toBe(42);
    expect(peek(mm, BASE)).toBe(0);
    expect(mm.mremap(BASE, 2 * P, 3 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP)).toBe(-EINVAL);
    checkAll(allocator, [mm]);
  });

  it("reports EFAULT for ranges outside one VMA and EINVAL for bad flags", () => {
    const { mm } = newEnv();
    fixed(mm, BASE, 2 * P);
    fixed(mm, BASE + 2 * P, P, R);
    expect(mm.mremap(BASE, 3 * P, 4 * P, MREMAP_MAYMOVE)).toBe(-EFAULT);
    expect(mm.mremap(BASE + 100 * P, P, 2 * P, MREMAP_MAYMOVE)).toBe(-EFAULT);
    expect(mm.mremap(BASE, P, 2 * P, 8)).toBe(-EINVAL);
    expect(mm.mremap(BASE + 1, P, 2 * P, 0)).toBe(-EINVAL);
    expect(mm.mremap(BASE, P, 0, 0)).toBe(-EINVAL);
    // old_size 0 is only for shared mappings.
    expect(mm.mremap(BASE, 0, P, MREMAP_MAYMOVE)).toBe(-EINVAL);
  });

  it("old_size 0 on a shared mapping makes a second view of the same pages", () => {
    const { mm, allocator } = newEnv();
    const a = mm.mmap({ addr: 0, length: 2 * P, prot: RW, flags: MAP_SHARED | MAP_ANONYMOUS });
    poke(mm, a + 3, 33);
    const b = mm.mremap(a, 0, 2 * P, MREMAP_MAYMOVE);
    expect(b).toBeGreaterThan(0);
    expect(peek(mm, b + 3)).toBe(33);
    poke(mm, b + P, 44);
    expect(peek(mm, a + P)).toBe(44);
    checkAll(allocator, [mm]);
  });
});

describe("brk", () => {
  it("follows Linux: grows, shrinks, returns the old break on failure", () => {
    const { mm, allocator } = newEnv();
    const start = BASE + 0x1234;
    mm.setBrkBase(start);
    expect(mm.brk(0)).toBe(start);
    expect(mm.brk(start - 1)).toBe(start);
    expect(mm.brk(start + 10)).toBe(start + 10);
    expect(mm.vmaCount).toBe(0); // still inside the page the break started in
    expect(mm.brk(start + 3 * P)).toBe(start + 3 * P);
    expect(ranges(mm)).toEqual([[2 * P, 5 * P, RW]]);
    poke(mm, BASE + 4 * P, 1);
    expect(mm.brk(start + P)).toBe(start + P);
    expect(ranges(mm)).toEqual([[2 * P, 3 * P, RW]]);
    // A mapping in the way (with less than a page of gap) refuses growth.
    fixed(mm, BASE + 6 * P, P, R);
    expect(mm.brk(start + 5 * P)).toBe(start + P);
    expect(mm.brk(start + 4 * P - 0x1234)).toBe(start + 4 * P - 0x1234);
    expect(mm.mapsText()).toContain("[heap]");
    checkAll(allocator, [mm]);
  });

  it("respects RLIMIT_DATA and RLIMIT_AS", () => {
    const { mm } = newEnv({ limits: { dataBytes: 4 * P, addressSpaceBytes: 16 * P } });
    mm.setBrkBase(BASE);
    expect(mm.brk(BASE + 5 * P)).toBe(BASE);
    expect(mm.brk(BASE + 4 * P)).toBe(BASE + 4 * P);
    fixed(mm, BASE + 0x100000, 12 * P);
    expect(mm.mmap({ addr: 0, length: P, prot: R, flags: ANON })).toBe(-ENOMEM);
  });
});

describe("stack growth (MAP_GROWSDOWN)", () => {
  it("grows on faults below the stack within RLIMIT_STACK and the guard gap", () => {
    const { mm } = newEnv({ limits: { stackBytes: 64 * P } });
    const top = BASE + 0x1000000;
    fixed(mm, top - 4 * P, 4 * P, RW, ANON | MAP_GROWSDOWN);
    expect(mm.handleFault(top - 10 * P + 5, "write")).toBe(0);
    expect(mm.vmas.find(top - 10 * P)!.start).toBe(top - 10 * P);
    expect(mm.virtualSize).toBe(10 * P);
    // Beyond RLIMIT_STACK.
    expect(mm.handleFault(top - 65 * P, "write")).toMatchObject({ code: 1 });
    // copyOut below the stack grows it too.
    expect(mm.copyOut(top - 12 * P, new Uint8Array([1, 2, 3]))).toBe(3);
    // A mapping within the guard gap stops growth.
    fixed(mm, top - 300 * P, P, R);
    const { mm: mm2 } = newEnv({ limits: { stackBytes: 1 << 30 } });
    fixed(mm2, top - 4 * P, 4 * P, RW, ANON | MAP_GROWSDOWN);
    fixed(mm2, top - 300 * P, P, R);
    expect(mm2.handleFault(top - 100 * P, "read")).toMatchObject({ code: 1 });
    expect(mm2.handleFault(top - 30 * P, "read")).toBe(0);
  });

  it("keeps the guard gap when placing mappings below a stack", () => {
    const { mm } = newEnv();
    fixed(mm, BASE + 300 * P, 4 * P, RW, ANON | MAP_GROWSDOWN);
    expect(mm.mmap({ addr: BASE + 200 * P, length: P, prot: R, flags: ANON })).not.toBe(
      BASE + 200 * P,
    );
    expect(mm.mmap({ addr: BASE + 40 * P, length: P, prot: R, flags: ANON })).toBe(BASE + 40 * P);
  });
});

describe("madvise and mincore", () => {
  it("MADV_DONTNEED zeroes private anonymous memory and keeps shared memory", () => {
    const { mm, allocator } = newEnv();
    fixed(mm, BASE, 2 * P);
    const s = mm.mmap({
      addr: BASE + 4 * P,
      length: P,
      prot: RW,
      flags: MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED,
    });
    expect(s).toBe(BASE + 4 * P);
    poke(mm, BASE + 1, 9);
    poke(mm, BASE + 4 * P, 8);
    expect(mm.madvise(BASE, 2 * P, 4)).toBe(0);
    expect(mm.madvise(BASE + 4 * P, P, 4)).toBe(0);
    expect(peek(mm, BASE + 1)).toBe(0);
    expect(peek(mm, BASE + 4 * P)).toBe(8);
    expect(mm.madvise(BASE, 6 * P, 4)).toBe(-ENOMEM);
    expect(mm.madvise(BASE + 1, P, 4)).toBe(-EINVAL);
    expect(mm.madvise(BASE, P, 1234)).toBe(-EINVAL);
    checkAll(allocator, [mm]);
  });

  it("mincore reports present pages and ENOMEM for holes", () => {
    const { mm } = newEnv({ faultAroundPages: 1 });
    fixed(mm, BASE, 4 * P);
    poke(mm, BASE + 2 * P, 1);
    const vec = new Uint8Array(4);
    expect(mm.mincore(BASE, 4 * P, vec)).toBe(0);
    expect([...vec]).toEqual([0, 0, 1, 0]);
    expect(mm.mincore(BASE, 5 * P, new Uint8Array(5))).toBe(-ENOMEM);
    expect(mm.mincore(BASE + 1, P, vec)).toBe(-EINVAL);
  });
});

describe("file mappings", () => {
  it("private mappings copy file pages; writes stay private", () => {
    const { mm, allocator } = newEnv();
    const f = new TestFile("/lib/x.so", 3 * P + 100);
    const a = mm.mmap({ addr: 0, length: 4 * P, prot: RW, flags: MAP_PRIVATE, file: f, offset: P });
    expect(peek(mm, a + 5)).toBe(f.data[P + 5]);
    poke(mm, a + 5, 0);
    expect(f.data[P + 5]).not.toBe(0);
    // Partial last page: bytes past EOF read as zero; the page after is SIGBUS.
    expect(peek(mm, a + 2 * P + 99)).toBe(f.data[3 * P + 99]);
    expect(peek(mm, a + 2 * P + 100)).toBe(0);
    expect(mm.handleFault(a + 3 * P, "read")).toMatchObject({ signo: 7, code: 2 });
    expect(mm.copyIn(a + 3 * P, new Uint8Array(1))).toBe(-EFAULT);
    checkAll(allocator, [mm]);
  });

  it("shared mappings are shared between MMs and written back on msync and unmap", () => {
    const { mm, allocator, newMM } = newEnv();
    const mm2 = newMM();
    const f = new TestFile("/data", 2 * P);
    const a = mm.mmap({ addr: 0, length: 2 * P, prot: RW, flags: MAP_SHARED, file: f });
    const b = mm2.mmap({ addr: 0, length: 2 * P, prot: R, flags: MAP_SHARED, file: f });
    expect(peek(mm2, b + P)).toBe(f.data[P]);
    poke(mm, a + P, 200);
    expect(peek(mm2, b + P)).toBe(200);
    expect(f.data[P]).not.toBe(200);
    expect(mm.msync(a, 2 * P, 4)).toBe(0);
    expect(f.data[P]).toBe(200);
    expect(f.writes).toBe(1); // only the dirty page
    expect(mm.copyOut(a + 3, new Uint8Array([7]))).toBe(1);
    mm.munmap(a, 2 * P);
    mm2.munmap(b, 2 * P);
    expect(f.data[3]).toBe(7);
    expect(allocator.usage).toBe(0);
    checkAll(allocator, [mm, mm2]);
  });

  it("msync validates its arguments", () => {
    const { mm } = newEnv();
    fixed(mm, BASE, P);
    expect(mm.msync(BASE, P, 1 | 4)).toBe(-EINVAL);
    expect(mm.msync(BASE, P, 8)).toBe(-EINVAL);
    expect(mm.msync(BASE + 1, P, 4)).toBe(-EINVAL);
    expect(mm.msync(BASE, 2 * P, 4)).toBe(-ENOMEM);
    expect(mm.msync(BASE, P, 4)).toBe(0);
    expect(mm.msync(BASE, 0, 4)).toBe(0);
  });
});

describe("PROT_NONE and exec", () => {
  it("exec faults need PROT_EXEC; PROT_NONE forbids everything", () => {
    const { mm } = newEnv();
    fixed(mm, BASE, P, R | PROT_EXEC);
    fixed(mm, BASE + P, P, PROT_NONE);
    expect(mm.handleFault(BASE, "exec")).toBe(0);
    expect(mm.handleFault(BASE + P, "read")).toMatchObject({ code: 2 });
    expect(mm.copyIn(BASE + P, new Uint8Array(1))).toBe(-EFAULT);
  });
});

describe("file coherence hooks", () => {
  it("syncFile and fileWritten keep read(2)/write(2) coherent with shared mappings", () => {
    const { mm, allocator } = newEnv();
    const f = new TestFile("/c", 2 * P);
    const a = mm.mmap({ addr: 0, length: 2 * P, prot: RW, flags: MAP_SHARED, file: f });
    poke(mm, a + 10, 1);
    expect(f.data[10]).not.toBe(1);
    expect(allocator.syncFile(f)).toBe(0);
    expect(f.data[10]).toBe(1);
    // write(2) of 3 bytes across the page boundary.
    const data = new Uint8Array([7, 8, 9]);
    f.write(P - 1, data);
    allocator.fileWritten(f, P - 1, data);
    expect(peek(mm, a + P - 1)).toBe(7);
    expect(peek(mm, a + P + 1)).toBe(9);
    // Unmapped files: no-ops.
    const g = new TestFile("/g", P);
    expect(allocator.syncFile(g)).toBe(0);
    allocator.fileWritten(g, 0, data);
  });
});

describe("private file mappings over the page cache", () => {
  it("share clean pages, copy on write, and see file writes until written", () => {
    const { mm, allocator, newMM } = newEnv();
    const mm2 = newMM();
    const f = new TestFile("/lib/libc.so", 4 * P);
    const a = mm.mmap({ addr: 0, length: 4 * P, prot: RW, flags: MAP_PRIVATE, file: f });
    const b = mm2.mmap({ addr: 0, length: 4 * P, prot: R, flags: MAP_PRIVATE, file: f });
    expect(peek(mm, a + 5)).toBe(f.data[5]);
    expect(peek(mm2, b + 5)).toBe(f.data[5]);
    // Both MMs read the same cached pages: no private copies yet.
    expect(allocator.usage).toBe(4 * P);
    poke(mm, a + P, 1);
    expect(allocator.usage).toBe(5 * P);
    expect(peek(mm2, b + P)).toBe(f.data[P]);
    // write(2) to the file: untouched and read-only pages follow it, the written copy does not.
    const data = new Uint8Array([201, 202]);
    f.write(P, data);
    allocator.fileWritten(f, P, data);
    const d0 = new Uint8Array([200]);
    f.write(5, d0);
    allocator.fileWritten(f, 5, d0);
    expect(peek(mm, a + 5)).toBe(200);
    expect(peek(mm2, b + 5)).toBe(200);
    expect(peek(mm, a + P)).toBe(1);
    expect(peek(mm2, b + P)).toBe(201);
    // A private write never reaches the file, even at munmap.
    expect(mm.copyOut(a + 2 * P, new Uint8Array([9]))).toBe(1);
    mm.munmap(a, 4 * P);
    expect(f.data[2 * P]).not.toBe(9);
    checkAll(allocator, [mm, mm2]);
    const child = mm2.fork();
    if (typeof child === "number") throw new Error("fork");
    expect(peek(child, b + P)).toBe(201);
    checkAll(allocator, [mm2, child]);
    mm2.release();
    child.release();
    expect(allocator.usage).toBe(0);
  });
});
