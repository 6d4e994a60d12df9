/**
 * Inodes and file systems: the objects path resolution walks over.
 *
 * An {@link Inode} is one file of one {@link FileSystem} (tmpfs, host,
 * overlay). The VFS layer (namei.ts, open.ts) does everything that is the
 * same for every file system — permission checks, name validation, mount
 * crossing, errno precedence — and calls the inode only for the mechanics.
 * So an inode method may assume its preconditions were checked (e.g. that
 * `name` is a valid single component, neither "." nor "..").
 *
 * Inspired by gVisor's pkg/sentry/vfs (FilesystemImpl, Dentry) and Linux's
 * struct inode_operations.
 */

import type { Location } from "./mount.js";
import {
  DT_BLK,
  DT_CHR,
  DT_DIR,
  DT_FIFO,
  DT_LNK,
  DT_REG,
  DT_SOCK,
  DT_UNKNOWN,
  ENOTDIR,
  EINVAL,
  EPERM,
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  S_IFSOCK,
  ENODATA,
  EOPNOTSUPP,
} from "./linux.js";

/** A point in time as Linux's `struct timespec`. */
export interface Timespec {
  sec: number;
  nsec: number;
}

/** The fields of `struct stat` / `struct statx` an inode reports. */
export interface StatData {
  dev: number;
  ino: number;
  /** File type and permission bits (S_IFMT | 07777). */
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize: number;
  /** Number of 512-byte blocks allocated. */
  blocks: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  /** Birth time, when the file system records it. */
  btime?: Timespec;
}

/**
 * The stat record of a file with no file-system data behind it (a socket,
 * a pipe, a pidfd, a host file that vanished): size 0, no blocks, one link
 * unless `nlink` says otherwise, owned by `uid`/`gid` (default root), all
 * three times `time` (default the epoch), no device number.
 */
export function blankStat(o: {
  dev: number;
  ino: number;
  mode: number;
  nlink?: number;
  uid?: number;
  gid?: number;
  time?: Timespec;
}): StatData {
  const t = o.time ?? { sec: 0, nsec: 0 };
  return {
    dev: o.dev,
    ino: o.ino,
    mode: o.mode,
    nlink: o.nlink ?? 1,
    uid: o.uid ?? 0,
    gid: o.gid ?? 0,
    rdev: 0,
    size: 0,
    blksize: 4096,
    blocks: 0,
    atime: { ...t },
    mtime: { ...t },
    ctime: { ...t },
  };
}

/**
 * The identity a file-system operation runs with: Linux's fsuid/fsgid and
 * supplementary groups (for access(2) the real ids instead).
 */
export interface FsCreds {
  readonly euid: number;
  readonly egid: number;
  readonly groups: readonly number[];
}

/** What permission checks read from an inode. */
export interface PermAttrs {
  mode: number;
  uid: number;
  gid: number;
}

/** Root's credentials. */
export const ROOT_CREDS: FsCreds = { euid: 0, egid: 0, groups: [] };

/** Attributes to change; absent fields are left alone. */
export interface SetAttr {
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  atime?: Timespec;
  mtime?: Timespec;
  ctime?: Timespec;
}

/** One directory entry as readdir reports it (without "." and ".."). */
export interface DirEntry {
  name: string;
  ino: number;
  /** A DT_* value. */
  type: number;
}

/**
 * The current wall-clock time (microsecond resolution, from the monotonic
 * clock anchored at process start; no BigInt on this hot path).
 */
export function now(): Timespec {
  const ms = performance.timeOrigin + performance.now();
  const sec = Math.floor(ms / 1000);
  return { sec, nsec: Math.floor((ms - sec * 1000) * 1e6) % 1_000_000_000 };
}

/** Maps an S_IFMT file type to the DT_* value getdents reports. */
export function modeToDirentType(mode: number): number {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return DT_REG;
    case S_IFDIR:
      return DT_DIR;
    case S_IFLNK:
      return DT_LNK;
    case S_IFCHR:
      return DT_CHR;
    case S_IFBLK:
      return DT_BLK;
    case S_IFIFO:
      return DT_FIFO;
    case S_IFSOCK:
      return DT_SOCK;
    default:
      return DT_UNKNOWN;
  }
}

/** Linux's `new_encode_dev`: the st_dev/st_rdev encoding of (major, minor). */
export function makedev(major: number, minor: number): number {
  return (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12);
}

/** Linux's `new_decode_dev`: [major, minor]. */
export function splitDev(dev: number): [number, number] {
  return [(dev & 0xfff00) >>> 8, (dev & 0xff) | ((dev >>> 12) & 0xfff00)];
}

/** What statfs(2) reports about a file system (the mount adds f_flags). */
export interface FsStats {
  /** f_type: a *_MAGIC number. */
  type: number;
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  namelen: number;
}

let nextAnonMinor = 32;

/**
 * A file system instance. `dev` is the st_dev of all its inodes (an
 * anonymous device number, major 0, like Linux's get_anon_bdev).
 */
export abstract class FileSystem {
  readonly dev: number;
  constructor(readonly type: string) {
    this.dev = makedev(0, nextAnonMinor++);
  }
  abstract get root(): Inode;

  /** statfs(2) numbers. The default describes an empty in-memory file system. */
  statfs(): FsStats {
    return {
      type: 0x01021994, // TMPFS_MAGIC
      bsize: 4096,
      blocks: 1 << 20,
      bfree: 1 << 20,
      bavail: 1 << 20,
      files: 1 << 20,
      ffree: 1 << 20,
      namelen: 255,
    };
  }
}

/**
 * One file. Methods return a value or a negative errno; the defaults below
 * are what Linux returns when a file system lacks the operation.
 *
 * Invariants: one Inode object per file for as long as anything references
 * it (mount points and open files compare inodes by identity).
 */
export abstract class Inode {
  abstract readonly fs: FileSystem;

  /** A fresh snapshot of the inode's attributes. */
  abstract stat(): StatData;

  /** The file type and permission bits (cheaper than stat()). */
  get mode(): number {
    return this.stat().mode;
  }

  /** The file type (S_IFMT bits), which never changes for an inode. */
  get fileType(): number {
    return this.mode & S_IFMT;
  }

  get isDir(): boolean {
    return this.fileType === S_IFDIR;
  }

  get isSymlink(): boolean {
    return this.fileType === S_IFLNK;
  }

  /**
   * The attributes permission checks need (mode, uid, gid), cheaper than
   * a full stat() on file systems that can skip timestamps.
   */
  attrs(): PermAttrs {
    const st = this.stat();
    return { mode: st.mode, uid: st.uid, gid: st.gid };
  }

  /** st_ino (cheaper than stat() where the number is known). */
  get inoNumber(): number {
    return this.stat().ino;
  }

  /** Whether the file has been removed from the tree (nlink 0 for a directory). */
  get unlinked(): boolean {
    return this.stat().nlink === 0;
  }

  /**
   * For a directory: its parent directory in this file system, or null for
   * the file system's root. Undefined for other file types.
   */
  parentDir(): Inode | null {
    return null;
  }

  /**
   * For a directory: its name in parentDir() (for getcwd); null when unknown
   * or for the file system's root.
   */
  dirName(): string | null {
    return null;
  }

  /**
   * Looks up one name in this directory.
   * Preconditions: this is a directory; `name` is a valid component, not "." or "..".
   */
  lookup(_name: string): Inode | number {
    return -ENOTDIR;
  }

  /** Lists a directory's entries, without "." and "..". */
  readdir(): DirEntry[] | number {
    return -ENOTDIR;
  }

  /**
   * Creates a child. `mode` carries the file type (S_IFREG, S_IFDIR,
   * S_IFLNK, S_IFCHR...) and the final permission bits (umask applied).
   * Preconditions: `name` does not exist in this directory; permission
   * to write this directory was checked.
   */
  createChild(
    _name: string,
    _mode: number,
    _creds: FsCreds,
    _extra: { rdev?: number; target?: string },
  ): Inode | number {
    return -EPERM;
  }

  /**
   * Creates an unnamed regular file in this directory's file system
   * (open(2) O_TMPFILE): nlink 0 until linkat(2) gives it a name.
   */
  createTmpfile(_mode: number, _creds: FsCreds): Inode | number {
    return -EOPNOTSUPP;
  }

  /** Whether linkat(2) may give this nlink-0 file a name (an O_TMPFILE file opened without O_EXCL). */
  linkable = false;

  /** Adds a hard link `name` to `target`. Preconditions as createChild. */
  link(_name: string, _target: Inode): number {
    return -EPERM;
  }

  /**
   * Removes the entry `name` (a non-directory, or an empty directory when
   * `dir` is true). Preconditions: the entry exists and its type matches `dir`.
   */
  removeChild(_name: string, _dir: boolean): number {
    return -EPERM;
  }

  /**
   * Renames `oldName` in this directory to `newName` in `newDir` (same file
   * system). Flags are RENAME_NOREPLACE / RENAME_EXCHANGE. Preconditions:
   * the VFS checked existence, type compatibility, emptiness of a replaced
   * directory and that a directory is not moved into its own subtree.
   */
  rename(_oldName: string, _newDir: Inode, _newName: string, _flags: number): number {
    return -EPERM;
  }

  /** The target of a symbolic link. */
  readlink(): string | number {
    return -EINVAL;
  }

  /** Changes attributes (chmod/chown/truncate/utimes) after VFS checks. */
  setattr(_attr: SetAttr): number {
    return -EPERM;
  }

  /** Reads file data at `offset`; returns the byte count (0 at EOF). */
  read(_offset: number, _dst: Uint8Array): number {
    return -EINVAL;
  }

  /** Writes file data at `offset`, growing the file; returns the byte count. */
  write(_offset: number, _src: Uint8Array): number {
    return -EINVAL;
  }

  /**
   * For a procfs "magic link" (/proc/PID/fd/N): where following it jumps —
   * the location of the file the fd refers to, or a location whose inode
   * is an `OpenFileInode` for a file with no location (a pipe, a
   * host stream) — or an errno. null: not a magic link; follow the text
   * readlink() returns. `at` is the directory holding the link.
   * proc(5): "/proc/pid/fd/ ... opening the file ... opens the same file
   * as the fd refers to."
   */
  magicJump(_at: Location): Location | number | null {
    return null;
  }

  /** Prepares the inode to be opened with `flags` (e.g. host files open a host fd). */
  prepareOpen(_flags: number): number {
    return 0;
  }

  /** Undoes one successful prepareOpen, when the open file description is released. */
  release(): void {}

  /** Reads an extended attribute. */
  getxattr(_name: string): Uint8Array | number {
    return -ENODATA;
  }

  /** Sets an extended attribute. */
  setxattr(_name: string, _value: Uint8Array): number {
    return -EOPNOTSUPP;
  }

  /** Names of the extended attributes, or -EOPNOTSUPP when the file system has none. */
  listxattr(): string[] | number {
    return -EOPNOTSUPP;
  }

  /** Removes an extended attribute (-ENODATA when absent). */
  removexattr(_name: string): number {
    return -EOPNOTSUPP;
  }
}
