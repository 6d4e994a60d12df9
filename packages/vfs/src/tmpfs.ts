/**
 * tmpfs: a file system kept entirely in the Sentry's memory.
 *
 * Directories, regular files (growable byte storage), symlinks, device
 * nodes (including overlay whiteouts, char 0:0), hard links, rename with
 * RENAME_NOREPLACE/RENAME_EXCHANGE, and unlinked-but-open files that keep
 * their data until the last reference is gone (the inode object simply
 * stays reachable from its open file descriptions).
 *
 * Inspired by gVisor's pkg/sentry/fsimpl/tmpfs and Linux's mm/shmem.c.
 */

import {
  type DirEntry,
  FileSystem,
  type FsCreds,
  type FsStats,
  Inode,
  type PermAttrs,
  modeToDirentType,
  now,
  type SetAttr,
  type StatData,
  type Timespec,
} from "./inode.js";
import {
  EEXIST,
  EFBIG,
  EINVAL,
  EISDIR,
  ENODATA,
  ENOENT,
  ENOTDIR,
  ENOTEMPTY,
  S_IFDIR,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
} from "./linux.js";

/**
 * Largest regular file tmpfs accepts: Linux's shmem s_maxbytes,
 * MAX_LFS_FILESIZE = 2^63 - 1 (a double rounds it to 2^63, so sizes and
 * offsets must stay below this value; beyond 2^53 they are rounded).
 * Files are sparse, so a huge size costs nothing until written.
 */
export const TMPFS_MAX_FILE_SIZE = 2 ** 63;

/** Bytes per page of file data (holes are pages never written). */
const PAGE = 4096;

/**
 * Calls `fn` for each piece of the byte range [offset, offset + n) that lies
 * in one PAGE-sized page: the page index, the offset in that page, how many
 * bytes of the range came before this piece, and its length.
 */
function forEachPageSpan(
  offset: number,
  n: number,
  fn: (index: number, inPage: number, done: number, len: number) => void,
): void {
  let done = 0;
  while (done < n) {
    const pos = offset + done;
    const index = Math.floor(pos / PAGE);
    const inPage = pos - index * PAGE;
    const len = Math.min(PAGE - inPage, n - done);
    fn(index, inPage, done, len);
    done += len;
  }
}

/** A tmpfs instance. */
export class TmpFs extends FileSystem {
  private nextIno = 1;
  readonly rootInode: TmpfsInode;

  /** Creates an empty tmpfs whose root has `mode` (default 01777, like /tmp) and owner. */
  constructor(opts: { mode?: number; uid?: number; gid?: number } = {}) {
    super("tmpfs");
    this.rootInode = new TmpfsInode(
      this,
      S_IFDIR | ((opts.mode ?? 0o1777) & 0o7777),
      opts.uid ?? 0,
      opts.gid ?? 0,
    );
  }

  get root(): Inode {
    return this.rootInode;
  }

  /** Bytes of file data held (for statfs). */
  usedBytes(): number {
    let n = 0;
    const walk = (i: TmpfsInode) => {
      n += i.pages.size * PAGE;
      if (i.children)
        for (const c of i.children.values())
          if (c.children) walk(c);
          else n += c.pages.size * PAGE;
    };
    walk(this.rootInode);
    return n;
  }

  override statfs(): FsStats {
    // Like a tmpfs sized at half of RAM would: report 4 GiB, minus what is used.
    const total = 1 << 20;
    const used = Math.ceil(this.usedBytes() / 4096);
    const free = Math.max(0, total - used);
    return {
      type: 0x01021994, // TMPFS_MAGIC
      bsize: 4096,
      blocks: total,
      bfree: free,
      bavail: free,
      files: 1 << 20,
      ffree: (1 << 20) - this.nextIno,
      namelen: 255,
    };
  }

  /** @internal */
  allocIno(): number {
    return this.nextIno++;
  }
}

/**
 * A tmpfs inode. Which fields are meaningful depends on the file type:
 * `children`/`parent` for directories, `pages`/`size` for regular files,
 * `target` for symlinks, `rdev` for device nodes.
 *
 * Invariants: for a directory, `nlink` = 2 + number of child directories;
 * a regular file's `pages` hold no page at or past `pageUp(size)`, and
 * bytes of the last page past `size` are zero (a page missing below `size`
 * is a hole, read as zeros).
 */
export class TmpfsInode extends Inode {
  readonly ino: number;
  private modeBits: number;
  uid: number;
  gid: number;
  nlink: number;
  rdev = 0;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  readonly btime: Timespec;
  /** Directory state. */
  children: Map<string, TmpfsInode> | null = null;
  parent: TmpfsInode | null = null;
  /** Regular file state: the written pages by page index (sparse), and the size. */
  readonly pages = new Map<number, Uint8Array>();
  size = 0;
  /** Symlink state. */
  target = "";
  /** For a directory: its name in `parent`. */
  name: string | null = null;
  private xattrs: Map<string, Uint8Array> | null = null;

  constructor(
    readonly fs: TmpFs,
    mode: number,
    uid: number,
    gid: number,
  ) {
    super();
    this.ino = fs.allocIno();
    this.modeBits = mode;
    this.uid = uid;
    this.gid = gid;
    const t = now();
    this.atime = t;
    this.mtime = t;
    this.ctime = t;
    this.btime = t;
    if ((mode & S_IFMT) === S_IFDIR) {
      this.children = new Map();
      this.nlink = 2;
    } else {
      this.nlink = 1;
    }
  }

  override get mode(): number {
    return this.modeBits;
  }

  override get fileType(): number {
    return this.modeBits & S_IFMT;
  }

  override attrs(): PermAttrs {
    return { mode: this.modeBits, uid: this.uid, gid: this.gid };
  }

  override get inoNumber(): number {
    return this.ino;
  }

  override get unlinked(): boolean {
    return this.nlink === 0;
  }

  stat(): StatData {
    let size = this.size;
    if (this.children) size = 40 + this.children.size * 20; // like tmpfs: BOGO_DIRENT_SIZE per entry
    if ((this.modeBits & S_IFMT) === S_IFLNK) size = Buffer.byteLength(this.target);
    return {
      dev: this.fs.dev,
      ino: this.ino,
      mode: this.modeBits,
      nlink: this.nlink,
      uid: this.uid,
      gid: this.gid,
      rdev: this.rdev,
      size,
      blksize: 4096,
      blocks: this.pages.size * (PAGE / 512),
      atime: { ...this.atime },
      mtime: { ...this.mtime },
      ctime: { ...this.ctime },
      btime: { ...this.btime },
    };
  }

  override parentDir(): Inode | null {
    return this.parent;
  }

  override dirName(): string | null {
    return this.name;
  }

  override lookup(name: string): Inode | number {
    if (!this.children) return -ENOTDIR;
    return this.children.get(name) ?? -ENOENT;
  }

  override readdir(): DirEntry[] | number {
    if (!this.children) return -ENOTDIR;
    const out: DirEntry[] = [];
    for (const [name, c] of this.children) {
      out.push({ name, ino: c.ino, type: modeToDirentType(c.modeBits) });
    }
    return out;
  }

  private touchDir(): void {
    const t = now();
    this.mtime = t;
    this.ctime = t;
  }

  override createChild(
    name: string,
    mode: number,
    creds: FsCreds,
    extra: { rdev?: number; target?: string },
  ): Inode | number {
    if (!this.children) return -ENOTDIR;
    if (this.children.has(name)) return -EEXIST;
    // New files take the directory's group when it is set-group-ID (inode_init_owner).
    const sgid = (this.modeBits & 0o2000) !== 0;
    let m = mode;
    if (sgid && (m & S_IFMT) === S_IFDIR) m |= 0o2000;
    const child = new TmpfsInode(this.fs, m, creds.euid, sgid ? this.gid : creds.egid);
    if (extra.rdev !== undefined) child.rdev = extra.rdev;
    if (extra.target !== undefined) child.target = extra.target;
    if (child.children) {
      child.parent = this;
      child.name = name;
      this.nlink++;
    }
    this.children.set(name, child);
    this.touchDir();
    return child;
  }

  override createTmpfile(mode: number, creds: FsCreds): Inode | number {
    if (!this.children) return -ENOTDIR;
    const f = new TmpfsInode(this.fs, S_IFREG | (mode & 0o7777), creds.euid, creds.egid);
    f.nlink = 0;
    return f;
  }

  override link(name: string, target: Inode): number {
    if (!this.children) return -ENOTDIR;
    if (this.children.has(name)) return -EEXIST;
    const t = target as TmpfsInode;
    t.nlink++;
    t.ctime = now();
    this.children.set(name, t);
    this.touchDir();
    return 0;
  }

  override removeChild(name: string, dir: boolean): number {
    if (!this.children) return -ENOTDIR;
    const c = this.children.get(name);
    if (!c) return -ENOENT;
    if (c.children) {
      if (!dir) return -EISDIR;
      if (c.children.size > 0) return -ENOTEMPTY;
      this.nlink--;
      c.nlink = 0;
      c.parent = null;
    } else {
      if (dir) return -ENOTDIR;
      c.nlink--;
    }
    c.ctime = now();
    this.children.delete(name);
    this.touchDir();
    return 0;
  }

  override rename(oldName: string, newDirI: Inode, newName: string, flags: number): number {
    const newDir = newDirI as TmpfsInode;
    if (!this.children || !newDir.children) return -ENOTDIR;
    const src = this.children.get(oldName);
    if (!src) return -ENOENT;
    const dst = newDir.children.get(newName);
    if (flags & 2 /* RENAME_EXCHANGE */) {
      if (!dst) return -ENOENT;
      this.children.set(oldName, dst);
      newDir.children.set(newName, src);
      if (src.children) src.name = newName;
      if (dst.children) dst.name = oldName;
      if (src.children && dst.children && this !== newDir) {
        src.parent = newDir;
        dst.parent = this;
      } else if (src.children && this !== newDir) {
        src.parent = newDir;
        this.nlink--;
        newDir.nlink++;
      } else if (dst.children && this !== newDir) {
        dst.parent = this;
        newDir.nlink--;
        this.nlink++;
      }
    } else {
      if (dst === src) return 0; // rename(2): same file → do nothing
      if (dst) {
        if (flags & 1 /* RENAME_NOREPLACE */) return -EEXIST;
        const r = newDir.removeChild(newName, dst.children !== null);
        if (r < 0) return r;
      }
      this.children.delete(oldName);
      newDir.children.set(newName, src);
      if (src.children) {
        src.name = newName;
        src.parent = newDir;
        this.nlink--;
        newDir.nlink++;
      }
    }
    const t = now();
    src.ctime = t;
    if (dst) dst.ctime = t;
    this.touchDir();
    newDir.touchDir();
    return 0;
  }

  override readlink(): string | number {
    if ((this.modeBits & S_IFMT) !== S_IFLNK) return -EINVAL;
    this.atime = now();
    return this.target;
  }

  override setattr(attr: SetAttr): number {
    const t = now();
    if (attr.size !== undefined) {
      if ((this.modeBits & S_IFMT) !== S_IFREG) return this.children ? -EISDIR : -EINVAL;
      if (attr.size >= TMPFS_MAX_FILE_SIZE) return -EFBIG;
      this.resize(attr.size);
      this.mtime = t;
    }
    if (attr.mode !== undefined) this.modeBits = (this.modeBits & S_IFMT) | (attr.mode & 0o7777);
    if (attr.uid !== undefined) this.uid = attr.uid;
    if (attr.gid !== undefined) this.gid = attr.gid;
    if (attr.atime) this.atime = { ...attr.atime };
    if (attr.mtime) this.mtime = { ...attr.mtime };
    this.ctime = attr.ctime ? { ...attr.ctime } : t;
    return 0;
  }

  /**
   * Sets the size: shrinking drops the pages past the end and zeroes the
   * tail of the new last page (so a later extension reads zeros there);
   * growing only moves the end (the new range is a hole).
   */
  private resize(size: number): void {
    if (size < this.size) {
      const keep = Math.ceil(size / PAGE);
      if (this.pages.size > 0) {
        for (const i of this.pages.keys()) if (i >= keep) this.pages.delete(i);
      }
      const tail = size % PAGE;
      if (tail !== 0) this.pages.get(keep - 1)?.fill(0, tail);
    }
    this.size = size;
  }

  override read(offset: number, dst: Uint8Array): number {
    if ((this.modeBits & S_IFMT) !== S_IFREG) return this.children ? -EISDIR : -EINVAL;
    if (offset >= this.size) return 0;
    const n = Math.min(dst.length, this.size - offset);
    forEachPageSpan(offset, n, (index, inPage, done, len) => {
      const page = this.pages.get(index);
      if (page === undefined) dst.fill(0, done, done + len);
      else dst.set(page.subarray(inPage, inPage + len), done);
    });
    return n;
  }

  override write(offset: number, src: Uint8Array): number {
    if ((this.modeBits & S_IFMT) !== S_IFREG) return this.children ? -EISDIR : -EINVAL;
    if (src.length === 0) return 0;
    if (offset >= TMPFS_MAX_FILE_SIZE) return -EFBIG;
    const n = Math.min(src.length, TMPFS_MAX_FILE_SIZE - offset);
    forEachPageSpan(offset, n, (index, inPage, done, len) => {
      let page = this.pages.get(index);
      if (page === undefined) {
        page = new Uint8Array(PAGE);
        this.pages.set(index, page);
      }
      page.set(src.subarray(done, done + len), inPage);
    });
    if (offset + n > this.size) this.size = offset + n;
    const t = now();
    this.mtime = t;
    this.ctime = t;
    return n;
  }

  override getxattr(name: string): Uint8Array | number {
    return this.xattrs?.get(name) ?? -ENODATA;
  }

  override setxattr(name: string, value: Uint8Array): number {
    if (!this.xattrs) this.xattrs = new Map();
    this.xattrs.set(name, value.slice());
    this.ctime = now();
    return 0;
  }

  override listxattr(): string[] | number {
    return this.xattrs ? [...this.xattrs.keys()] : [];
  }

  override removexattr(name: string): number {
    if (!this.xattrs?.delete(name)) return -ENODATA;
    this.ctime = now();
    return 0;
  }
}
