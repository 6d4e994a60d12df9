import { ENOMEM } from "@tsvisor/abi";
import { PAGE_SIZE } from "@tsvisor/platform";
import type { MemoryFileAllocator } from "./allocator.js";
import { CHECK_INVARIANTS, assert } from "./invariants.js";
import type { Mappable } from "./mappable.js";

/** Flag in a page-cache entry: the page may differ from the file. */
const DIRTY = 1;

/** Linux names a shared anonymous mapping after the shmem file behind it. */
const SHMEM_NAME = "/dev/zero (deleted)";
/** st_dev of Linux's internal shmem mount (`00:01` in /proc/PID/maps). */
const SHMEM_DEV = 1;
let nextShmemIno = 1;

/**
 * The memory behind `MAP_SHARED` mappings: a shared anonymous region (what
 * Linux backs with a shmem file) or the page cache of one mapped file. Pages
 * live in the memory file, so every MM mapping the object maps the same host
 * pages and sees every write at once.
 *
 * Invariants:
 * - `pages` maps a page index of the object to `offset | flags` where
 *   `offset` is a page-aligned memory-file offset on which this object holds
 *   one allocator reference, and flags is DIRTY or 0.
 * - `refs` is the number of VMAs (in any MM of the sandbox) referring to the
 *   object; at 0 the object has been released and owns no pages.
 * - For a file object, `allocator.fileObjects.get(file) === this` while
 *   `refs > 0`.
 *
 * Owned by the Sentry thread.
 */
export class SharedObject {
  readonly pages = new Map<number, number>();
  refs = 0;
  /** Shown in /proc/PID/maps. */
  readonly name: string;
  /** st_dev and st_ino, shown in /proc/PID/maps. */
  readonly dev: number;
  readonly ino: number;

  private constructor(
    readonly allocator: MemoryFileAllocator,
    /** The file, or null for shared anonymous memory. */
    readonly file: Mappable | null,
    /** Size in pages of anonymous memory (fixed at creation, like shmem). */
    readonly anonPages: number,
  ) {
    if (file === null) {
      this.name = SHMEM_NAME;
      this.dev = SHMEM_DEV;
      this.ino = nextShmemIno++;
    } else {
      this.name = file.name;
      this.dev = file.dev;
      this.ino = file.ino;
    }
  }

  /** Bytes this object charges to the sandbox's commit limit (shmem accounting). */
  private charged = 0;

  /**
   * A new shared anonymous object of `pages` pages (zero-filled on demand),
   * charging its size to the commit limit unless `noReserve` (the caller
   * checked the limit).
   */
  static anonymous(allocator: MemoryFileAllocator, pages: number, noReserve = false): SharedObject {
    const o = new SharedObject(allocator, null, pages);
    if (!noReserve) {
      o.charged = pages * PAGE_SIZE;
      allocator.committedBytes += o.charged;
    }
    return o;
  }

  /** The sandbox-wide page cache of `file`, created on first use. */
  static forFile(allocator: MemoryFileAllocator, file: Mappable): SharedObject {
    let o = allocator.fileObjects.get(file);
    if (o === undefined) {
      o = new SharedObject(allocator, file, 0);
      allocator.fileObjects.set(file, o);
    }
    return o;
  }

  /** Number of pages of the object; touching page `index >= size` is SIGBUS. */
  sizePages(): number {
    if (this.file === null) return this.anonPages;
    return Math.ceil(this.file.size() / PAGE_SIZE);
  }

  /**
   * The memory-file offset of page `index`, allocating (and reading it from
   * the file) if absent; -ENOMEM when no page can be allocated. With `dirty`,
   * marks the page as written.
   *
   * Preconditions: `0 <= index < sizePages()`.
   */
  page(index: number, dirty: boolean): number {
    const e = this.pages.get(index);
    if (e !== undefined) {
      if (dirty && (e & DIRTY) === 0) this.pages.set(index, e | DIRTY);
      return e - (e & DIRTY);
    }
    const off = this.allocator.allocate(1);
    if (off < 0) return -ENOMEM;
    if (this.file !== null) {
      const fileOff = index * PAGE_SIZE;
      const n = this.file.read(fileOff, pageView(this.allocator, off));
      if (n < 0) {
        // An I/O error reads as a zero page; Linux would raise SIGBUS.
      }
    }
    this.pages.set(index, off + (dirty ? DIRTY : 0));
    return off;
  }

  /** True when page `index` is present and has been written. */
  isDirty(index: number): boolean {
    const e = this.pages.get(index);
    return e !== undefined && (e & DIRTY) !== 0;
  }

  /** Offset of page `index` if present, else -1. Never allocates. */
  peek(index: number): number {
    const e = this.pages.get(index);
    return e === undefined ? -1 : e - (e & DIRTY);
  }

  /**
   * Writes dirty pages with index in `[first, first + count)` back to the file
   * (no-op for anonymous memory). Pages stay marked dirty: other MMs may
   * still have them mapped writable. Returns 0 or the first negative errno.
   */
  writeback(first = 0, count = Number.POSITIVE_INFINITY): number {
    const file = this.file;
    if (file === null) return 0;
    const size = file.size();
    let err = 0;
    for (const [index, e] of this.pages) {
      if ((e & DIRTY) === 0 || index < first || index >= first + count) continue;
      const fileOff = index * PAGE_SIZE;
      if (fileOff >= size) continue;
      const n = Math.min(PAGE_SIZE, size - fileOff);
      const r = file.write(fileOff, pageView(this.allocator, e - DIRTY).subarray(0, n));
      if (r < 0 && err === 0) err = r;
    }
    return err;
  }

  /**
   * Punches a hole in `[offset, offset + length)` of the object (MADV_REMOVE):
   * cached pages are zeroed in place, so every MM mapping them sees zeros at
   * once, and a file gets zeros written over the range (its size is kept).
   * Returns 0 or a negative errno from the file.
   * Preconditions: page-aligned.
   */
  punchHole(offset: number, length: number): number {
    const first = offset / PAGE_SIZE;
    const count = length / PAGE_SIZE;
    for (const [index, e] of this.pages) {
      if (index < first || index >= first + count) continue;
      pageView(this.allocator, e - (e & DIRTY)).fill(0);
    }
    const file = this.file;
    if (file === null) return 0;
    const end = Math.min(offset + length, file.size());
    const zeros = new Uint8Array(PAGE_SIZE);
    for (let o = offset; o < end; o += PAGE_SIZE) {
      const r = file.write(o, zeros.subarray(0, Math.min(PAGE_SIZE, end - o)));
      if (r < 0) return r;
    }
    return 0;
  }

  /** Copies `data`, just written to the file at `offset`, into cached pages. */
  update(offset: number, data: Uint8Array): void {
    let done = 0;
    while (done < data.length) {
      const pos = offset + done;
      const index = Math.floor(pos / PAGE_SIZE);
      const inPage = pos - index * PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - inPage, data.length - done);
      const e = this.pages.get(index);
      if (e !== undefined) {
        pageView(this.allocator, e - (e & DIRTY)).set(data.subarray(done, done + n), inPage);
      }
      done += n;
    }
  }

  /** Adds a VMA reference. */
  ref(): void {
    this.refs++;
  }

  /**
   * Drops a VMA reference; the last one writes dirty pages back and frees
   * every page.
   */
  unref(): void {
    if (CHECK_INVARIANTS) assert(this.refs > 0, "SharedObject.unref below zero");
    if (--this.refs > 0) return;
    this.writeback();
    for (const e of this.pages.values()) this.allocator.decRef(e - (e & DIRTY), 1);
    this.pages.clear();
    this.allocator.committedBytes -= this.charged;
    this.charged = 0;
    if (this.file !== null && this.allocator.fileObjects.get(this.file) === this) {
      this.allocator.fileObjects.delete(this.file);
    }
  }
}

/** The Sentry's view of the page at memory-file offset `off`. */
export function pageView(allocator: MemoryFileAllocator, off: number): Uint8Array {
  const file = allocator.file;
  const cs = file.chunkSize;
  const chunk = file.chunk(Math.floor(off / cs));
  const base = off % cs;
  return chunk.subarray(base, base + PAGE_SIZE);
}
