import {
  EACCES,
  EEXIST,
  EFAULT,
  EINVAL,
  ENODEV,
  ENOMEM,
  EOPNOTSUPP,
  EOVERFLOW,
  EPERM,
  MADV_COLD,
  MADV_DODUMP,
  MADV_DOFORK,
  MADV_DONTDUMP,
  MADV_DONTFORK,
  MADV_DONTNEED,
  MADV_DONTNEED_LOCKED,
  MADV_FREE,
  MADV_HUGEPAGE,
  MADV_KEEPONFORK,
  MADV_MERGEABLE,
  MADV_NOHUGEPAGE,
  MADV_NORMAL,
  MADV_PAGEOUT,
  MADV_POPULATE_READ,
  MADV_POPULATE_WRITE,
  MADV_RANDOM,
  MADV_REMOVE,
  MADV_SEQUENTIAL,
  MADV_UNMERGEABLE,
  MADV_WILLNEED,
  MADV_WIPEONFORK,
  MAP_32BIT,
  MAP_ANONYMOUS,
  MAP_DENYWRITE,
  MAP_EXECUTABLE,
  MAP_FIXED,
  MAP_FIXED_NOREPLACE,
  MAP_GROWSDOWN,
  MAP_HUGETLB,
  MAP_LOCKED,
  MAP_NONBLOCK,
  MAP_NORESERVE,
  MAP_POPULATE,
  MAP_PRIVATE,
  MAP_SHARED,
  MAP_SHARED_VALIDATE,
  MAP_STACK,
  MAP_SYNC,
  MAP_TYPE,
  MAP_UNINITIALIZED,
  MREMAP_DONTUNMAP,
  MREMAP_FIXED,
  MREMAP_MAYMOVE,
  MS_ASYNC,
  MS_INVALIDATE,
  MS_SYNC,
  PROT_EXEC,
  PROT_GROWSDOWN,
  PROT_GROWSUP,
  PROT_READ,
  PROT_SEM,
  PROT_WRITE,
} from "@tsvisor/abi";
import { PAGE_SIZE } from "@tsvisor/platform";
import type { Mappable } from "./mappable.js";
import {
  MAX_MAP_COUNT,
  type MemoryManager,
  PTE_MAPPED,
  PTE_PRIVATE,
  STACK_GUARD_GAP,
  isPageAligned,
  pageDown,
  pageUp,
} from "./mm.js";
import { SharedObject } from "./shared-object.js";
import {
  VMA_ACCOUNT,
  VMA_DONTFORK,
  VMA_GROWSDOWN,
  VMA_NORESERVE,
  VMA_WIPEONFORK,
  Vma,
} from "./vma.js";

/** Linux x86-64's TASK_SIZE: one page below 2^47. Bounds syscall arguments. */
export const TASK_SIZE = 0x7ffffffff000;
/** x86-64 MAP_32BIT window (arch/x86/kernel/sys_x86_64.c find_start_end). */
const MAP_32BIT_BEGIN = 0x40000000;
const MAP_32BIT_END = 0x80000000;

/** Flags MAP_SHARED_VALIDATE accepts (LEGACY_MAP_MASK | MAP_SYNC); others are EOPNOTSUPP. */
const LEGACY_MAP_MASK =
  MAP_SHARED |
  MAP_PRIVATE |
  MAP_FIXED |
  MAP_ANONYMOUS |
  MAP_DENYWRITE |
  MAP_EXECUTABLE |
  MAP_UNINITIALIZED |
  MAP_GROWSDOWN |
  MAP_LOCKED |
  MAP_NORESERVE |
  MAP_POPULATE |
  MAP_NONBLOCK |
  MAP_STACK |
  MAP_HUGETLB |
  MAP_32BIT |
  (0x3f << 26); /* MAP_HUGE_MASK << MAP_HUGE_SHIFT */

/** An mmap(2) call, with the file already looked up by the kernel. */
export interface MmapRequest {
  /** Hint, or the exact address with MAP_FIXED / MAP_FIXED_NOREPLACE. */
  addr: number;
  length: number;
  /** PROT_* bits. */
  prot: number;
  /** MAP_* bits, as the program passed them. */
  flags: number;
  /**
   * The file for a file mapping (ignored with MAP_ANONYMOUS); null when
   * the fd's file has no mmap operation (ENODEV, after the other checks).
   */
  file?: Mappable | null;
  /** File offset in bytes; must be page-aligned. */
  offset?: number;
  /** The file description was opened for reading (FMODE_READ). Default true. */
  fileReadable?: boolean;
  /** The file description was opened for writing (FMODE_WRITE). Default true. */
  fileWritable?: boolean;
  /** The file is a regular file (file_mmap_ok limits its range to MAX_LFS_FILESIZE). Default true. */
  fileRegular?: boolean;
  /**
   * The file is on a noexec file system (path_noexec, e.g. a pipe on
   * pipefs): PROT_EXEC is EPERM, checked before ENODEV. Default false.
   */
  fileNoexec?: boolean;
  /** A name for a special anonymous mapping, e.g. `[vdso]`, shown in maps. */
  name?: string;
}

function validProtBits(prot: number): boolean {
  return (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM)) === 0;
}

function rwx(prot: number): number {
  return prot & (PROT_READ | PROT_WRITE | PROT_EXEC);
}

/** Linux's vm_start_gap: a growing stack keeps a guard gap below it. */
function startGap(v: Vma): number {
  return (v.flags & VMA_GROWSDOWN) !== 0 ? Math.max(0, v.start - STACK_GUARD_GAP) : v.start;
}

/**
 * Finds the highest free range of `len` bytes inside `[low, high)`, like
 * Linux's unmapped_area_topdown; returns its start or -ENOMEM.
 */
function gapTopDown(mm: MemoryManager, len: number, low: number, high: number): number {
  const a = mm.vmas.a;
  let i = mm.vmas.indexAfter(high);
  let gapEnd = high;
  if (i < a.length) {
    const g = startGap(a[i]!);
    if (g < gapEnd) gapEnd = g;
  }
  // The hot loop of mmap placement: no calls, no Math.min/max.
  for (i = i - 1; i >= 0; i--) {
    const v = a[i]!;
    const end = v.end;
    const gapStart = Math.max(end, low);
    if (gapEnd - gapStart >= len) return gapEnd - len;
    let g = v.start;
    if ((v.flags & VMA_GROWSDOWN) !== 0) g = g > STACK_GUARD_GAP ? g - STACK_GUARD_GAP : 0;
    if (g < gapEnd) gapEnd = g;
    if (gapEnd <= low) return -ENOMEM;
  }
  return gapEnd - low >= len ? gapEnd - len : -ENOMEM;
}

/** The lowest free range of `len` bytes inside `[low, high)` (unmapped_area); or -ENOMEM. */
function gapBottomUp(mm: MemoryManager, len: number, low: number, high: number): number {
  const a = mm.vmas.a;
  let i = mm.vmas.indexAfter(low);
  let start = low;
  for (; ; i++) {
    const end = i < a.length ? Math.min(startGap(a[i]!), high) : high;
    if (end - start >= len && start + len <= high) return start;
    if (i >= a.length || a[i]!.end >= high) return -ENOMEM;
    start = Math.max(start, a[i]!.end);
  }
}

/** True when `[addr, addr + len)` is free with the guard gaps Linux keeps. */
function rangeFree(mm: MemoryManager, addr: number, len: number): boolean {
  if (addr < mm.minAddr || addr + len > mm.maxAddr) return false;
  const i = mm.vmas.indexAfter(addr);
  const next = mm.vmas.a[i];
  if (next !== undefined && addr + len > startGap(next)) return false;
  return true;
}

/**
 * Linux's get_unmapped_area for a non-fixed mapping: the page-aligned hint
 * if that range is free, else top-down below `mmapBase`, else bottom-up from
 * TASK_SIZE/3 (the legacy base). Returns an address or -ENOMEM.
 */
export function unmappedArea(mm: MemoryManager, hint: number, len: number, flags: number): number {
  if (len > mm.maxAddr - mm.minAddr) return -ENOMEM;
  if ((flags & MAP_32BIT) !== 0) {
    const low = Math.max(mm.minAddr, MAP_32BIT_BEGIN);
    if (hint !== 0 && hint >= low && hint + len <= MAP_32BIT_END && rangeFree(mm, hint, len)) {
      return hint;
    }
    return gapBottomUp(mm, len, low, Math.min(MAP_32BIT_END, mm.maxAddr));
  }
  if (hint !== 0) {
    hint = pageDown(hint);
    if (hint <= mm.maxAddr - len && rangeFree(mm, hint, len)) return hint;
  }
  const r = gapTopDown(mm, len, mm.minAddr, Math.min(mm.mmapBase, mm.maxAddr));
  if (r >= 0) return r;
  return gapBottomUp(mm, len, Math.max(mm.minAddr, pageUp(mm.maxAddr / 3)), mm.maxAddr);
}

/** Bytes of VMAs inside `[start, end)` (count_vma_pages_range), and their charge. */
function overlapped(
  mm: MemoryManager,
  start: number,
  end: number,
): { size: number; charge: number } {
  let size = 0;
  let charge = 0;
  const a = mm.vmas.a;
  for (let i = mm.vmas.indexAfter(start); i < a.length && a[i]!.start < end; i++) {
    const v = a[i]!;
    const s = Math.max(v.start, start);
    const e = Math.min(v.end, end);
    size += e - s;
    if (v.charge > 0) charge += e - s;
  }
  return { size, charge };
}

/**
 * mmap(2). Returns the address of the new mapping or a negative errno.
 *
 * From mmap(2): "If addr is NULL, then the kernel chooses the (page-aligned)
 * address at which to create the mapping ... If addr is not NULL, then the
 * kernel takes it as a hint about where to place the mapping." With
 * MAP_FIXED_NOREPLACE, "if the requested range would collide with an existing
 * mapping, then this call fails with the error EEXIST."
 */
export function mmap(mm: MemoryManager, req: MmapRequest): number {
  // Checks follow do_mmap's order (mm/mmap.c), which the errno differential
  // with Linux pins down: length, address range, then the map type and the
  // file's access mode, then limits. The kernel has already refused a
  // misaligned offset (EINVAL) and a bad fd (EBADF).
  let flags = req.flags;
  const prot = req.prot;
  let addr = req.addr;
  const offset = req.offset ?? 0;
  const anonymous = (flags & MAP_ANONYMOUS) !== 0;
  const file = anonymous ? null : (req.file ?? null);
  if (!(offset >= 0) || !isPageAligned(offset)) return -EINVAL;
  if (!(req.length > 0)) return -EINVAL;
  if ((flags & MAP_FIXED_NOREPLACE) !== 0) flags |= MAP_FIXED;
  const fixed = (flags & MAP_FIXED) !== 0;
  if (!fixed && addr !== 0 && addr < mm.mmapMinAddr) addr = pageUp(mm.mmapMinAddr);
  const len = pageUp(req.length);
  // PAGE_ALIGN wraps to 0 past 2^64 - 4096.
  if (len >= 2 ** 64) return -ENOMEM;
  // "offset overflow?": pgoff + pages must not wrap 64 bits.
  if (offset / PAGE_SIZE + len / PAGE_SIZE >= 2 ** 64) return -EOVERFLOW;
  if (mm.vmas.size > MAX_MAP_COUNT) return -ENOMEM;

  // __get_unmapped_area: a MAP_FIXED address is taken as given, then checked.
  if (len > TASK_SIZE) return -ENOMEM;
  if (fixed) {
    if (addr > TASK_SIZE - len) return -ENOMEM;
    if (!isPageAligned(addr)) return -EINVAL;
    if (addr < mm.mmapMinAddr) return -EPERM;
    if (addr < mm.minAddr || addr + len > mm.maxAddr) return -ENOMEM;
  } else {
    addr = unmappedArea(mm, addr, len, flags);
    if (addr < 0) return addr;
  }
  if ((flags & MAP_FIXED_NOREPLACE) !== 0 && mm.vmas.overlaps(addr, addr + len)) return -EEXIST;

  const type = flags & MAP_TYPE;
  let maxProt = PROT_READ | PROT_WRITE | PROT_EXEC;
  let shared = false;
  let obj: SharedObject | null = null;
  let vflags = 0;
  if ((flags & MAP_GROWSDOWN) !== 0) vflags |= VMA_GROWSDOWN;
  if ((flags & MAP_NORESERVE) !== 0) vflags |= VMA_NORESERVE;
  if (!anonymous) {
    // file_mmap_ok: a regular file's mapping must end by MAX_LFS_FILESIZE.
    if ((req.fileRegular ?? true) && offset + len >= 2 ** 63) return -EOVERFLOW;
    if (type !== MAP_SHARED && type !== MAP_SHARED_VALIDATE && type !== MAP_PRIVATE) {
      return -EINVAL;
    }
    if (type !== MAP_PRIVATE) {
      // MAP_SHARED silently drops non-legacy flags; MAP_SHARED_VALIDATE refuses them.
      if (type === MAP_SHARED_VALIDATE && (flags & ~(LEGACY_MAP_MASK | MAP_SYNC)) !== 0) {
        return -EOPNOTSUPP;
      }
      if (type === MAP_SHARED_VALIDATE && (flags & MAP_SYNC) !== 0) return -EOPNOTSUPP;
      const writable = req.fileWritable ?? true;
      if ((prot & PROT_WRITE) !== 0 && !writable) return -EACCES;
      if (!writable) maxProt &= ~PROT_WRITE;
      shared = true;
    }
    if (!(req.fileReadable ?? true)) return -EACCES;
    if (req.fileNoexec === true) {
      if ((prot & PROT_EXEC) !== 0) return -EPERM;
      maxProt &= ~PROT_EXEC;
    }
    // "if (!file->f_op->mmap) return -ENODEV".
    if (file === null) return -ENODEV;
    if ((vflags & VMA_GROWSDOWN) !== 0) return -EINVAL;
  } else if (type === MAP_SHARED) {
    if ((vflags & VMA_GROWSDOWN) !== 0) return -EINVAL;
    shared = true;
  } else if (type !== MAP_PRIVATE) {
    // MAP_SHARED_VALIDATE has no anonymous case in do_mmap: EINVAL.
    return -EINVAL;
  }
  // mmap(2) ignores unknown prot bits (only mprotect validates them).

  // Limits: RLIMIT_AS counts what MAP_FIXED replaces as freed (may_expand_vm).
  const old = fixed ? overlapped(mm, addr, addr + len) : { size: 0, charge: 0 };
  if (mm.virtualSize - old.size + len > mm.limits.addressSpaceBytes) return -ENOMEM;
  // accountable_mapping: private writable memory not MAP_NORESERVE gets VM_ACCOUNT.
  if ((vflags & VMA_NORESERVE) === 0 && !shared && (prot & PROT_WRITE) !== 0) vflags |= VMA_ACCOUNT;
  const accountable =
    (vflags & VMA_ACCOUNT) !== 0 || (shared && file === null && (vflags & VMA_NORESERVE) === 0);
  if (accountable && !mm.mayCommit(len - old.charge)) return -ENOMEM;

  // Shared memory lives in its object; private file mappings read through
  // the file's page cache and copy pages on write.
  if (shared || file !== null) {
    obj =
      file !== null
        ? SharedObject.forFile(mm.allocator, file)
        : SharedObject.anonymous(mm.allocator, len / PAGE_SIZE, (vflags & VMA_NORESERVE) !== 0);
    obj.ref();
  }
  if (fixed) {
    const r = mm.removeRange(addr, addr + len);
    if (r < 0) {
      obj?.unref();
      return r;
    }
  }
  const vOffset = file !== null ? offset : shared ? 0 : addr;
  const v = new Vma(
    addr,
    addr + len,
    rwx(prot),
    maxProt,
    shared,
    obj,
    file,
    vOffset,
    req.name ?? null,
    vflags,
  );
  mm.insertVma(v);
  if (
    ((flags & MAP_POPULATE) !== 0 && (flags & MAP_NONBLOCK) === 0) ||
    (flags & MAP_LOCKED) !== 0
  ) {
    populate(mm, addr, addr + len);
  }
  return addr;
}

/**
 * Faults in every page of `[start, end)` as the VMAs allow (MAP_POPULATE,
 * MADV_POPULATE_*): writable private pages are made private copies. Errors
 * are ignored, as Linux's mm_populate does; returns the first failing
 * address or -1.
 */
export function populate(mm: MemoryManager, start: number, end: number, write?: boolean): number {
  for (let addr = start; addr < end; ) {
    const v = mm.vmas.find(addr);
    if (v === undefined) return addr;
    const stop = Math.min(end, v.end);
    const w = write ?? (v.prot & PROT_WRITE) !== 0;
    if (v.prot === 0) {
      addr = stop;
      continue;
    }
    for (; addr < stop; addr += PAGE_SIZE) {
      const e = mm.ptes.get(addr / PAGE_SIZE);
      if (e >= 0 && (e & PTE_MAPPED) !== 0 && !(w && (e & PTE_PRIVATE) !== 0)) continue;
      if (mm.handleFault(addr, w ? "write" : "read") !== 0) return addr;
    }
  }
  return -1;
}

/**
 * munmap(2): "The munmap() system call deletes the mappings for the
 * specified address range ... It is not an error if the indicated range does
 * not contain any mapped pages." EINVAL for an unaligned address, a zero or
 * out-of-range length.
 */
export function munmap(mm: MemoryManager, addr: number, length: number): number {
  if (!(addr >= 0) || !isPageAligned(addr) || addr > TASK_SIZE) return -EINVAL;
  if (!(length >= 0) || length > TASK_SIZE - addr) return -EINVAL;
  const len = pageUp(length);
  if (len === 0) return -EINVAL;
  return Math.min(mm.removeRange(addr, addr + len), 0);
}

/**
 * mprotect(2), with Linux's partial-failure behaviour: VMAs are changed one by
 * one from `addr`, and a hole (ENOMEM) or a VMA that may not get `prot`
 * (EACCES, e.g. PROT_WRITE on a MAP_SHARED mapping of a read-only file)
 * stops the walk with the earlier VMAs already changed.
 */
export function mprotect(mm: MemoryManager, addr: number, length: number, protArg: number): number {
  const grows = protArg & (PROT_GROWSDOWN | PROT_GROWSUP);
  let prot = protArg & ~(PROT_GROWSDOWN | PROT_GROWSUP);
  if (grows === (PROT_GROWSDOWN | PROT_GROWSUP)) return -EINVAL;
  if (!(addr >= 0) || !isPageAligned(addr)) return -EINVAL;
  if (length === 0) return 0;
  let start = addr;
  const len = pageUp(length);
  const end = start + len;
  // do_mprotect_pkey: "end = start + len; if (end <= start) return -ENOMEM"
  // in 64-bit arithmetic, before the prot bits are validated: a sum at or
  // past 2^64 wraps (PAGE_ALIGN(-4096) stays -4096), so it is ENOMEM too.
  if (!(length > 0) || end <= start || len === 0 || end >= 2 ** 64) return -ENOMEM;
  if (!validProtBits(prot)) return -EINVAL;
  prot = rwx(prot);
  const a = mm.vmas.a;
  let i = mm.vmas.indexAfter(start);
  const first = a[i];
  if (first === undefined || first.start >= end) return -ENOMEM;
  if (grows & PROT_GROWSDOWN) {
    if ((first.flags & VMA_GROWSDOWN) === 0) return -EINVAL;
    start = first.start;
  } else {
    if (first.start > start) return -ENOMEM;
    if (grows & PROT_GROWSUP) return -EINVAL;
  }
  // Check the commit charge of the whole change up front (Linux charges per
  // VMA in mprotect_fixup; failing before any change is a benign difference).
  let charge = 0;
  for (let j = i; j < a.length && a[j]!.start < end; j++) {
    const v = a[j]!;
    if (gainsAccount(v, prot)) {
      charge += Math.min(v.end, end) - Math.max(v.start, start);
    }
  }
  if (!mm.mayCommit(charge)) return -ENOMEM;

  let err = 0;
  let cur = start;
  const changed: Vma[] = [];
  i = mm.vmas.indexAfter(start);
  while (cur < end) {
    let v = a[i];
    if (v === undefined || v.start > cur) {
      err = -ENOMEM;
      break;
    }
    if ((prot & ~v.maxProt) !== 0) {
      err = -EACCES;
      break;
    }
    // Linux splits a VMA only when its flags change.
    if (v.prot !== prot) {
      if (v.start < cur) {
        mm.splitAt(cur);
        i++;
        v = a[i]!;
      }
      if (v.end > end) mm.splitAt(end);
      changed.push(v);
      mm.account(v, -1);
      if (gainsAccount(v, prot)) v.flags |= VMA_ACCOUNT;
      // mprotect_fixup: making unwritable an anonymous VMA with no anon_vma
      // yet gives its commit charge back.
      if ((prot & PROT_WRITE) === 0 && v.obj === null && v.file === null && v.anonVma === 0) {
        v.flags &= ~VMA_ACCOUNT;
      }
      v.prot = prot;
      mm.account(v, 1);
    }
    cur = v.end;
    i++;
  }
  const changedEnd = Math.min(cur, end);
  if (changedEnd > start) {
    const r = mm.reprotect(start, changedEnd);
    // mprotect_fixup merges a VMA with its neighbours only when its flags
    // changed; untouched VMAs keep their boundaries.
    mergeChanged(mm, changed);
    if (r < 0 && err === 0) err = r;
  }
  return err;
}

/**
 * Merges each VMA whose flags an mprotect/madvise walk changed with its
 * neighbours, in address order, as the walk's vma_modify calls do. A VMA
 * already absorbed by a merge is represented by the one now covering it.
 */
function mergeChanged(mm: MemoryManager, changed: readonly Vma[]): void {
  for (const v of changed) {
    const k = mm.vmas.indexAfter(v.start);
    if (k < mm.vmas.size && mm.vmas.a[k]!.start <= v.start) mm.mergeAround(k);
  }
}

/**
 * mprotect_fixup's accounting: a private VMA made writable gets VM_ACCOUNT
 * (and is charged) unless it has it, is writable already, or is NORESERVE.
 */
function gainsAccount(v: Vma, prot: number): boolean {
  return (
    (prot & PROT_WRITE) !== 0 &&
    !v.shared &&
    (v.flags & (VMA_ACCOUNT | VMA_NORESERVE)) === 0 &&
    (v.prot & PROT_WRITE) === 0
  );
}

/**
 * mremap(2): shrink in place, grow in place when the pages after the VMA are
 * free, or (MREMAP_MAYMOVE) move the whole VMA part, keeping its pages;
 * MREMAP_FIXED moves to `newAddr` replacing what is there; MREMAP_DONTUNMAP
 * leaves the old range mapped but empty. An `oldSize` of 0 on a shared mapping
 * creates a second mapping of the same pages.
 *
 * From mremap(2): EINVAL "old_address was not page aligned", "new_size was
 * zero", "MREMAP_FIXED or MREMAP_DONTUNMAP was specified without also
 * specifying MREMAP_MAYMOVE"; EFAULT "some address in the range old_address
 * to old_address+old_size is an invalid virtual memory address"; ENOMEM "the
 * memory area cannot be expanded at the current virtual address, and the
 * MREMAP_MAYMOVE flag is not set".
 */
export function mremap(
  mm: MemoryManager,
  oldAddr: number,
  oldSize: number,
  newSize: number,
  flags: number,
  newAddr: number,
): number {
  if ((flags & ~(MREMAP_FIXED | MREMAP_MAYMOVE | MREMAP_DONTUNMAP)) !== 0) return -EINVAL;
  const mayMove = (flags & MREMAP_MAYMOVE) !== 0;
  const fixed = (flags & MREMAP_FIXED) !== 0;
  const dontUnmap = (flags & MREMAP_DONTUNMAP) !== 0;
  if (fixed && !mayMove) return -EINVAL;
  if (dontUnmap && (!mayMove || oldSize !== newSize)) return -EINVAL;
  if (!(oldAddr >= 0) || !isPageAligned(oldAddr)) return -EINVAL;
  if (!(oldSize >= 0) || !(newSize >= 0) || oldSize > TASK_SIZE || newSize > TASK_SIZE) {
    return -EINVAL;
  }
  let oldLen = pageUp(oldSize);
  const newLen = pageUp(newSize);
  if (newLen === 0) return -EINVAL;

  if (fixed || dontUnmap) {
    return mremapTo(mm, oldAddr, oldLen, newAddr, newLen, fixed, dontUnmap);
  }
  const v0 = mm.vmas.find(oldAddr);
  if (v0 === undefined) return -EFAULT;
  if (oldLen >= newLen && oldLen !== 0) {
    if (oldLen === newLen) return oldAddr;
    const r = mm.removeRange(oldAddr + newLen, oldAddr + oldLen);
    return r < 0 ? r : oldAddr;
  }
  const v = checkResize(mm, oldAddr, oldLen, newLen);
  if (typeof v === "number") return v;
  // Grow in place when the old range ends the VMA and the pages after it are free.
  if (oldLen !== 0 && oldAddr + oldLen === v.end) {
    const delta = newLen - oldLen;
    // vma_expandable: only an overlap stops it (no stack guard gap).
    if (v.end + delta <= mm.maxAddr && !mm.vmas.overlaps(v.end, v.end + delta)) {
      mm.account(v, -1);
      v.end += delta;
      mm.account(v, 1);
      mm.mergeAround(mm.vmas.indexAfter(v.start));
      return oldAddr;
    }
  }
  if (!mayMove) return -ENOMEM;
  const to = unmappedArea(mm, 0, newLen, 0);
  if (to < 0) return to;
  oldLen = Math.min(oldLen, newLen);
  return moveVma(mm, v, oldAddr, oldLen, to, newLen, false);
}

/** mremap_to: MREMAP_FIXED and/or MREMAP_DONTUNMAP. */
function mremapTo(
  mm: MemoryManager,
  oldAddr: number,
  oldLen: number,
  newAddr: number,
  newLen: number,
  fixed: boolean,
  dontUnmap: boolean,
): number {
  if (fixed) {
    if (!(newAddr >= 0) || !isPageAligned(newAddr)) return -EINVAL;
    if (newLen > TASK_SIZE || newAddr > TASK_SIZE - newLen) return -EINVAL;
    // "The source and destination ranges may not overlap."
    if (oldAddr < newAddr + newLen && newAddr < oldAddr + oldLen) return -EINVAL;
  }
  if (!mm.vmas.find(oldAddr)) return -EFAULT;
  if (fixed) {
    if (newAddr < mm.mmapMinAddr) return -EPERM;
    if (newAddr < mm.minAddr || newAddr + newLen > mm.maxAddr) return -ENOMEM;
  }
  if (fixed && oldLen === newLen && oldLen > 0) {
    // mremap(2): "Since Linux 6.17, if old_size is equal to new_size and
    // MREMAP_FIXED is specified, then old_size may span beyond the mapping in
    // which old_address resides. In this case, gaps between mappings in the
    // original range are maintained in the new range." Each mapping replaces
    // only its own destination; the destination of a gap is left alone.
    const pieces: [number, number][] = [];
    const a = mm.vmas.a;
    for (let i = mm.vmas.indexAfter(oldAddr); i < a.length && a[i]!.start < oldAddr + oldLen; i++) {
      pieces.push([Math.max(a[i]!.start, oldAddr), Math.min(a[i]!.end, oldAddr + oldLen)]);
    }
    let extra = 0;
    if (dontUnmap) for (const [s, e] of pieces) extra += e - s;
    if (mm.virtualSize + extra > mm.limits.addressSpaceBytes) return -ENOMEM;
    for (const [s, e] of pieces) {
      const to = newAddr + (s - oldAddr);
      const r = mm.removeRange(to, to + (e - s));
      if (r < 0) return r;
      moveVma(mm, mm.vmas.find(s)!, s, e - s, to, e - s, dontUnmap);
    }
    return newAddr;
  }
  // Check everything before changing anything (as Linux 6.18 does).
  const v = checkResize(mm, oldAddr, Math.min(oldLen, newLen), newLen);
  if (typeof v === "number") return v;
  if (dontUnmap && mm.virtualSize + oldLen > mm.limits.addressSpaceBytes) return -ENOMEM;
  let to = newAddr;
  if (!fixed) {
    to = unmappedArea(mm, 0, newLen, 0);
    if (to < 0) return to;
  } else {
    const r = mm.removeRange(newAddr, newAddr + newLen);
    if (r < 0) return r;
  }
  if (oldLen > newLen) {
    const r = mm.removeRange(oldAddr + newLen, oldAddr + oldLen);
    if (r < 0) return r;
    oldLen = newLen;
  }
  return moveVma(mm, v, oldAddr, oldLen, to, newLen, dontUnmap);
}

/**
 * Linux's vma_to_resize: the VMA holding `[addr, addr + oldLen)`, or EFAULT
 * when the range is not inside one VMA, EINVAL for a zero `oldLen` on a
 * private mapping, ENOMEM when growing would pass RLIMIT_AS or the commit
 * limit.
 */
function checkResize(
  mm: MemoryManager,
  addr: number,
  oldLen: number,
  newLen: number,
): Vma | number {
  const v = mm.vmas.find(addr);
  if (v === undefined) return -EFAULT;
  if (oldLen > v.end - addr) return -EFAULT;
  if (oldLen === 0 && !v.shared) return -EINVAL;
  if (newLen === oldLen) return v;
  const delta = newLen - oldLen;
  if (delta > 0 && mm.virtualSize + delta > mm.limits.addressSpaceBytes) return -ENOMEM;
  if (delta > 0 && v.charge > 0 && !mm.mayCommit(delta)) return -ENOMEM;
  return v;
}

/**
 * Moves `[oldAddr, oldAddr + oldLen)` of `v` to a new VMA at `to` of `newLen`
 * bytes, carrying its pages (the page table entries move, no data is
 * copied). With `keepOld` (MREMAP_DONTUNMAP) the old range stays mapped and
 * empty. With `oldLen === 0` the old mapping is kept intact (shared only).
 * Precondition: `[to, to + newLen)` is free; `[oldAddr, oldAddr + oldLen)`
 * is inside `v`.
 */
function moveVma(
  mm: MemoryManager,
  v: Vma,
  oldAddr: number,
  oldLen: number,
  to: number,
  newLen: number,
  keepOld: boolean,
): number {
  const nv = v.cloneRange(oldAddr, oldAddr + newLen);
  nv.start = to;
  nv.end = to + newLen;
  // copy_vma: "If anonymous vma has not yet been faulted, update new pgoff
  // to match new location, to increase its chance of merging."
  if (nv.obj === null && nv.file === null && nv.anonVma === 0) nv.offset = to;
  // Carry the pages over: same memory-file offsets, new virtual pages.
  const delta = (to - oldAddr) / PAGE_SIZE;
  const moved: [number, number][] = [];
  let mapped = false;
  if (oldLen > 0) {
    for (const vpn of mm.ptesIn(oldAddr, oldAddr + oldLen)) {
      const e = mm.ptes.get(vpn);
      if ((e & PTE_MAPPED) !== 0) mapped = true;
      mm.ptes.delete(vpn);
      if ((e & PTE_PRIVATE) !== 0) {
        moved.push([vpn + delta, e - (e & PTE_MAPPED)]);
      }
      // Shared pages stay in the object; the new range faults them back in.
    }
    if (mapped) mm.addressSpace.unmap(oldAddr, oldLen);
    if (!keepOld) {
      mm.splitAt(oldAddr);
      mm.splitAt(oldAddr + oldLen);
      const i = mm.vmas.indexAfter(oldAddr);
      const old = mm.vmas.a[i]!;
      mm.account(old, -1);
      mm.vmas.a.splice(i, 1);
      old.obj?.unref();
    }
  }
  mm.insertVma(nv);
  if (keepOld && oldLen > 0) {
    // After the new VMA was placed (and possibly merged with the old one):
    // "anon_vma links of the old vma is no longer needed after its page table
    // has been moved" when all of it moved. It keeps VM_ACCOUNT; the new VMA
    // is charged too.
    const old = mm.vmas.find(oldAddr)!;
    if (old.start === oldAddr && old.end === oldAddr + oldLen) {
      old.anonVma = 0;
      old.anonForked = false;
    }
  }
  for (const [vpn, e] of moved) mm.ptes.set(vpn, e);
  return to;
}

/**
 * brk(2) with Linux's semantics (mm/mmap.c): returns the new break, or the
 * unchanged current break when the request is refused (below the start of
 * the heap, RLIMIT_DATA, RLIMIT_AS, overlapping a mapping, out of memory).
 * `brk(0)` returns the current break.
 */
export function brk(mm: MemoryManager, addr: number): number {
  const orig = mm.brkCur;
  if (mm.brkStart === 0) return orig;
  if (!(addr >= mm.brkStart) || addr > TASK_SIZE) return orig;
  if (addr - mm.brkStart > mm.limits.dataBytes) return orig;
  const newBrk = pageUp(addr);
  const oldBrk = pageUp(mm.brkCur);
  if (oldBrk === newBrk) {
    mm.brkCur = addr;
    return addr;
  }
  if (addr <= mm.brkCur) {
    mm.brkCur = addr;
    mm.removeRange(newBrk, oldBrk);
    return addr;
  }
  // Grow: the new pages must leave a page free below the next mapping.
  const next = mm.vmas.a[mm.vmas.indexAfter(oldBrk)];
  if (next !== undefined && newBrk + PAGE_SIZE > startGap(next)) return orig;
  if (newBrk > mm.maxAddr) return orig;
  const len = newBrk - oldBrk;
  if (mm.virtualSize + len > mm.limits.addressSpaceBytes) return orig;
  if (!mm.mayCommit(len)) return orig;
  if (mm.vmas.size > MAX_MAP_COUNT) return orig;
  const v = new Vma(
    oldBrk,
    newBrk,
    PROT_READ | PROT_WRITE,
    PROT_READ | PROT_WRITE | PROT_EXEC,
    false,
    null,
    null,
    oldBrk,
    null,
    VMA_ACCOUNT,
  );
  mm.insertVma(v);
  mm.brkCur = addr;
  return addr;
}

/**
 * Sets the start of the heap (`mm->start_brk = mm->brk`), for the ELF loader,
 * after the program's segments are mapped.
 */
export function setBrkBase(mm: MemoryManager, start: number): void {
  mm.brkStart = start;
  mm.brkCur = start;
}

/**
 * madvise(2). Supported with effect: MADV_DONTNEED (private pages dropped:
 * anonymous memory reads as zeros again, private file pages are re-read from
 * the file; shared pages stay in their object), MADV_FREE (as DONTNEED, which
 * madvise(2) allows: the kernel "can free the pages"), MADV_REMOVE (zeroes
 * shared anonymous memory), MADV_DONTFORK / DOFORK / WIPEONFORK /
 * KEEPONFORK (fork behaviour), MADV_POPULATE_READ / WRITE, MADV_WILLNEED.
 * Accepted as hints with no effect: NORMAL, RANDOM, SEQUENTIAL, MERGEABLE,
 * UNMERGEABLE, HUGEPAGE, NOHUGEPAGE, DONTDUMP, DODUMP, COLD, PAGEOUT.
 * Unmapped parts of the range make the call fail with ENOMEM after the
 * mapped parts were handled, as Linux does.
 */
export function madvise(mm: MemoryManager, addr: number, length: number, advice: number): number {
  switch (advice) {
    case MADV_NORMAL:
    case MADV_RANDOM:
    case MADV_SEQUENTIAL:
    case MADV_WILLNEED:
    case MADV_DONTNEED:
    case MADV_DONTNEED_LOCKED:
    case MADV_FREE:
    case MADV_REMOVE:
    case MADV_DONTFORK:
    case MADV_DOFORK:
    case MADV_MERGEABLE:
    case MADV_UNMERGEABLE:
    case MADV_HUGEPAGE:
    case MADV_NOHUGEPAGE:
    case MADV_DONTDUMP:
    case MADV_DODUMP:
    case MADV_WIPEONFORK:
    case MADV_KEEPONFORK:
    case MADV_COLD:
    case MADV_PAGEOUT:
    case MADV_POPULATE_READ:
    case MADV_POPULATE_WRITE:
      break;
    default:
      return -EINVAL;
  }
  if (!(addr >= 0) || !isPageAligned(addr)) return -EINVAL;
  if (!(length >= 0)) return -EINVAL;
  const len = pageUp(length);
  if (length !== 0 && len === 0) return -EINVAL;
  const end = addr + len;
  if (end < addr || end > TASK_SIZE + PAGE_SIZE) return -EINVAL;
  if (end === addr) return 0;

  // Walk the VMAs of the range; holes make the result ENOMEM.
  let err = 0;
  let unmapped = false;
  let cur = addr;
  const a = mm.vmas.a;
  let i = mm.vmas.indexAfter(addr);
  if (i >= a.length || a[i]!.start >= end) return -ENOMEM;
  const changed: Vma[] = [];
  while (cur < end) {
    let v = a[i];
    if (v === undefined || v.start >= end) {
      unmapped = true;
      break;
    }
    if (v.start > cur) unmapped = true;
    const s = Math.max(v.start, cur);
    const e = Math.min(v.end, end);
    // Per-VMA checks, in walk order: an error stops the walk, earlier VMAs stay changed.
    if (
      (advice === MADV_FREE || advice === MADV_WIPEONFORK) &&
      (v.obj !== null || v.file !== null)
    ) {
      return -EINVAL;
    }
    if (advice === MADV_REMOVE) {
      // madvise_remove: a file is needed, and a shared mapping that may be written.
      if (v.obj === null) return -EINVAL;
      if (!v.shared || (v.maxProt & PROT_WRITE) === 0) return -EACCES;
    }
    switch (advice) {
      case MADV_DONTNEED:
      case MADV_DONTNEED_LOCKED:
      case MADV_FREE: {
        const r = mm.dropPtesAndUnmap(s, e);
        if (r < 0 && err === 0) err = r;
        break;
      }
      case MADV_REMOVE: {
        // "Free up a given range of pages and its associated backing store.
        // This is equivalent to punching a hole": subsequent reads see zeros,
        // in every mapping of the object and (for files) in the file itself.
        const r = v.obj!.punchHole(v.offsetOf(s), e - s);
        if (r < 0) return r;
        break;
      }
      case MADV_DONTFORK:
      case MADV_DOFORK:
      case MADV_WIPEONFORK:
      case MADV_KEEPONFORK: {
        const flags =
          advice === MADV_DONTFORK
            ? v.flags | VMA_DONTFORK
            : advice === MADV_DOFORK
              ? v.flags & ~VMA_DONTFORK
              : advice === MADV_WIPEONFORK
                ? v.flags | VMA_WIPEONFORK
                : v.flags & ~VMA_WIPEONFORK;
        // madvise_update_vma: split and merge only when the flags change.
        if (flags === v.flags) break;
        if (v.start < s) {
          mm.splitAt(s);
          i++;
          v = a[i]!;
        }
        if (v.end > e) mm.splitAt(e);
        v.flags = flags;
        changed.push(v);
        break;
      }
      case MADV_WILLNEED:
      case MADV_POPULATE_READ:
      case MADV_POPULATE_WRITE: {
        if (advice === MADV_WILLNEED) break;
        const write = advice === MADV_POPULATE_WRITE;
        if (v.prot === 0 || (write && (v.prot & PROT_WRITE) === 0)) {
          if (err === 0) err = -EINVAL;
          break;
        }
        if (populate(mm, s, e, write) >= 0 && err === 0) err = -EFAULT;
        break;
      }
      default:
        break;
    }
    cur = e;
    i++;
  }
  mergeChanged(mm, changed);
  if (err !== 0) return err;
  return unmapped ? -ENOMEM : 0;
}

/**
 * msync(2): writes dirty pages of shared file mappings in the range back to
 * their files (MS_SYNC and MS_ASYNC alike: the Mappable is not the page
 * cache, so even MS_ASYNC must copy for read(2) to see the data). From msync(2): EINVAL "addr is
 * not a multiple of PAGESIZE; or any bit other than MS_ASYNC | MS_INVALIDATE
 * | MS_SYNC is set in flags; or both MS_SYNC and MS_ASYNC are set"; ENOMEM
 * "the indicated memory (or part of it) was not mapped".
 */
export function msync(mm: MemoryManager, addr: number, length: number, flags: number): number {
  if ((flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) !== 0) return -EINVAL;
  if (!(addr >= 0) || !isPageAligned(addr)) return -EINVAL;
  if ((flags & MS_ASYNC) !== 0 && (flags & MS_SYNC) !== 0) return -EINVAL;
  if (!(length >= 0)) return -ENOMEM;
  const end = addr + pageUp(length);
  if (end < addr) return -ENOMEM;
  if (end === addr) return 0;
  let unmapped = false;
  let cur = addr;
  const a = mm.vmas.a;
  for (let i = mm.vmas.indexAfter(addr); cur < end; i++) {
    const v = a[i];
    if (v === undefined || v.start >= end) return -ENOMEM;
    if (v.start > cur) {
      // msync(2) "ENOMEM: The indicated memory (or part of it) was not mapped."
      if (flags === MS_SYNC) return -ENOMEM;
      unmapped = true;
    }
    const s = Math.max(v.start, cur);
    const e = Math.min(v.end, end);
    if (v.shared && v.obj !== null && v.obj.file !== null && (flags & (MS_SYNC | MS_ASYNC)) !== 0) {
      const first = v.offsetOf(s) / PAGE_SIZE;
      const r = v.obj.writeback(first, (e - s) / PAGE_SIZE);
      if (r < 0) return r;
    }
    cur = e;
  }
  // MS_INVALIDATE on locked pages would be EBUSY; mlock(2) is not modelled.
  return unmapped ? -ENOMEM : 0;
}

/**
 * mincore(2): sets `vec[i]` to 1 when page `i` of the range is resident
 * (present in this MM, or in the shared object behind it), else 0. ENOMEM
 * when part of the range is unmapped; EINVAL for an unaligned address.
 * Preconditions: `vec.length >= ceil(length / PAGE_SIZE)`.
 */
export function mincore(mm: MemoryManager, addr: number, length: number, vec: Uint8Array): number {
  if (!(addr >= 0) || !isPageAligned(addr)) return -EINVAL;
  if (!(length >= 0) || length > TASK_SIZE || addr > TASK_SIZE - length) return -ENOMEM;
  const pages = Math.ceil(length / PAGE_SIZE);
  const end = addr + pages * PAGE_SIZE;
  let cur = addr;
  const a = mm.vmas.a;
  for (let i = mm.vmas.indexAfter(addr); cur < end; i++) {
    const v = a[i];
    if (v === undefined || v.start > cur) return -ENOMEM;
    const e = Math.min(v.end, end);
    for (; cur < e; cur += PAGE_SIZE) {
      const vpn = cur / PAGE_SIZE;
      let resident = mm.ptes.has(vpn);
      if (!resident && v.obj !== null) resident = v.obj.peek(v.offsetOf(cur) / PAGE_SIZE) >= 0;
      vec[(cur - addr) / PAGE_SIZE] = resident ? 1 : 0;
    }
  }
  return 0;
}
