import { PAGE_SIZE } from "@tsvisor/platform";
import { assert } from "./invariants.js";
import type { Mappable } from "./mappable.js";
import type { SharedObject } from "./shared-object.js";

/**
 * A virtual memory area: a page-aligned range of the application's address
 * space with one protection and one backing, like Linux's `vm_area_struct`.
 *
 * Backing, by `obj` and `file`:
 * - private anonymous: `obj === null && file === null`;
 * - private file (`MAP_PRIVATE` of a Mappable): `obj` is the file's page
 *   cache (`obj.file === file`), `shared === false`: clean pages are the
 *   cache's, written pages private copies in the MM's page table;
 * - shared (`MAP_SHARED`, anonymous or file): `obj` holds every page,
 *   `shared === true`.
 *
 * Invariants:
 * - `start < end`, both page-aligned, inside the MM's user range.
 * - `offset` is page-aligned. For file and shared mappings it is the byte
 *   offset in the file / shared object that `start` maps; for private
 *   anonymous memory it is Linux's `vm_pgoff << 12` (the address the memory
 *   was first mapped at), used only to decide merges, as Linux does.
 * - `prot & ~maxProt === 0` (Linux's VM_MAY* bits).
 * - A VMA holds one reference on `obj`.
 *
 * Mutable fields are owned by the MemoryManager holding the VMA.
 */
export class Vma {
  constructor(
    public start: number,
    public end: number,
    /** PROT_READ | PROT_WRITE | PROT_EXEC bits. */
    public prot: number,
    /** The protections mprotect may grant (VM_MAYREAD/MAYWRITE/MAYEXEC). */
    public maxProt: number,
    /** Shown as `s` in /proc/PID/maps: created with MAP_SHARED (VM_MAYSHARE). */
    public shared: boolean,
    public obj: SharedObject | null,
    public file: Mappable | null,
    public offset: number,
    /** Name for special mappings (`[vdso]`, `[vvar]`); null otherwise. */
    public name: string | null,
    /** VM_* style flags: GROWSDOWN, NORESERVE, DONTFORK, WIPEONFORK. */
    public flags: number,
  ) {}

  get length(): number {
    return this.end - this.start;
  }

  /** Byte offset, in the file or object, that address `addr` maps. */
  offsetOf(addr: number): number {
    return this.offset + (addr - this.start);
  }

  /**
   * Linux's `anon_vma` identity (0 = none yet): private VMAs get one on
   * their first write (anon_vma_prepare), reusing a compatible neighbour's.
   * It only matters for merging (two VMAs with different anon_vmas never
   * merge) and for where mremap puts an untouched VMA's pgoff, so that
   * /proc/PID/maps splits exactly as Linux's does.
   */
  anonVma = 0;
  /**
   * The VMA came through fork(2) with an anon_vma: Linux links it to its
   * parent's anon_vma too (a non-singular anon_vma_chain), which stops it
   * from lending its anon_vma in merges and reuse (vma_had_uncowed_parents).
   */
  anonForked = false;

  /**
   * Bytes this VMA commits against the sandbox limit: its size if it has
   * Linux's VM_ACCOUNT (private writable memory not mapped MAP_NORESERVE,
   * which stays charged after mprotect removes PROT_WRITE). Shared anonymous
   * memory is charged once by its SharedObject, however many VMAs map it.
   */
  get charge(): number {
    return (this.flags & VMA_ACCOUNT) !== 0 ? this.end - this.start : 0;
  }

  /** A copy of this VMA with another range (takes a reference on `obj`). */
  cloneRange(start: number, end: number): Vma {
    this.obj?.ref();
    const v = new Vma(
      start,
      end,
      this.prot,
      this.maxProt,
      this.shared,
      this.obj,
      this.file,
      this.offsetOf(start),
      this.name,
      this.flags,
    );
    v.anonVma = this.anonVma;
    v.anonForked = this.anonForked;
    return v;
  }

  /**
   * True when `next` starts where this VMA ends and Linux's vma_merge would
   * join them: same flags, backing and name, and contiguous offsets.
   */
  canMergeWith(next: Vma): boolean {
    return this.prot === next.prot && this.anonCompatible(next) && anonMergeable(this, next);
  }

  /**
   * Linux's anon_vma_compatible(this, next): adjacent, same flags except the
   * access bits, same backing, contiguous offsets; then `next` may share this
   * VMA's anon_vma (and vice versa).
   */
  anonCompatible(next: Vma): boolean {
    return (
      this.end === next.start &&
      this.maxProt === next.maxProt &&
      this.shared === next.shared &&
      this.obj === next.obj &&
      this.file === next.file &&
      this.name === next.name &&
      this.flags === next.flags &&
      this.offsetOf(this.end) === next.offset
    );
  }
}

/**
 * Linux's is_mergeable_anon_vma: two VMAs may merge when they share their
 * anon_vma, or when only one has one and it has no un-COWed fork parents.
 */
function anonMergeable(a: Vma, b: Vma): boolean {
  if (a.anonVma === 0 && b.anonVma === 0) return true;
  if (a.anonVma === 0) return !b.anonForked;
  if (b.anonVma === 0) return !a.anonForked;
  return a.anonVma === b.anonVma;
}

/** VMA flag: MAP_GROWSDOWN stack that extends on faults below it. */
export const VMA_GROWSDOWN = 1;
/** VMA flag: MAP_NORESERVE (not charged to the commit limit). */
export const VMA_NORESERVE = 2;
/** VMA flag: MADV_DONTFORK (not copied into a fork child). */
export const VMA_DONTFORK = 4;
/** VMA flag: MADV_WIPEONFORK (a fork child sees zeros). */
export const VMA_WIPEONFORK = 8;
/** VMA flag: Linux's VM_ACCOUNT: the VMA's size is charged to the commit limit. */
export const VMA_ACCOUNT = 16;

let lastAnonVma = 0;
/** A fresh anon_vma identity. */
export function newAnonVma(): number {
  return ++lastAnonVma;
}

/**
 * The VMAs of one MM, sorted by address in an array searched by bisection:
 * lookups are O(log n) with no allocation; inserts and removals splice, O(n)
 * but n is small (Linux caps it at vm.max_map_count = 65530).
 *
 * Invariants: sorted by `start`, non-overlapping (`a[i].end <= a[i+1].start`).
 */
export class VmaSet {
  /** The VMAs; read freely, mutate only through the MemoryManager. */
  readonly a: Vma[] = [];

  get size(): number {
    return this.a.length;
  }

  /** Index of the first VMA with `end > addr` (`size` if none). */
  indexAfter(addr: number): number {
    const a = this.a;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid]!.end <= addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The VMA containing `addr`, or undefined. */
  find(addr: number): Vma | undefined {
    const v = this.a[this.indexAfter(addr)];
    return v !== undefined && v.start <= addr ? v : undefined;
  }

  /** True when some VMA overlaps `[start, end)`. */
  overlaps(start: number, end: number): boolean {
    const v = this.a[this.indexAfter(start)];
    return v !== undefined && v.start < end;
  }

  insertAt(i: number, v: Vma): void {
    this.a.splice(i, 0, v);
  }

  /** Checks sortedness and alignment. For tests and CHECK_INVARIANTS. */
  check(minAddr: number, maxAddr: number): void {
    let prevEnd = minAddr;
    for (const v of this.a) {
      assert(v.start % PAGE_SIZE === 0 && v.end % PAGE_SIZE === 0, "VMA not page-aligned");
      assert(v.start < v.end, "empty VMA");
      assert(v.start >= prevEnd, "VMAs overlap or unsorted");
      assert(v.end <= maxAddr, "VMA above maxAddr");
      assert((v.prot & ~v.maxProt) === 0, "prot exceeds maxProt");
      assert(v.offset % PAGE_SIZE === 0, "VMA offset not page-aligned");
      if (v.obj !== null) assert(v.obj.refs > 0, "VMA refers to a released object");
      prevEnd = v.end;
    }
  }
}
