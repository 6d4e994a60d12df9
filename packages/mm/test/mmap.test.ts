import {
  EEXIST,
  EINVAL,
  ENOMEM,
  EPERM,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_PRIVATE,
  MAP_SHARED,
  PROT_EXEC,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
} from "@tsvisor/abi";
import { PAGE_SIZE } from "@tsvisor/platform";
import { describe, expect, it } from "vitest";
import { TestFile, checkAll, newEnv, peek, poke } from "./fakes.js";

const P = PAGE_SIZE;
const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;

function ranges(mm: { vmas: { a: { start: number; end: number; prot: number }[] } }) {
  return mm.vmas.a.map((v) => [v.start, v.end, v.prot]);
}

describe("mmap placement", () => {
  it("places mappings top-down below mmapBase, each below the previous", () => {
    const { mm, allocator } = newEnv();
    const a = mm.mmap({ addr: 0, length: 3 * P, prot: RW, flags: ANON });
    const b = mm.mmap({ addr: 0, length: P, prot: PROT_READ, flags: ANON });
    expect(a).toBe(mm.mmapBase - 3 * P);
    expect(b).toBe(a - P);
    expect(mm.virtualSize).toBe(4 * P);
    checkAll(allocator, [mm]);
  });

  it("uses a free hint, rounded down to a page, and ignores a busy one", () => {
    const { mm } = newEnv();
    const h = 0x10000000;
    expect(mm.mmap({ addr: h + 123, length: P, prot: RW, flags: ANON })).toBe(h);
    const again = mm.mmap({ addr: h, length: P, prot: RW, flags: ANON });
    expect(again).not.toBe(h);
    expect(again).toBeGreaterThan(0);
  });

  it("merges adjacent compatible anonymous mappings into one VMA, like Linux", () => {
    const { mm } = newEnv();
    const a = mm.mmap({ addr: 0, length: 2 * P, prot: RW, flags: ANON });
    // The next top-down mapping lands right below and has contiguous pgoff? No:
    // anonymous pgoff is the address, so a mapping right below merges.
    const b = mm.mmap({ addr: 0, length: P, prot: RW, flags: ANON });
    expect(b).toBe(a - P);
    expect(mm.vmaCount).toBe(1);
    const c = mm.mmap({ addr: 0, length: P, prot: PROT_READ, flags: ANON });
    expect(c).toBe(b - P);
    expect(mm.vmaCount).toBe(2);
  });

  it("rejects bad arguments with Linux's errnos", () => {
    const { mm } = newEnv();
    expect(mm.mmap({ addr: 0, length: 0, prot: RW, flags: ANON })).toBe(-EINVAL);
    expect(mm.mmap({ addr: 0, length: P, prot: RW, flags: MAP_ANONYMOUS })).toBe(-EINVAL);
    expect(mm.mmap({ addr: 0, length: P, prot: RW, flags: ANON, offset: 12 })).toBe(-EINVAL);
    // Unknown prot bits: mmap(2) ignores them (measured on Linux 6.18), mprotect(2) refuses them.
    expect(mm.mprotect(0x10000, P, 0x40)).toBe(-EINVAL);
    expect(mm.mmap({ addr: 0x10001, length: P, prot: RW, flags: ANON | MAP_FIXED })).toBe(-EINVAL);
    expect(mm.mmap({ addr: 0x1000, length: P, prot: RW, flags: ANON | MAP_FIXED })).toBe(-EPERM);
    expect(mm.mmap({ addr: 0, length: 2 ** 48, prot: RW, flags: ANON })).toBe(-ENOMEM);
    expect(mm.vmaCount).toBe(0);
  });
});

describe("MAP_FIXED", () => {
  it("replaces the overlapped part of existing mappings and drops their pages", () => {
    const { mm, allocator } = newEnv();
    const a = mm.mmap({ addr: 0x20000000, length: 4 * P, prot: RW, flags: ANON });
    for (let i = 0; i < 4; i++) poke(mm, a + i * P, 10 + i);
    expect(allocator.usage).toBe(4 * P);
    const r = mm.mmap({ addr: a + P, length: 2 * P, prot: PROT_READ, flags: ANON | MAP_FIXED });
    expect(r).toBe(a + P);
    expect(ranges(mm)).toEqual([
      [a, a + P, RW],
      [a + P, a + 3 * P, PROT_READ],
      [a + 3 * P, a + 4 * P, RW],
    ]);
    expect(peek(mm, a)).toBe(10);
    expect(peek(mm, a + P)).toBe(0);
    expect(peek(mm, a + 3 * P)).toBe(13);
    checkAll(allocator, [mm]);
  });

  it("MAP_FIXED_NOREPLACE fails with EEXIST over a mapping and succeeds in a hole", () => {
    const { mm } = newEnv();
    const a = mm.mmap({ addr: 0x20000000, length: 2 * P, prot: RW, flags: ANON });
    expect(
      mm.mmap({ addr: a + P, length: 2 * P, prot: RW, flags: ANON | MAP_FIXED_NOREPLACE }),
    ).toBe(-EEXIST);
    expect(
      mm.mmap({ addr: a + 2 * P, length: P, prot: RW, flags: ANON | MAP_FIXED_NOREPLACE }),
    ).toBe(a + 2 * P);
  });
});

describe("demand paging", () => {
  it("faults with SEGV_MAPERR outside VMAs and SEGV_ACCERR against protections", () => {
    const { mm } = newEnv();
    const a = mm.mmap({ addr: 0, length: 2 * P, prot: PROT_READ, flags: ANON });
    const none = mm.mmap({ addr: 0, length: P, prot: PROT_NONE, flags: ANON });
    expect(mm.handleFault(a - 10 * P, "read")).toMatchObject({ signo: 11, code: 1 });
    expect(mm.handleFault(a, "write")).toMatchObject({ signo: 11, code: 2 });
    expect(mm.handleFault(a, "exec")).toMatchObject({ signo: 11, code: 2 });
    expect(mm.handleFault(none, "read")).toMatchObject({ signo: 11, code: 2 });
    expect(mm.handleFault(a + 5, "read")).toBe(0);
    expect(mm.handleFault(2 ** 50, "read")).toMatchObject({ signo: 11, code: 1 });
  });

  it("maps anonymous memory page by page, and ahead when faults walk through it", () => {
    const { mm, as } = newEnv();
    const a = mm.mmap({ addr: 0x20000000, length: 64 * P, prot: RW | PROT_EXEC, flags: ANON });
    as.calls.length = 0;
    // An isolated touch maps one page (mincore shows exactly what was touched).
    expect(mm.handleFault(a + 20 * P + 8, "write")).toBe(0);
    expect(as.calls).toEqual([`map ${(a + 20 * P).toString(16)} 1 0 7`]);
    // The next page: sequential, so 16 pages ahead in one call.
    expect(mm.handleFault(a + 21 * P, "write")).toBe(0);
    expect(as.calls[1]).toBe(`map ${(a + 21 * P).toString(16)} 16 1000 7`);
    expect(mm.residentSize).toBe(17 * P);
    // Walking down (a stack): from an isolated touch at page 50, the fault at
    // page 49 maps the pages below it down to the ones already present.
    expect(mm.handleFault(a + 50 * P, "write")).toBe(0);
    expect(mm.handleFault(a + 49 * P, "write")).toBe(0);
    expect(as.calls[3]).toBe(`map ${(a + 37 * P).toString(16)} 13 12000 7`);
  });

  it("maps file pages with fault-around (a 16-page aligned window)", () => {
    const { mm, as } = newEnv();
    const f = new TestFile("/f", 64 * P);
    const a = mm.mmap({
      addr: 0x20000000,
      length: 64 * P,
      prot: PROT_READ,
      flags: MAP_PRIVATE,
      file: f,
    });
    as.calls.length = 0;
    expect(mm.handleFault(a + 20 * P + 8, "read")).toBe(0);
    expect(as.calls).toEqual([`map ${(a + 16 * P).toString(16)} 16 0 1`]);
  });
});

describe("shared anonymous memory", () => {
  it("is one set of pages for all mappers", () => {
    const { mm, allocator } = newEnv();
    const a = mm.mmap({ addr: 0, length: 2 * P, prot: RW, flags: MAP_SHARED | MAP_ANONYMOUS });
    poke(mm, a + 5, 99);
    expect(peek(mm, a + 5)).toBe(99);
    checkAll(allocator, [mm]);
  });
});
