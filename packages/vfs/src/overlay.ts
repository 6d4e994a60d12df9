/**
 * overlay: a writable tmpfs upper layer over a read-only lower tree.
 *
 * Follows Linux's overlayfs on-disk conventions inside the upper tmpfs:
 * - a whiteout (a character device 0:0 in the upper dir) hides a lower entry;
 * - an opaque directory (xattr `trusted.overlay.opaque` = "y") hides the
 *   whole lower directory of the same name;
 * - any change to a lower file first copies it up (data, mode, owner,
 *   times), along with its ancestors;
 * - readdir merges the upper and lower entries;
 * - renaming a directory that has lower contents fails with EXDEV, as
 *   overlayfs does without `redirect_dir` (mv(1) then copies instead).
 *
 * The lower tree is never written: it may be a read-only host mount.
 *
 * Inspired by Linux's fs/overlayfs (Documentation/filesystems/overlayfs.rst)
 * and gVisor's pkg/sentry/fsimpl/overlay.
 */

import {
  type DirEntry,
  FileSystem,
  type FsCreds,
  type FsStats,
  Inode,
  modeToDirentType,
  type PermAttrs,
  ROOT_CREDS,
  type SetAttr,
  type StatData,
} from "./inode.js";
import {
  EEXIST,
  ENOENT,
  ENOTDIR,
  EXDEV,
  O_ACCMODE,
  O_RDONLY,
  O_TRUNC,
  S_IFCHR,
  S_IFDIR,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
} from "./linux.js";
import { TmpFs } from "./tmpfs.js";

const OPAQUE_XATTR = "trusted.overlay.opaque";
const UPPER_INO_BASE = 2 ** 48;
const COPY_CHUNK = 1 << 20;

function isWhiteout(i: Inode): boolean {
  return i.fileType === S_IFCHR && i.stat().rdev === 0;
}

function isOpaque(i: Inode): boolean {
  const v = i.getxattr(OPAQUE_XATTR);
  return typeof v !== "number" && v.length === 1 && v[0] === 0x79; // "y"
}

/** An overlay of a fresh (or given) tmpfs upper over `lower`. */
export class OverlayFs extends FileSystem {
  readonly upperFs: TmpFs;
  private readonly rootInode: OverlayInode;

  /** Preconditions: `lower` is a directory. */
  constructor(lower: Inode, upper?: TmpFs) {
    super("overlay");
    const lst = lower.stat();
    this.upperFs = upper ?? new TmpFs({ mode: lst.mode & 0o7777, uid: lst.uid, gid: lst.gid });
    this.rootInode = new OverlayInode(this, null, "", this.upperFs.root, lower);
  }

  get root(): Inode {
    return this.rootInode;
  }

  /** overlayfs reports OVERLAYFS_SUPER_MAGIC with the numbers of the tree below. */
  override statfs(): FsStats {
    const lowerFs = (this.rootInode.lower ?? this.rootInode.upper)!.fs;
    return { ...lowerFs.statfs(), type: 0x794c7630 };
  }
}

/**
 * One merged file.
 *
 * Invariants: at least one of `upper`/`lower` is set; `lower` is set only
 * when the lower entry is visible (not whited out, not under an opaque or
 * non-directory upper); if both are set and one is a directory, both are
 * directories (merged). `children` caches looked-up children and is kept
 * exact by every change made through this overlay.
 */
export class OverlayInode extends Inode {
  private readonly children = new Map<string, OverlayInode>();
  private readonly openTargets: Inode[] = [];

  constructor(
    readonly fs: OverlayFs,
    public parent: OverlayInode | null,
    public name: string,
    public upper: Inode | null,
    public lower: Inode | null,
  ) {
    super();
  }

  private get real(): Inode {
    return (this.upper ?? this.lower)!;
  }

  stat(): StatData {
    const st = this.real.stat();
    st.dev = this.fs.dev;
    st.ino = this.inoNumber;
    return st;
  }

  override get inoNumber(): number {
    return this.lower ? this.lower.inoNumber : UPPER_INO_BASE + this.upper!.inoNumber;
  }

  override get mode(): number {
    return this.real.mode;
  }

  override get fileType(): number {
    return this.real.fileType;
  }

  override attrs(): PermAttrs {
    return this.real.attrs();
  }

  override get unlinked(): boolean {
    return this.real.unlinked;
  }

  override get isDir(): boolean {
    return this.real.isDir;
  }

  override get isSymlink(): boolean {
    return this.real.isSymlink;
  }

  override parentDir(): Inode | null {
    return this.parent;
  }

  override dirName(): string | null {
    return this.parent ? this.name : null;
  }

  /** Whether the lower directory has an entry `name` that a whiteout must hide. */
  private lowerHas(name: string): boolean {
    if (!this.lower || (this.upper && isOpaque(this.upper))) return false;
    return typeof this.lower.lookup(name) !== "number";
  }

  override lookup(name: string): Inode | number {
    const c = this.children.get(name);
    if (c) return c;
    if (!this.isDir) return -ENOTDIR;
    let up: Inode | null = null;
    if (this.upper) {
      const r = this.upper.lookup(name);
      if (typeof r !== "number") {
        if (isWhiteout(r)) return -ENOENT;
        up = r;
      } else if (r !== -ENOENT) return r;
    }
    let low: Inode | null = null;
    const mergeLower = this.lower && !(this.upper && isOpaque(this.upper));
    if (mergeLower && (!up || (up.isDir && !isOpaque(up)))) {
      const r = this.lower!.lookup(name);
      if (typeof r !== "number") {
        if (!up || r.isDir) low = r;
      } else if (r !== -ENOENT) return r;
    }
    // A non-directory copied up keeps its lower twin for a stable st_ino.
    if (up && !up.isDir && mergeLower) {
      const r = this.lower!.lookup(name);
      if (typeof r !== "number" && !r.isDir && r.fileType === up.fileType) low = r;
    }
    if (!up && !low) return -ENOENT;
    const child = new OverlayInode(this.fs, this, name, up, low);
    this.children.set(name, child);
    return child;
  }

  override readdir(): DirEntry[] | number {
    if (!this.isDir) return -ENOTDIR;
    const names = new Set<string>();
    const whiteouts = new Set<string>();
    if (this.upper) {
      const r = this.upper.readdir();
      if (typeof r === "number") return r;
      for (const e of r) {
        if (e.type === 2 /* DT_CHR */) {
          const i = this.upper.lookup(e.name);
          if (typeof i !== "number" && isWhiteout(i)) {
            whiteouts.add(e.name);
            continue;
          }
        }
        names.add(e.name);
      }
    }
    if (this.lower && !(this.upper && isOpaque(this.upper))) {
      const r = this.lower.readdir();
      if (typeof r === "number") return r;
      for (const e of r) if (!whiteouts.has(e.name)) names.add(e.name);
    }
    const out: DirEntry[] = [];
    for (const name of names) {
      const i = this.lookup(name);
      if (typeof i === "number") continue;
      out.push({ name, ino: i.inoNumber, type: modeToDirentType(i.fileType) });
    }
    return out;
  }

  /**
   * Makes this file exist in the upper layer, copying data and attributes
   * from the lower one (and copying up ancestors first).
   */
  copyUp(): number {
    if (this.upper) return 0;
    const parent = this.parent!;
    const r0 = parent.copyUp();
    if (r0 < 0) return r0;
    const low = this.lower!;
    const st = low.stat();
    const pu = parent.upper!;
    const type = st.mode & S_IFMT;
    let created: Inode | number;
    if (type === S_IFLNK) {
      const target = low.readlink();
      if (typeof target === "number") return target;
      created = pu.createChild(this.name, st.mode, ROOT_CREDS, { target });
    } else {
      created = pu.createChild(this.name, st.mode, ROOT_CREDS, { rdev: st.rdev });
    }
    if (typeof created === "number") return created;
    if (type === S_IFREG) {
      const buf = new Uint8Array(COPY_CHUNK);
      let off = 0;
      for (;;) {
        const n = low.read(off, buf);
        if (n < 0) {
          pu.removeChild(this.name, false);
          return n;
        }
        if (n === 0) break;
        const w = created.write(off, buf.subarray(0, n));
        if (w < 0) {
          pu.removeChild(this.name, false);
          return w;
        }
        off += n;
      }
    }
    created.setattr({
      mode: st.mode,
      uid: st.uid,
      gid: st.gid,
      atime: st.atime,
      mtime: st.mtime,
      ctime: st.ctime,
    });
    this.upper = created;
    if (type !== S_IFDIR) {
      // Keep `lower` for st_ino stability; data now comes from upper.
    }
    return 0;
  }

  /** Removes a whiteout at `name` in the upper dir; returns true if there was one. */
  private clearWhiteout(name: string): boolean {
    const r = this.upper!.lookup(name);
    if (typeof r !== "number" && isWhiteout(r)) {
      this.upper!.removeChild(name, false);
      return true;
    }
    return false;
  }

  private makeWhiteout(name: string): number {
    const r = this.upper!.createChild(name, S_IFCHR, ROOT_CREDS, { rdev: 0 });
    return typeof r === "number" ? r : 0;
  }

  /** Empties an upper directory that only holds whiteouts (before rmdir/replace). */
  private static clearWhiteoutsIn(dir: Inode): void {
    const r = dir.readdir();
    if (typeof r === "number") return;
    for (const e of r) {
      const i = dir.lookup(e.name);
      if (typeof i !== "number" && isWhiteout(i)) dir.removeChild(e.name, false);
    }
  }

  override createChild(
    name: string,
    mode: number,
    creds: FsCreds,
    extra: { rdev?: number; target?: string },
  ): Inode | number {
    const r0 = this.copyUp();
    if (r0 < 0) return r0;
    if (this.children.has(name)) return -EEXIST;
    const hadWhiteout = this.clearWhiteout(name);
    const created = this.upper!.createChild(name, mode, creds, extra);
    if (typeof created === "number") {
      if (hadWhiteout) this.makeWhiteout(name);
      return created;
    }
    if ((mode & S_IFMT) === S_IFDIR && (hadWhiteout || this.lowerHas(name))) {
      created.setxattr(OPAQUE_XATTR, new Uint8Array([0x79]));
    }
    const child = new OverlayInode(this.fs, this, name, created, null);
    this.children.set(name, child);
    return child;
  }

  override createTmpfile(mode: number, creds: FsCreds): Inode | number {
    const r0 = this.copyUp();
    if (r0 < 0) return r0;
    const up = this.upper!.createTmpfile(mode, creds);
    if (typeof up === "number") return up;
    return new OverlayInode(this.fs, this, "", up, null);
  }

  override link(name: string, target: Inode): number {
    const t = target as OverlayInode;
    if (t.name === "" && t.upper) {
      // An O_TMPFILE file getting its first name.
      const hadWhiteout = this.clearWhiteout(name);
      const r = this.upper!.link(name, t.upper);
      if (r < 0 && hadWhiteout) this.makeWhiteout(name);
      if (r === 0) {
        t.parent = this;
        t.name = name;
        this.children.set(name, t);
      }
      return r;
    }
    let r = this.copyUp();
    if (r < 0) return r;
    r = t.copyUp();
    if (r < 0) return r;
    const hadWhiteout = this.clearWhiteout(name);
    r = this.upper!.link(name, t.upper!);
    if (r < 0 && hadWhiteout) this.makeWhiteout(name);
    return r;
  }

  override removeChild(name: string, dir: boolean): number {
    const c = this.lookup(name);
    if (typeof c === "number") return c;
    const child = c as OverlayInode;
    let r = this.copyUp();
    if (r < 0) return r;
    const needWhiteout = this.lowerHas(name);
    if (child.upper) {
      if (dir) OverlayInode.clearWhiteoutsIn(child.upper);
      r = this.upper!.removeChild(name, dir);
      if (r < 0) return r;
    }
    this.children.delete(name);
    if (needWhiteout) return this.makeWhiteout(name);
    return 0;
  }

  override rename(oldName: string, newDirI: Inode, newName: string, flags: number): number {
    const newDir = newDirI as OverlayInode;
    const s = this.lookup(oldName);
    if (typeof s === "number") return s;
    const src = s as OverlayInode;
    if (src.isDir && src.lower) return -EXDEV;
    const d = newDir.lookup(newName);
    const dst = typeof d === "number" ? null : (d as OverlayInode);
    if (flags & 2 /* RENAME_EXCHANGE */) {
      if (!dst) return -ENOENT;
      if (dst.isDir && dst.lower) return -EXDEV;
    }
    let r = this.copyUp();
    if (r >= 0) r = newDir.copyUp();
    if (r >= 0) r = src.copyUp();
    if (r >= 0 && dst && flags & 2) r = dst.copyUp();
    if (r < 0) return r;
    if (flags & 2) {
      r = this.upper!.rename(oldName, newDir.upper!, newName, flags);
      if (r < 0) return r;
      this.children.set(oldName, dst!);
      newDir.children.set(newName, src);
      dst!.parent = this;
      dst!.name = oldName;
      src.parent = newDir;
      src.name = newName;
      return 0;
    }
    const oldNeedsWhiteout = this.lowerHas(oldName);
    const newHidesLower = newDir.lowerHas(newName);
    if (dst?.upper?.isDir) OverlayInode.clearWhiteoutsIn(dst.upper);
    r = this.upper!.rename(oldName, newDir.upper!, newName, flags);
    if (r < 0) return r;
    if (src.isDir && newHidesLower) src.upper!.setxattr(OPAQUE_XATTR, new Uint8Array([0x79]));
    this.children.delete(oldName);
    newDir.children.set(newName, src);
    src.parent = newDir;
    src.name = newName;
    if (!src.isDir) src.lower = null;
    if (oldNeedsWhiteout) return this.makeWhiteout(oldName);
    return 0;
  }

  override readlink(): string | number {
    return this.real.readlink();
  }

  override setattr(attr: SetAttr): number {
    const r = this.copyUp();
    if (r < 0) return r;
    return this.upper!.setattr(attr);
  }

  override read(offset: number, dst: Uint8Array): number {
    return this.real.read(offset, dst);
  }

  override write(offset: number, src: Uint8Array): number {
    const r = this.copyUp();
    if (r < 0) return r;
    return this.upper!.write(offset, src);
  }

  override prepareOpen(flags: number): number {
    if (!this.isDir && ((flags & O_ACCMODE) !== O_RDONLY || flags & O_TRUNC)) {
      const r = this.copyUp();
      if (r < 0) return r;
    }
    const target = this.real;
    const r = target.prepareOpen(flags);
    if (r < 0) return r;
    this.openTargets.push(target);
    return 0;
  }

  override release(): void {
    this.openTargets.pop()?.release();
  }

  override getxattr(name: string): Uint8Array | number {
    if (name.startsWith("trusted.overlay.")) return -61; // ENODATA
    return this.real.getxattr(name);
  }

  override setxattr(name: string, value: Uint8Array): number {
    const r = this.copyUp();
    if (r < 0) return r;
    return this.upper!.setxattr(name, value);
  }

  override listxattr(): string[] | number {
    const r = this.real.listxattr();
    // A host lower without xattr support lists nothing rather than failing.
    if (typeof r === "number") return this.upper ? r : [];
    return r.filter((n) => !n.startsWith("trusted.overlay."));
  }

  override removexattr(name: string): number {
    if (name.startsWith("trusted.overlay.")) return -61; // ENODATA
    const r = this.copyUp();
    if (r < 0) return r;
    return this.upper!.removexattr(name);
  }
}
