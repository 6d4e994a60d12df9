import { EFAULT, PROT_EXEC, PROT_READ, PROT_WRITE } from "@tsvisor/abi";
import type { Access, AddressSpace, MemoryFile, PlatformCapabilities } from "@tsvisor/platform";
import { PAGE_SIZE } from "@tsvisor/platform";
import type { MemoryFileAllocator } from "./allocator.js";
import { CHECK_INVARIANTS, assert } from "./invariants.js";
import { FAULT_ACCERR, FAULT_BUS, FAULT_MAPERR, FAULT_OOM, type FaultResult } from "./fault.js";
import { PageTable } from "./pagetable.js";
import { pageView } from "./shared-object.js";
import { VMA_ACCOUNT, VMA_GROWSDOWN, type Vma, VmaSet, newAnonVma } from "./vma.js";
import { fork } from "./cow.js";
import {
  type Iovec,
  copy,
  copyInCString,
  copyInString,
  copyInVec,
  copyOutVec,
  readBigU64,
  readIovecs,
  readU32,
  readU64,
  writeU32,
  writeU64,
} from "./io.js";
import { mapsText } from "./maps.js";
import {
  type MmapRequest,
  brk,
  madvise,
  mincore,
  mmap,
  mprotect,
  mremap,
  msync,
  munmap,
  populate,
  setBrkBase,
} from "./syscalls.js";

/** What a MemoryManager needs of a Platform (a real `Platform` fits). */
export interface MmPlatform {
  readonly memoryFile: MemoryFile;
  readonly capabilities: Pick<PlatformCapabilities, "minUserAddress" | "maxUserAddress">;
  newAddressSpace(): AddressSpace;
}

/**
 * Per-process resource limits mm enforces, in bytes (`Infinity` = unlimited).
 * The kernel updates them on setrlimit(2)/prlimit64(2).
 */
export interface MmLimits {
  /** RLIMIT_AS: total size of all VMAs; mmap/mremap/brk/stack growth beyond it fail with ENOMEM. */
  addressSpaceBytes: number;
  /** RLIMIT_STACK: how far a MAP_GROWSDOWN stack may grow. Default 8 MiB. */
  stackBytes: number;
  /** RLIMIT_DATA: brk(2) fails beyond `start of heap + dataBytes`. */
  dataBytes: number;
}

/** Options of {@link MemoryManager.create}. */
export interface MemoryManagerOptions {
  platform: MmPlatform;
  /** The sandbox's allocator; every MM of a sandbox (and its forks) shares it. */
  allocator: MemoryFileAllocator;
  limits?: Partial<MmLimits>;
  /**
   * Top of the top-down mmap area (Linux's `mm->mmap_base`). Default: the top
   * of the user range less Linux's minimum stack gap of 128 MiB, as Linux
   * lays out a process without address randomisation.
   */
  mmapBase?: number;
  /** `vm.mmap_min_addr`: MAP_FIXED below it fails with EPERM. Default 65536. */
  mmapMinAddr?: number;
  /** Pages mapped around a faulting page in one AddressSpace call. Default 16. */
  faultAroundPages?: number;
}

/** Page-table entry flag: this MM holds one allocator reference on the page. */
export const PTE_PRIVATE = 1;
/** Page-table entry flag: the page is mirrored in the AddressSpace. */
export const PTE_MAPPED = 2;
/** Mask of the flag bits of a page-table entry (the offset is page-aligned). */
export const PTE_FLAGS = 0xfff;

/** `translate` results that are not offsets. */
export const TR_ZERO = -1;
export const TR_OOM = -2;
export const TR_BUS = -3;

const MiB = 1024 * 1024;
/** Linux's `stack_guard_gap`: 256 pages kept free below a growing stack. */
export const STACK_GUARD_GAP = 256 * PAGE_SIZE;
/** Linux's `sysctl_max_map_count` default. */
export const MAX_MAP_COUNT = 65530;

/**
 * The memory of one process (Linux's `mm_struct`): its VMAs, the memory-file
 * pages behind them, and the AddressSpace mirroring them for the platform.
 * Created by the loader (execve) or by `fork()`; used by every thread sharing
 * it (CLONE_VM). Public methods are in `syscalls.ts`, `cow.ts`, `io.ts` and
 * `maps.ts` style families; see index.ts for the public surface.
 *
 * Page table (`ptes`): virtual page number → `offset + flags`, where the
 * offset is a memory-file offset and flags are PTE_PRIVATE / PTE_MAPPED.
 *
 * Invariants:
 * - Every pte lies inside a VMA. A PTE_PRIVATE pte (private VMAs only)
 *   holds one allocator reference. Any other pte is the page of `vma.obj`
 *   (the shared object, or the file's page cache behind a private file
 *   mapping, whose pages are mirrored read-only until copied on write).
 * - The AddressSpace maps page `vpn` iff `ptes.get(vpn)` has PTE_MAPPED,
 *   to that offset, with a protection that is a subset of the VMA's, and
 *   without PROT_WRITE when the page is copy-on-write (private with
 *   refcount > 1) or a clean page of a shared file.
 * - `virtualSize` is the sum of VMA lengths; `committed` the sum of charges.
 *
 * Everything runs on the Sentry thread on behalf of some task using this MM;
 * nothing blocks.
 */
export class MemoryManager {
  readonly addressSpace: AddressSpace;
  readonly allocator: MemoryFileAllocator;
  readonly platform: MmPlatform;
  /** @internal */ readonly vmas = new VmaSet();
  /** @internal */ readonly ptes = new PageTable();
  /** Lowest mappable address (platform minimum, at least `mmapMinAddr`). */
  readonly minAddr: number;
  /** One past the highest mappable address (TASK_SIZE). */
  readonly maxAddr: number;
  /** `vm.mmap_min_addr`. */
  readonly mmapMinAddr: number;
  /** Top of the top-down mmap area. */
  mmapBase: number;
  /** Resource limits; the kernel may change them at any time. */
  readonly limits: MmLimits;
  readonly faultAroundPages: number;
  /** @internal The options this MM was created with (fork reuses them). */
  readonly options: MemoryManagerOptions;

  /** Start of the heap (`mm->start_brk`), set by the loader with `setBrkBase`. */
  brkStart = 0;
  /** Current program break (`mm->brk`), not page-aligned. */
  brkCur = 0;
  /** `mm->start_stack`: the VMA containing it is named `[stack]`. */
  stackStart = 0;
  /** argv and envp areas on the initial stack (for /proc/PID/cmdline, environ). */
  argStart = 0;
  argEnd = 0;
  envStart = 0;
  envEnd = 0;

  /** The last window of anonymous pages faulted in (sequential detection). */
  private lastAnonLo = -2;
  private lastAnonHi = -2;
  /** @internal */ vsize = 0;
  /** @internal */ committed = 0;
  /** @internal */ released = false;

  /** @internal Use {@link MemoryManager.create} or `fork()`. */
  constructor(opts: MemoryManagerOptions, as: AddressSpace) {
    this.options = opts;
    this.platform = opts.platform;
    this.allocator = opts.allocator;
    this.addressSpace = as;
    this.mmapMinAddr = opts.mmapMinAddr ?? 65536;
    const caps = opts.platform.capabilities;
    this.minAddr = pageUp(Math.max(caps.minUserAddress, this.mmapMinAddr, PAGE_SIZE));
    this.maxAddr = pageDown(caps.maxUserAddress);
    this.limits = {
      addressSpaceBytes: opts.limits?.addressSpaceBytes ?? Number.POSITIVE_INFINITY,
      stackBytes: opts.limits?.stackBytes ?? 8 * MiB,
      dataBytes: opts.limits?.dataBytes ?? Number.POSITIVE_INFINITY,
    };
    const gap = Math.max(128 * MiB, this.limits.stackBytes + STACK_GUARD_GAP);
    this.mmapBase = pageDown(
      opts.mmapBase ?? Math.max(this.minAddr, Math.min(this.maxAddr - gap, (this.maxAddr / 6) * 5)),
    );
    this.faultAroundPages = Math.max(1, opts.faultAroundPages ?? 16);
  }

  /**
   * A new, empty MM (for execve) with a new AddressSpace of `opts.platform`.
   * The loader then maps the program, the stack (MAP_GROWSDOWN) and calls
   * `setBrkBase` and sets `stackStart`.
   */
  static create(opts: MemoryManagerOptions): MemoryManager {
    return new MemoryManager(opts, opts.platform.newAddressSpace());
  }

  // ---------------------------------------------------------------------
  // System calls (syscalls.ts). Each returns a result or a negative errno.

  /** mmap(2): the new mapping's address or a negative errno. See syscalls.ts. */
  mmap(req: MmapRequest): number {
    return this.checked(mmap(this, req));
  }

  /** munmap(2): 0 or a negative errno. */
  munmap(addr: number, length: number): number {
    return this.checked(munmap(this, addr, length));
  }

  /** mprotect(2): 0 or a negative errno. */
  mprotect(addr: number, length: number, prot: number): number {
    return this.checked(mprotect(this, addr, length, prot));
  }

  /** mremap(2): the (new) address or a negative errno. */
  mremap(oldAddr: number, oldSize: number, newSize: number, flags: number, newAddr = 0): number {
    return this.checked(mremap(this, oldAddr, oldSize, newSize, flags, newAddr));
  }

  /** brk(2): the new break, or the current one when refused (never an errno). */
  brk(addr: number): number {
    return this.checked(brk(this, addr));
  }

  /** Sets the start of the heap (and the break) for the ELF loader. */
  setBrkBase(start: number): void {
    setBrkBase(this, start);
  }

  /** madvise(2): 0 or a negative errno. */
  madvise(addr: number, length: number, advice: number): number {
    return this.checked(madvise(this, addr, length, advice));
  }

  /** msync(2): 0 or a negative errno. */
  msync(addr: number, length: number, flags: number): number {
    return msync(this, addr, length, flags);
  }

  /** mincore(2): fills `vec` (one byte per page), 0 or a negative errno. The caller copies `vec` out. */
  mincore(addr: number, length: number, vec: Uint8Array): number {
    return mincore(this, addr, length, vec);
  }

  /** With CHECK_INVARIANTS, verifies every invariant after a mutation. */
  private checked(r: number): number {
    if (CHECK_INVARIANTS) this.checkInvariants();
    return r;
  }

  /**
   * Faults in `[addr, addr + length)` now (like MAP_POPULATE), for the loader
   * or the kernel. Returns 0, or -EFAULT if part of the range is unmapped or
   * could not be populated.
   */
  populate(addr: number, length: number): number {
    return populate(this, pageDown(addr), pageUp(addr + length)) < 0 ? 0 : -EFAULT;
  }

  // ---------------------------------------------------------------------
  // Copy-in / copy-out (io.ts), like copy_from_user / copy_to_user.

  /** Fills `dst` from application memory at `addr`: `dst.length`, or -EFAULT if any byte is inaccessible. */
  copyIn(addr: number, dst: Uint8Array): number {
    const n = copy(this, addr, dst, dst.length, false);
    return n === dst.length ? n : -EFAULT;
  }

  /** Writes `src` to application memory at `addr`: `src.length`, or -EFAULT if any byte is inaccessible (bytes before it may have been written, as on Linux). */
  copyOut(addr: number, src: Uint8Array): number {
    const n = copy(this, addr, src, src.length, true);
    return n === src.length ? n : -EFAULT;
  }

  /** Like copyIn, but returns how many bytes could be copied (0..dst.length). */
  copyInPartial(addr: number, dst: Uint8Array): number {
    return copy(this, addr, dst, dst.length, false);
  }

  /** Like copyOut, but returns how many bytes could be copied (0..src.length). */
  copyOutPartial(addr: number, src: Uint8Array): number {
    return copy(this, addr, src, src.length, true);
  }

  /** Zeroes `len` bytes at `addr` (clear_user): `len` or -EFAULT. */
  zero(addr: number, len: number): number {
    return copy(this, addr, null, len, true) === len ? len : -EFAULT;
  }

  /** A NUL-terminated string (UTF-8) of fewer than `maxLen` bytes; -EFAULT or -ENAMETOOLONG. */
  copyInString(addr: number, maxLen: number): string | number {
    return copyInString(this, addr, maxLen);
  }

  /** A NUL-terminated string's raw bytes (without the NUL); -EFAULT or -ENAMETOOLONG. */
  copyInCString(addr: number, maxLen: number): Uint8Array | number {
    return copyInCString(this, addr, maxLen);
  }

  /** Little-endian u32 at `addr`, or -EFAULT (values are never negative). */
  readU32(addr: number): number {
    return readU32(this, addr);
  }

  /** Little-endian u64 at `addr` as a number (rounded above 2^53), or -EFAULT. */
  readU64(addr: number): number {
    return readU64(this, addr);
  }

  /** Little-endian u64 at `addr` exactly, or -EFAULT (a number). */
  readBigU64(addr: number): bigint | number {
    return readBigU64(this, addr);
  }

  /** Stores a u32 (modulo 2^32): 0 or -EFAULT. */
  writeU32(addr: number, v: number): number {
    return writeU32(this, addr, v);
  }

  /** Stores a u64 (negatives in two's complement): 0 or -EFAULT. */
  writeU64(addr: number, v: number): number {
    return writeU64(this, addr, v);
  }

  /** Reads `count` iovecs at `addr` (import_iovec rules): the array, -EINVAL or -EFAULT. */
  readIovecs(addr: number, count: number): Iovec[] | number {
    return readIovecs(this, addr, count);
  }

  /** Gathers application buffers `iovs` into `dst`: bytes copied (short on a fault after some bytes), or -EFAULT. */
  copyInVec(iovs: readonly Iovec[], dst: Uint8Array): number {
    return copyInVec(this, iovs, dst);
  }

  /** Scatters `src` into application buffers `iovs`: bytes copied (short on a fault after some bytes), or -EFAULT. */
  copyOutVec(iovs: readonly Iovec[], src: Uint8Array): number {
    return copyOutVec(this, iovs, src);
  }

  // ---------------------------------------------------------------------
  // Fork, procfs, teardown.

  /** fork(2)'s copy of this MM (copy-on-write); see cow.ts. The child or -ENOMEM. */
  fork(): MemoryManager | number {
    return fork(this);
  }

  /** /proc/PID/maps, exactly as Linux prints it. */
  mapsText(): string {
    return mapsText(this);
  }

  /**
   * Tears the MM down (exit, or execve replacing it): releases every page
   * and shared-object reference (writing dirty shared file pages back), and
   * the AddressSpace. The MM must not be used afterwards; a second call is a
   * no-op.
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    const runs = new PageRuns(this.allocator);
    for (const vpn of this.ptes.keysIn(0, Number.MAX_SAFE_INTEGER)) {
      const e = this.ptes.get(vpn);
      if ((e & PTE_PRIVATE) !== 0) runs.decRef(e - (e & PTE_FLAGS));
    }
    runs.flush();
    this.ptes.clear();
    for (const v of this.vmas.a) {
      this.account(v, -1);
      v.obj?.unref();
    }
    this.vmas.a.length = 0;
    this.addressSpace.release();
  }

  /** Bytes of all VMAs (Linux's `total_vm`, VmSize). */
  get virtualSize(): number {
    return this.vsize;
  }

  /** Bytes of pages present in this MM's page table (resident set, VmRSS). */
  get residentSize(): number {
    return this.ptes.size * PAGE_SIZE;
  }

  /** Bytes this MM commits against the sandbox limit. */
  get committedSize(): number {
    return this.committed;
  }

  /** Number of VMAs (`map_count`). */
  get vmaCount(): number {
    return this.vmas.size;
  }

  // ---------------------------------------------------------------------
  // VMA bookkeeping.

  /** @internal Adds (sign 1) or removes (sign -1) `v` from the totals. */
  account(v: Vma, sign: 1 | -1): void {
    this.vsize += sign * (v.end - v.start);
    const c = v.charge;
    this.committed += sign * c;
    this.allocator.committedBytes += sign * c;
  }

  /**
   * @internal Splits the VMA strictly containing `addr` (if any) in two at
   * `addr`. Precondition: `addr` page-aligned.
   */
  splitAt(addr: number): void {
    const i = this.vmas.indexAfter(addr);
    const v = this.vmas.a[i];
    if (v === undefined || v.start >= addr) return;
    const hi = v.cloneRange(addr, v.end);
    v.end = addr;
    this.vmas.insertAt(i + 1, hi);
  }

  /**
   * @internal Inserts `v` (whose range must be free) and merges it with its
   * neighbours when Linux would. Returns the VMA now covering `v.start`.
   */
  insertVma(v: Vma): Vma {
    if (CHECK_INVARIANTS) assert(!this.vmas.overlaps(v.start, v.end), "insertVma over a VMA");
    const i = this.vmas.indexAfter(v.start);
    this.vmas.insertAt(i, v);
    this.account(v, 1);
    return this.mergeAround(i);
  }

  /** @internal Merges `a[i]` with its neighbours where possible; returns the result. */
  mergeAround(i: number): Vma {
    const a = this.vmas.a;
    if (i + 1 < a.length && a[i]!.canMergeWith(a[i + 1]!)) {
      const next = a[i + 1]!;
      a[i]!.end = next.end;
      if (a[i]!.anonVma === 0) {
        a[i]!.anonVma = next.anonVma;
        a[i]!.anonForked = next.anonForked;
      }
      next.obj?.unref();
      a.splice(i + 1, 1);
    }
    if (i > 0 && a[i - 1]!.canMergeWith(a[i]!)) {
      const cur = a[i]!;
      a[i - 1]!.end = cur.end;
      if (a[i - 1]!.anonVma === 0) {
        a[i - 1]!.anonVma = cur.anonVma;
        a[i - 1]!.anonForked = cur.anonForked;
      }
      cur.obj?.unref();
      a.splice(i, 1);
      i--;
    }
    return a[i]!;
  }

  /** @internal Merges every VMA in index range `[lo, hi]` with its neighbours. */
  mergeRange(start: number, end: number): void {
    let i = Math.max(0, this.vmas.indexAfter(start) - 1);
    while (i < this.vmas.a.length && this.vmas.a[i]!.start <= end) {
      this.mergeAround(i);
      i++;
    }
  }

  /**
   * @internal Removes every VMA and page in `[start, end)`, splitting VMAs at
   * the edges, and unmaps what was mirrored from the AddressSpace (one call
   * over the span of mirrored pages). Returns 0 or the AddressSpace's
   * negative errno.
   * Preconditions: page-aligned, `start < end`.
   */
  removeRange(start: number, end: number): number {
    if (!this.vmas.overlaps(start, end)) return 0;
    this.splitAt(start);
    this.splitAt(end);
    const a = this.vmas.a;
    const i = this.vmas.indexAfter(start);
    let j = i;
    while (j < a.length && a[j]!.start < end) {
      const v = a[j]!;
      this.account(v, -1);
      j++;
    }
    const removed = a.splice(i, j - i);
    const r = this.dropPtesAndUnmap(start, end);
    for (const v of removed) v.obj?.unref();
    return r;
  }

  /**
   * @internal Drops the ptes in `[start, end)` (releasing private pages) and
   * unmaps the span of those that were mirrored, in one AddressSpace call.
   * Returns 0 or a negative errno.
   */
  dropPtesAndUnmap(start: number, end: number): number {
    let lo = -1;
    let hi = -1;
    const ptes = this.ptes;
    const runs = new PageRuns(this.allocator);
    for (const vpn of this.ptesIn(start, end)) {
      const e = ptes.get(vpn);
      if ((e & PTE_MAPPED) !== 0) {
        if (lo < 0) lo = vpn;
        hi = vpn + 1;
      }
      if ((e & PTE_PRIVATE) !== 0) runs.decRef(e - (e & PTE_FLAGS));
      ptes.delete(vpn);
    }
    runs.flush();
    return lo < 0 ? 0 : this.addressSpace.unmap(lo * PAGE_SIZE, (hi - lo) * PAGE_SIZE);
  }

  /**
   * @internal Virtual page numbers with a pte in `[start, end)`, ascending.
   * Walks the range or the table, whichever is smaller.
   */
  ptesIn(start: number, end: number): number[] {
    return this.ptes.keysIn(start / PAGE_SIZE, end / PAGE_SIZE);
  }

  /**
   * @internal The protection the AddressSpace may give page `vpn` (entry `e`)
   * of `v`: the VMA's, less PROT_WRITE for copy-on-write pages and clean
   * shared-file pages.
   */
  effectiveProt(v: Vma, vpn: number, e: number): number {
    if ((v.prot & PROT_WRITE) === 0) return v.prot;
    const off = e - (e & PTE_FLAGS);
    if ((e & PTE_PRIVATE) !== 0) {
      // Copy-on-write pages, and every page of a VMA never written (Linux
      // maps the zero page or the file's page read-only until the first
      // write, which prepares the anon_vma).
      return this.allocator.refCount(off) > 1 || v.anonVma === 0 ? readOnly(v.prot) : v.prot;
    }
    // A page-cache page in a private file mapping: read-only until written
    // (then copied); a clean page of a shared file mapping: read-only until
    // written (then marked dirty).
    if (!v.shared) return readOnly(v.prot);
    const obj = v.obj!;
    if (obj.file !== null && !obj.isDirty(v.offsetOf(vpn * PAGE_SIZE) / PAGE_SIZE)) {
      return readOnly(v.prot);
    }
    return v.prot;
  }

  /**
   * @internal Re-applies protections to the mirrored pages of `[start, end)`
   * after their VMAs' `prot` changed, in as few AddressSpace calls as runs of
   * pages with one protection allow. Returns 0 or a negative errno.
   */
  reprotect(start: number, end: number): number {
    let runStart = -1;
    let runEnd = -1;
    let runProt = -1;
    let err = 0;
    const flush = () => {
      if (runStart >= 0) {
        const r = this.addressSpace.protect(
          runStart * PAGE_SIZE,
          (runEnd - runStart) * PAGE_SIZE,
          runProt,
        );
        if (r < 0 && err === 0) err = r;
      }
    };
    let v: Vma | undefined;
    for (const vpn of this.ptesIn(start, end)) {
      const e = this.ptes.get(vpn);
      if ((e & PTE_MAPPED) === 0) continue;
      const addr = vpn * PAGE_SIZE;
      if (v === undefined || addr >= v.end || addr < v.start) v = this.vmas.find(addr)!;
      const prot = this.effectiveProt(v, vpn, e);
      if (vpn === runEnd && prot === runProt) {
        runEnd++;
        continue;
      }
      flush();
      runStart = vpn;
      runEnd = vpn + 1;
      runProt = prot;
    }
    flush();
    return err;
  }

  /**
   * @internal Linux's anon_vma_prepare for a write into private VMA `v`:
   * gives it an anon_vma identity, reusing the next or previous VMA's when
   * anon_vma_compatible (find_mergeable_anon_vma).
   */
  prepareAnon(v: Vma): void {
    if (v.anonVma !== 0 || v.shared) return;
    const a = this.vmas.a;
    const i = this.vmas.indexAfter(v.start);
    const next = a[i + 1];
    if (next !== undefined && next.anonVma !== 0 && !next.anonForked && v.anonCompatible(next)) {
      v.anonVma = next.anonVma;
      return;
    }
    const prev = a[i - 1];
    if (prev !== undefined && prev.anonVma !== 0 && !prev.anonForked && prev.anonCompatible(v)) {
      v.anonVma = prev.anonVma;
      return;
    }
    v.anonVma = newAnonVma();
  }

  // ---------------------------------------------------------------------
  // Faults.

  /**
   * Resolves an application fault at `addr` (from a platform FaultTrap): on
   * success maps the page (and up to `faultAroundPages` neighbours) in the
   * AddressSpace and returns 0, so the faulting instruction can be retried.
   * Otherwise returns what Linux would do: SIGSEGV with SEGV_MAPERR (no VMA),
   * SEGV_ACCERR (VMA forbids the access), SIGBUS with BUS_ADRERR (file
   * mapping beyond end of file), or `{ kind: "oom" }` when no page can be
   * allocated (the kernel decides between SIGBUS and an OOM kill). The
   * returned objects are shared constants: no allocation.
   *
   * A fault below a MAP_GROWSDOWN VMA grows it, within RLIMIT_STACK and
   * keeping STACK_GUARD_GAP above the VMA below, like Linux's expand_stack.
   */
  handleFault(addr: number, access: Access): FaultResult {
    if (!(addr >= 0 && addr < this.maxAddr)) return FAULT_MAPERR;
    let v = this.vmas.find(addr);
    if (v === undefined) {
      v = this.growStack(addr);
      if (v === undefined) return FAULT_MAPERR;
    }
    if (!accessAllowed(v.prot, access)) return FAULT_ACCERR;
    const vpn = Math.floor(addr / PAGE_SIZE);
    const write = access === "write";
    if (write && v.anonVma === 0 && !v.shared) {
      // First write into this VMA: pages read so far are mirrored read-only;
      // make the ones around the fault writable in the same go.
      this.prepareAnon(v);
      const batch = this.faultAroundPages * PAGE_SIZE;
      const ws = Math.max(v.start, pageDown(addr) - (pageDown(addr) % batch));
      const we = Math.min(v.end, pageDown(addr) - (pageDown(addr) % batch) + batch);
      let readOnlyNeighbours = false;
      for (const p of this.ptesIn(ws, we)) {
        if (p !== vpn && (this.ptes.get(p) & PTE_MAPPED) !== 0) readOnlyNeighbours = true;
      }
      const e = this.ptes.get(vpn);
      const r = e >= 0 ? this.faultPresent(v, vpn, e, write) : this.faultAbsent(v, vpn, write);
      if (r !== 0 || !readOnlyNeighbours) return r;
      return this.reprotect(ws, we) < 0 ? FAULT_OOM : 0;
    }
    const e = this.ptes.get(vpn);
    if (e >= 0) return this.faultPresent(v, vpn, e, write);
    return this.faultAbsent(v, vpn, write);
  }

  /** A fault on a page this MM already has: map it, breaking COW on write. */
  private faultPresent(v: Vma, vpn: number, e: number, write: boolean): FaultResult {
    const addr = vpn * PAGE_SIZE;
    let off = e - (e & PTE_FLAGS);
    if ((e & PTE_PRIVATE) !== 0) {
      if (write && this.allocator.refCount(off) > 1) {
        off = this.breakCow(vpn, e, false);
        if (off < 0) return FAULT_OOM;
      } else {
        this.ptes.set(vpn, off + PTE_PRIVATE + PTE_MAPPED);
      }
      const prot = this.effectiveProt(v, vpn, off + PTE_PRIVATE);
      return this.addressSpace.mapFile(addr, PAGE_SIZE, off, prot) < 0 ? FAULT_OOM : 0;
    }
    if (write && !v.shared) {
      // A write to a page-cache page of a private file mapping: copy it.
      const copy = this.copyCachePage(vpn, off, true);
      if (copy < 0) return FAULT_OOM;
      return this.addressSpace.mapFile(addr, PAGE_SIZE, copy, v.prot) < 0 ? FAULT_OOM : 0;
    }
    const obj = v.obj!;
    if (write) obj.page(v.offsetOf(addr) / PAGE_SIZE, true);
    this.ptes.set(vpn, off + PTE_MAPPED);
    const prot = this.effectiveProt(v, vpn, off);
    return this.addressSpace.mapFile(addr, PAGE_SIZE, off, prot) < 0 ? FAULT_OOM : 0;
  }

  /**
   * @internal Gives page `vpn` of a private file mapping, now the page-cache
   * page at `cacheOff`, a private copy (do_cow_fault / wp_page_copy); the
   * cache keeps its page. Returns the copy's offset or TR_OOM. With `mapped`
   * the pte is marked mirrored (the caller maps the copy).
   */
  copyCachePage(vpn: number, cacheOff: number, mapped: boolean): number {
    const off = this.allocator.allocate(1);
    if (off < 0) return TR_OOM;
    pageView(this.allocator, off).set(pageView(this.allocator, cacheOff));
    this.ptes.set(vpn, off + PTE_PRIVATE + (mapped ? PTE_MAPPED : 0));
    return off;
  }

  /**
   * A fault on a page this MM does not have yet: bring in the window of
   * absent pages around it, aligned to `faultAroundPages`, inside the VMA
   * (and, for file and shared memory, inside the object), and map it.
   */
  private faultAbsent(v: Vma, vpn: number, write: boolean): FaultResult {
    const batch = this.faultAroundPages;
    const vStart = v.start / PAGE_SIZE;
    let vEnd = v.end / PAGE_SIZE;
    if (v.obj !== null) {
      // Pages wholly beyond the end of the file / shared object are SIGBUS.
      const size = v.obj.sizePages();
      const objEndVpn = vStart + (size - v.offset / PAGE_SIZE);
      if (vpn >= objEndVpn) return FAULT_BUS;
      if (objEndVpn < vEnd) vEnd = objEndVpn;
    }
    let winStart = Math.max(vStart, vpn - (vpn % batch));
    let winEnd = Math.min(vEnd, vpn - (vpn % batch) + batch);
    if (v.obj === null) {
      // Anonymous memory: Linux faults it page by page (no fault-around), and
      // mincore(2) shows exactly the pages touched. Map ahead only when the
      // faults walk through memory (just after or just before the previous
      // anonymous fault window), like readahead.
      if (vpn === this.lastAnonHi) {
        winStart = vpn;
        winEnd = Math.min(vEnd, vpn + batch);
      } else if (vpn === this.lastAnonLo - 1) {
        winStart = Math.max(vStart, vpn - batch + 1);
        winEnd = vpn + 1;
      } else {
        winStart = vpn;
        winEnd = vpn + 1;
      }
    }
    const ptes = this.ptes;
    let lo = vpn;
    while (lo > winStart && !ptes.has(lo - 1)) lo--;
    let hi = vpn + 1;
    while (hi < winEnd && !ptes.has(hi)) hi++;

    if (v.obj !== null) {
      if (write && !v.shared) {
        // Write to a private file page never touched: copy from the cache.
        const cacheOff = v.obj.page(v.offsetOf(vpn * PAGE_SIZE) / PAGE_SIZE, false);
        if (cacheOff < 0) return FAULT_OOM;
        const copy = this.copyCachePage(vpn, cacheOff, true);
        if (copy < 0) return FAULT_OOM;
        return this.addressSpace.mapFile(vpn * PAGE_SIZE, PAGE_SIZE, copy, v.prot) < 0
          ? FAULT_OOM
          : 0;
      }
      return this.faultShared(v, vpn, lo, hi, write);
    }

    let n = hi - lo;
    let off = this.allocator.allocate(n);
    if (off < 0) {
      lo = vpn;
      hi = vpn + 1;
      n = 1;
      off = this.allocator.allocate(1);
      if (off < 0) return FAULT_OOM;
    }
    this.lastAnonLo = lo;
    this.lastAnonHi = hi;
    for (let i = 0; i < n; i++) ptes.set(lo + i, off + i * PAGE_SIZE + PTE_PRIVATE + PTE_MAPPED);
    const prot = v.anonVma === 0 ? readOnly(v.prot) : v.prot;
    return this.addressSpace.mapFile(lo * PAGE_SIZE, n * PAGE_SIZE, off, prot) < 0 ? FAULT_OOM : 0;
  }

  /**
   * faultAbsent for shared memory and for reads of private file mappings:
   * pages come from the object (the file's page cache).
   */
  private faultShared(v: Vma, vpn: number, lo: number, hi: number, write: boolean): FaultResult {
    const obj = v.obj!;
    const base = v.offsetOf(lo * PAGE_SIZE) / PAGE_SIZE;
    let runStart = -1;
    let runOff = -1;
    let runProt = -1;
    let runLen = 0;
    let err = 0;
    for (let p = lo; p < hi; p++) {
      const off = obj.page(base + (p - lo), write && v.shared && p === vpn);
      if (off < 0) {
        if (p <= vpn) return FAULT_OOM;
        break;
      }
      this.ptes.set(p, off + PTE_MAPPED);
      const prot = this.effectiveProt(v, p, off);
      if (runStart >= 0 && off === runOff + runLen * PAGE_SIZE && prot === runProt) {
        runLen++;
        continue;
      }
      if (runStart >= 0) {
        const r = this.addressSpace.mapFile(
          runStart * PAGE_SIZE,
          runLen * PAGE_SIZE,
          runOff,
          runProt,
        );
        if (r < 0) err = r;
      }
      runStart = p;
      runOff = off;
      runProt = prot;
      runLen = 1;
    }
    if (runStart >= 0) {
      const r = this.addressSpace.mapFile(
        runStart * PAGE_SIZE,
        runLen * PAGE_SIZE,
        runOff,
        runProt,
      );
      if (r < 0) err = r;
    }
    return err < 0 ? FAULT_OOM : 0;
  }

  /**
   * @internal Gives page `vpn` (private entry `e`, copy-on-write shared) a
   * copy of its own and returns the new offset, or TR_OOM.
   * - `forSentry === false` (an application write fault): the caller maps
   *   the new page; the pte is marked mirrored.
   * - `forSentry === true` (a copy-out): if the old page was mirrored, the
   *   new one replaces it in the AddressSpace now.
   */
  breakCow(vpn: number, e: number, forSentry: boolean): number {
    const old = e - (e & PTE_FLAGS);
    const off = this.allocator.allocate(1);
    if (off < 0) return TR_OOM;
    pageView(this.allocator, off).set(pageView(this.allocator, old));
    this.allocator.decRef(old, 1);
    const mapped = (e & PTE_MAPPED) !== 0;
    this.ptes.set(vpn, off + PTE_PRIVATE + (mapped || !forSentry ? PTE_MAPPED : 0));
    if (mapped && forSentry) {
      const v = this.vmas.find(vpn * PAGE_SIZE)!;
      this.addressSpace.mapFile(vpn * PAGE_SIZE, PAGE_SIZE, off, v.prot);
    }
    return off;
  }

  /**
   * @internal The memory-file offset backing page `vpn` of `v` for a Sentry
   * access (copy-in/out), bringing the page in and breaking COW for writes,
   * but mapping nothing new in the AddressSpace. Returns TR_ZERO for a read
   * of a never-touched private anonymous page (reads as zeros, nothing
   * allocated), TR_OOM, or TR_BUS.
   */
  translate(v: Vma, vpn: number, write: boolean): number {
    if (write && v.anonVma === 0 && !v.shared) this.prepareAnon(v);
    const e = this.ptes.get(vpn);
    if (e >= 0) {
      const off = e - (e & PTE_FLAGS);
      if ((e & PTE_PRIVATE) !== 0) {
        if (write && this.allocator.refCount(off) > 1) return this.breakCow(vpn, e, true);
        return off;
      }
      if (!write) return off;
      if (v.shared) {
        v.obj!.page(v.offsetOf(vpn * PAGE_SIZE) / PAGE_SIZE, true);
        return off;
      }
      // Copy-out into a page-cache page of a private file mapping: copy it,
      // and replace the mirror of the cache page if there was one.
      const copy = this.copyCachePage(vpn, off, (e & PTE_MAPPED) !== 0);
      if (copy >= 0 && (e & PTE_MAPPED) !== 0) {
        this.addressSpace.mapFile(vpn * PAGE_SIZE, PAGE_SIZE, copy, v.prot);
      }
      return copy;
    }
    const obj = v.obj;
    const addr = vpn * PAGE_SIZE;
    if (obj !== null) {
      const idx = v.offsetOf(addr) / PAGE_SIZE;
      if (idx >= obj.sizePages()) return TR_BUS;
      const off = obj.page(idx, write && v.shared);
      if (off < 0) return TR_OOM;
      if (write && !v.shared) return this.copyCachePage(vpn, off, false);
      this.ptes.set(vpn, off);
      return off;
    }
    if (!write) return TR_ZERO;
    const off = this.allocator.allocate(1);
    if (off < 0) return TR_OOM;
    this.ptes.set(vpn, off + PTE_PRIVATE);
    return off;
  }

  /**
   * @internal Extends the MAP_GROWSDOWN VMA just above `addr` down to cover
   * it, like Linux's expand_stack; returns it, or undefined when `addr` is
   * not in a stack's reach (no such VMA, RLIMIT_STACK, RLIMIT_AS, the guard
   * gap, or the commit limit).
   */
  growStack(addr: number): Vma | undefined {
    if (addr < this.minAddr) return undefined;
    const i = this.vmas.indexAfter(addr);
    const v = this.vmas.a[i];
    if (v === undefined || (v.flags & VMA_GROWSDOWN) === 0 || addr >= v.start) return undefined;
    const newStart = pageDown(addr);
    const grow = v.start - newStart;
    if (v.end - newStart > this.limits.stackBytes) return undefined;
    if (this.vsize + grow > this.limits.addressSpaceBytes) return undefined;
    const prev = this.vmas.a[i - 1];
    if (
      prev !== undefined &&
      (prev.flags & VMA_GROWSDOWN) === 0 &&
      prev.prot !== 0 &&
      newStart - prev.end < STACK_GUARD_GAP
    ) {
      return undefined;
    }
    if ((v.flags & VMA_ACCOUNT) !== 0 && !this.mayCommit(grow)) return undefined;
    // expand_downwards: "We must make sure the anon_vma is allocated."
    this.prepareAnon(v);
    this.account(v, -1);
    v.start = newStart;
    v.offset -= grow;
    this.account(v, 1);
    return v;
  }

  /** @internal True when `bytes` more can be committed under the sandbox limit. */
  mayCommit(bytes: number): boolean {
    return bytes <= 0 || this.allocator.committedBytes + bytes <= this.allocator.limitBytes;
  }

  /**
   * Checks every invariant of this MM, recomputing sizes from the VMAs and
   * page table instead of trusting the counters. For tests (throws on a bug).
   */
  checkInvariants(): void {
    this.vmas.check(this.minAddr, this.maxAddr);
    let vs = 0;
    let committed = 0;
    for (const v of this.vmas.a) {
      vs += v.end - v.start;
      committed += v.charge;
    }
    assert(vs === this.vsize, `virtualSize ${this.vsize} != ${vs}`);
    assert(committed === this.committed, `committed ${this.committed} != ${committed}`);
    for (const [vpn, e] of this.ptes) {
      const v = this.vmas.find(vpn * PAGE_SIZE);
      assert(v !== undefined, `pte ${vpn.toString(16)} outside any VMA`);
      const off = e - (e & PTE_FLAGS);
      assert(off % PAGE_SIZE === 0, "pte offset unaligned");
      if ((e & PTE_PRIVATE) !== 0) assert(!v.shared, "private pte in a shared VMA");
      if ((e & PTE_PRIVATE) === 0) {
        assert(v.obj !== null, "cache pte in anonymous memory");
        assert(
          v.obj.peek(v.offsetOf(vpn * PAGE_SIZE) / PAGE_SIZE) === off,
          "shared pte not the object's page",
        );
      } else {
        assert(this.allocator.refCount(off) > 0, "private pte on a free page");
      }
    }
  }
}

/**
 * Drops allocator references page by page but calls the allocator once per
 * run of contiguous offsets, so freed memory is decommitted in few host
 * calls (pages faulted in together are contiguous in the memory file).
 */
class PageRuns {
  private off = -1;
  private n = 0;
  constructor(private readonly allocator: MemoryFileAllocator) {}
  decRef(off: number): void {
    if (this.off >= 0 && off === this.off + this.n * PAGE_SIZE) {
      this.n++;
      return;
    }
    this.flush();
    this.off = off;
    this.n = 1;
  }
  flush(): void {
    if (this.off >= 0) this.allocator.decRef(this.off, this.n);
    this.off = -1;
    this.n = 0;
  }
}

/**
 * `prot` without PROT_WRITE, for a write-protected mirror (COW, clean shared
 * file page). x86 cannot express write-only pages, so a writable page is
 * readable: keep it readable when taking the write right away.
 */
export function readOnly(prot: number): number {
  return (prot & PROT_WRITE) === 0 ? prot : (prot & ~PROT_WRITE) | PROT_READ;
}

/** Whether a VMA with protection `prot` allows `access` (x86's access_error). */
export function accessAllowed(prot: number, access: Access): boolean {
  switch (access) {
    case "write":
      return (prot & PROT_WRITE) !== 0;
    case "exec":
      return (prot & PROT_EXEC) !== 0;
    default:
      // x86 page tables cannot express write-only or exec-only: any access
      // right makes a page readable.
      return (prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) !== 0;
  }
}

/** `x` rounded down to a page boundary. Precondition: `x >= 0`. */
export function pageDown(x: number): number {
  return x - (x % PAGE_SIZE);
}

/** `x` rounded up to a page boundary. Precondition: `x >= 0`. */
export function pageUp(x: number): number {
  const r = x % PAGE_SIZE;
  return r === 0 ? x : x + (PAGE_SIZE - r);
}

/** True when `x` is a page-aligned non-negative integer. */
export function isPageAligned(x: number): boolean {
  return x % PAGE_SIZE === 0;
}
