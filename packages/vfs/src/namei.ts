/**
 * Path resolution (Linux's fs/namei.c, path_resolution(7)).
 *
 * Paths are byte strings (one latin1 code unit per byte). A walk starts at
 * the root (absolute paths) or a starting directory, checks search (exec)
 * permission on every directory it passes through, crosses mounts both
 * ways, keeps `..` at the process root, and follows symbolic links — at
 * most {@link MAXSYMLINKS} (40) per resolution, after which it fails with
 * ELOOP. A procfs magic link that names an open file (/proc/PID/fd/N) is
 * not resolved as text: following it jumps to that file ({@link Walker.jump},
 * Linux's nd_jump_link), so /dev/fd/N of a pipe opens the pipe.
 *
 * openat2(2) restricts a walk with RESOLVE_* flags ({@link Walker.resolveFlags}):
 * RESOLVE_NO_XDEV fails any mount crossing with EXDEV, RESOLVE_NO_SYMLINKS
 * and RESOLVE_NO_MAGICLINKS fail following (magic) links with ELOOP, and
 * the scoped lookups RESOLVE_BENEATH and RESOLVE_IN_ROOT make the starting
 * directory the walk's root — BENEATH failing with EXDEV where IN_ROOT
 * would clamp (absolute paths and symlinks, `..` at the root).
 *
 * path_resolution(7): "If a pathname ends in a '/', that forces resolution
 * of the preceding component as in Step 2: the component preceding the
 * slash either exists and resolves to a directory or it names a directory
 * that is to be created immediately after the pathname is resolved.
 * Otherwise, a trailing '/' is ignored."
 */

import type { FsCreds, Inode } from "./inode.js";
import {
  ELOOP,
  ENAMETOOLONG,
  ENOENT,
  ENOTDIR,
  EXDEV,
  MAXSYMLINKS,
  NAME_MAX,
  PATH_MAX,
  RESOLVE_BENEATH,
  RESOLVE_IN_ROOT,
  RESOLVE_NO_MAGICLINKS,
  RESOLVE_NO_SYMLINKS,
  RESOLVE_NO_XDEV,
} from "./linux.js";
import type { Location } from "./mount.js";
import { checkPermission, MAY_EXEC } from "./permission.js";

/** The result of resolving all but the last component of a path. */
export interface ParentResult {
  /** The directory the last component is looked up in. */
  dir: Location;
  /**
   * The last component: a name, ".", "..", or "" when the path has no
   * components at all ("/", "//"), i.e. names the starting root itself.
   */
  name: string;
  /** The path ended in one or more slashes. */
  trailingSlash: boolean;
}

/** Whether two locations are the same file through the same mount. */
export function sameLocation(a: Location, b: Location): boolean {
  return a.mount === b.mount && a.inode === b.inode;
}

/** The location on top of `loc` after crossing any mounts stacked on it. */
export function crossMounts(loc: Location): Location {
  let m = loc.mount.children.get(loc.inode);
  while (m) {
    loc = { mount: m, inode: m.root };
    m = m.children.get(loc.inode);
  }
  return loc;
}

/**
 * Whether the symlink `link`, found in `dir`, is a procfs "magic link"
 * (/proc/PID/exe, cwd, root, fd/N...): one that jumps to a file rather than
 * naming a path. Every procfs symlink below a PID directory is one; those
 * in the proc root (self, thread-self, mounts...) are plain symlinks.
 */
export function isMagicLink(dir: Location, link: Inode): boolean {
  return link.isSymlink && dir.mount.fs.type === "proc" && dir.inode !== dir.mount.fs.root;
}

/**
 * One path resolution (a nameidata). The symlink budget is shared by every
 * step of one system call, including the re-walks open(O_CREAT) does for a
 * dangling symlink.
 */
export class Walker {
  /** Symbolic links followed so far. */
  links = 0;

  constructor(
    /** The process root: `..` stops here, absolute paths and symlinks start here. */
    readonly root: Location,
    readonly creds: FsCreds,
    /**
     * openat2(2)'s RESOLVE_* flags; 0 for every other call. With
     * RESOLVE_BENEATH or RESOLVE_IN_ROOT, `root` is the starting directory.
     * Preconditions: not both of BENEATH and IN_ROOT.
     */
    readonly resolveFlags = 0,
  ) {}

  /** `..` from `loc`: EXDEV under RESOLVE_BENEATH at the root and under RESOLVE_NO_XDEV across a mount. */
  private dotdot(loc: Location): Location | number {
    if (this.resolveFlags & RESOLVE_BENEATH) {
      // openat2(2): RESOLVE_BENEATH "... if resolution would leave the
      // directory ... the resolution fails with EXDEV" — `..` at the root.
      for (let cur = loc; ; ) {
        if (sameLocation(cur, this.root)) return -EXDEV;
        if (cur.inode !== cur.mount.root || !cur.mount.parent || !cur.mount.mountpoint) break;
        cur = { mount: cur.mount.parent, inode: cur.mount.mountpoint };
      }
    }
    const p = this.parentOf(loc);
    if (this.resolveFlags & RESOLVE_NO_XDEV && p.mount !== loc.mount) return -EXDEV;
    return p;
  }

  /** The parent of a directory location, through mounts, stopping at the root. */
  parentOf(loc: Location): Location {
    for (;;) {
      if (sameLocation(loc, this.root)) return loc;
      if (loc.inode === loc.mount.root) {
        const m = loc.mount;
        if (!m.parent || !m.mountpoint) return loc; // the namespace root
        loc = { mount: m.parent, inode: m.mountpoint };
        continue;
      }
      const p = loc.inode.parentDir();
      return p ? { mount: loc.mount, inode: p } : loc;
    }
  }

  /**
   * Looks up one component in `dir`, without following a final symlink.
   * Checks that `dir` is a searchable directory.
   */
  step(dir: Location, name: string): Location | number {
    const p = this.mayLookup(dir.inode);
    if (p < 0) return p;
    return this.lookupIn(dir, name);
  }

  /**
   * may_lookup: `dir` must be a directory searchable by the walker's
   * credentials. Root may search every directory (CAP_DAC_OVERRIDE), so its
   * walks skip reading attributes.
   */
  mayLookup(dir: Inode): number {
    if (!dir.isDir) return -ENOTDIR;
    if (this.creds.euid === 0) return 0;
    const a = dir.attrs();
    return checkPermission(a.mode, a.uid, a.gid, this.creds, MAY_EXEC);
  }

  /** Like step() without the search-permission check (the caller did it). */
  lookupIn(dir: Location, name: string): Location | number {
    if (name === "." || name === "") return dir;
    if (name === "..") return this.resolveFlags ? this.dotdot(dir) : this.parentOf(dir);
    if (name.length > NAME_MAX) return -ENAMETOOLONG;
    const r = dir.inode.lookup(name);
    if (typeof r === "number") return r;
    const loc = crossMounts({ mount: dir.mount, inode: r });
    if (this.resolveFlags & RESOLVE_NO_XDEV && loc.mount !== dir.mount) return -EXDEV;
    return loc;
  }

  /**
   * The target of the symlink `link` (found in `dir`) that the walk is about
   * to follow, after the budget and the RESOLVE_* checks: openat2(2)
   * "RESOLVE_NO_SYMLINKS Disallow resolution of symbolic links during path
   * resolution ... If a trailing component is a symbolic link ... ELOOP";
   * "RESOLVE_NO_MAGICLINKS Disallow all magic-link resolution"; magic links
   * also fail scoped lookups with EXDEV (Linux's nd_jump_link); an absolute
   * target is a jump to the root, EXDEV under RESOLVE_BENEATH and, off the
   * root's mount, under RESOLVE_NO_XDEV.
   */
  linkTarget(dir: Location, link: Inode): string | number {
    const c = this.mayFollow(dir, link);
    if (c < 0) return c;
    const target = link.readlink();
    if (typeof target === "number") return target;
    // path_resolution(7): an empty symlink target resolves to ENOENT.
    if (target === "") return -ENOENT;
    const rf = this.resolveFlags;
    if (target.charCodeAt(0) === 0x2f) {
      if (rf & RESOLVE_BENEATH) return -EXDEV;
      if (rf & RESOLVE_NO_XDEV && dir.mount !== this.root.mount) return -EXDEV;
    }
    return target;
  }

  /** The symlink budget and the RESOLVE_* checks of following `link` (found in `dir`); see linkTarget. */
  private mayFollow(dir: Location, link: Inode): number {
    if (++this.links > MAXSYMLINKS) return -ELOOP;
    const rf = this.resolveFlags;
    if (rf & RESOLVE_NO_SYMLINKS) return -ELOOP;
    if (rf && isMagicLink(dir, link)) {
      if (rf & RESOLVE_NO_MAGICLINKS) return -ELOOP;
      if (rf & RESOLVE_NO_XDEV && dir.mount !== this.root.mount) return -EXDEV;
      if (rf & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) return -EXDEV;
    }
    return 0;
  }

  /**
   * Following a magic link that jumps (Linux's nd_jump_link): the file the
   * link stands for, after the budget and RESOLVE_* checks; null when
   * `link` is not such a link and its text is to be resolved instead.
   * readlink(2) still returns the text ("pipe:[N]", a path).
   */
  jump(dir: Location, link: Inode): Location | number | null {
    if (!isMagicLink(dir, link)) return null;
    const j = link.magicJump(dir);
    if (j === null) return null;
    const c = this.mayFollow(dir, link);
    if (c < 0) return c;
    return j;
  }

  /**
   * Follows the symlink at `link` (found in `dir`) to its final target,
   * following further links. Counts against the budget.
   */
  followLink(dir: Location, link: Inode): Location | number {
    const j = this.jump(dir, link);
    if (j !== null) return j;
    const target = this.linkTarget(dir, link);
    if (typeof target === "number") return target;
    return this.resolve(dir, target, true);
  }

  /**
   * Resolves all components but the last.
   * Preconditions: `path` is non-empty (the caller handles "" → ENOENT or AT_EMPTY_PATH).
   */
  walkParent(start: Location, path: string): ParentResult | number {
    if (path.length >= PATH_MAX) return -ENAMETOOLONG;
    if (path === "") return -ENOENT;
    const absolute = path.charCodeAt(0) === 0x2f;
    // openat2(2): RESOLVE_BENEATH "... absolute pathnames ... EXDEV".
    if (absolute && this.resolveFlags & RESOLVE_BENEATH) return -EXDEV;
    let cur = absolute ? this.root : start;
    const comps = path.split("/");
    let end = comps.length;
    const trailingSlash = end > 1 && comps[end - 1] === "";
    while (end > 0 && comps[end - 1] === "") end--;
    if (end === 0) return { dir: cur, name: "", trailingSlash };
    for (let i = 0; i < end - 1; i++) {
      const c = comps[i]!;
      if (c === "") continue;
      const next = this.step(cur, c);
      if (typeof next === "number") return next;
      if (next.inode.isSymlink) {
        const t = this.followLink(cur, next.inode);
        if (typeof t === "number") return t;
        cur = t;
      } else {
        cur = next;
      }
      if (!cur.inode.isDir) return -ENOTDIR;
    }
    // The last component is looked up in `cur`: it must be a searchable directory.
    const perm = this.mayLookup(cur.inode);
    if (perm < 0) return perm;
    const name = comps[end - 1]!;
    if (name.length > NAME_MAX) return -ENAMETOOLONG;
    return { dir: cur, name, trailingSlash };
  }

  /**
   * Resolves `path` from `start`. A final symlink is followed when `follow`
   * is set or the path ends in a slash; a trailing slash requires a
   * directory (ENOTDIR).
   */
  resolve(start: Location, path: string, follow: boolean): Location | number {
    const p = this.walkParent(start, path);
    if (typeof p === "number") return p;
    return this.resolveLast(p, follow);
  }

  /** Finishes a resolution whose parent walk gave `p`. */
  resolveLast(p: ParentResult, follow: boolean): Location | number {
    let loc = this.lookupIn(p.dir, p.name);
    if (typeof loc === "number") return loc;
    if (loc.inode.isSymlink && (follow || p.trailingSlash)) {
      loc = this.followLink(p.dir, loc.inode);
      if (typeof loc === "number") return loc;
    }
    if (p.trailingSlash && !loc.inode.isDir) return -ENOTDIR;
    return loc;
  }

  /**
   * The absolute path of `loc` as seen from the root, like getcwd(2) and
   * /proc/PID/fd/N. Returns -ENOENT when a directory on the way was
   * removed, and a path starting "(unreachable)" when `loc` is outside the
   * root (getcwd(2) behaviour since Linux 2.6.36).
   */
  pathOf(loc: Location): string | number {
    const parts: string[] = [];
    let cur = loc;
    for (let guard = 0; guard < 4096; guard++) {
      if (sameLocation(cur, this.root)) return `/${parts.reverse().join("/")}`;
      if (cur.inode === cur.mount.root) {
        const m = cur.mount;
        if (!m.parent || !m.mountpoint) return `(unreachable)/${parts.reverse().join("/")}`;
        cur = { mount: m.parent, inode: m.mountpoint };
        continue;
      }
      if (cur.inode.isDir && cur.inode.unlinked) return -ENOENT;
      const name = cur.inode.dirName();
      const parent = cur.inode.parentDir();
      if (name === null || !parent) return -ENOENT;
      parts.push(name);
      cur = { mount: cur.mount, inode: parent };
    }
    return -ELOOP;
  }
}
