import { describe, expect, it } from "vitest";
import { HostError, MemfdMemoryFile, type MemfdNative, PAGE_SIZE } from "../src/index.js";

/** A MemfdNative over plain ArrayBuffers that records every call. */
function fakeNative(opts: { failMap?: boolean } = {}) {
  const calls: string[] = [];
  const native: MemfdNative = {
    memfdCreate: (_name, size) => {
      calls.push(`memfd ${size}`);
      return 7;
    },
    mapShared: (fd, size) => {
      if (opts.failMap) throw new HostError("mmap", 12);
      calls.push(`map ${fd} ${size}`);
      return 0x10000000;
    },
    unmap: (addr, size) => void calls.push(`unmap ${addr} ${size}`),
    externalBuffer: (addr, length) => {
      calls.push(`buffer ${addr} ${length}`);
      return new ArrayBuffer(0);
    },
    detach: () => void calls.push("detach"),
    punchHole: (fd, off, len) => void calls.push(`punch ${fd} ${off} ${len}`),
    closeFd: (fd) => void calls.push(`close ${fd}`),
  };
  return { native, calls };
}

describe("MemfdMemoryFile", () => {
  it("rejects sizes that are not positive multiples of the chunk size", () => {
    const { native, calls } = fakeNative();
    expect(() => new MemfdMemoryFile(native, 0, PAGE_SIZE)).toThrow(RangeError);
    expect(() => new MemfdMemoryFile(native, 3 * PAGE_SIZE, 2 * PAGE_SIZE)).toThrow(RangeError);
    expect(() => new MemfdMemoryFile(native, 4 * PAGE_SIZE, 100)).toThrow(RangeError);
    expect(calls).toEqual([]);
  });

  it("closes the memfd when mapping it fails", () => {
    const { native, calls } = fakeNative({ failMap: true });
    expect(() => new MemfdMemoryFile(native, PAGE_SIZE, PAGE_SIZE)).toThrow(HostError);
    expect(calls).toEqual([`memfd ${PAGE_SIZE}`, "close 7"]);
  });

  it("hands out one view per chunk, at the chunk's host address", () => {
    const { native, calls } = fakeNative();
    const f = new MemfdMemoryFile(native, 4 * PAGE_SIZE, 2 * PAGE_SIZE);
    expect(f.chunk(1)).toBe(f.chunk(1));
    expect(calls.filter((c) => c.startsWith("buffer"))).toEqual([
      `buffer ${0x10000000 + 2 * PAGE_SIZE} ${2 * PAGE_SIZE}`,
    ]);
  });

  it("rejects chunk indices that are out of range or not integers", () => {
    const { native, calls } = fakeNative();
    const f = new MemfdMemoryFile(native, 4 * PAGE_SIZE, 2 * PAGE_SIZE);
    for (const i of [-1, 2, 0.5, Number.NaN]) expect(() => f.chunk(i)).toThrow(RangeError);
    expect(calls.some((c) => c.startsWith("buffer"))).toBe(false);
  });

  it("decommits page-aligned ranges inside the file only", () => {
    const { native, calls } = fakeNative();
    const f = new MemfdMemoryFile(native, 4 * PAGE_SIZE, 2 * PAGE_SIZE);
    f.decommit(PAGE_SIZE, 2 * PAGE_SIZE);
    f.decommit(0, 0);
    expect(() => f.decommit(1, PAGE_SIZE)).toThrow(RangeError);
    expect(() => f.decommit(0, 5 * PAGE_SIZE)).toThrow(RangeError);
    expect(() => f.decommit(-PAGE_SIZE, PAGE_SIZE)).toThrow(RangeError);
    expect(() => f.decommit(2 * PAGE_SIZE, -PAGE_SIZE)).toThrow(RangeError);
    expect(calls.filter((c) => c.startsWith("punch"))).toEqual([
      `punch 7 ${PAGE_SIZE} ${2 * PAGE_SIZE}`,
    ]);
  });

  it("releases once: detaches views, unmaps, closes; then refuses new views", () => {
    const { native, calls } = fakeNative();
    const f = new MemfdMemoryFile(native, 4 * PAGE_SIZE, 2 * PAGE_SIZE);
    f.chunk(0);
    f.release();
    f.release();
    expect(calls.slice(-3)).toEqual(["detach", `unmap ${0x10000000} ${4 * PAGE_SIZE}`, "close 7"]);
    expect(calls.filter((c) => c.startsWith("unmap"))).toHaveLength(1);
    expect(() => f.chunk(1)).toThrow("released");
  });
});
