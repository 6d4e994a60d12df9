import { ENOMEM } from "@tsvisor/abi";
import { describe, expect, it } from "vitest";
import { CHECK_INVARIANTS, MemoryFileAllocator } from "../src/index.js";
import { TestMemoryFile } from "./fakes.js";

const P = 4096;

describe("MemoryFileAllocator", () => {
  it("runs with CHECK_INVARIANTS on in this package's tests", () => {
    expect(CHECK_INVARIANTS).toBe(true);
  });

  it("hands out contiguous zeroed runs, reuses freed ones first-fit, coalesces", () => {
    const file = new TestMemoryFile(1 << 22, 1 << 20);
    const a = new MemoryFileAllocator(file);
    const x = a.allocate(4);
    const y = a.allocate(4);
    expect(y).toBe(x + 4 * P);
    file.chunk(0).fill(7, x, x + 4 * P);
    a.decRef(x, 4);
    expect(a.usage).toBe(4 * P);
    // The freed run comes back first, zeroed (decommitted).
    const z = a.allocate(2);
    expect(z).toBe(x);
    expect(file.byte(z + 100)).toBe(0);
    a.checkInvariants(
      new Map([
        [z, 1],
        [z + P, 1],
        [y, 1],
        [y + P, 1],
        [y + 2 * P, 1],
        [y + 3 * P, 1],
      ]),
    );
    a.decRef(z, 2);
    a.decRef(y, 4);
    a.checkInvariants(new Map());
    expect(a.usage).toBe(0);
  });

  it("keeps refcounts for copy-on-write and frees at zero", () => {
    const file = new TestMemoryFile(1 << 22, 1 << 20);
    const a = new MemoryFileAllocator(file);
    const x = a.allocate(3);
    a.incRef(x + P, 1);
    expect(a.refCount(x + P)).toBe(2);
    a.decRef(x, 3);
    expect(a.refCount(x + P)).toBe(1);
    expect(a.usage).toBe(P);
    a.checkInvariants(new Map([[x + P, 1]]));
  });

  it("survives fragmentation and fails with ENOMEM at the limit or when full", () => {
    const file = new TestMemoryFile(256 * P, 64 * P);
    const a = new MemoryFileAllocator(file, { limitBytes: 200 * P });
    const pages: number[] = [];
    for (let i = 0; i < 200; i++) pages.push(a.allocate(1));
    expect(a.allocate(1)).toBe(-ENOMEM);
    for (let i = 0; i < 200; i += 2) a.decRef(pages[i]!, 1);
    // 100 free single pages: no run of 2 among them, so a 2-page run comes from the top.
    const two = a.allocate(2);
    expect(two).toBe(200 * P);
    expect(a.allocate(1)).toBe(pages[0]);
    a.limitBytes = 256 * P;
    expect(a.allocate(60)).toBe(-ENOMEM); // 54 pages left at the top, the rest fragmented
    expect(a.allocate(54)).toBe(202 * P);
    const expected = new Map<number, number>();
    for (let i = 1; i < 200; i += 2) expected.set(pages[i]!, 1);
    expected.set(pages[0]!, 1);
    for (let p = 200; p < 256; p++) expected.set(p * P, 1);
    a.checkInvariants(expected);
  });
});
