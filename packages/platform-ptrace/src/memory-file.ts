import type { MemoryFile } from "@tsvisor/platform";
import { PAGE_SIZE } from "@tsvisor/platform";
import type { PtraceNative } from "./native.js";

/** Bytes per Sentry-side view of the memory file. */
export const CHUNK_SIZE = 1 << 30;

/**
 * The memory file: a sparse memfd of `size` bytes, mapped
 * `MAP_SHARED|MAP_NORESERVE` into the Sentry once and exposed as external
 * ArrayBuffers of CHUNK_SIZE bytes, created on first use.
 *
 * Invariants:
 * - `size` is a positive multiple of CHUNK_SIZE.
 * - After `release()`, every chunk handed out is detached (length 0), so a
 *   stale view cannot touch unmapped memory.
 */
export class PtraceMemoryFile implements MemoryFile {
  readonly chunkSize = CHUNK_SIZE;
  readonly fd: number;
  private readonly base: number;
  private readonly chunks: (Uint8Array | undefined)[] = [];
  private released = false;

  constructor(
    private readonly native: PtraceNative,
    readonly size: number,
  ) {
    if (!(size > 0) || size % CHUNK_SIZE !== 0) {
      throw new RangeError(`memory file size must be a positive multiple of ${CHUNK_SIZE}`);
    }
    this.fd = native.memfdCreate("tsvisor-memory", size);
    try {
      this.base = native.mapShared(this.fd, size);
    } catch (e) {
      native.closeFd(this.fd);
      throw e;
    }
  }

  chunk(index: number): Uint8Array {
    let c = this.chunks[index];
    if (c !== undefined) return c;
    if (this.released) throw new Error("memory file released");
    if (!Number.isInteger(index) || index < 0 || index >= this.size / CHUNK_SIZE) {
      throw new RangeError(`chunk index ${index} out of range`);
    }
    c = new Uint8Array(this.native.externalBuffer(this.base + index * CHUNK_SIZE, CHUNK_SIZE));
    this.chunks[index] = c;
    return c;
  }

  decommit(offset: number, length: number): void {
    if (
      offset % PAGE_SIZE !== 0 ||
      length % PAGE_SIZE !== 0 ||
      offset < 0 ||
      offset + length > this.size
    ) {
      throw new RangeError("decommit range must be page-aligned and inside the file");
    }
    if (length === 0) return;
    this.native.punchHole(this.fd, offset, length);
  }

  /** Detaches every view, unmaps the file from the Sentry and closes the memfd. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const c of this.chunks) if (c !== undefined) this.native.detach(c.buffer as ArrayBuffer);
    this.chunks.length = 0;
    this.native.unmap(this.base, this.size);
    this.native.closeFd(this.fd);
  }
}
