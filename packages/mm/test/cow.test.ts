import {
  EFAULT,
  ENOMEM,
  MADV_DONTFORK,
  MADV_WIPEONFORK,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_NORESERVE,
  MAP_PRIVATE,
  MAP_SHARED,
  PROT_READ,
  PROT_WRITE,
} from "@tsvisor/abi";
import { PAGE_SIZE } from "@tsvisor/platform";
import { describe, expect, it } from "vitest";
import type { MemoryManager } from "../src/index.js";
import { type TestAddressSpace, TestFile, checkAll, newEnv, peek, poke } from "./fakes.js";

const P = PAGE_SIZE;
const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const BASE = 0x20000000;

function forked(mm: MemoryManager): MemoryManager {
  const c = mm.fork();
  if (typeof c === "number") throw new Error(`fork failed: ${c}`);
  return c;
}

describe("fork: copy-on-write", () => {
  it("parent and child each see only their own writes", () => {
    const { mm, allocator } = newEnv();
    mm.mmap({ addr: BASE, length: 4 * P, prot: RW, flags: ANON | MAP_FIXED });
    for (let i = 0; i < 4; i++) poke(mm, BASE + i * P, 10 + i);
    const child = forked(mm);
    checkAll(allocator, [mm, child]);
    expect(allocator.usage).toBe(4 * P);
    poke(child, BASE, 100);
    poke(mm, BASE + P, 101);
    expect(peek(mm, BASE)).toBe(10);
    expect(peek(child, BASE)).toBe(100);
    expect(peek(child, BASE + P)).toBe(11);
    expect(peek(mm, BASE + P)).toBe(101);
    expect(peek(child, BASE + 2 * P)).toBe(12);
    checkAll(allocator, [mm, child]);
    // Untouched COW pages stay shared: two copies made, two pages still shared.
    expect(allocator.usage).toBe(6 * P);
  });

  it("write-protects the parent's mirrors and maps nothing in the child", () => {
    const { mm } = newEnv();
    mm.mmap({ addr: BASE, length: 2 * P, prot: RW, flags: ANON | MAP_FIXED });
    poke(mm, BASE, 1);
    const as = mm.addressSpace as TestAddressSpace;
    expect(as.at(BASE)!.prot).toBe(RW);
    const child = forked(mm);
    expect(as.at(BASE)!.prot).toBe(PROT_READ);
    expect((child.addressSpace as TestAddressSpace).pages.size).toBe(0);
    // After the child is gone the parent's write just re-enables writing, no copy.
    child.release();
    const used = mm.allocator.usage;
    poke(mm, BASE, 2);
    expect(mm.allocator.usage).toBe(used);
    expect(peek(mm, BASE)).toBe(2);
  });

  it("frees every page when all MMs are released (refcounts recomputed)", () => {
    const { mm, allocator, file } = newEnv();
    mm.mmap({ addr: BASE, length: 8 * P, prot: RW, flags: ANON | MAP_FIXED });
    const s = mm.mmap({ addr: 0, length: 2 * P, prot: RW, flags: MAP_SHARED | MAP_ANONYMOUS });
    for (let i = 0; i < 8; i++) poke(mm, BASE + i * P, i);
    poke(mm, s, 5);
    const c1 = forked(mm);
    const c2 = forked(c1);
    poke(c1, BASE, 50);
    poke(c2, BASE + P, 51);
    checkAll(allocator, [mm, c1, c2]);
    mm.release();
    checkAll(allocator, [c1, c2]);
    c1.release();
    c2.release();
    checkAll(allocator, []);
    expect(allocator.usage).toBe(0);
    expect(allocator.committedBytes).toBe(0);
    expect(file.decommitted).toBeGreaterThan(0);
  });

  it("keeps shared anonymous memory shared across fork", () => {
    const { mm, allocator } = newEnv();
    const s = mm.mmap({ addr: 0, length: P, prot: RW, flags: MAP_SHARED | MAP_ANONYMOUS });
    poke(mm, s, 1);
    const child = forked(mm);
    poke(child, s + 1, 2);
    poke(mm, s + 2, 3);
    expect(peek(mm, s + 1)).toBe(2);
    expect(peek(child, s + 2)).toBe(3);
    expect(peek(child, s)).toBe(1);
    checkAll(allocator, [mm, child]);
  });

  it("copyOut into a COW page copies it, leaving the other MM's data alone", () => {
    const { mm, allocator } = newEnv();
    mm.mmap({ addr: BASE, length: P, prot: RW, flags: ANON | MAP_FIXED });
    poke(mm, BASE, 7);
    const child = forked(mm);
    expect(child.copyOut(BASE, new Uint8Array([8]))).toBe(1);
    expect(peek(mm, BASE)).toBe(7);
    expect(peek(child, BASE)).toBe(8);
    // And in the parent, where the page was mirrored (read-only) before.
    expect(mm.copyOut(BASE, new Uint8Array([9]))).toBe(1);
    expect(peek(mm, BASE)).toBe(9);
    expect(peek(child, BASE)).toBe(8);
    checkAll(allocator, [mm, child]);
  });

  it("private file pages are COW too", () => {
    const { mm, allocator } = newEnv();
    const f = new TestFile("/f", 2 * P);
    const a = mm.mmap({ addr: 0, length: 2 * P, prot: RW, flags: MAP_PRIVATE, file: f });
    poke(mm, a, 1);
    const child = forked(mm);
    poke(child, a, 2);
    expect(peek(mm, a)).toBe(1);
    expect(peek(child, a + 1)).toBe(f.data[1]);
    checkAll(allocator, [mm, child]);
  });

  it("honours MADV_DONTFORK and MADV_WIPEONFORK", () => {
    const { mm, allocator } = newEnv();
    mm.mmap({ addr: BASE, length: 3 * P, prot: RW, flags: ANON | MAP_FIXED });
    for (let i = 0; i < 3; i++) poke(mm, BASE + i * P, 1 + i);
    expect(mm.madvise(BASE, P, MADV_DONTFORK)).toBe(0);
    expect(mm.madvise(BASE + P, P, MADV_WIPEONFORK)).toBe(0);
    expect(mm.vmaCount).toBe(3);
    const child = forked(mm);
    expect(child.handleFault(BASE, "read")).toMatchObject({ code: 1 });
    expect(peek(child, BASE + P)).toBe(0);
    expect(peek(child, BASE + 2 * P)).toBe(3);
    expect(peek(mm, BASE + P)).toBe(2);
    checkAll(allocator, [mm, child]);
  });

  it("charges shared anonymous memory once, however many processes map it", () => {
    const { mm, allocator } = newEnv({ limitBytes: 10 * P });
    const s = mm.mmap({ addr: 0, length: 6 * P, prot: RW, flags: MAP_SHARED | MAP_ANONYMOUS });
    expect(s).toBeGreaterThan(0);
    expect(allocator.committedBytes).toBe(6 * P);
    const c1 = forked(mm);
    const c2 = forked(mm);
    expect(allocator.committedBytes).toBe(6 * P);
    expect(mm.mmap({ addr: 0, length: 5 * P, prot: RW, flags: MAP_SHARED | MAP_ANONYMOUS })).toBe(
      -ENOMEM,
    );
    mm.release();
    c1.release();
    expect(allocator.committedBytes).toBe(6 * P);
    c2.release();
    expect(allocator.committedBytes).toBe(0);
  });

  it("fails with ENOMEM when the child's commit charge passes the sandbox limit", () => {
    const { mm } = newEnv({ limitBytes: 10 * P });
    mm.mmap({ addr: BASE, length: 6 * P, prot: RW, flags: ANON | MAP_FIXED });
    expect(mm.fork()).toBe(-ENOMEM);
  });
});

describe("sandbox memory limit", () => {
  it("mmap and brk fail with ENOMEM beyond the commit limit", () => {
    const { mm, allocator } = newEnv({ limitBytes: 8 * P });
    expect(mm.mmap({ addr: 0, length: 6 * P, prot: RW, flags: ANON })).toBeGreaterThan(0);
    expect(mm.mmap({ addr: 0, length: 3 * P, prot: RW, flags: ANON })).toBe(-ENOMEM);
    // Read-only private memory is not charged.
    expect(mm.mmap({ addr: 0, length: 30 * P, prot: PROT_READ, flags: ANON })).toBeGreaterThan(0);
    mm.setBrkBase(BASE);
    expect(mm.brk(BASE + 3 * P)).toBe(BASE);
    expect(mm.brk(BASE + 2 * P)).toBe(BASE + 2 * P);
    expect(allocator.committedBytes).toBe(8 * P);
    checkAll(allocator, [mm]);
  });

  it("a MAP_NORESERVE mapping can be made but faults report oom past the limit", () => {
    const { mm } = newEnv({ limitBytes: 4 * P, faultAroundPages: 1 });
    const a = mm.mmap({ addr: 0, length: 16 * P, prot: RW, flags: ANON | MAP_NORESERVE });
    expect(a).toBeGreaterThan(0);
    for (let i = 0; i < 4; i++) expect(mm.handleFault(a + i * P, "write")).toBe(0);
    expect(mm.handleFault(a + 4 * P, "write")).toEqual({ kind: "oom" });
    expect(mm.copyOut(a + 5 * P, new Uint8Array(1))).toBe(-EFAULT);
    // Reads of never-touched anonymous memory by the Sentry need no page.
    expect(mm.copyIn(a + 6 * P, new Uint8Array(8))).toBe(8);
  });

  it("mprotect making memory writable is charged", () => {
    const { mm } = newEnv({ limitBytes: 4 * P });
    const a = mm.mmap({ addr: 0, length: 8 * P, prot: PROT_READ, flags: ANON });
    expect(mm.mprotect(a, 8 * P, RW)).toBe(-ENOMEM);
    expect(mm.mprotect(a, 4 * P, RW)).toBe(0);
  });
});
