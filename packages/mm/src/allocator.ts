import { ENOMEM } from "@tsvisor/abi";
import type { MemoryFile } from "@tsvisor/platform";
import { PAGE_SIZE } from "@tsvisor/platform";
import { CHECK_INVARIANTS, assert } from "./invariants.js";
import type { SharedObject } from "./shared-object.js";
import type { Mappable } from "./mappable.js";

/** Options of a {@link MemoryFileAllocator}. */
export interface AllocatorOptions {
  /**
   * The sandbox's memory limit in bytes (default: the memory file's size).
   * Two things are held to it:
   * - pages in use: an allocation beyond it fails (a fault then reports
   *   `{ kind: "oom" }`);
   * - committed memory (overcommit accounting like Linux's
   *   `vm.overcommit_memory=2`): private writable and shared anonymous
   *   mappings, except `MAP_NORESERVE` ones, count their full size when
   *   created; `mmap`, `brk`, `mprotect` and `mremap` fail with ENOMEM
   *   beyond it.
   */
  limitBytes?: number;
}

/**
 * A page allocator over the platform's memory file, shared by every
 * MemoryManager of one sandbox (a fork shares its parent's allocator), with a
 * reference count per page for copy-on-write.
 *
 * Allocation is first-fit over a sorted list of free runs, then bump: runs of
 * pages come out contiguous whenever possible, so one `AddressSpace.mapFile`
 * call can map many pages.
 *
 * Invariants:
 * - A page is free (in `freeRuns`, or at or above `top`) iff its refcount is 0.
 * - `freeRuns` is sorted by offset, its runs are non-empty, disjoint, not
 *   adjacent to each other (coalesced) and below `top`; the last run never
 *   ends at `top` (it would have lowered `top`).
 * - Every free page reads as zero (freed pages are decommitted), so a new
 *   page is a zero page.
 * - `usedPages` equals the number of pages with a non-zero refcount.
 *
 * Owned by the Sentry thread.
 */
export class MemoryFileAllocator {
  /** The memory file all offsets refer to. */
  readonly file: MemoryFile;
  /** Pages in the file. */
  readonly totalPages: number;
  /** See {@link AllocatorOptions.limitBytes}. Mutable: the sandbox may change it. */
  limitBytes: number;
  /**
   * Bytes committed by all MMs of the sandbox (see `limitBytes`). Maintained
   * by MemoryManager; read-only for everyone else.
   */
  committedBytes = 0;

  /** Refcount of each page below `top` (grown on demand). */
  private refs: Uint32Array;
  /** First never-allocated page. */
  private top = 0;
  /** Free runs below `top`: starts and lengths (pages), sorted by start. */
  private freeStarts: number[] = [];
  private freeLens: number[] = [];
  private usedPages = 0;
  /** An upper bound of the longest free run (pages). */
  private maxFreeLen = 0;
  /**
   * The shared objects (page caches) of files mapped MAP_SHARED, one per
   * Mappable, so that every MM sharing a file shares its pages. Internal to
   * mm (SharedObject keeps it in step).
   * @internal
   */
  readonly fileObjects = new Map<Mappable, SharedObject>();

  constructor(file: MemoryFile, opts: AllocatorOptions = {}) {
    this.file = file;
    this.totalPages = Math.floor(file.size / PAGE_SIZE);
    this.limitBytes = opts.limitBytes ?? file.size;
    this.refs = new Uint32Array(1024);
  }

  /** Bytes of allocated pages. */
  get usage(): number {
    return this.usedPages * PAGE_SIZE;
  }

  /** Pages still allocatable under both the file size and the limit. */
  get availablePages(): number {
    const byLimit = Math.floor(this.limitBytes / PAGE_SIZE) - this.usedPages;
    const byFile = this.totalPages - this.usedPages;
    return Math.max(0, Math.min(byLimit, byFile));
  }

  /**
   * Allocates `pages` contiguous zeroed pages with refcount 1 and returns the
   * file offset of the first, or -ENOMEM (file full, too fragmented, or the
   * limit reached).
   *
   * Preconditions: `pages >= 1`, integer.
   */
  allocate(pages: number): number {
    if (CHECK_INVARIANTS) assert(Number.isInteger(pages) && pages >= 1, "allocate: bad count");
    if (this.usedPages + pages > Math.floor(this.limitBytes / PAGE_SIZE)) return -ENOMEM;
    let start = -1;
    const starts = this.freeStarts;
    const lens = this.freeLens;
    // Scan only when some free run may be long enough (maxFreeLen is an
    // upper bound, made exact by every scan that finds nothing).
    let longest = 0;
    for (let i = 0; pages <= this.maxFreeLen && i < starts.length; i++) {
      const len = lens[i]!;
      if (len > longest) longest = len;
      if (len >= pages) {
        start = starts[i]!;
        if (len === pages) {
          starts.splice(i, 1);
          lens.splice(i, 1);
        } else {
          starts[i] = start + pages;
          lens[i] = len - pages;
        }
        break;
      }
    }
    if (start < 0) {
      if (pages <= this.maxFreeLen) this.maxFreeLen = longest;
      if (this.top + pages > this.totalPages) return -ENOMEM;
      start = this.top;
      this.top += pages;
      this.growRefs(this.top);
    }
    const refs = this.refs;
    for (let p = start; p < start + pages; p++) {
      if (CHECK_INVARIANTS) assert(refs[p] === 0, "allocate: page in use");
      refs[p] = 1;
    }
    this.usedPages += pages;
    return start * PAGE_SIZE;
  }

  /** Refcount of the page at `offset` (0 when free). */
  refCount(offset: number): number {
    const p = offset / PAGE_SIZE;
    return p < this.top ? this.refs[p]! : 0;
  }

  /**
   * Adds a reference to each of `pages` pages from `offset`.
   * Preconditions: every page is allocated.
   */
  incRef(offset: number, pages = 1): void {
    const first = offset / PAGE_SIZE;
    for (let p = first; p < first + pages; p++) {
      if (CHECK_INVARIANTS) assert(p < this.top && this.refs[p]! > 0, "incRef of a free page");
      this.refs[p]!++;
    }
  }

  /**
   * Drops a reference to each of `pages` pages from `offset`; pages whose
   * count reaches zero are freed and decommitted (they read as zero again).
   * Preconditions: every page is allocated.
   */
  decRef(offset: number, pages = 1): void {
    const first = offset / PAGE_SIZE;
    let runStart = -1;
    for (let p = first; p < first + pages; p++) {
      if (CHECK_INVARIANTS) assert(p < this.top && this.refs[p]! > 0, "decRef of a free page");
      const n = --this.refs[p]!;
      if (n === 0) {
        if (runStart < 0) runStart = p;
      } else if (runStart >= 0) {
        this.free(runStart, p - runStart);
        runStart = -1;
      }
    }
    if (runStart >= 0) this.free(runStart, first + pages - runStart);
  }

  /** Returns pages `[start, start + n)` (refcount already 0) to the free pool. */
  private free(start: number, n: number): void {
    this.usedPages -= n;
    this.file.decommit(start * PAGE_SIZE, n * PAGE_SIZE);
    const starts = this.freeStarts;
    const lens = this.freeLens;
    // Binary search: first run starting after `start`.
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! < start) lo = mid + 1;
      else hi = mid;
    }
    let s = start;
    let len = n;
    // Coalesce with the previous run.
    if (lo > 0 && starts[lo - 1]! + lens[lo - 1]! === s) {
      lo--;
      s = starts[lo]!;
      len += lens[lo]!;
      starts.splice(lo, 1);
      lens.splice(lo, 1);
    }
    // Coalesce with the next run.
    if (lo < starts.length && starts[lo] === s + len) {
      len += lens[lo]!;
      starts.splice(lo, 1);
      lens.splice(lo, 1);
    }
    if (s + len === this.top) {
      this.top = s;
      return;
    }
    starts.splice(lo, 0, s);
    lens.splice(lo, 0, len);
    if (len > this.maxFreeLen) this.maxFreeLen = len;
  }

  private growRefs(pages: number): void {
    if (pages <= this.refs.length) return;
    let n = this.refs.length;
    while (n < pages) n *= 2;
    const r = new Uint32Array(Math.min(n, Math.max(pages, this.totalPages)));
    r.set(this.refs);
    this.refs = r;
  }

  /**
   * Keeps read(2) coherent with MAP_SHARED mappings of `file`: writes the
   * pages that mappings dirtied back to the file. The kernel calls it before
   * reading (or fsync, stat) a file that may be mapped; a no-op when no
   * mapping of the file exists. Returns 0 or a negative errno.
   */
  syncFile(file: Mappable): number {
    const o = this.fileObjects.get(file);
    return o === undefined ? 0 : o.writeback();
  }

  /**
   * Keeps MAP_SHARED mappings of `file` coherent with write(2): after
   * `data` was written at `offset`, copies it into the pages cached for
   * mappings, so they see it at once. A no-op when the file is not mapped.
   */
  fileWritten(file: Mappable, offset: number, data: Uint8Array): void {
    this.fileObjects.get(file)?.update(offset, data);
  }

  /**
   * Checks the invariants above, and that `expected(page)` (recomputed by the
   * caller from every MM and shared object) equals each refcount. For tests.
   */
  checkInvariants(expected?: Map<number, number>): void {
    let used = 0;
    for (let p = 0; p < this.top; p++) if (this.refs[p]! > 0) used++;
    assert(used === this.usedPages, `usedPages ${this.usedPages} != ${used}`);
    let prevEnd = -1;
    for (let i = 0; i < this.freeStarts.length; i++) {
      const s = this.freeStarts[i]!;
      const l = this.freeLens[i]!;
      assert(l > 0 && s > prevEnd && s + l <= this.top, "free runs sorted, disjoint, coalesced");
      for (let p = s; p < s + l; p++) assert(this.refs[p] === 0, "free page has refs");
      prevEnd = s + l;
    }
    assert(prevEnd < this.top || this.freeStarts.length === 0, "last free run touches top");
    for (const l of this.freeLens) assert(l <= this.maxFreeLen, "maxFreeLen is not an upper bound");
    if (expected !== undefined) {
      for (let p = 0; p < this.top; p++) {
        const want = expected.get(p * PAGE_SIZE) ?? 0;
        assert(this.refs[p] === want, `page ${p}: refcount ${this.refs[p]} != expected ${want}`);
      }
      for (const off of expected.keys())
        assert(off / PAGE_SIZE < this.top, "expected page above top");
    }
  }
}
