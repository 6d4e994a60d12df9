/**
 * A passthrough of a host directory tree.
 *
 * Reads go to the host with node:fs synchronous calls. The mount is
 * read-only (every change → EROFS) unless created `writable`.
 *
 * Security: the Sentry must never follow a host symlink, which could point
 * out of the mounted tree. Every host path this file touches is the mount's
 * root plus components that path resolution already looked up one by one
 * with lstat (symlinks are inodes here; the VFS resolves their targets
 * inside the sandbox), and files are opened with O_NOFOLLOW.
 *
 * Names are byte strings: each byte of a host name is one latin1 code unit,
 * so non-UTF-8 names survive unchanged.
 *
 * Inspired by gVisor's pkg/sentry/fsimpl/gofer (lisafs) with the host
 * file descriptor donation replaced by direct node:fs calls.
 */

import * as fs from "node:fs";
import {
  blankStat,
  type DirEntry,
  FileSystem,
  type FsCreds,
  type FsStats,
  Inode,
  modeToDirentType,
  type PermAttrs,
  type SetAttr,
  type StatData,
  type Timespec,
} from "./inode.js";
import {
  EEXIST,
  EFBIG,
  EINVAL,
  EIO,
  ENOENT,
  ENOTDIR,
  EPERM,
  EROFS,
  O_ACCMODE,
  O_RDONLY,
  S_IFDIR,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
} from "./linux.js";

const HOST_O_NOFOLLOW = fs.constants.O_NOFOLLOW;

/** Converts a host node:fs error into a negative errno. */
export function hostErrno(e: unknown): number {
  const n = (e as { errno?: unknown }).errno;
  if (typeof n === "number" && n !== 0) return n < 0 ? n : -n;
  return -EIO;
}

/** A read position for node:fs, which takes numbers only below 2^53 (bigints beyond). */
function hostPosition(offset: number): number | bigint {
  return offset <= Number.MAX_SAFE_INTEGER ? offset : BigInt(offset);
}

function pathBuf(p: string): Buffer {
  return Buffer.from(p, "latin1");
}

function ts(ns: bigint): Timespec {
  return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
}

/** A host directory mounted into the sandbox. */
export class HostFs extends FileSystem {
  readonly writable: boolean;
  readonly rootPath: string;
  private readonly rootInode: HostInode;
  /** Live inodes by host path, so each host file has one Inode object. */
  readonly cache = new Map<string, HostInode>();

  /**
   * Preconditions: `rootPath` is an absolute host path naming a directory
   * (it is resolved with realpath once, here, by the Sentry's trusted
   * configuration — not by the program).
   */
  constructor(rootPath: string, opts: { writable?: boolean } = {}) {
    super("hostfs");
    this.writable = opts.writable ?? false;
    const real = fs.realpathSync(rootPath);
    const st = fs.statSync(real);
    if (!st.isDirectory()) throw new Error(`host mount ${rootPath} is not a directory`);
    this.rootPath = real === "/" ? "" : real;
    this.rootInode = new HostInode(this, this.rootPath, S_IFDIR, Number(st.ino), null);
    this.cache.set(this.rootPath, this.rootInode);
  }

  get root(): Inode {
    return this.rootInode;
  }

  /** The host file system's numbers (its f_type too, like a bind mount). */
  override statfs(): FsStats {
    try {
      const s = fs.statfsSync(this.rootPath === "" ? "/" : this.rootPath);
      return {
        type: s.type,
        bsize: s.bsize,
        blocks: s.blocks,
        bfree: s.bfree,
        bavail: s.bavail,
        files: s.files,
        ffree: s.ffree,
        namelen: 255,
      };
    } catch {
      return super.statfs();
    }
  }
}

/**
 * One host file, named by its host path.
 *
 * Invariants: `path` is the mount root plus lstat-checked components; the
 * file type is fixed (a host file replaced by another type gets a new inode).
 */
export class HostInode extends Inode {
  private fdRO = -1;
  private fdRW = -1;
  private opens = 0;

  constructor(
    readonly fs: HostFs,
    public path: string,
    readonly type: number,
    readonly hostIno: number,
    public parent: HostInode | null,
  ) {
    super();
  }

  private get hostPath(): Buffer {
    return pathBuf(this.path === "" ? "/" : this.path);
  }

  stat(): StatData {
    try {
      const s = fs.lstatSync(this.hostPath, { bigint: true });
      return {
        dev: this.fs.dev,
        ino: Number(s.ino),
        mode: Number(s.mode),
        nlink: Number(s.nlink),
        uid: Number(s.uid),
        gid: Number(s.gid),
        rdev: Number(s.rdev),
        size: Number(s.size),
        blksize: Number(s.blksize),
        blocks: Number(s.blocks),
        atime: ts(s.atimeNs),
        mtime: ts(s.mtimeNs),
        ctime: ts(s.ctimeNs),
        btime: ts(s.birthtimeNs),
      };
    } catch {
      // The host file vanished under us: report what we know.
      return blankStat({ dev: this.fs.dev, ino: this.hostIno, mode: this.type, nlink: 0 });
    }
  }

  override get mode(): number {
    try {
      return fs.lstatSync(this.hostPath).mode;
    } catch {
      return this.type;
    }
  }

  override get fileType(): number {
    return this.type;
  }

  override attrs(): PermAttrs {
    try {
      const s = fs.lstatSync(this.hostPath);
      return { mode: s.mode, uid: s.uid, gid: s.gid };
    } catch {
      return { mode: this.type, uid: 0, gid: 0 };
    }
  }

  override get inoNumber(): number {
    return this.hostIno;
  }

  /** Host files removed behind the Sentry's back are not tracked (no syscall per check). */
  override get unlinked(): boolean {
    return false;
  }

  override get isDir(): boolean {
    return this.type === S_IFDIR;
  }

  override get isSymlink(): boolean {
    return this.type === S_IFLNK;
  }

  override parentDir(): Inode | null {
    return this.parent;
  }

  override dirName(): string | null {
    if (!this.parent) return null;
    return this.path.slice(this.path.lastIndexOf("/") + 1);
  }

  private childPath(name: string): string {
    return `${this.path}/${name}`;
  }

  override lookup(name: string): Inode | number {
    if (this.type !== S_IFDIR) return -ENOTDIR;
    const p = this.childPath(name);
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(pathBuf(p), { throwIfNoEntry: false });
    } catch (e) {
      return hostErrno(e);
    }
    if (!st) return -ENOENT;
    const type = st.mode & S_IFMT;
    const cached = this.fs.cache.get(p);
    if (cached && cached.type === type && cached.hostIno === st.ino) return cached;
    const ino = new HostInode(this.fs, p, type, st.ino, this);
    this.fs.cache.set(p, ino);
    return ino;
  }

  override readdir(): DirEntry[] | number {
    if (this.type !== S_IFDIR) return -ENOTDIR;
    let names: string[];
    try {
      names = fs.readdirSync(this.hostPath, { encoding: "latin1" });
    } catch (e) {
      return hostErrno(e);
    }
    const out: DirEntry[] = [];
    for (const name of names) {
      let st: fs.Stats | undefined;
      try {
        st = fs.lstatSync(pathBuf(this.childPath(name)), { throwIfNoEntry: false });
      } catch {
        st = undefined;
      }
      if (!st) continue; // raced with a host unlink, or unreadable
      out.push({ name, ino: st.ino, type: modeToDirentType(st.mode) });
    }
    return out;
  }

  override readlink(): string | number {
    if (this.type !== S_IFLNK) return -EINVAL;
    try {
      return fs.readlinkSync(this.hostPath, { encoding: "latin1" });
    } catch (e) {
      return hostErrno(e);
    }
  }

  override prepareOpen(flags: number): number {
    if (this.type !== S_IFREG) return 0;
    const wantWrite = (flags & O_ACCMODE) !== O_RDONLY;
    if (wantWrite && !this.fs.writable) return -EROFS;
    try {
      if (wantWrite) {
        if (this.fdRW < 0)
          this.fdRW = fs.openSync(this.hostPath, fs.constants.O_RDWR | HOST_O_NOFOLLOW);
      } else if (this.fdRO < 0 && this.fdRW < 0) {
        this.fdRO = fs.openSync(this.hostPath, fs.constants.O_RDONLY | HOST_O_NOFOLLOW);
      }
    } catch (e) {
      return hostErrno(e);
    }
    this.opens++;
    return 0;
  }

  /** Drops one open reference taken by prepareOpen; closes host fds at zero. */
  override release(): void {
    if (--this.opens > 0) return;
    this.opens = 0;
    try {
      if (this.fdRO >= 0) fs.closeSync(this.fdRO);
      if (this.fdRW >= 0) fs.closeSync(this.fdRW);
    } catch {
      // Closing our own fds cannot fail in a way the program could act on.
    }
    this.fdRO = -1;
    this.fdRW = -1;
  }

  private readFd(): number {
    if (this.fdRW >= 0) return this.fdRW;
    if (this.fdRO < 0)
      this.fdRO = fs.openSync(this.hostPath, fs.constants.O_RDONLY | HOST_O_NOFOLLOW);
    return this.fdRO;
  }

  override read(offset: number, dst: Uint8Array): number {
    if (this.type === S_IFDIR) return -21; // EISDIR
    if (this.type !== S_IFREG) return -EINVAL;
    try {
      return fs.readSync(this.readFd(), dst, 0, dst.length, hostPosition(offset));
    } catch (e) {
      return hostErrno(e);
    }
  }

  override write(offset: number, src: Uint8Array): number {
    if (!this.fs.writable) return -EROFS;
    if (this.type !== S_IFREG) return -EINVAL;
    // node:fs writes only at positions below 2^53 (host file systems stop
    // far earlier: ext4 at 16 TiB, with EFBIG).
    if (offset + src.length > Number.MAX_SAFE_INTEGER) return -EFBIG;
    try {
      if (this.fdRW < 0)
        this.fdRW = fs.openSync(this.hostPath, fs.constants.O_RDWR | HOST_O_NOFOLLOW);
      return fs.writeSync(this.fdRW, src, 0, src.length, offset);
    } catch (e) {
      return hostErrno(e);
    }
  }

  override createChild(
    name: string,
    mode: number,
    _creds: FsCreds,
    extra: { rdev?: number; target?: string },
  ): Inode | number {
    if (!this.fs.writable) return -EROFS;
    const p = pathBuf(this.childPath(name));
    try {
      switch (mode & S_IFMT) {
        case S_IFREG:
          fs.closeSync(
            fs.openSync(
              p,
              fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY | HOST_O_NOFOLLOW,
              mode & 0o7777,
            ),
          );
          break;
        case S_IFDIR:
          fs.mkdirSync(p, mode & 0o7777);
          break;
        case S_IFLNK:
          fs.symlinkSync(pathBuf(extra.target ?? ""), p);
          break;
        default:
          // Device nodes and fifos on the host would escape the sandbox's device model.
          return -EPERM;
      }
      // mkdir/open applied the host's umask; set the exact bits the program asked for.
      if ((mode & S_IFMT) !== S_IFLNK) fs.chmodSync(p, mode & 0o7777);
    } catch (e) {
      return hostErrno(e);
    }
    return this.lookup(name);
  }

  override link(name: string, target: Inode): number {
    if (!this.fs.writable) return -EROFS;
    try {
      fs.linkSync(pathBuf((target as HostInode).path), pathBuf(this.childPath(name)));
      return 0;
    } catch (e) {
      return hostErrno(e);
    }
  }

  override removeChild(name: string, dir: boolean): number {
    if (!this.fs.writable) return -EROFS;
    const p = this.childPath(name);
    try {
      if (dir) fs.rmdirSync(pathBuf(p));
      else fs.unlinkSync(pathBuf(p));
    } catch (e) {
      return hostErrno(e);
    }
    this.fs.cache.delete(p);
    return 0;
  }

  override rename(oldName: string, newDirI: Inode, newName: string, flags: number): number {
    if (!this.fs.writable) return -EROFS;
    const newDir = newDirI as HostInode;
    const from = this.childPath(oldName);
    const to = newDir.childPath(newName);
    if (flags & 2 /* RENAME_EXCHANGE */) return -EINVAL; // node:fs has no renameat2
    try {
      if (flags & 1 /* RENAME_NOREPLACE */ && fs.lstatSync(pathBuf(to), { throwIfNoEntry: false }))
        return -EEXIST;
      fs.renameSync(pathBuf(from), pathBuf(to));
    } catch (e) {
      return hostErrno(e);
    }
    // Re-key cached inodes under the old path.
    this.fs.cache.delete(to);
    for (const [p, ino] of [...this.fs.cache]) {
      if (p === from || p.startsWith(`${from}/`)) {
        this.fs.cache.delete(p);
        ino.path = to + p.slice(from.length);
        if (p === from) ino.parent = newDir;
        this.fs.cache.set(ino.path, ino);
      }
    }
    return 0;
  }

  override setattr(attr: SetAttr): number {
    if (!this.fs.writable) return -EROFS;
    const p = this.hostPath;
    try {
      if (attr.size !== undefined) fs.truncateSync(p, attr.size);
      if (attr.mode !== undefined && this.type !== S_IFLNK) fs.chmodSync(p, attr.mode & 0o7777);
      if (attr.uid !== undefined || attr.gid !== undefined)
        fs.lchownSync(p, attr.uid ?? -1, attr.gid ?? -1);
      if (attr.atime || attr.mtime) {
        const cur = this.stat();
        const a = attr.atime ?? cur.atime;
        const m = attr.mtime ?? cur.mtime;
        fs.lutimesSync(p, a.sec + a.nsec / 1e9, m.sec + m.nsec / 1e9);
      }
    } catch (e) {
      return hostErrno(e);
    }
    return 0;
  }
}
