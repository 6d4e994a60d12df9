/**
 * Open file descriptions (Linux's struct file).
 *
 * A {@link FileDescription} holds the file offset and status flags; dup(2)
 * and fork(2) share one description between several fds (and tasks), so
 * they share the offset. The base class implements the checks every file
 * shares (EBADF for a wrong access mode or O_PATH) and defaults that return
 * Linux's errno for an operation a file type lacks; subclasses override
 * the `do*` hooks.
 *
 * Inspired by gVisor's pkg/sentry/vfs/file_description.go.
 */

import type { DirEntry, Inode, SetAttr, StatData } from "./inode.js";
import {
  EBADF,
  EINVAL,
  EISDIR,
  ENOTDIR,
  ENXIO,
  ESPIPE,
  O_ACCMODE,
  O_APPEND,
  O_PATH,
  O_RDONLY,
  O_WRONLY,
  POLLIN,
  POLLOUT,
  POLLRDNORM,
  POLLWRNORM,
  SEEK_CUR,
  SEEK_DATA,
  SEEK_END,
  SEEK_HOLE,
  SEEK_SET,
  EFBIG,
} from "./linux.js";
import type { Location } from "./mount.js";
import type { Waitable } from "./waiter.js";

/**
 * Linux's MAX_LFS_FILESIZE, 2^63 - 1: the largest file offset. A double
 * cannot hold it and rounds it to 2^63, so a valid offset is `< MAX_OFFSET`
 * (offsets and sizes are exact below 2^53, rounded beyond).
 */
export const MAX_OFFSET = 2 ** 63;

/** Status flags F_SETFL may change (Linux's SETFL_MASK minus O_DIRECT/O_ASYNC side effects). */
export const SETFL_MASK = 0o2000 | 0o4000 | 0o20000 | 0o40000 | 0o1000000; // O_APPEND|O_NONBLOCK|FASYNC|O_DIRECT|O_NOATIME

/**
 * An open file description.
 *
 * Invariants: `refs` counts fd-table entries (and kernel-held references);
 * `release()` runs exactly once, when it drops to zero. `offset` is >= 0.
 */
export abstract class FileDescription {
  /** O_ACCMODE plus status flags (O_APPEND, O_NONBLOCK, O_PATH, ...). */
  flags: number;
  offset = 0;
  private refs = 1;
  /** The file as it was opened, for fstat/fchdir/readlink of /proc/PID/fd; null for anonymous files (pipes). */
  readonly location: Location | null;
  /** The absolute path it was opened by (best effort), for /proc/PID/fd. */
  path: string;

  constructor(flags: number, location: Location | null, path: string) {
    this.flags = flags;
    this.location = location;
    this.path = path;
  }

  get inode(): Inode | null {
    return this.location?.inode ?? null;
  }

  get readable(): boolean {
    return (this.flags & O_PATH) === 0 && (this.flags & O_ACCMODE) !== O_WRONLY;
  }

  get writable(): boolean {
    return (this.flags & O_PATH) === 0 && (this.flags & O_ACCMODE) !== O_RDONLY;
  }

  incRef(): void {
    this.refs++;
  }

  /** Drops a reference; releases the description at zero. */
  decRef(): void {
    if (--this.refs === 0) this.release();
  }

  get refCount(): number {
    return this.refs;
  }

  /** Called once when the last reference goes. */
  protected release(): void {
    this.inode?.release();
  }

  /** read(2) at the file offset. */
  read(dst: Uint8Array): number {
    if (!this.readable) return -EBADF;
    const n = this.doRead(dst, this.offset);
    if (n > 0 && this.seekable) this.offset += n;
    return n;
  }

  /** pread64(2). */
  pread(dst: Uint8Array, offset: number): number {
    if (!this.readable) return -EBADF;
    if (!this.seekable) return -ESPIPE;
    if (offset < 0) return -EINVAL;
    return this.doRead(dst, offset);
  }

  /** write(2) at the file offset (or at the end with O_APPEND). */
  write(src: Uint8Array): number {
    if (!this.writable) return -EBADF;
    let off = this.offset;
    if (this.flags & O_APPEND && this.seekable) off = this.size();
    // generic_write_check_limits: EFBIG at the limit, a short write before it.
    if (this.seekable && src.length > 0) {
      if (off >= MAX_OFFSET) return -EFBIG;
      if (off + src.length > MAX_OFFSET) src = src.subarray(0, MAX_OFFSET - off);
    }
    const n = this.doWrite(src, off);
    if (n > 0 && this.seekable) this.offset = off + n;
    return n;
  }

  /**
   * pwrite64(2). pwrite(2): "POSIX requires that opening a file with the
   * O_APPEND flag should have no effect on the location at which pwrite()
   * writes data. However, on Linux, if a file is opened with O_APPEND,
   * pwrite() appends data to the end of the file, regardless of the value
   * of offset."
   */
  pwrite(src: Uint8Array, offset: number): number {
    if (!this.writable) return -EBADF;
    if (!this.seekable) return -ESPIPE;
    if (offset < 0) return -EINVAL;
    const off = this.flags & O_APPEND ? this.size() : offset;
    return this.doWrite(src, off);
  }

  /** lseek(2). */
  lseek(offset: number, whence: number): number {
    if (this.flags & O_PATH) return -EBADF;
    if (!this.seekable) return -ESPIPE;
    return this.doSeek(offset, whence);
  }

  /**
   * Whether write(2) never reads the caller's buffer (null(4): /dev/null
   * and /dev/zero discard it, /dev/full fails with ENOSPC), so a write
   * from a bad buffer still succeeds. Such files take any `src` in write.
   */
  get writeIgnoresData(): boolean {
    return false;
  }

  /** Whether the file has a position (regular files, directories, some devices). */
  get seekable(): boolean {
    return true;
  }

  /** The file size for SEEK_END / O_APPEND. */
  size(): number {
    return this.inode?.stat().size ?? 0;
  }

  protected doSeek(offset: number, whence: number): number {
    let base: number;
    switch (whence) {
      case SEEK_SET:
        base = 0;
        break;
      case SEEK_CUR:
        base = this.offset;
        break;
      case SEEK_END:
        base = this.size();
        break;
      case SEEK_DATA: {
        const sz = this.size();
        if (offset < 0 || offset >= sz) return -ENXIO;
        this.offset = offset;
        return offset;
      }
      case SEEK_HOLE: {
        const sz = this.size();
        if (offset < 0 || offset >= sz) return -ENXIO;
        this.offset = sz;
        return sz;
      }
      default:
        return -EINVAL;
    }
    const n = base + offset;
    // vfs_setpos: "offset < 0" and "offset > maxsize" are both EINVAL (a
    // sum past 2^63 - 1 wraps negative in Linux's loff_t).
    if (n < 0 || n >= MAX_OFFSET) return -EINVAL;
    this.offset = n;
    return n;
  }

  protected doRead(_dst: Uint8Array, _offset: number): number {
    return -EINVAL;
  }

  protected doWrite(_src: Uint8Array, _offset: number): number {
    return -EINVAL;
  }

  /** getdents64(2) into `buf`; returns bytes filled. */
  getdents64(_buf: Uint8Array): number {
    if (this.flags & O_PATH) return -EBADF;
    return -ENOTDIR;
  }

  /**
   * A new open file description of the same file with `flags` (O_ACCMODE
   * and status flags), for an open through a /proc/PID/fd/N magic link of
   * a file with no location (pipes, host streams). open(2): "ENXIO ... the
   * file is a UNIX domain socket" — and anonymous files (eventfd, epoll...)
   * cannot be reopened either. `flags` may hold O_TRUNC, which the file
   * applies if it can; the new description's flags must not keep it.
   */
  reopen(_flags: number): FileDescription | number {
    return -ENXIO;
  }

  /** fstat(2). */
  stat(): StatData | number {
    const i = this.inode;
    if (!i) return -EBADF;
    return i.stat();
  }

  /** Changes attributes of the open file (ftruncate/fchmod/fchown/futimens), after checks. */
  setattr(attr: SetAttr): number {
    const i = this.inode;
    if (!i) return -EBADF;
    return i.setattr(attr);
  }

  /**
   * The events (POLLIN, POLLOUT, POLLHUP, ...) ready now among `mask`.
   * Regular files are always ready, as on Linux.
   */
  readiness(mask: number): number {
    return mask & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
  }

  /** What to wait on when an operation returned -EAGAIN; null if it never blocks. */
  waitable(): Waitable | null {
    return null;
  }

  /**
   * ioctl(2) for the commands a file implements; `arg` is the raw argument.
   * Returns `undefined` when the file does not know `cmd` (→ ENOTTY), or a
   * result: a number, or bytes the kernel copies out to `arg`.
   */
  ioctl(_cmd: number, _arg: number): number | Uint8Array | undefined {
    return undefined;
  }

  /** fsync(2)/fdatasync(2). */
  fsync(): number {
    return 0;
  }
}

/** A regular file of an inode-backed file system (tmpfs, host, overlay). */
export class RegularFile extends FileDescription {
  protected override doRead(dst: Uint8Array, offset: number): number {
    if (dst.length === 0) return 0;
    return this.location!.inode.read(offset, dst);
  }

  protected override doWrite(src: Uint8Array, offset: number): number {
    if (src.length === 0) return 0;
    return this.location!.inode.write(offset, src);
  }

  override ioctl(cmd: number, _arg: number): number | Uint8Array | undefined {
    if (cmd === 0x541b /* FIONREAD */) {
      const n = Math.max(0, this.size() - this.offset);
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, Math.min(n, 0x7fffffff), true);
      return b;
    }
    return undefined;
  }
}

/** A file opened with O_PATH: it names a file, nothing more. */
export class PathFile extends FileDescription {
  override read(_dst: Uint8Array): number {
    return -EBADF;
  }
  override write(_src: Uint8Array): number {
    return -EBADF;
  }
  override get seekable(): boolean {
    return false;
  }
  override lseek(_offset: number, _whence: number): number {
    return -EBADF;
  }
  override ioctl(_cmd: number, _arg: number): undefined {
    return undefined;
  }
}

/** Bytes of one linux_dirent64 record for a name of `nameLen` bytes. */
export function direntReclen(nameLen: number): number {
  return (19 + nameLen + 1 + 7) & ~7;
}

/**
 * An open directory. getdents64 reads a snapshot of the entries, taken at
 * the first read and again after a seek to 0; `offset` is the index of the
 * next entry, and each record's d_off is that cookie (stable across calls).
 */
export class DirectoryFile extends FileDescription {
  private snapshot: DirEntry[] | null = null;

  constructor(
    flags: number,
    location: Location,
    path: string,
    /** The inode number ".." reports (the parent through mounts). */
    private readonly dotdotIno: () => number,
  ) {
    super(flags, location, path);
  }

  protected override doRead(): number {
    return -EISDIR;
  }

  protected override doWrite(): number {
    return -EISDIR;
  }

  protected override doSeek(offset: number, whence: number): number {
    // dcache_dir_lseek: SEEK_SET and SEEK_CUR only.
    let n: number;
    if (whence === SEEK_SET) n = offset;
    else if (whence === SEEK_CUR) n = this.offset + offset;
    else return -EINVAL;
    if (n < 0) return -EINVAL;
    if (n === 0) this.snapshot = null;
    this.offset = n;
    return n;
  }

  override getdents64(buf: Uint8Array): number {
    if (this.flags & O_PATH) return -EBADF;
    const inode = this.location!.inode;
    if (!this.snapshot || this.offset === 0) {
      const r = inode.readdir();
      if (typeof r === "number") return r;
      this.snapshot = [
        { name: ".", ino: inode.inoNumber, type: 4 },
        { name: "..", ino: this.dotdotIno(), type: 4 },
        ...r,
      ];
    }
    const entries = this.snapshot;
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let pos = 0;
    while (this.offset < entries.length) {
      const e = entries[this.offset]!;
      const nameLen = e.name.length; // latin1: one byte per code unit
      const reclen = direntReclen(nameLen);
      if (pos + reclen > buf.length) {
        if (pos === 0) return -EINVAL; // getdents(2): "Result buffer is too small."
        break;
      }
      dv.setBigUint64(pos, BigInt(e.ino), true);
      dv.setBigInt64(pos + 8, BigInt(this.offset + 1), true);
      dv.setUint16(pos + 16, reclen, true);
      dv.setUint8(pos + 18, e.type);
      buf.fill(0, pos + 19, pos + reclen);
      buf.set(Buffer.from(e.name, "latin1"), pos + 19);
      pos += reclen;
      this.offset++;
    }
    return pos;
  }
}
