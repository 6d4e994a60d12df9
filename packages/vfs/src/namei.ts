/**
 * Path resolution (Linux's fs/namei.c, path_resolution(7)).
 *
 * Paths are byte strings (one latin1 code unit per byte). A walk starts at
 * the root (absolute paths) or a starting directory, checks search (exec)
 * permission on every directory it passes through, crosses mounts both
 * ways, keeps `..` at the process root, and follows symbolic links — at
 * most {@link MAXSYMLINKS} (40) per resolution, after which it fails with
 * ELOOP.
 *
 * path_resolution(7): "If a pathname ends in a '/', that forces resolution
 * of the preceding component as in Step 2: the component preceding the
 * slash either exists and resolves to a directory or it names a directory
 * that is to be created immediately after the pathname is resolved.
 * Otherwise, a trailing '/' is ignored."
 */

import type { FsCreds, Inode } from "./inode.js";
import { ELOOP, ENAMETOOLONG, ENOENT, ENOTDIR, MAXSYMLINKS, NAME_MAX, PATH_MAX } from "./linux.js";
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
  ) {}

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
    if (name === "..") return this.parentOf(dir);
    if (name.length > NAME_MAX) return -ENAMETOOLONG;
    const r = dir.inode.lookup(name);
    if (typeof r === "number") return r;
    return crossMounts({ mount: dir.mount, inode: r });
  }

  /**
   * Follows the symlink at `link` (found in `dir`) to its final target,
   * following further links. Counts against the budget.
   */
  followLink(dir: Location, link: Inode): Location | number {
    if (++this.links > MAXSYMLINKS) return -ELOOP;
    const target = link.readlink();
    if (typeof target === "number") return target;
    // path_resolution(7): an empty symlink target resolves to ENOENT.
    if (target === "") return -ENOENT;
    return this.resolve(dir, target, true);
  }

  /**
   * Resolves all components but the last.
   * Preconditions: `path` is non-empty (the caller handles "" → ENOENT or AT_EMPTY_PATH).
   */
  walkParent(start: Location, path: string): ParentResult | number {
    if (path.length >= PATH_MAX) return -ENAMETOOLONG;
    if (path === "") return -ENOENT;
    let cur = path.charCodeAt(0) === 0x2f ? this.root : start;
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
