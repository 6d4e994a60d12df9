/**
 * Memory syscalls over @tsvisor/mm: mmap, munmap, mprotect, mremap, brk,
 * madvise, msync, mincore. mm implements Linux's semantics and errnos; this
 * file decodes arguments and resolves the file of a file mapping.
 *
 * Every handler runs on behalf of the calling task `t`.
 */
import { EBADF, EFAULT, EINVAL, MAP_ANONYMOUS } from "@tsvisor/abi";
import type { Task } from "../task.js";
import type { SyscallArgs } from "./syscall.js";

/** mmap(2): addr, length, prot, flags, fd, offset. */
export function sysMmap(t: Task, a: SyscallArgs): number {
  const addr = a.ptr(0);
  const length = a.u64(1);
  const prot = a.int(2);
  const flags = a.int(3);
  const fd = a.int(4);
  const offset = a.u64(5);
  if ((flags & MAP_ANONYMOUS) !== 0) {
    return t.mm.mmap({ addr, length, prot, flags, offset: 0 });
  }
  // "EINVAL ... offset not a multiple of the page size" is checked before the fd.
  if (offset % 4096 !== 0) return -EINVAL;
  if (length === 0) return -EINVAL;
  const resolve = t.kernel.services.fileForMmap;
  if (resolve === undefined) return -EBADF;
  const f = resolve(t, fd);
  if (typeof f === "number") return f;
  return t.mm.mmap({
    addr,
    length,
    prot,
    flags,
    file: f.mappable,
    offset,
    fileReadable: f.readable,
    fileWritable: f.writable,
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
