/**
 * File I/O system calls: open, close, read, write and their vectored and
 * positional variants, lseek, fsync, truncate, sendfile.
 *
 * Handlers run on behalf of the calling task `t`, copy arguments in from
 * its memory, call @tsvisor/vfs, and return a result or a negative errno.
 * Reads and writes on pipes and host stdio may block: they return a Block
 * on the file's waitable unless the description is O_NONBLOCK.
 *
 * Also here: the helpers the other file-syscall modules share (the task's
 * vfs view, path copy-in), and the vfs-backed kernel services (opening
 * executables, stdio, file mappings).
 *
 * Inspired by gVisor's pkg/sentry/syscalls/linux/vfs2/{read_write.go,fd.go}.
 */
import {
  AT_FDCWD,
  decodeOpenHow,
  E2BIG,
  EACCES,
  EAGAIN,
  EBADF,
  EFBIG,
  EISDIR,
  EOPNOTSUPP,
  FALLOC_FL_KEEP_SIZE,
  EFAULT,
  EINVAL,
  ENODEV,
  EPIPE,
  ERESTARTSYS,
  ESPIPE,
  O_CLOEXEC,
  O_ACCMODE,
  O_APPEND,
  O_ASYNC,
  O_CREAT,
  O_DIRECT,
  O_DIRECTORY,
  O_DSYNC,
  O_EXCL,
  O_NOATIME,
  O_NOCTTY,
  O_NOFOLLOW,
  O_NONBLOCK,
  O_PATH,
  O_SYNC,
  O_TMPFILE,
  OPEN_HOW_SIZE,
  OPEN_HOW_SIZE_VER0,
  RESOLVE_BENEATH,
  RESOLVE_CACHED,
  RESOLVE_IN_ROOT,
  RESOLVE_NO_MAGICLINKS,
  RESOLVE_NO_SYMLINKS,
  RESOLVE_NO_XDEV,
  O_RDONLY,
  O_RDWR,
  O_TRUNC,
  O_WRONLY,
  S_IFMT,
  S_IFREG,
  SEEK_CUR,
  SEEK_END,
  SEEK_HOLE,
  SI_USER,
  SIGPIPE,
  SYS_close,
  SYS_close_range,
  SYS_creat,
  SYS_fadvise64,
  SYS_fallocate,
  SYS_fdatasync,
  SYS_fsync,
  SYS_ftruncate,
  SYS_lseek,
  SYS_open,
  SYS_openat,
  SYS_openat2,
  SYS_pread64,
  SYS_preadv,
  SYS_preadv2,
  SYS_pwrite64,
  SYS_pwritev,
  SYS_pwritev2,
  SYS_read,
  SYS_readv,
  SYS_sendfile,
  SYS_sync,
  SYS_syncfs,
  SYS_truncate,
  SYS_write,
  SYS_writev,
} from "@tsvisor/abi";
import type { Iovec } from "@tsvisor/mm";
import { copyInPath, fdTable, installSigpipe, mem, sendSigpipe, vtask } from "./file-common.js";
import { dirSyscalls } from "./sys-dir.js";
import { socketSyscalls } from "./sys-socket.js";
import { xattrSyscalls } from "./sys-xattr.js";
import { eventfdSyscalls, readSignalfd } from "./sys-eventfd.js";
import { dropLocksOf, fcntlSyscalls } from "./sys-fcntl.js";
import { ioctlSyscalls } from "./sys-ioctl.js";
import { pipeSyscalls } from "./sys-pipe.js";
import { pollSyscalls } from "./sys-poll.js";
import { statSyscalls } from "./sys-stat.js";
import * as vfs from "@tsvisor/vfs";
import { KERNEL_O_LARGEFILE as O_LARGEFILE } from "@tsvisor/vfs";
import { fifoOpenWait, openFifo, PipeFile } from "../pipe.js";
import { newSigInfo } from "../signals.js";
import type { Task } from "../task.js";
import { sendToTask } from "../task-signals.js";
import {
  type Block,
  block,
  partial,
  resultU64,
  type SyscallArgs,
  type SyscallEntry,
  type SyscallFn,
  supported,
} from "./syscall.js";

/** Linux's MAX_RW_COUNT: one read or write transfers at most INT_MAX & PAGE_MASK bytes. */
export const MAX_RW_COUNT = 0x7ffff000;
/** Largest transfer tsvisor does in one call (a short count beyond, which POSIX allows). */
export const MAX_IO_CHUNK = 16 << 20;

// Large enough for the 128 KiB reads coreutils and busybox make, so those allocate nothing.
const scratch = new Uint8Array(1 << 20);

/** A transfer buffer of `count` bytes (the shared scratch when small: use it before returning). */
function ioBuffer(count: number): Uint8Array {
  const n = Math.min(count, MAX_IO_CHUNK);
  return n <= scratch.length ? scratch.subarray(0, n) : new Uint8Array(n);
}

/** MAX_LFS_FILESIZE (2^63 - 1, a double rounds it up): rw_verify_area's limit on pos + count. */
const MAX_LFS_FILESIZE = vfs.MAX_OFFSET;

/** The largest user address + 1 (TASK_SIZE); access_ok() fails beyond it. */
const TASK_SIZE = 0x7ffffffff000;

function accessOk(addr: number, len: number): boolean {
  return addr <= TASK_SIZE && len <= TASK_SIZE - addr;
}

/** @tsvisor/mm's page-cache coherence hooks (MemoryFileAllocator), when `t.mm` has them. */
interface MappedFileCoherence {
  syncFile(file: object): number;
  fileWritten(file: object, offset: number, data: Uint8Array): void;
}

function coherence(t: Task): MappedFileCoherence | undefined {
  return (t.mm as unknown as { allocator?: MappedFileCoherence }).allocator;
}

/**
 * Before reading a file that may be mapped MAP_SHARED: write back the
 * pages mappings dirtied, so read(2) sees stores made through mmap(2)
 * (Linux reads through the same page cache).
 */
function syncMapped(t: Task, f: vfs.FileDescription): void {
  const m = vfs.peekMappable(f);
  if (m) coherence(t)?.syncFile(m);
}

/** After writing `data` at `offset` of a file that may be mapped: update the mapped pages. */
function wroteMapped(t: Task, f: vfs.FileDescription, offset: number, data: Uint8Array): void {
  if (!f.seekable) return;
  const m = vfs.peekMappable(f);
  if (m) coherence(t)?.fileWritten(m, offset, data);
}

installSigpipe((t) => {
  const info = newSigInfo(SIGPIPE, SI_USER);
  info.pid = t.tgid;
  info.uid = t.creds.uid;
  sendToTask(t.kernel, t, info);
});

/** Whether a -EAGAIN from `f` should block the task (and on what). */
function waitFor(f: vfs.FileDescription): vfs.Waitable | null {
  if (f.flags & O_NONBLOCK) return null;
  return f.waitable();
}

// ---------------------------------------------------------------------------
// open / close

/** The common worker of open, openat and creat; blocks only for a FIFO waiting for its peer. */
export function openat(
  t: Task,
  dirfd: number,
  pathAddr: number,
  flags: number,
  mode: number,
  resolve = 0,
): number | Block {
  const path = copyInPath(t, pathAddr);
  if (typeof path === "number") return path;
  const vt = vtask(t);
  // FIFOs are pipes, which the kernel owns: plug the opener into this namespace once.
  const devices = vt.fs.root.mount.ns.devices;
  if (!devices.fifoOpener) devices.fifoOpener = openFifo;
  // open(2) on 64-bit always opens large files (force_o_largefile).
  const f = vfs.openat(vt, dirfd, path, flags | O_LARGEFILE, mode & 0o7777, resolve);
  if (typeof f === "number") return f;
  const cloexec = (flags & O_CLOEXEC) !== 0;
  if (f instanceof PipeFile) {
    const ready = fifoOpenWait(f);
    if (ready) return waitForFifoPeer(t, f, ready, cloexec);
  }
  return fdTable(t).install(f, cloexec);
}

/** Sleeps until a FIFO's other end opens; a signal abandons the open (ERESTARTSYS). */
function waitForFifoPeer(
  t: Task,
  f: PipeFile,
  ready: () => boolean,
  cloexec: boolean,
): number | Block {
  if (ready()) return fdTable(t).install(f, cloexec);
  return block(f.pipe.queue, {
    resume: (t2, why) => {
      if (why === "woken") return waitForFifoPeer(t2, f, ready, cloexec);
      f.decRef();
      return -ERESTARTSYS;
    },
  });
}

/**
 * open(2)/openat(2)'s flags as Linux's build_open_how passes them on:
 * unknown bits are dropped ("Older syscalls implicitly clear all of the
 * invalid flags", unlike openat2), and "O_PATH beats everything else":
 * with O_PATH only O_PATH_FLAGS remain. So open(path, -1) is an O_PATH |
 * O_DIRECTORY | O_NOFOLLOW open, not EINVAL.
 */
function openHowFlags(flags: number): number {
  flags &= VALID_OPEN_FLAGS;
  if (flags & O_PATH) flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  return flags;
}

export const sysOpen: SyscallFn = (t, a) =>
  openat(t, AT_FDCWD, a.ptr(0), openHowFlags(a.int(1)), a.uint(2));
export const sysOpenat: SyscallFn = (t, a) =>
  openat(t, a.int(0), a.ptr(1), openHowFlags(a.int(2)), a.uint(3));
/** creat(2): "equivalent to open() with flags equal to O_CREAT|O_WRONLY|O_TRUNC". */
export const sysCreat: SyscallFn = (t, a) =>
  openat(t, AT_FDCWD, a.ptr(0), O_CREAT | O_WRONLY | O_TRUNC, a.uint(1));

/** __O_TMPFILE: O_TMPFILE without its O_DIRECTORY bit. */
const O_TMPFILE_BIT = O_TMPFILE & ~O_DIRECTORY;
/** Linux's VALID_OPEN_FLAGS: every flag bit open(2) knows (O_SYNC includes O_DSYNC). */
const VALID_OPEN_FLAGS =
  O_ACCMODE |
  O_CREAT |
  O_EXCL |
  O_NOCTTY |
  O_TRUNC |
  O_APPEND |
  O_NONBLOCK |
  O_DSYNC |
  O_ASYNC |
  O_DIRECT |
  O_LARGEFILE |
  O_DIRECTORY |
  O_NOFOLLOW |
  O_NOATIME |
  O_CLOEXEC |
  O_SYNC |
  O_PATH |
  O_TMPFILE_BIT;
const VALID_RESOLVE_FLAGS =
  RESOLVE_NO_XDEV |
  RESOLVE_NO_MAGICLINKS |
  RESOLVE_NO_SYMLINKS |
  RESOLVE_BENEATH |
  RESOLVE_IN_ROOT |
  RESOLVE_CACHED;
/** A page: openat2(2) refuses larger `struct open_how` sizes with E2BIG. */
const OPEN_HOW_MAX_SIZE = 4096;

/**
 * openat2(2): openat(2) with its arguments in an extensible `struct
 * open_how` of `size` bytes. Unlike openat(2) it is strict: "EINVAL An
 * unknown flag or invalid value was specified in how"; "EINVAL mode is
 * non-zero, but how.flags does not contain O_CREAT or O_TMPFILE"; "EINVAL
 * size was smaller than any known version of struct open_how"; "E2BIG An
 * extension that this kernel does not support was specified in how (i.e.,
 * a non-zero value in a field not known to this kernel)"; "EAGAIN how.resolve
 * contains RESOLVE_CACHED, and the open operation cannot be performed using
 * only cached information" — tsvisor only refuses the opens Linux never
 * tries from the cache (O_CREAT, O_TRUNC, O_TMPFILE) and otherwise resolves
 * normally. Checks follow Linux's build_open_flags order.
 */
export const sysOpenat2: SyscallFn = (t, a) => {
  const size = a.u64(3);
  if (size < OPEN_HOW_SIZE_VER0) return -EINVAL;
  if (size > OPEN_HOW_MAX_SIZE) return -E2BIG;
  // copy_struct_from_user: bytes past the known struct must be zero.
  const buf = new Uint8Array(size);
  if (mem(t).copyIn(a.ptr(2), buf) !== size) return -EFAULT;
  for (let i = OPEN_HOW_SIZE; i < size; i++) if (buf[i] !== 0) return -E2BIG;
  const how = decodeOpenHow(new DataView(buf.buffer), 0);
  if (how.flags & ~BigInt(VALID_OPEN_FLAGS)) return -EINVAL;
  if (how.resolve & ~BigInt(VALID_RESOLVE_FLAGS)) return -EINVAL;
  const flags = Number(how.flags);
  const resolve = Number(how.resolve);
  // "Scoping flags are mutually exclusive" (build_open_flags).
  if (resolve & RESOLVE_BENEATH && resolve & RESOLVE_IN_ROOT) return -EINVAL;
  if (flags & (O_CREAT | O_TMPFILE_BIT)) {
    if (how.mode & ~0o7777n) return -EINVAL;
  } else if (how.mode !== 0n) {
    return -EINVAL;
  }
  if (flags & O_TMPFILE_BIT) {
    // O_TMPFILE_MASK: __O_TMPFILE needs O_DIRECTORY and excludes O_CREAT.
    if ((flags & (O_TMPFILE | O_CREAT)) !== O_TMPFILE) return -EINVAL;
    if ((flags & O_ACCMODE) === O_RDONLY) return -EINVAL;
  }
  // O_PATH takes only O_PATH_FLAGS (and no O_LARGEFILE: the kernel adds it for non-O_PATH opens).
  if (flags & O_PATH && flags & ~(O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) return -EINVAL;
  if (resolve & RESOLVE_CACHED && flags & (O_TRUNC | O_CREAT | O_TMPFILE_BIT)) return -EAGAIN;
  return openat(t, a.int(0), a.ptr(1), flags, Number(how.mode), resolve & ~RESOLVE_CACHED);
};

export const sysClose: SyscallFn = (t, a) => {
  const fd = a.int(0);
  dropLocksOf(t, fd);
  return fdTable(t).close(fd);
};

/** close_range(2) flags (linux/close_range.h). */
export const CLOSE_RANGE_UNSHARE = 2;
export const CLOSE_RANGE_CLOEXEC = 4;

/**
 * close_range(2): "EINVAL flags is not valid, or first is greater than
 * last." CLOSE_RANGE_UNSHARE is accepted and has no effect here (the table
 * is not unshared; the calling task's fds in range are closed either way).
 */
export const sysCloseRange: SyscallFn = (t, a) => {
  const first = a.uint(0);
  const last = a.uint(1);
  const flags = a.uint(2);
  if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) || first > last) return -EINVAL;
  const tab = fdTable(t);
  for (const fd of tab.fds()) {
    if (fd < first || fd > last) continue;
    if (flags & CLOSE_RANGE_CLOEXEC) tab.setFdFlags(fd, 1);
    else {
      dropLocksOf(t, fd);
      tab.close(fd);
    }
  }
  return 0;
};

// ---------------------------------------------------------------------------
// read / write

/**
 * The checks vfs_read/vfs_write make before any data moves, in Linux's
 * order: the access mode (EBADF), `access_ok(buf, count)` on the caller's
 * unclamped count (EFAULT: so read(fd, buf, 2^63) fails even on an empty
 * file), then rw_verify_area ("EINVAL ... count is negative", and a
 * position past MAX_LFS_FILESIZE). Returns 0 or a negative errno.
 */
function rwVerify(ok: boolean, addr: number, count: number, pos: number): number {
  if (!ok) return -EBADF;
  if (!accessOk(addr, count)) return -EFAULT;
  if (pos >= 0 && pos + count >= MAX_LFS_FILESIZE) return -EINVAL;
  return 0;
}

/**
 * Reads into `addr` from `f` at its offset (`pos` < 0) or at `pos`.
 * Blocks (re-running the syscall on wake) when a blocking description has
 * no data yet.
 *
 * A copy-out that faults part way behaves as Linux's: a file read returns
 * the bytes copied before the first inaccessible byte (the file offset
 * advances by that many: filemap_read/shmem_file_read_iter return
 * "already_read ? already_read : -EFAULT"), EFAULT only when nothing was
 * copied. A pipe gives the data back and fails with EFAULT (pipe_read does
 * not consume a buffer it could not copy out whole).
 *
 * Preconditions: `rwVerify` passed.
 */
function readTo(
  t: Task,
  f: vfs.FileDescription,
  addr: number,
  count: number,
  pos: number,
): number | Block {
  if (count > MAX_RW_COUNT) count = MAX_RW_COUNT;
  const buf = ioBuffer(count);
  syncMapped(t, f);
  const n = pos < 0 ? f.read(buf) : f.pread(buf, pos);
  if (n === -EAGAIN) {
    const w = waitFor(f);
    return w ? block(w) : n;
  }
  if (n <= 0) return n;
  const c = mem(t).copyOutPartial(addr, buf.subarray(0, n));
  if (c === n) return n;
  if (f instanceof PipeFile) {
    f.pipe.unread(buf.subarray(0, n));
    return -EFAULT;
  }
  if (pos < 0 && f.seekable) f.offset -= n - c;
  return c > 0 ? c : -EFAULT;
}

/**
 * Writes `buf` (already copied in) to `f`, continuing after `done` bytes.
 * A blocking pipe write of more than fits waits for room and continues;
 * if a signal interrupts it after some bytes went in, the count is
 * returned, else ERESTARTSYS. EPIPE also sends SIGPIPE.
 */
function writeFrom(
  t: Task,
  f: vfs.FileDescription,
  buf: Uint8Array,
  pos: number,
  done: number,
): number | Block {
  for (;;) {
    const rest = buf.subarray(done);
    const n = pos < 0 ? f.write(rest) : f.pwrite(rest, pos + done);
    if (n > 0) wroteMapped(t, f, pos < 0 ? f.offset - n : pos + done, rest.subarray(0, n));
    if (n === -EPIPE) {
      sendSigpipe(t);
      return done > 0 ? done : n;
    }
    if (n === -EAGAIN) {
      const w = waitFor(f);
      if (!w) return done > 0 ? done : n;
      // The scratch buffer is reused by other syscalls while this task sleeps.
      const held = buf.buffer === scratch.buffer ? buf.slice() : buf;
      return block(w, {
        resume: (t2, why) => {
          if (why === "woken") return writeFrom(t2, f, held, pos, done);
          return done > 0 ? done : -ERESTARTSYS;
        },
      });
    }
    if (n < 0) return done > 0 ? done : n;
    done += n;
    // Only pipes keep going after a partial write; files return what they took.
    if (done >= buf.length || !(f instanceof PipeFile)) return done;
  }
}

const NO_BYTES = new Uint8Array(0);

/**
 * write/pwrite64's worker after the fd lookup and rwVerify.
 *
 * The buffer is copied in up to the first inaccessible byte: a file takes
 * those bytes (generic_perform_write returns what it copied; EFAULT only
 * when that is nothing), a pipe fails with EFAULT (pipe_write does not
 * queue a chunk it could not copy whole). /dev/null, /dev/zero and
 * /dev/full never read the buffer (null(4)), so a bad one does not matter
 * there: write(/dev/null, NULL, 1) is 1.
 */
function writeAt(t: Task, f: vfs.FileDescription, addr: number, count: number, pos: number) {
  if (count > MAX_RW_COUNT) count = MAX_RW_COUNT;
  if (f.writeIgnoresData) {
    const n = pos < 0 ? f.write(NO_BYTES) : f.pwrite(NO_BYTES, pos);
    return n < 0 ? n : count;
  }
  const buf = ioBuffer(count);
  const c = mem(t).copyInPartial(addr, buf);
  if (c < buf.length && (c === 0 || f instanceof PipeFile)) return -EFAULT;
  return writeFrom(t, f, c < buf.length ? buf.subarray(0, c) : buf, pos, 0);
}

export const sysRead: SyscallFn = (t, a) => {
  const f = fdTable(t).get(a.int(0));
  if (!f) return -EBADF;
  const addr = a.ptr(1);
  const count = a.u64(2);
  const e = rwVerify(f.readable, addr, count, f.seekable ? f.offset : -1);
  if (e < 0) return e;
  const sig = readSignalfd(t, f, addr, count);
  if (sig !== null) return sig;
  return readTo(t, f, addr, count, -1);
};

export const sysWrite: SyscallFn = (t, a) => {
  const f = fdTable(t).get(a.int(0));
  if (!f) return -EBADF;
  const addr = a.ptr(1);
  const count = a.u64(2);
  const e = rwVerify(f.writable, addr, count, f.seekable ? f.offset : -1);
  if (e < 0) return e;
  return writeAt(t, f, addr, count, -1);
};

/**
 * pread64(2) and pwrite64(2) check in ksys_pread64's order: "EINVAL offset
 * is negative" before the fd is even looked up, then EBADF, then "ESPIPE
 * fd is associated with a pipe" (no FMODE_PREAD) before the access mode.
 */
function positional(t: Task, a: SyscallArgs): vfs.FileDescription | number {
  if (a.s64(3) < 0) return -EINVAL;
  const f = fdTable(t).get(a.int(0));
  if (!f || f.flags & O_PATH) return -EBADF;
  if (!f.seekable) return -ESPIPE;
  return f;
}

export const sysPread64: SyscallFn = (t, a) => {
  const f = positional(t, a);
  if (typeof f === "number") return f;
  const off = a.s64(3);
  const e = rwVerify(f.readable, a.ptr(1), a.u64(2), off);
  if (e < 0) return e;
  return readTo(t, f, a.ptr(1), a.u64(2), off);
};

export const sysPwrite64: SyscallFn = (t, a) => {
  const f = positional(t, a);
  if (typeof f === "number") return f;
  const off = a.s64(3);
  const e = rwVerify(f.writable, a.ptr(1), a.u64(2), off);
  if (e < 0) return e;
  return writeAt(t, f, a.ptr(1), a.u64(2), off);
};

function iovTotal(iovs: readonly Iovec[]): number {
  let n = 0;
  for (const v of iovs) n += v.len;
  return n;
}

/** readv/preadv/preadv2's worker: one read into a buffer, scattered to the iovecs. */
function readvAt(t: Task, a: SyscallArgs, pos: number): number | Block {
  const f = fdTable(t).get(a.int(0));
  if (!f) return -EBADF;
  if (!f.readable) return -EBADF;
  const iovs = mem(t).readIovecs(a.ptr(1), a.int(2));
  if (typeof iovs === "number") return iovs;
  if (pos >= 0 && !f.seekable) return -ESPIPE;
  const total = iovTotal(iovs);
  for (const v of iovs) if (!accessOk(v.base, v.len)) return -EFAULT;
  const buf = ioBuffer(total);
  syncMapped(t, f);
  const n = pos < 0 ? f.read(buf) : f.pread(buf, pos);
  if (n === -EAGAIN) {
    const w = waitFor(f);
    return w ? block(w) : n;
  }
  if (n <= 0) return n;
  const c = mem(t).copyOutVec(iovs, buf.subarray(0, n));
  // As readTo: what could not be copied out stays unread.
  const copied = Math.max(c, 0);
  if (copied < n) {
    if (pos < 0 && f.seekable) f.offset -= n - copied;
    else if (f instanceof PipeFile) f.pipe.unread(buf.subarray(copied, n));
  }
  return c;
}

/** writev/pwritev/pwritev2's worker: iovecs gathered into one buffer, one write. */
function writevAt(t: Task, a: SyscallArgs, pos: number): number | Block {
  const f = fdTable(t).get(a.int(0));
  if (!f) return -EBADF;
  if (!f.writable) return -EBADF;
  const iovs = mem(t).readIovecs(a.ptr(1), a.int(2));
  if (typeof iovs === "number") return iovs;
  if (pos >= 0 && !f.seekable) return -ESPIPE;
  for (const v of iovs) if (!accessOk(v.base, v.len)) return -EFAULT;
  const buf = ioBuffer(iovTotal(iovs));
  const c = mem(t).copyInVec(iovs, buf);
  if (c < 0) return c;
  return writeFrom(t, f, buf.subarray(0, c), pos, 0);
}

export const sysReadv: SyscallFn = (t, a) => readvAt(t, a, -1);
export const sysWritev: SyscallFn = (t, a) => writevAt(t, a, -1);

function posArg(a: SyscallArgs): number {
  // preadv(2)'s pos_l carries the whole offset on 64-bit (pos_h is ignored).
  return a.s64(3);
}

export const sysPreadv: SyscallFn = (t, a) => {
  const pos = posArg(a);
  return pos < 0 ? -EINVAL : readvAt(t, a, pos);
};
export const sysPwritev: SyscallFn = (t, a) => {
  const pos = posArg(a);
  return pos < 0 ? -EINVAL : writevAt(t, a, pos);
};

/** RWF_* flags preadv2/pwritev2 accept (linux/fs.h). */
const RWF_SUPPORTED = 0x1f;

/** preadv2(2): an offset of -1 means the current file offset. Flags are hints here. */
export const sysPreadv2: SyscallFn = (t, a) => {
  const pos = posArg(a);
  if (a.int(5) & ~RWF_SUPPORTED) return -95; // EOPNOTSUPP
  if (pos < -1) return -EINVAL;
  return readvAt(t, a, pos);
};
export const sysPwritev2: SyscallFn = (t, a) => {
  const pos = posArg(a);
  if (a.int(5) & ~RWF_SUPPORTED) return -95; // EOPNOTSUPP
  if (pos < -1) return -EINVAL;
  return writevAt(t, a, pos);
};

/**
 * lseek(2). Offsets reach MAX_LFS_FILESIZE (2^63 - 1) as on Linux's tmpfs;
 * a result above 2^53 is computed exactly for rax (the description keeps
 * the offset as a double, rounded).
 */
export const sysLseek: SyscallFn = (t, a) => {
  const f = fdTable(t).get(a.int(0));
  if (!f) return -EBADF;
  const whence = a.uint(2);
  if (whence > 4) return -EINVAL;
  const before = f.offset;
  const r = f.lseek(a.s64(1), whence);
  if (r <= Number.MAX_SAFE_INTEGER) return r;
  if (whence === SEEK_HOLE) return resultU64(t, BigInt(r));
  const base = whence === SEEK_CUR ? BigInt(before) : whence === SEEK_END ? BigInt(f.size()) : 0n;
  return resultU64(t, base + BigInt.asIntN(64, a.big(1)));
};

// ---------------------------------------------------------------------------
// fsync, truncate, sendfile

/** fsync(2): "EINVAL fd is bound to a special file (e.g., a pipe, FIFO, or socket)". */
export const sysFsync: SyscallFn = (t, a) => {
  const f = fdTable(t).get(a.int(0));
  if (!f || f.flags & O_PATH) return -EBADF;
  if (f instanceof PipeFile) return -EINVAL;
  return f.fsync();
};

export const sysSync: SyscallFn = () => 0;

export const sysSyncfs: SyscallFn = (t, a) => (fdTable(t).get(a.int(0)) ? 0 : -EBADF);

/** truncate(2): do_sys_truncate checks "EINVAL The argument length is negative" before the path. */
export const sysTruncate: SyscallFn = (t, a) => {
  if (a.s64(1) < 0) return -EINVAL;
  const path = copyInPath(t, a.ptr(0));
  if (typeof path === "number") return path;
  return vfs.truncate(vtask(t), path, a.s64(1));
};

export const sysFtruncate: SyscallFn = (t, a) => vfs.ftruncate(vtask(t), a.int(0), a.s64(1));

/**
 * sendfile(2): copies up to `count` bytes from `in_fd` (at `*offset` when
 * given, which is then updated and the file offset left alone) to
 * `out_fd`. "EINVAL ... in_fd is not seekable (mmap-like) and offset is
 * given"; "EBADF Input file was not opened for reading or output file was
 * not opened for writing."
 */
export const sysSendfile: SyscallFn = (t, a) => {
  const out = fdTable(t).get(a.int(0));
  const inp = fdTable(t).get(a.int(1));
  if (!out || !inp) return -EBADF;
  if (!inp.readable || !out.writable) return -EBADF;
  const offAddr = a.ptr(2);
  let count = a.u64(3);
  if (count > MAX_RW_COUNT) count = MAX_RW_COUNT;
  let pos = -1;
  if (offAddr !== 0) {
    if (!inp.seekable) return -ESPIPE;
    const b = new Uint8Array(8);
    const r = mem(t).copyIn(offAddr, b);
    if (r < 0) return r;
    pos = Number(new DataView(b.buffer).getBigInt64(0, true));
    if (pos < 0) return -EINVAL;
  }
  if (count === 0) return 0;
  const buf = new Uint8Array(Math.min(count, 1 << 20));
  syncMapped(t, inp);
  const n = pos < 0 ? inp.read(buf) : inp.pread(buf, pos);
  if (n === -EAGAIN) {
    const w = waitFor(inp);
    return w ? block(w) : n;
  }
  if (n <= 0) return n;
  const w = out.write(buf.subarray(0, n));
  if (w > 0) wroteMapped(t, out, out.offset - w, buf.subarray(0, w));
  if (w === -EPIPE) sendSigpipe(t);
  const wrote = Math.max(w, 0);
  // Give back what the output did not take.
  if (pos < 0 && inp.seekable) inp.offset -= n - wrote;
  else if (wrote < n && inp instanceof PipeFile) inp.pipe.unread(buf.subarray(wrote, n));
  if (offAddr !== 0 && wrote > 0) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, BigInt(pos + wrote), true);
    const r = mem(t).copyOut(offAddr, b);
    if (r < 0) return r;
  }
  if (w < 0) {
    if (w === -EAGAIN) {
      const ww = waitFor(out);
      return ww ? block(ww) : w;
    }
    return w;
  }
  return wrote;
};

/**
 * fallocate(2): mode 0 extends the file to cover the range;
 * FALLOC_FL_KEEP_SIZE alone is a no-op (space is not reserved in tsvisor).
 * "EBADF fd is not a valid file descriptor, or is not opened for writing";
 * "EINVAL offset was less than 0, or len was less than or equal to 0";
 * "ESPIPE fd refers to a pipe or FIFO"; "EOPNOTSUPP ... mode is not
 * supported".
 */
export const sysFallocate: SyscallFn = (t, a) => {
  const f = fdTable(t).get(a.int(0));
  if (!f?.writable) return -EBADF;
  const mode = a.int(1);
  const off = a.s64(2);
  const len = a.s64(3);
  if (off < 0 || len <= 0) return -EINVAL;
  if (f instanceof PipeFile) return -ESPIPE;
  const inode = f.inode;
  if (!inode) return -ENODEV;
  if (inode.isDir) return -EISDIR;
  if (inode.fileType !== S_IFREG) return -ENODEV;
  if (mode & ~FALLOC_FL_KEEP_SIZE) return -EOPNOTSUPP;
  if (off + len > Number.MAX_SAFE_INTEGER) return -EFBIG;
  if (mode & FALLOC_FL_KEEP_SIZE) return 0;
  const st = f.stat();
  if (typeof st === "number") return st;
  if (off + len <= st.size) return 0;
  return f.setattr({ size: off + len });
};

/**
 * fadvise64(2): advice is a hint tsvisor does not need; only the errors
 * are Linux's ("EBADF", "EINVAL An invalid value was specified for
 * advice", "ESPIPE The specified file descriptor refers to a pipe").
 */
export const sysFadvise64: SyscallFn = (t, a) => {
  const f = fdTable(t).get(a.int(0));
  if (!f || f.flags & O_PATH) return -EBADF;
  if (f instanceof PipeFile) return -ESPIPE;
  const advice = a.int(3);
  if (a.s64(2) < 0 || advice < 0 || advice > 5) return -EINVAL;
  return 0;
};

// ---------------------------------------------------------------------------
// Kernel services backed by the vfs

/**
 * Opens `path` for execve/execveat: a regular file the task may execute.
 * execve(2): "EACCES Execute permission is denied for the file"; "EACCES
 * The file or a script interpreter is not a regular file." Returns the
 * open description (the caller reads it via `readAt` and releases it).
 */
export function openExecutable(
  t: Task,
  dirfd: number,
  path: string,
  flags: number,
):
  | { path: string; size: number; readAt(off: number, dst: Uint8Array): number; close(): void }
  | number {
  const vt = vtask(t);
  const loc = vfs.lookupAtFlags(vt, dirfd, path, flags);
  if (typeof loc === "number") return loc;
  const st = loc.inode.stat();
  if ((st.mode & S_IFMT) !== S_IFREG) return -EACCES;
  const perm = vfs.checkPermission(st.mode, st.uid, st.gid, vt.creds, vfs.MAY_EXEC);
  if (perm < 0) return perm;
  const r = loc.inode.prepareOpen(O_RDONLY);
  if (r < 0) return r;
  const abs = vfs.pathOf(vt, loc);
  return {
    path: typeof abs === "number" ? path : abs,
    size: st.size,
    readAt: (off, dst) => loc.inode.read(off, dst),
    close: () => loc.inode.release(),
  };
}

/**
 * The file behind `fd` for mmap(2): mmap(2) "EBADF fd is not a valid file
 * descriptor"; "EACCES A file descriptor refers to a non-regular file";
 * "ENODEV The underlying filesystem of the specified file does not support
 * memory mapping."
 */
export function fileForMmap(
  t: Task,
  fd: number,
): { mappable: unknown; readable: boolean; writable: boolean } | number {
  const f = fdTable(t).get(fd);
  if (!f || f.flags & O_PATH) return -EBADF;
  const inode = f.inode;
  if (!inode) return -EACCES;
  if ((inode.mode & S_IFMT) !== S_IFREG) return -ENODEV;
  const m = vfs.mappableOf(f);
  if (!m) return -ENODEV;
  return { mappable: m, readable: f.readable, writable: f.writable };
}

/**
 * The first process's fd table: host fds `stdio` (default 0, 1, 2) on fds
 * 0, 1, 2, wrapped as host passthrough files (stdin read-only, stdout and
 * stderr write-only; read-write when the host fd is a terminal).
 */
export function stdioFdTable(stdio: readonly [number, number, number] = [0, 1, 2]): vfs.FdTable {
  const tab = new vfs.FdTable();
  stdio.forEach((hostFd, i) => {
    const probe = new vfs.HostFdFile(hostFd, O_RDWR);
    const acc = probe.isTty ? O_RDWR : i === 0 ? O_RDONLY : O_WRONLY;
    const f = new vfs.HostFdFile(hostFd, acc | O_LARGEFILE);
    tab.installAt(i, f, false);
  });
  return tab;
}

// ---------------------------------------------------------------------------
// Table entries

/** read/write/open/close/lseek & co. (this module). */
export const ioSyscalls: readonly SyscallEntry[] = [
  supported(SYS_read, "read", sysRead),
  supported(SYS_write, "write", sysWrite),
  supported(SYS_open, "open", sysOpen),
  supported(SYS_close, "close", sysClose),
  supported(SYS_lseek, "lseek", sysLseek),
  supported(SYS_pread64, "pread64", sysPread64),
  supported(SYS_pwrite64, "pwrite64", sysPwrite64),
  supported(SYS_readv, "readv", sysReadv),
  supported(SYS_writev, "writev", sysWritev),
  supported(SYS_sendfile, "sendfile", sysSendfile),
  supported(SYS_fsync, "fsync", sysFsync),
  supported(SYS_fdatasync, "fdatasync", sysFsync),
  partial(
    SYS_sync,
    "sync",
    sysSync,
    "Nothing to flush: tmpfs is memory, host files are written through.",
  ),
  partial(SYS_syncfs, "syncfs", sysSyncfs, "As sync."),
  supported(SYS_truncate, "truncate", sysTruncate),
  supported(SYS_ftruncate, "ftruncate", sysFtruncate),
  supported(SYS_creat, "creat", sysCreat),
  partial(SYS_openat, "openat", sysOpenat, "O_TMPFILE is EOPNOTSUPP on host mounts."),
  partial(
    SYS_openat2,
    "openat2",
    sysOpenat2,
    "RESOLVE_CACHED is EAGAIN with O_CREAT/O_TRUNC/O_TMPFILE (as Linux) and otherwise resolves normally; O_TMPFILE is EOPNOTSUPP on host mounts.",
  ),
  supported(SYS_preadv, "preadv", sysPreadv),
  supported(SYS_pwritev, "pwritev", sysPwritev),
  partial(SYS_preadv2, "preadv2", sysPreadv2, "RWF_* flags are accepted as hints."),
  partial(SYS_pwritev2, "pwritev2", sysPwritev2, "RWF_* flags are accepted as hints."),
  partial(
    SYS_fallocate,
    "fallocate",
    sysFallocate,
    "Modes other than 0 and FALLOC_FL_KEEP_SIZE are EOPNOTSUPP; no space is reserved.",
  ),
  partial(SYS_fadvise64, "fadvise64", sysFadvise64, "Advice is accepted and ignored."),
  partial(SYS_close_range, "close_range", sysCloseRange, "CLOSE_RANGE_UNSHARE does not unshare."),
];

/**
 * Every file-system syscall of the sys-file, sys-stat, sys-dir, sys-fcntl,
 * sys-pipe, sys-ioctl, sys-poll (poll, select, epoll), sys-eventfd
 * (eventfd, timerfd, signalfd), sys-socket (AF_UNIX) and sys-xattr
 * modules, for the kernel's table.
 */
export const fileSyscalls: readonly SyscallEntry[] = [
  ...ioSyscalls,
  ...statSyscalls,
  ...dirSyscalls,
  ...fcntlSyscalls,
  ...pipeSyscalls,
  ...ioctlSyscalls,
  ...pollSyscalls,
  ...eventfdSyscalls,
  ...socketSyscalls,
  ...xattrSyscalls,
];
