/**
 * A MemoryManager over an in-process fake platform (plain ArrayBuffers for
 * the memory file, an AddressSpace that records nothing), for loader and
 * stack tests that need no real platform.
 */
import { MemoryFileAllocator, MemoryManager } from "@tsvisor/mm";
import type { AddressSpace, MemoryFile } from "@tsvisor/platform";

class FakeMemoryFile implements MemoryFile {
  readonly size = 1 << 28;
  readonly chunkSize = 1 << 20;
  readonly fd = -1;
  private readonly chunks = new Map<number, Uint8Array>();
  chunk(index: number): Uint8Array {
    let c = this.chunks.get(index);
    if (c === undefined) {
      c = new Uint8Array(this.chunkSize);
      this.chunks.set(index, c);
    }
    return c;
  }
  decommit(offset: number, length: number): void {
    for (let o = offset; o < offset + length; o += 4096) {
      const c = this.chunk(Math.floor(o / this.chunkSize));
      c.fill(0, o % this.chunkSize, (o % this.chunkSize) + 4096);
    }
  }
}

const nullSpace: AddressSpace = {
  mapFile: () => 0,
  unmap: () => 0,
  protect: () => 0,
  release: () => {},
};

/** A fresh, empty memory manager with a 47-bit user range. */
export function newTestMemory(): MemoryManager {
  const memoryFile = new FakeMemoryFile();
  const platform = {
    memoryFile,
    capabilities: { minUserAddress: 0x10000, maxUserAddress: 0x7ffffffff000 },
    newAddressSpace: () => nullSpace,
  };
  return MemoryManager.create({ platform, allocator: new MemoryFileAllocator(memoryFile) });
}
