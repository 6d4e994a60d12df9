/**
 * Memory syscalls over @tsvisor/mm: mmap, munmap, mprotect, mremap, brk,
 * madvise, msync, mincore. mm implements Linux's semantics and errnos; this
 * file decodes arguments and resolves the file of a file mapping.
 *
 * Every handler runs on behalf of the calling task `t`.
 */
import {
  EBADF,
  EFAULT,
  EINVAL,
  ENODEV,
  MAP_ANONYMOUS,
  MAP_HUGE_MASK,
  MAP_HUGE_SHIFT,
  MAP_HUGETLB,
  O_PATH,
  S_IFREG,
} from "@tsvisor/abi";
import { PipeFile } from "../pipe.js";
import type { Task } from "../task.js";
import { fdTable } from "./file-common.js";
import type { SyscallArgs } from "./syscall.js";

/**
 * mmap(2): addr, length, prot, flags, fd, offset.
 *
 * Checks in Linux's order: the x86-64 entry point refuses a misaligned
 * offset ("EINVAL ... offset not a multiple of the page size") first;
 * ksys_mmap_pgoff then looks up the fd of a non-anonymous map ("EBADF fd
 * is not a valid file descriptor (and MAP_ANONYMOUS was not set)") — even
 * for a zero length — and refuses MAP_HUGETLB on a file that is not on
 * hugetlbfs, or a huge page size the machine lacks. Everything else
 * (length, range, map type, the file's access mode, ENODEV for a file
 * without mmap) is do_mmap's order, in @tsvisor/mm.
 */
export function sysMmap(t: Task, a: SyscallArgs): number {
  const addr = a.ptr(0);
  const length = a.u64(1);
  const prot = a.int(2);
  const flags = a.int(3);
  const fd = a.int(4);
  const offset = a.u64(5);
  if (offset % 4096 !== 0) return -EINVAL;
  if ((flags & MAP_ANONYMOUS) !== 0) {
    if (flags & MAP_HUGETLB) {
      // hstate_sizelog: 0 means the default (2 MiB); x86-64 has 2 MiB and 1 GiB pages.
      const log = (flags >>> MAP_HUGE_SHIFT) & MAP_HUGE_MASK;
      if (log !== 0 && log !== 21 && log !== 30) return -EINVAL;
    }
    return t.mm.mmap({ addr, length, prot, flags, offset: 0 });
  }
  const f = fdTable(t).get(fd);
  if (!f || f.flags & O_PATH) return -EBADF;
  if (flags & MAP_HUGETLB) return -EINVAL;
  const resolve = t.kernel.services.fileForMmap;
  const r = resolve === undefined ? -ENODEV : resolve(t, fd);
  return t.mm.mmap({
    addr,
    length,
    prot,
    flags,
    file: typeof r === "number" ? null : r.mappable,
    offset,
    fileReadable: f.readable,
    fileWritable: f.writable,
    fileRegular: f.inode?.fileType === S_IFREG,
    // pipefs is SB_I_NOEXEC (measured: mmap(pipe, PROT_EXEC) is EPERM).
    fileNoexec: f instanceof PipeFile,
  });
}

export function sysMunmap(t: Task, a: SyscallArgs): number {
  return t.mm.munmap(a.ptr(0), a.u64(1));
}

export function sysMprotect(t: Task, a: SyscallArgs): number {
  return t.mm.mprotect(a.ptr(0), a.u64(1), a.int(2));
}

/** mremap(2): old_address, old_size, new_size, flags, new_address. */
export function sysMremap(t: Task, a: SyscallArgs): number {
  return t.mm.mremap(a.ptr(0), a.u64(1), a.u64(2), a.int(3), a.ptr(4));
}

/** brk(2): the kernel call returns the (possibly unchanged) break, never an errno. */
export function sysBrk(t: Task, a: SyscallArgs): number {
  return t.mm.brk(a.ptr(0));
}

export function sysMadvise(t: Task, a: SyscallArgs): number {
  return t.mm.madvise(a.ptr(0), a.u64(1), a.int(2));
}

export function sysMsync(t: Task, a: SyscallArgs): number {
  return t.mm.msync(a.ptr(0), a.u64(1), a.int(2));
}

/** mincore(2): one byte per page of [addr, addr+length) written to vec. */
export function sysMincore(t: Task, a: SyscallArgs): number {
  const length = a.u64(1);
  const pages = Math.ceil(length / 4096);
  if (pages > 1 << 24) return -EINVAL;
  const vec = new Uint8Array(pages);
  const r = t.mm.mincore(a.ptr(0), length, vec);
  if (r < 0) return r;
  if (pages > 0 && t.mm.copyOut(a.ptr(2), vec) !== pages) return -EFAULT;
  return 0;
}
