/**
 * stat(2), fstat(2), lstat(2), newfstatat(2) and statx(2).
 *
 * Inspired by gVisor's pkg/sentry/syscalls/linux/vfs2/stat.go.
 */
import {
  AT_EMPTY_PATH,
  AT_FDCWD,
  AT_NO_AUTOMOUNT,
  AT_STATX_SYNC_TYPE,
  AT_SYMLINK_NOFOLLOW,
  EBADF,
  EFAULT,
  EINVAL,
  encodeStat,
  encodeStatfs,
  ST_RDONLY,
  ST_RELATIME,
  STATFS_SIZE,
  SYS_fstatfs,
  SYS_statfs,
  encodeStatx,
  STAT_SIZE,
  STATX__RESERVED,
  STATX_BASIC_STATS,
  STATX_BTIME,
  STATX_STRUCT_SIZE,
  SYS_fstat,
  SYS_lstat,
  SYS_newfstatat,
  SYS_stat,
  SYS_statx,
} from "@tsvisor/abi";
import * as vfs from "@tsvisor/vfs";
import type { Task } from "../task.js";
import { copyInPath, fdTable, mem, vtask } from "./file-common.js";
import { type SyscallEntry, type SyscallFn, supported } from "./syscall.js";

const statBuf = new Uint8Array(STAT_SIZE);
const statView = new DataView(statBuf.buffer);

/** Writes `st` as the kernel's x86-64 `struct stat` at `addr`. */
export function copyOutStat(t: Task, addr: number, st: vfs.StatData): number {
  encodeStat(statView, 0, {
    st_dev: st.dev,
    st_ino: st.ino,
    st_nlink: st.nlink,
    st_mode: st.mode,
    st_uid: st.uid,
    st_gid: st.gid,
    st_rdev: st.rdev,
    st_size: st.size,
    st_blksize: st.blksize,
    st_blocks: st.blocks,
    st_atime: st.atime.sec,
    st_atime_nsec: st.atime.nsec,
    st_mtime: st.mtime.sec,
    st_mtime_nsec: st.mtime.nsec,
    st_ctime: st.ctime.sec,
    st_ctime_nsec: st.ctime.nsec,
  });
  const r = mem(t).copyOut(addr, statBuf);
  return Math.min(r, 0);
}

/**
 * The path argument of the *stat calls: a NULL pointer with AT_EMPTY_PATH
 * means "" (allowed since Linux 6.11), otherwise copied in.
 */
function statPath(t: Task, addr: number, flags: number): string | number {
  if (addr === 0 && flags & AT_EMPTY_PATH) return "";
  return copyInPath(t, addr);
}

function statAt(t: Task, dirfd: number, pathAddr: number, flags: number, out: number): number {
  const path = statPath(t, pathAddr, flags);
  if (typeof path === "number") return path;
  const st = vfs.fstatat(vtask(t), dirfd, path, flags);
  if (typeof st === "number") return st;
  return copyOutStat(t, out, st);
}

export const sysStat: SyscallFn = (t, a) => statAt(t, AT_FDCWD, a.ptr(0), 0, a.ptr(1));
export const sysLstat: SyscallFn = (t, a) =>
  statAt(t, AT_FDCWD, a.ptr(0), AT_SYMLINK_NOFOLLOW, a.ptr(1));
/** The flags vfs_statx accepts; newfstatat(2) "EINVAL Invalid flag specified in flags". */
const STATAT_FLAGS = AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE;

/**
 * newfstatat(2), in vfs_fstatat's order (Linux 6.18): with AT_EMPTY_PATH
 * a NULL or empty path on a real fd is fstat(fd), whatever the other
 * flags; otherwise bad flags are EINVAL before the path's own errors
 * (EFAULT, ENAMETOOLONG) are reported.
 */
export const sysNewfstatat: SyscallFn = (t, a) => {
  const dirfd = a.int(0);
  const pathAddr = a.ptr(1);
  const out = a.ptr(2);
  const flags = a.int(3);
  let path: string | number;
  if (flags & AT_EMPTY_PATH) {
    // getname_maybe_null: NULL, or a first byte of NUL, means no path.
    const first = new Uint8Array(1);
    path =
      pathAddr === 0
        ? ""
        : mem(t).copyIn(pathAddr, first) < 0
          ? -EFAULT
          : first[0] === 0
            ? ""
            : copyInPath(t, pathAddr);
    if (path === "" && dirfd >= 0) {
      const st = vfs.fstat(vtask(t), dirfd);
      if (typeof st === "number") return st;
      return copyOutStat(t, out, st);
    }
  } else {
    path = copyInPath(t, pathAddr);
  }
  if (flags & ~STATAT_FLAGS) return -EINVAL;
  if (typeof path === "number") return path;
  const st = vfs.fstatat(vtask(t), dirfd, path, flags & (AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH));
  if (typeof st === "number") return st;
  return copyOutStat(t, out, st);
};

export const sysFstat: SyscallFn = (t, a) => {
  const st = vfs.fstat(vtask(t), a.int(0));
  if (typeof st === "number") return st;
  return copyOutStat(t, a.ptr(1), st);
};

const statxBuf = new Uint8Array(STATX_STRUCT_SIZE);
const statxView = new DataView(statxBuf.buffer);

/**
 * statx(2). "EINVAL Invalid flag specified in flags. EINVAL Reserved flag
 * specified in mask." The mask returned is the basic stats, plus the birth
 * time when the file system records it.
 */
export const sysStatx: SyscallFn = (t, a) => {
  const dirfd = a.int(0);
  const flags = a.int(2);
  const mask = a.uint(3);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
    return -EINVAL;
  if ((flags & AT_STATX_SYNC_TYPE) === AT_STATX_SYNC_TYPE) return -EINVAL;
  if (mask & STATX__RESERVED) return -EINVAL;
  const path = statPath(t, a.ptr(1), flags);
  if (typeof path === "number") return path;
  const st = vfs.fstatat(vtask(t), dirfd, path, flags & (AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH));
  if (typeof st === "number") return st;
  const [devMaj, devMin] = vfs.splitDev(st.dev);
  const [rdevMaj, rdevMin] = vfs.splitDev(st.rdev);
  const zero = { tv_sec: 0, tv_nsec: 0 };
  encodeStatx(statxView, 0, {
    stx_mask: STATX_BASIC_STATS | (st.btime ? STATX_BTIME : 0),
    stx_blksize: st.blksize,
    stx_attributes: 0,
    stx_nlink: st.nlink,
    stx_uid: st.uid,
    stx_gid: st.gid,
    stx_mode: st.mode,
    stx_ino: st.ino,
    stx_size: st.size,
    stx_blocks: st.blocks,
    stx_attributes_mask: 0,
    stx_atime: { tv_sec: st.atime.sec, tv_nsec: st.atime.nsec },
    stx_btime: st.btime ? { tv_sec: st.btime.sec, tv_nsec: st.btime.nsec } : zero,
    stx_ctime: { tv_sec: st.ctime.sec, tv_nsec: st.ctime.nsec },
    stx_mtime: { tv_sec: st.mtime.sec, tv_nsec: st.mtime.nsec },
    stx_rdev_major: rdevMaj,
    stx_rdev_minor: rdevMin,
    stx_dev_major: devMaj,
    stx_dev_minor: devMin,
    stx_mnt_id: 0,
    stx_dio_mem_align: 0,
    stx_dio_offset_align: 0,
  });
  const r = mem(t).copyOut(a.ptr(4), statxBuf);
  return Math.min(r, 0);
};

const statfsBuf = new Uint8Array(STATFS_SIZE);
const statfsView = new DataView(statfsBuf.buffer);
/** ST_VALID (Linux 2.6.36+): f_flags is meaningful. */
const ST_VALID = 0x20;

function copyOutStatfs(t: Task, addr: number, loc: vfs.Location): number {
  const s = loc.mount.fs.statfs();
  encodeStatfs(statfsView, 0, {
    f_type: s.type,
    f_bsize: s.bsize,
    f_blocks: s.blocks,
    f_bfree: s.bfree,
    f_bavail: s.bavail,
    f_files: s.files,
    f_ffree: s.ffree,
    f_fsid: [loc.mount.fs.dev, 0],
    f_namelen: s.namelen,
    f_frsize: s.bsize,
    f_flags: ST_VALID | ST_RELATIME | (loc.mount.readOnly ? ST_RDONLY : 0),
  });
  return mem(t).copyOut(addr, statfsBuf) < 0 ? -EFAULT : 0;
}

/** statfs(2): the file system holding `path` (symlinks followed). */
export const sysStatfs: SyscallFn = (t, a) => {
  const path = copyInPath(t, a.ptr(0));
  if (typeof path === "number") return path;
  const loc = vfs.lookupAt(vtask(t), AT_FDCWD, path, true);
  if (typeof loc === "number") return loc;
  return copyOutStatfs(t, a.ptr(1), loc);
};

/** fstatfs(2). Pipes report their pseudo file system (PIPEFS_MAGIC). */
export const sysFstatfs: SyscallFn = (t, a) => {
  const f = fdTable(t).get(a.int(0));
  if (!f) return -EBADF;
  if (!f.location) {
    encodeStatfs(statfsView, 0, {
      f_type: 0x50495045, // PIPEFS_MAGIC
      f_bsize: 4096,
      f_blocks: 0,
      f_bfree: 0,
      f_bavail: 0,
      f_files: 0,
      f_ffree: 0,
      f_fsid: [0, 0],
      f_namelen: 255,
      f_frsize: 4096,
      f_flags: ST_VALID,
    });
    return mem(t).copyOut(a.ptr(1), statfsBuf) < 0 ? -EFAULT : 0;
  }
  return copyOutStatfs(t, a.ptr(1), f.location);
};

export const statSyscalls: readonly SyscallEntry[] = [
  supported(SYS_statfs, "statfs", sysStatfs),
  supported(SYS_fstatfs, "fstatfs", sysFstatfs),
  supported(SYS_stat, "stat", sysStat),
  supported(SYS_fstat, "fstat", sysFstat),
  supported(SYS_lstat, "lstat", sysLstat),
  supported(SYS_newfstatat, "newfstatat", sysNewfstatat),
  supported(SYS_statx, "statx", sysStatx),
];
