import { type MemoryFile, PAGE_SIZE } from "./platform.js";

/**
 * The host calls a memfd-backed memory file needs, as both platform addons
 * export them (native/addon.cc, native/kvm.cc). Mechanism only: each call
 * throws `HostError(call, errno)` on failure.
 */
export interface MemfdNative {
  /** memfd_create(name, MFD_CLOEXEC) + ftruncate(size); returns the fd. */
  memfdCreate(name: string, size: number): number;
  /** mmap(NULL, size, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_NORESERVE, fd, 0); returns the address. */
  mapShared(fd: number, size: number): number;
  /** munmap(addr, size). */
  unmap(addr: number, size: number): void;
  /** An ArrayBuffer over `[addr, addr + length)` of the Sentry's memory, not owning it. */
  externalBuffer(addr: number, length: number): ArrayBuffer;
  /** Detaches a buffer made by `externalBuffer` (its length becomes 0). */
  detach(buffer: ArrayBuffer): void;
  /** fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length). */
  punchHole(fd: number, offset: number, length: number): void;
  /** close(fd). */
  closeFd(fd: number): void;
}

/**
 * A MemoryFile over a sparse host memfd of `size` bytes, mapped
 * `MAP_SHARED|MAP_NORESERVE` into the Sentry once and exposed as external
 * ArrayBuffers of `chunkSize` bytes, created on first use. The shared
 * mechanism of the ptrace and KVM platforms' memory files.
 *
 * Preconditions (constructor, RangeError otherwise): `chunkSize` is a
 * positive multiple of PAGE_SIZE, and `size` a positive multiple of
 * `chunkSize`.
 *
 * Invariants:
 * - `hostAddr` is the Sentry address of offset 0 until `release()`.
 * - After `release()`, every chunk handed out is detached (length 0), so a
 *   stale view cannot touch unmapped memory; `chunk()` then throws and a
 *   second `release()` does nothing.
 */
export class MemfdMemoryFile implements MemoryFile {
  readonly fd: number;
  /** Host (Sentry) address of the mapping of offset 0. */
  readonly hostAddr: number;
  private readonly chunks: (Uint8Array | undefined)[] = [];
  private released = false;

  constructor(
    protected readonly native: MemfdNative,
    readonly size: number,
    readonly chunkSize: number,
    /** The memfd's name (shown in /proc/PID/maps as `/memfd:NAME`). */
    name = "tsvisor-memory",
  ) {
    if (!(chunkSize > 0) || chunkSize % PAGE_SIZE !== 0) {
      throw new RangeError(`memory file chunk size must be a positive multiple of ${PAGE_SIZE}`);
    }
    if (!(size > 0) || size % chunkSize !== 0) {
      throw new RangeError(`memory file size must be a positive multiple of ${chunkSize}`);
    }
    this.fd = native.memfdCreate(name, size);
    try {
      this.hostAddr = native.mapShared(this.fd, size);
    } catch (e) {
      native.closeFd(this.fd);
      throw e;
    }
  }

  chunk(index: number): Uint8Array {
    let c = this.chunks[index];
    if (c !== undefined) return c;
    if (this.released) throw new Error("memory file released");
    if (!Number.isInteger(index) || index < 0 || index >= this.size / this.chunkSize) {
      throw new RangeError(`chunk index ${index} out of range`);
    }
    c = new Uint8Array(
      this.native.externalBuffer(this.hostAddr + index * this.chunkSize, this.chunkSize),
    );
    this.chunks[index] = c;
    return c;
  }

  /** See MemoryFile.decommit; a bad range throws RangeError. */
  decommit(offset: number, length: number): void {
    if (
      offset % PAGE_SIZE !== 0 ||
      length % PAGE_SIZE !== 0 ||
      offset < 0 ||
      length < 0 ||
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
    this.native.unmap(this.hostAddr, this.size);
    this.native.closeFd(this.fd);
  }
}
