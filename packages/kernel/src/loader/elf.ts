/**
 * The ELF64 x86-64 loader: parses and validates an executable, then maps its
 * PT_LOAD segments into a fresh memory manager.
 *
 * The checks and their errnos follow Linux's fs/binfmt_elf.c
 * (load_elf_binary, load_elf_phdrs), in Linux's order, split at Linux's
 * "point of no return":
 * - {@link parseElf} runs everything Linux checks before `begin_new_exec`:
 *   failures are errnos returned to the still-intact caller of execve.
 * - {@link loadElf} maps segments after the point of no return: Linux kills
 *   the process with SIGSEGV if that fails (`force_fatal_sig(SIGSEGV)` in
 *   bprm_execve), so it returns a failure the exec code turns into SIGSEGV.
 *
 * Segments are loaded by copying the file's bytes into private anonymous
 * memory (then applying the segment's protection), which is what a private
 * file mapping looks like to the program; /proc/PID/maps names them as
 * anonymous (see notes in task-exec.ts).
 *
 * A malformed file never throws: every field is range-checked as a number.
 */
import {
  EFAULT,
  EINVAL,
  EIO,
  ELFMAG0,
  ELFMAG1,
  ELFMAG2,
  ELFMAG3,
  EM_X86_64,
  ENOEXEC,
  ET_DYN,
  ET_EXEC,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_PRIVATE,
  PF_R,
  PF_W,
  PF_X,
  PROT_EXEC,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
  PT_GNU_STACK,
  PT_INTERP,
  PT_LOAD,
} from "@tsvisor/abi";
import type { Mappable } from "@tsvisor/mm";
import type { TaskMemory } from "../interfaces.js";

/** An executable file opened for reading by exec. */
export interface ExecFile {
  /** The file's size in bytes. */
  readonly size: number;
  /**
   * The file as mm can map it. When present, segments are private file
   * mappings (named in /proc/PID/maps); otherwise their bytes are copied.
   */
  readonly mappable?: Mappable;
  /**
   * Reads up to `dst.length` bytes at `offset`; returns the count (short at
   * EOF) or a negative errno.
   */
  readAt(offset: number, dst: Uint8Array): number;
}

/** sizeof(Elf64_Ehdr). */
export const EHDR_SIZE = 64;
/** sizeof(Elf64_Phdr). */
export const PHDR_SIZE = 56;
/** Linux's ELF_MIN_ALIGN on x86-64: program headers must fit in one page. */
const ELF_MIN_ALIGN = 4096;
const PAGE = 4096;
/** PATH_MAX: the longest PT_INTERP Linux accepts. */
const PATH_MAX = 4096;
/** Linux's TASK_SIZE on x86-64 with 4-level paging: 2^47 - 4096. */
export const TASK_SIZE = 0x7ffffffff000;

/** One program header. */
export interface Phdr {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  align: number;
}

/** A parsed, validated ELF executable. */
export interface ElfImage {
  type: number;
  entry: number;
  phoff: number;
  phnum: number;
  phdrs: Phdr[];
  /** The PT_INTERP path, or null for a static program. */
  interp: string | null;
  /** PT_GNU_STACK asked for an executable stack. */
  execStack: boolean;
}

const pageDown = (x: number): number => x - (x % PAGE);
const pageUp = (x: number): number => Math.ceil(x / PAGE) * PAGE;

/** Reads a u64 as a number; values >= 2^53 come out >= 2^53 (still "too big"). */
function u64(dv: DataView, off: number): number {
  return dv.getUint32(off + 4, true) * 4294967296 + dv.getUint32(off, true);
}

/** Reads exactly `len` bytes at `off`; a short read is -EIO, like Linux's elf_read. */
function readExact(f: ExecFile, off: number, len: number): Uint8Array | number {
  const buf = new Uint8Array(len);
  if (!Number.isSafeInteger(off) || off < 0) return -EIO;
  const n = f.readAt(off, buf);
  if (n < 0) return n;
  if (n !== len) return -EIO;
  return buf;
}

/** Whether `head` (the first bytes of a file) starts with the ELF magic. */
export function hasElfMagic(head: Uint8Array): boolean {
  return (
    head.length >= 4 &&
    head[0] === ELFMAG0 &&
    head[1] === ELFMAG1 &&
    head[2] === ELFMAG2 &&
    head[3] === ELFMAG3
  );
}

/**
 * Validates the ELF header and program headers of `f` and reads PT_INTERP,
 * as Linux does before the point of no return. Returns the image or a
 * negative errno: ENOEXEC (not a loadable x86-64 ELF, bad program headers,
 * bad PT_INTERP), EIO (a read fell short of PT_INTERP's bytes).
 */
export function parseElf(f: ExecFile): ElfImage | number {
  if (f.size < EHDR_SIZE) return -ENOEXEC;
  const eh = readExact(f, 0, EHDR_SIZE);
  if (typeof eh === "number") return -ENOEXEC;
  if (!hasElfMagic(eh)) return -ENOEXEC;
  const dv = new DataView(eh.buffer);
  const type = dv.getUint16(16, true);
  const machine = dv.getUint16(18, true);
  // load_elf_binary: "if (elf_ex->e_type != ET_EXEC && elf_ex->e_type != ET_DYN) goto out;"
  if (type !== ET_EXEC && type !== ET_DYN) return -ENOEXEC;
  // elf_check_arch(): e_machine == EM_X86_64. 32-bit (EM_386) files would go
  // to compat_binfmt_elf on Linux; tsvisor runs 64-bit programs only.
  if (machine !== EM_X86_64) return -ENOEXEC;
  const entry = u64(dv, 24);
  const phoff = u64(dv, 32);
  const phentsize = dv.getUint16(54, true);
  const phnum = dv.getUint16(56, true);
  // load_elf_phdrs: "if (elf_ex->e_phentsize != sizeof(struct elf_phdr)) goto out;"
  // then "if (size == 0 || size > 65536 || size > ELF_MIN_ALIGN) goto out;"
  if (phentsize !== PHDR_SIZE) return -ENOEXEC;
  const size = phnum * PHDR_SIZE;
  if (size === 0 || size > 65536 || size > ELF_MIN_ALIGN) return -ENOEXEC;
  const ph = readExact(f, phoff, size);
  if (typeof ph === "number") return -ENOEXEC; // load_elf_phdrs failing is ENOEXEC
  const pdv = new DataView(ph.buffer);
  const phdrs: Phdr[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = i * PHDR_SIZE;
    phdrs.push({
      type: pdv.getUint32(o, true),
      flags: pdv.getUint32(o + 4, true),
      offset: u64(pdv, o + 8),
      vaddr: u64(pdv, o + 16),
      filesz: u64(pdv, o + 32),
      memsz: u64(pdv, o + 40),
      align: u64(pdv, o + 48),
    });
  }
  let interp: string | null = null;
  for (const p of phdrs) {
    if (p.type !== PT_INTERP) continue;
    // "if (elf_ppnt->p_filesz > PATH_MAX || elf_ppnt->p_filesz < 2) goto out_free_ph;"
    if (p.filesz > PATH_MAX || p.filesz < 2) return -ENOEXEC;
    const s = readExact(f, p.offset, p.filesz);
    if (typeof s === "number") return s;
    // "make sure path is NULL terminated"
    if (s[p.filesz - 1] !== 0) return -ENOEXEC;
    const nul = s.indexOf(0);
    interp = Buffer.from(s.subarray(0, nul)).toString("latin1");
    break;
  }
  let execStack = false;
  for (const p of phdrs) {
    if (p.type === PT_GNU_STACK) execStack = (p.flags & PF_X) !== 0;
  }
  return { type, entry, phoff, phnum, phdrs, interp, execStack };
}

/** Where an image landed. */
export interface LoadedImage {
  /** Load bias added to every p_vaddr (0 for ET_EXEC). */
  bias: number;
  /** e_entry + bias. */
  entry: number;
  /** Address of the program headers in memory (AT_PHDR), 0 if not mapped. */
  phdrAddr: number;
  /** One past the end of the highest segment's memory (where brk starts). */
  end: number;
  /**
   * First page of a segment whose file bytes lie beyond the end of the file
   * (it would raise SIGBUS when touched), or 0.
   */
  beyondEof: number;
}

/**
 * Maps one PT_LOAD the way Linux's elf_map + padzero + the bss mapping do:
 * whole file pages privately from the file, the tail of the last file page
 * zeroed when the segment has a bss, then anonymous pages up to p_memsz.
 * Pages past EOF raise SIGBUS when touched (mm's file mapping semantics); a
 * bss tail there fails to zero (EFAULT → SIGSEGV, as Linux).
 */
function mapSegment(mm: TaskMemory, file: Mappable, p: Phdr, vaddr: number): number {
  const prot = segmentProt(p.flags);
  const start = pageDown(vaddr);
  const fileEnd = vaddr + p.filesz;
  const memEnd = vaddr + p.memsz;
  let anonStart = start;
  if (p.filesz > 0) {
    const fileMapEnd = pageUp(fileEnd);
    const r = mm.mmap({
      addr: start,
      length: fileMapEnd - start,
      prot,
      flags: MAP_PRIVATE | MAP_FIXED,
      file,
      offset: p.offset - (vaddr - start),
      fileReadable: true,
      fileWritable: false,
    });
    if (r < 0) return r;
    anonStart = fileMapEnd;
    if (p.memsz > p.filesz && fileMapEnd > fileEnd) {
      // padzero: clear the rest of the last file page (made writable for it).
      const writable = (prot & PROT_WRITE) !== 0;
      if (!writable && mm.mprotect(pageDown(fileEnd), PAGE, prot | PROT_WRITE) < 0) return -EFAULT;
      const z = mm.zero(fileEnd, fileMapEnd - fileEnd);
      if (!writable) mm.mprotect(pageDown(fileEnd), PAGE, prot);
      if (z < 0) return -EFAULT;
    }
  }
  const anonEnd = pageUp(memEnd);
  if (anonEnd > anonStart) {
    const r = mm.mmap({
      addr: anonStart,
      length: anonEnd - anonStart,
      prot,
      flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
    });
    if (r < 0) return r;
  }
  return 0;
}

/** Protection of a segment from its p_flags. */
function segmentProt(flags: number): number {
  let prot = PROT_NONE;
  if (flags & PF_R) prot |= PROT_READ;
  if (flags & PF_W) prot |= PROT_WRITE;
  if (flags & PF_X) prot |= PROT_EXEC;
  return prot;
}

/**
 * Maps the PT_LOAD segments of `img` into `mm`. For ET_DYN, `biasHint` is
 * the preferred load address of the lowest segment (0: let mmap choose).
 *
 * Preconditions: `img` came from {@link parseElf} on `f`; called after the
 * point of no return on behalf of the execing task.
 *
 * Returns the placement, or a negative errno (EINVAL for sizes Linux's
 * "Check to see if the section's size will overflow the allowed task size"
 * rejects, ENOMEM, EIO); the caller kills the task with SIGSEGV then.
 */
export function loadElf(
  mm: TaskMemory,
  f: ExecFile,
  img: ElfImage,
  biasHint: number,
): LoadedImage | number {
  const loads = img.phdrs.filter((p) => p.type === PT_LOAD);
  if (loads.length === 0) return -EINVAL;
  for (const p of loads) {
    // BAD_ADDR(k) || p_filesz > p_memsz || p_memsz > TASK_SIZE || TASK_SIZE - p_memsz < k
    if (p.filesz > p.memsz || p.memsz > TASK_SIZE || p.vaddr >= TASK_SIZE) return -EINVAL;
    if (TASK_SIZE - p.memsz < p.vaddr) return -EINVAL;
    // A file mapping needs offset and address congruent modulo the page size.
    if (p.offset % PAGE !== p.vaddr % PAGE) return -EINVAL;
    if (p.offset > Number.MAX_SAFE_INTEGER - p.filesz) return -EINVAL;
  }
  let bias = 0;
  if (img.type === ET_DYN) {
    // Reserve the whole span (total_mapping_size) so segments land together.
    const lo = pageDown(Math.min(...loads.map((p) => p.vaddr)));
    const hi = pageUp(Math.max(...loads.map((p) => p.vaddr + p.memsz)));
    if (hi - lo <= 0 || hi - lo > TASK_SIZE) return -EINVAL;
    const flags = MAP_PRIVATE | MAP_ANONYMOUS | (biasHint !== 0 ? MAP_FIXED : 0);
    const at = mm.mmap({ addr: biasHint, length: hi - lo, prot: PROT_NONE, flags });
    if (at < 0) return at;
    bias = at - lo;
  }
  let end = 0;
  let phdrAddr = 0;
  let beyondEof = 0;
  for (const p of loads) {
    const vaddr = bias + p.vaddr;
    const start = pageDown(vaddr);
    const fileEnd = vaddr + p.filesz;
    const memEnd = vaddr + p.memsz;
    const mapEnd = pageUp(memEnd);
    if (f.mappable !== undefined) {
      const r = mapSegment(mm, f.mappable, p, vaddr);
      if (r < 0) return r;
      end = Math.max(end, memEnd);
      if (phdrAddr === 0 && img.phoff >= p.offset && img.phoff < p.offset + p.filesz) {
        phdrAddr = vaddr + (img.phoff - p.offset);
      }
      continue;
    }
    if (mapEnd > start) {
      const r = mm.mmap({
        addr: start,
        length: mapEnd - start,
        prot: PROT_READ | PROT_WRITE,
        flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
      });
      if (r < 0) return r;
    }
    // Like a private file mapping of whole pages: the bytes of the file from
    // the page containing p_offset up to the page end after p_filesz, with
    // the tail after p_filesz zeroed when the segment has a bss (padzero).
    if (p.filesz > 0) {
      const fileStart = p.offset - (vaddr - start);
      let copyEnd = pageUp(fileEnd) - start;
      if (p.memsz > p.filesz) copyEnd = fileEnd - start;
      const want = Math.min(copyEnd, f.size - fileStart);
      if (p.offset + p.filesz > f.size) {
        // Pages of a private file mapping beyond EOF raise SIGBUS when
        // touched; zeroing a bss tail there (padzero) fails first, which
        // Linux turns into SIGSEGV after the point of no return.
        if (p.memsz > p.filesz) return -EFAULT;
        const eofPage = pageUp(start + Math.max(0, f.size - fileStart));
        if (beyondEof === 0 || eofPage < beyondEof) beyondEof = eofPage;
      }
      if (want > 0) {
        const buf = new Uint8Array(want);
        const n = f.readAt(fileStart, buf);
        if (n < 0) return n;
        const w = mm.copyOut(start, buf.subarray(0, n));
        if (w < 0) return w;
      }
    }
    const pr = mm.mprotect(start, mapEnd - start, segmentProt(p.flags));
    if (pr < 0) return pr;
    end = Math.max(end, memEnd);
    // AT_PHDR: the address the program headers are mapped at.
    if (phdrAddr === 0 && img.phoff >= p.offset && img.phoff < p.offset + p.filesz) {
      phdrAddr = vaddr + (img.phoff - p.offset);
    }
  }
  return { bias, entry: img.entry + bias, phdrAddr, end, beyondEof };
}
