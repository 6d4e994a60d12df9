import type { MemoryFile } from "@tsvisor/platform";
import type { KvmNative } from "./native.js";

const GIB = 1024 * 1024 * 1024;
const MIB2 = 2 * 1024 * 1024;

/**
 * The memory file: a sparse memfd mapped `MAP_SHARED | MAP_NORESERVE` once
 * into the Sentry, and handed to KVM one chunk per memslot at guest-physical
 * address = file offset.
 *
 * Invariants:
 * - `chunkSize` is 1 GiB, or the whole (2 MiB-rounded) file when smaller;
 *   `size` is a multiple of it.
 * - Chunk `i` is a memslot exactly when `slotted[i]`; `ensureSlots` adds
 *   them before any page table points into them.
 */
export class KvmMemoryFile implements MemoryFile {
  readonly size: number;
  readonly chunkSize: number;
  readonly fd: number;
  /** Host address of the mapping. */
  readonly hostAddr: number;
  private readonly chunks: (Uint8Array | undefined)[] = [];
  private readonly buffers: ArrayBuffer[] = [];
  private readonly slotted: boolean[] = [];

  constructor(
    private readonly native: KvmNative,
    size: number,
    /** Registers chunk `index` as a memslot. */
    private readonly addSlot: (index: number, gpa: number, size: number, hostAddr: number) => void,
  ) {
    let s = Math.ceil(size / MIB2) * MIB2;
    this.chunkSize = Math.min(s, GIB);
    s = Math.ceil(s / this.chunkSize) * this.chunkSize;
    this.size = s;
    this.fd = native.memfdCreate("tsvisor-memory", s);
    this.hostAddr = native.mapShared(this.fd, s);
  }

  chunk(index: number): Uint8Array {
    let c = this.chunks[index];
    if (c === undefined) {
      if (!(index >= 0 && index < this.size / this.chunkSize))
        throw new RangeError(`chunk ${index}`);
      const b = this.native.externalBuffer(this.hostAddr + index * this.chunkSize, this.chunkSize);
      this.buffers.push(b);
      c = new Uint8Array(b);
      this.chunks[index] = c;
    }
    return c;
  }

  decommit(offset: number, length: number): void {
    // KVM learns of the dropped pages through its MMU notifier.
    this.native.punchHole(this.fd, offset, length);
  }

  /** Makes sure every chunk overlapping `[offset, offset + length)` is a memslot. */
  ensureSlots(offset: number, length: number): void {
    const first = Math.floor(offset / this.chunkSize);
    const last = Math.floor((offset + length - 1) / this.chunkSize);
    for (let i = first; i <= last; i++) {
      if (this.slotted[i] === true) continue;
      const gpa = i * this.chunkSize;
      this.addSlot(i, gpa, this.chunkSize, this.hostAddr + gpa);
      this.slotted[i] = true;
    }
  }

  release(): void {
    for (const b of this.buffers) this.native.detach(b);
    this.buffers.length = 0;
    this.chunks.length = 0;
    this.native.unmap(this.hostAddr, this.size);
    this.native.closeFd(this.fd);
  }
}
