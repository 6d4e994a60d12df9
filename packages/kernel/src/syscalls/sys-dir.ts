/**
 * Directory and name-space system calls: getdents, mkdir, rmdir, unlink,
 * rename, link, symlink, readlink, mknod, chmod, chown, utimes, access,
 * getcwd, chdir, fchdir, chroot, umask.
 *
 * Inspired by gVisor's pkg/sentry/syscalls/linux/vfs2/{getdents.go,
 * filesystem.go,setstat.go,fscontext.go}.
 */
import {
  AT_EACCESS,
  AT_EMPTY_PATH,
  AT_FDCWD,
  AT_REMOVEDIR,
  AT_SYMLINK_FOLLOW,
  AT_SYMLINK_NOFOLLOW,
  EBADF,
  EFAULT,
  EINVAL,
  ERANGE,
  O_PATH,
  SYS_access,
  SYS_chdir,
  SYS_chmod,
  SYS_chown,
  SYS_chroot,
  SYS_faccessat,
  SYS_faccessat2,
  SYS_fchdir,
  SYS_fchmod,
  SYS_fchmodat,
  SYS_fchmodat2,
  SYS_fchown,
  SYS_fchownat,
  SYS_futimesat,
  SYS_getcwd,
  SYS_getdents,
  SYS_getdents64,
  SYS_lchown,
  SYS_link,
  SYS_linkat,
  SYS_mkdir,
  SYS_mkdirat,
  SYS_mknod,
  SYS_mknodat,
  SYS_readlink,
  SYS_readlinkat,
  SYS_rename,
  SYS_renameat,
  SYS_renameat2,
  SYS_rmdir,
  SYS_symlink,
  SYS_symlinkat,
  SYS_umask,
  SYS_unlink,
  SYS_unlinkat,
  SYS_utime,
  SYS_utimensat,
  SYS_utimes,
} from "@tsvisor/abi";
import * as vfs from "@tsvisor/vfs";
import type { Task } from "../task.js";
import { bytesOf, copyInPath, fdTable, fsContext, mem, realCreds, vtask } from "./file-common.js";
import { partial, type SyscallEntry, type SyscallFn, supported } from "./syscall.js";

// ---------------------------------------------------------------------------
// getdents

/** At most this much directory data per call (the caller's count is capped). */
const MAX_DIRENT_BUF = 1 << 20;

/** INT_MAX: getdents on a directory refuses a larger count with EINVAL. */
const INT_MAX = 0x7fffffff;

/**
 * getdents/getdents64's worker. Linux's order (measured on 6.18): EBADF
 * (an O_PATH fd too), ENOTDIR, then EINVAL for a count above INT_MAX
 * before the buffer is touched, then EFAULT. A buffer that faults leaves
 * the directory position where it was.
 */
function getdentsInto(t: Task, fd: number, addr: number, count: number, old: boolean): number {
  const f = fdTable(t).get(fd);
  if (!f) return -EBADF;
  if (count > INT_MAX && f instanceof vfs.DirectoryFile && !(f.flags & O_PATH)) return -EINVAL;
  const buf = new Uint8Array(Math.min(count, MAX_DIRENT_BUF));
  const pos = f.offset;
  const n = f.getdents64(buf);
  if (n <= 0) return n;
  if (old) toOldDirents(buf, n);
  const r = mem(t).copyOut(addr, buf.subarray(0, n));
  if (r < 0) {
    f.offset = pos;
    return -EFAULT;
  }
  return n;
}

/**
 * Rewrites linux_dirent64 records in place as getdents(2)'s `struct
 * linux_dirent`: d_ino, d_off, d_reclen, d_name, then d_type in the last
 * byte. Both layouts align each record to 8 bytes with the same length
 * (19 + namelen + 1 rounded up vs 18 + namelen + 2 rounded up).
 */
function toOldDirents(buf: Uint8Array, n: number): void {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let p = 0; p < n; ) {
    const reclen = dv.getUint16(p + 16, true);
    const type = buf[p + 18]!;
    const nul = buf.indexOf(0, p + 19);
    const name = buf.slice(p + 19, nul);
    buf.fill(0, p + 18, p + reclen);
    buf.set(name, p + 18);
    buf[p + reclen - 1] = type;
    p += reclen;
  }
}

export const sysGetdents64: SyscallFn = (t, a) =>
  getdentsInto(t, a.int(0), a.ptr(1), a.uint(2), false);
export const sysGetdents: SyscallFn = (t, a) =>
  getdentsInto(t, a.int(0), a.ptr(1), a.uint(2), true);

// ---------------------------------------------------------------------------
// mkdir, mknod, unlink, rmdir, rename, link, symlink

function withPath(t: Task, addr: number, fn: (path: string) => number): number {
  const p = copyInPath(t, addr);
  return typeof p === "number" ? p : fn(p);
}

function withPaths(
  t: Task,
  a1: number,
  a2: number,
  fn: (p1: string, p2: string) => number,
): number {
  const p1 = copyInPath(t, a1);
  if (typeof p1 === "number") return p1;
  const p2 = copyInPath(t, a2);
  if (typeof p2 === "number") return p2;
  return fn(p1, p2);
}

export const sysMkdir: SyscallFn = (t, a) =>
  withPath(t, a.ptr(0), (p) => vfs.mkdirat(vtask(t), AT_FDCWD, p, a.uint(1)));
export const sysMkdirat: SyscallFn = (t, a) =>
  withPath(t, a.ptr(1), (p) => vfs.mkdirat(vtask(t), a.int(0), p, a.uint(2)));
export const sysMknod: SyscallFn = (t, a) =>
  withPath(t, a.ptr(0), (p) => vfs.mknodat(vtask(t), AT_FDCWD, p, a.uint(1), a.uint(2)));
export const sysMknodat: SyscallFn = (t, a) =>
  withPath(t, a.ptr(1), (p) => vfs.mknodat(vtask(t), a.int(0), p, a.uint(2), a.uint(3)));
export const sysUnlink: SyscallFn = (t, a) =>
  withPath(t, a.ptr(0), (p) => vfs.unlinkat(vtask(t), AT_FDCWD, p, 0));
export const sysRmdir: SyscallFn = (t, a) =>
  withPath(t, a.ptr(0), (p) => vfs.unlinkat(vtask(t), AT_FDCWD, p, AT_REMOVEDIR));
export const sysUnlinkat: SyscallFn = (t, a) =>
  withPath(t, a.ptr(1), (p) => vfs.unlinkat(vtask(t), a.int(0), p, a.int(2)));
export const sysRename: SyscallFn = (t, a) =>
  withPaths(t, a.ptr(0), a.ptr(1), (o, n) => vfs.renameat2(vtask(t), AT_FDCWD, o, AT_FDCWD, n, 0));
export const sysRenameat: SyscallFn = (t, a) =>
  withPaths(t, a.ptr(1), a.ptr(3), (o, n) => vfs.renameat2(vtask(t), a.int(0), o, a.int(2), n, 0));
export const sysRenameat2: SyscallFn = (t, a) =>
  withPaths(t, a.ptr(1), a.ptr(3), (o, n) =>
    vfs.renameat2(vtask(t), a.int(0), o, a.int(2), n, a.uint(4)),
  );
export const sysLink: SyscallFn = (t, a) =>
  withPaths(t, a.ptr(0), a.ptr(1), (o, n) => vfs.linkat(vtask(t), AT_FDCWD, o, AT_FDCWD, n, 0));
export const sysLinkat: SyscallFn = (t, a) => {
  const flags = a.int(4);
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) return -EINVAL;
  return withPaths(t, a.ptr(1), a.ptr(3), (o, n) =>
    vfs.linkat(vtask(t), a.int(0), o, a.int(2), n, flags),
  );
};
export const sysSymlink: SyscallFn = (t, a) =>
  withPaths(t, a.ptr(0), a.ptr(1), (target, p) => vfs.symlinkat(vtask(t), target, AT_FDCWD, p));
export const sysSymlinkat: SyscallFn = (t, a) =>
  withPaths(t, a.ptr(0), a.ptr(2), (target, p) => vfs.symlinkat(vtask(t), target, a.int(1), p));

// ---------------------------------------------------------------------------
// readlink

/**
 * readlink(2): "EINVAL bufsiz is not positive"; the result is truncated to
 * bufsiz bytes and not NUL-terminated.
 */
function readlinkAt(t: Task, dirfd: number, pathAddr: number, buf: number, size: number): number {
  if (size <= 0) return -EINVAL;
  const p = copyInPath(t, pathAddr);
  if (typeof p === "number") return p;
  const target = vfs.readlinkat(vtask(t), dirfd, p);
  if (typeof target === "number") return target;
  const b = bytesOf(target);
  const out = b.length > size ? b.subarray(0, size) : b;
  const r = mem(t).copyOut(buf, out);
  return r < 0 ? r : out.length;
}

export const sysReadlink: SyscallFn = (t, a) =>
  readlinkAt(t, AT_FDCWD, a.ptr(0), a.ptr(1), a.int(2));
export const sysReadlinkat: SyscallFn = (t, a) =>
  readlinkAt(t, a.int(0), a.ptr(1), a.ptr(2), a.int(3));

// ---------------------------------------------------------------------------
// chmod, chown

export const sysChmod: SyscallFn = (t, a) =>
  withPath(t, a.ptr(0), (p) => vfs.fchmodat(vtask(t), AT_FDCWD, p, a.uint(1), 0));
export const sysFchmod: SyscallFn = (t, a) => vfs.fchmod(vtask(t), a.int(0), a.uint(1));
export const sysFchmodat: SyscallFn = (t, a) =>
  withPath(t, a.ptr(1), (p) => vfs.fchmodat(vtask(t), a.int(0), p, a.uint(2), 0));
/** fchmodat2(2) (Linux 6.6): fchmodat with flags. */
export const sysFchmodat2: SyscallFn = (t, a) => {
  const flags = a.int(3);
  const p = a.ptr(1) === 0 && flags & AT_EMPTY_PATH ? "" : copyInPath(t, a.ptr(1));
  if (typeof p === "number") return p;
  return vfs.fchmodat(vtask(t), a.int(0), p, a.uint(2), flags);
};

/** chown(2) ids: -1 (as an unsigned 32-bit value) leaves the id alone. */
function id(v: number): number {
  return v === 0xffffffff ? -1 : v;
}

export const sysChown: SyscallFn = (t, a) =>
  withPath(t, a.ptr(0), (p) =>
    vfs.fchownat(vtask(t), AT_FDCWD, p, id(a.uint(1)), id(a.uint(2)), 0),
  );
export const sysLchown: SyscallFn = (t, a) =>
  withPath(t, a.ptr(0), (p) =>
    vfs.fchownat(vtask(t), AT_FDCWD, p, id(a.uint(1)), id(a.uint(2)), AT_SYMLINK_NOFOLLOW),
  );
export const sysFchown: SyscallFn = (t, a) =>
  vfs.fchown(vtask(t), a.int(0), id(a.uint(1)), id(a.uint(2)));
export const sysFchownat: SyscallFn = (t, a) => {
  const flags = a.int(4);
  const p = a.ptr(1) === 0 && flags & AT_EMPTY_PATH ? "" : copyInPath(t, a.ptr(1));
  if (typeof p === "number") return p;
  return vfs.fchownat(vtask(t), a.int(0), p, id(a.uint(2)), id(a.uint(3)), flags);
};

// ---------------------------------------------------------------------------
// utimes

function readI64s(t: Task, addr: number, n: number): number[] | number {
  const b = new Uint8Array(8 * n);
  const r = mem(t).copyIn(addr, b);
  if (r < 0) return r;
  const dv = new DataView(b.buffer);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(Number(dv.getBigInt64(8 * i, true)));
  return out;
}

function utimesPath(
  t: Task,
  dirfd: number,
  pathAddr: number,
  atime: vfs.TimeArg,
  mtime: vfs.TimeArg,
  flags: number,
): number {
  return withPath(t, pathAddr, (p) => vfs.utimensat(vtask(t), dirfd, p, atime, mtime, flags));
}

/**
 * utimensat(2). `times` NULL sets both to now; UTIME_NOW / UTIME_OMIT per
 * field; a NULL path operates on `dirfd` itself (futimens), where
 * AT_SYMLINK_NOFOLLOW is EINVAL.
 */
export const sysUtimensat: SyscallFn = (t, a) => {
  const dirfd = a.int(0);
  const pathAddr = a.ptr(1);
  const timesAddr = a.ptr(2);
  const flags = a.int(3);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
  let atime: vfs.TimeArg = "now";
  let mtime: vfs.TimeArg = "now";
  if (timesAddr !== 0) {
    const v = readI64s(t, timesAddr, 4);
    if (typeof v === "number") return v;
    const at = vfs.decodeTimeArg(v[0]!, v[1]!);
    const mt = vfs.decodeTimeArg(v[2]!, v[3]!);
    if (!at || !mt) return -EINVAL;
    atime = at;
    mtime = mt;
  }
  if (pathAddr === 0) {
    if (flags & AT_SYMLINK_NOFOLLOW) return -EINVAL;
    return vfs.utimensat(vtask(t), dirfd, null, atime, mtime, flags);
  }
  if (atime === "omit" && mtime === "omit") return 0;
  return utimesPath(t, dirfd, pathAddr, atime, mtime, flags);
};

/** utimes(2)/futimesat(2): `struct timeval[2]`, NULL for now; "EINVAL ... tv_usec out of range". */
function timevals(t: Task, addr: number): [vfs.TimeArg, vfs.TimeArg] | number {
  if (addr === 0) return ["now", "now"];
  const v = readI64s(t, addr, 4);
  if (typeof v === "number") return v;
  if (v[1]! < 0 || v[1]! >= 1_000_000 || v[3]! < 0 || v[3]! >= 1_000_000) return -EINVAL;
  return [
    { sec: v[0]!, nsec: v[1]! * 1000 },
    { sec: v[2]!, nsec: v[3]! * 1000 },
  ];
}

export const sysUtimes: SyscallFn = (t, a) => {
  const tv = timevals(t, a.ptr(1));
  if (typeof tv === "number") return tv;
  return utimesPath(t, AT_FDCWD, a.ptr(0), tv[0], tv[1], 0);
};

export const sysFutimesat: SyscallFn = (t, a) => {
  const tv = timevals(t, a.ptr(2));
  if (typeof tv === "number") return tv;
  if (a.ptr(1) === 0) return vfs.utimensat(vtask(t), a.int(0), null, tv[0], tv[1], 0);
  return utimesPath(t, a.int(0), a.ptr(1), tv[0], tv[1], 0);
};

/** utime(2): `struct utimbuf { time_t actime, modtime; }`, NULL for now. */
export const sysUtime: SyscallFn = (t, a) => {
  const addr = a.ptr(1);
  if (addr === 0) return utimesPath(t, AT_FDCWD, a.ptr(0), "now", "now", 0);
  const v = readI64s(t, addr, 2);
  if (typeof v === "number") return v;
  return utimesPath(t, AT_FDCWD, a.ptr(0), { sec: v[0]!, nsec: 0 }, { sec: v[1]!, nsec: 0 }, 0);
};

// ---------------------------------------------------------------------------
// access

/**
 * access/faccessat/faccessat2's worker, checking in do_faccessat's order:
 * the mode ("if (mode & ~S_IRWXO) return -EINVAL"), the flags, and only
 * then the path (so access(NULL, 8) is EINVAL, not EFAULT). A NULL path
 * is EFAULT even with AT_EMPTY_PATH (measured on 6.18).
 */
function accessAt(t: Task, dirfd: number, pathAddr: number, mode: number, flags: number): number {
  if (mode & ~0o7) return -EINVAL;
  if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
  const p = copyInPath(t, pathAddr);
  if (typeof p === "number") return p;
  return vfs.faccessat(vtask(t), dirfd, p, mode, flags, realCreds(t));
}

export const sysAccess: SyscallFn = (t, a) => accessAt(t, AT_FDCWD, a.ptr(0), a.int(1), 0);
/** faccessat(2) the system call has no flags argument (glibc emulates them). */
export const sysFaccessat: SyscallFn = (t, a) => accessAt(t, a.int(0), a.ptr(1), a.int(2), 0);
export const sysFaccessat2: SyscallFn = (t, a) =>
  accessAt(t, a.int(0), a.ptr(1), a.int(2), a.int(3));

// ---------------------------------------------------------------------------
// getcwd, chdir, fchdir, chroot, umask

/**
 * getcwd(2): returns the length including the NUL. "ERANGE The size
 * argument is less than the length of the absolute pathname of the working
 * directory, including the terminating null byte." "ENOENT The current
 * working directory has been unlinked."
 */
export const sysGetcwd: SyscallFn = (t, a) => {
  const cwd = vfs.getcwd(vtask(t));
  if (typeof cwd === "number") return cwd;
  const b = bytesOf(`${cwd}\0`);
  if (b.length > a.u64(1)) return -ERANGE;
  const r = mem(t).copyOut(a.ptr(0), b);
  return r < 0 ? r : b.length;
};

export const sysChdir: SyscallFn = (t, a) => withPath(t, a.ptr(0), (p) => vfs.chdir(vtask(t), p));
export const sysFchdir: SyscallFn = (t, a) => vfs.fchdir(vtask(t), a.int(0));
export const sysChroot: SyscallFn = (t, a) => withPath(t, a.ptr(0), (p) => vfs.chroot(vtask(t), p));

/** umask(2): "always succeeds, and the previous value of the mask is returned." */
export const sysUmask: SyscallFn = (t, a) => {
  const fs = fsContext(t);
  const old = fs.umask;
  fs.umask = a.uint(0) & 0o777;
  return old;
};

export const dirSyscalls: readonly SyscallEntry[] = [
  supported(SYS_getdents, "getdents", sysGetdents),
  supported(SYS_getdents64, "getdents64", sysGetdents64),
  supported(SYS_mkdir, "mkdir", sysMkdir),
  supported(SYS_mkdirat, "mkdirat", sysMkdirat),
  partial(
    SYS_mknod,
    "mknod",
    sysMknod,
    "FIFOs and sockets are created but FIFOs open only with a kernel FIFO opener.",
  ),
  partial(SYS_mknodat, "mknodat", sysMknodat, "As mknod."),
  supported(SYS_rmdir, "rmdir", sysRmdir),
  supported(SYS_unlink, "unlink", sysUnlink),
  supported(SYS_unlinkat, "unlinkat", sysUnlinkat),
  supported(SYS_rename, "rename", sysRename),
  supported(SYS_renameat, "renameat", sysRenameat),
  partial(
    SYS_renameat2,
    "renameat2",
    sysRenameat2,
    "RENAME_WHITEOUT is EINVAL; RENAME_EXCHANGE is EINVAL on host mounts.",
  ),
  supported(SYS_link, "link", sysLink),
  supported(SYS_linkat, "linkat", sysLinkat),
  supported(SYS_symlink, "symlink", sysSymlink),
  supported(SYS_symlinkat, "symlinkat", sysSymlinkat),
  supported(SYS_readlink, "readlink", sysReadlink),
  supported(SYS_readlinkat, "readlinkat", sysReadlinkat),
  supported(SYS_chmod, "chmod", sysChmod),
  supported(SYS_fchmod, "fchmod", sysFchmod),
  supported(SYS_fchmodat, "fchmodat", sysFchmodat),
  supported(SYS_fchmodat2, "fchmodat2", sysFchmodat2),
  supported(SYS_chown, "chown", sysChown),
  supported(SYS_fchown, "fchown", sysFchown),
  supported(SYS_lchown, "lchown", sysLchown),
  supported(SYS_fchownat, "fchownat", sysFchownat),
  supported(SYS_utime, "utime", sysUtime),
  supported(SYS_utimes, "utimes", sysUtimes),
  supported(SYS_futimesat, "futimesat", sysFutimesat),
  supported(SYS_utimensat, "utimensat", sysUtimensat),
  supported(SYS_access, "access", sysAccess),
  supported(SYS_faccessat, "faccessat", sysFaccessat),
  supported(SYS_faccessat2, "faccessat2", sysFaccessat2),
  supported(SYS_getcwd, "getcwd", sysGetcwd),
  supported(SYS_chdir, "chdir", sysChdir),
  supported(SYS_fchdir, "fchdir", sysFchdir),
  supported(SYS_chroot, "chroot", sysChroot),
  supported(SYS_umask, "umask", sysUmask),
];
