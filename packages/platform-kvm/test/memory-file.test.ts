import type { MemfdNative } from "@tsvisor/platform";
import { describe, expect, it } from "vitest";
import { KvmMemoryFile } from "../src/memory-file.js";
import type { KvmNative } from "../src/native.js";

const MIB2 = 2 * 1024 * 1024;
const GIB = 1024 * 1024 * 1024;

/** The memfd part of a KvmNative, recording calls; no host memory involved. */
function fakeNative(calls: string[]): KvmNative {
  const memfd: MemfdNative = {
    memfdCreate: (_n, size) => {
      calls.push(`memfd ${size}`);
      return 3;
    },
    mapShared: () => 0x40000000,
    unmap: (addr, size) => void calls.push(`unmap ${addr} ${size}`),
    externalBuffer: (addr) => {
      calls.push(`buffer ${addr}`);
      return new ArrayBuffer(0);
    },
    detach: () => void calls.push("detach"),
    punchHole: (_fd, off, len) => void calls.push(`punch ${off} ${len}`),
    closeFd: () => void calls.push("close"),
  };
  return memfd as KvmNative;
}

describe("KvmMemoryFile (no /dev/kvm needed)", () => {
  it("rounds the size to 2 MiB, chunks by at most 1 GiB", () => {
    const calls: string[] = [];
    const small = new KvmMemoryFile(fakeNative(calls), 1, () => {});
    expect([small.size, small.chunkSize]).toEqual([MIB2, MIB2]);
    const big = new KvmMemoryFile(fakeNative(calls), GIB + 1, () => {});
    expect([big.size, big.chunkSize]).toEqual([2 * GIB, GIB]);
    expect(() => new KvmMemoryFile(fakeNative(calls), 0, () => {})).toThrow(RangeError);
  });

  it("adds each chunk's memslot once, at gpa = file offset", () => {
    const slots: string[] = [];
    const f = new KvmMemoryFile(fakeNative([]), 2 * GIB, (i, gpa, size, host) =>
      slots.push(`${i} ${gpa} ${size} ${host}`),
    );
    f.ensureSlots(GIB - 4096, 8192);
    f.ensureSlots(0, 4096);
    expect(slots).toEqual([`0 0 ${GIB} ${0x40000000}`, `1 ${GIB} ${GIB} ${0x40000000 + GIB}`]);
  });

  // Before the memory file was shared with ptrace's, chunk(0.5) made a view
  // half a chunk in, and a second release() unmapped the range again.
  it("rejects fractional chunk indices and releases once", () => {
    const calls: string[] = [];
    const f = new KvmMemoryFile(fakeNative(calls), 2 * GIB, () => {});
    expect(() => f.chunk(0.5)).toThrow(RangeError);
    expect(() => f.decommit(4096, 4095)).toThrow(RangeError);
    f.chunk(1);
    f.release();
    f.release();
    expect(calls.filter((c) => c.startsWith("unmap"))).toEqual([`unmap ${0x40000000} ${2 * GIB}`]);
    expect(calls.filter((c) => c.startsWith("buffer"))).toEqual([`buffer ${0x40000000 + GIB}`]);
    expect(() => f.chunk(0)).toThrow("released");
  });
});
