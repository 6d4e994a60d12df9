/**
 * The VFS's system-call-level operations: what open(2), mkdir(2),
 * rename(2), stat(2)... do once their arguments are in Sentry memory.
 *
 * Each function runs on behalf of one task `t` (its root, cwd, umask, fd
 * table and credentials), never blocks, and returns a result or a negative
 * errno with Linux's precedence among errors. The kernel's syscall handlers
 * only copy arguments in and results out.
 *
 * Inspired by Linux's fs/open.c, fs/namei.c, fs/stat.c, fs/utimes.c and
 * gVisor's pkg/sentry/vfs/vfs.go.
 */

import { DirectoryFile, type FileDescription, PathFile, RegularFile } from "./file.js";
import type { FdTable } from "./fd-table.js";
import type { FsContext } from "./fs-context.js";
import type { FsCreds, Inode, SetAttr, StatData, Timespec } from "./inode.js";
import { now } from "./inode.js";
import {
  AT_EACCESS,
  E2BIG,
  ERANGE,
  EACCES,
  AT_EMPTY_PATH,
  AT_FDCWD,
  AT_NO_AUTOMOUNT,
  AT_REMOVEDIR,
  AT_SYMLINK_FOLLOW,
  AT_SYMLINK_NOFOLLOW,
  EBADF,
  EBUSY,
  EEXIST,
  EINVAL,
  EISDIR,
  ELOOP,
  ENODATA,
  ENOENT,
  ENOTDIR,
  ENOTEMPTY,
  ENXIO,
  EOPNOTSUPP,
  EPERM,
  EROFS,
  EXDEV,
  O_ACCMODE,
  O_CLOEXEC,
  O_CREAT,
  O_DIRECTORY,
  O_EXCL,
  O_LARGEFILE,
  O_NOCTTY,
  O_NOFOLLOW,
  O_PATH,
  O_RDONLY,
  O_RDWR,
  O_TMPFILE,
  O_TRUNC,
  O_WRONLY,
  RENAME_EXCHANGE,
  RESOLVE_BENEATH,
  RESOLVE_IN_ROOT,
  RENAME_NOREPLACE,
  RENAME_WHITEOUT,
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  S_IFSOCK,
  S_ISGID,
  S_ISUID,
  S_ISVTX,
  UTIME_NOW,
  UTIME_OMIT,
} from "./linux.js";
import type { Location } from "./mount.js";
import { inGroup, checkPermission, MAY_EXEC, MAY_READ, MAY_WRITE } from "./permission.js";
import { OpenFileInode } from "./magic-link.js";
import { Walker } from "./namei.js";

/** What the VFS needs from the calling task. */
export interface VfsTask {
  readonly fs: FsContext;
  readonly fdTable: FdTable;
  readonly creds: FsCreds;
}

function walker(t: VfsTask, creds: FsCreds = t.creds): Walker {
  return new Walker(t.fs.root, creds);
}

/**
 * The directory a relative `path` starts from: the cwd for AT_FDCWD,
 * else the directory open at `dirfd`. openat(2): "If pathname is absolute,
 * then dirfd is ignored."
 */
function startDir(t: VfsTask, dirfd: number, path: string): Location | number {
  if (path.charCodeAt(0) === 0x2f) return t.fs.root;
  if (dirfd === AT_FDCWD) return t.fs.cwd;
  const f = t.fdTable.get(dirfd);
  if (!f) return -EBADF;
  const loc = f.location;
  if (!loc?.inode.isDir) return -ENOTDIR;
  return loc;
}

/**
 * The walker and starting directory of an open with openat2(2)'s RESOLVE_*
 * flags `resolve` (0 for open/openat). openat2(2): RESOLVE_IN_ROOT "treat
 * the directory referred to by dirfd as the root directory while resolving
 * pathname" — so an absolute pathname starts at dirfd too; RESOLVE_BENEATH
 * scopes the walk the same way but fails where IN_ROOT would clamp.
 */
function resolvingWalker(
  t: VfsTask,
  dirfd: number,
  path: string,
  resolve: number,
): { start: Location; w: Walker } | number {
  if (!(resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT))) {
    const start = startDir(t, dirfd, path);
    if (typeof start === "number") return start;
    return { start, w: resolve ? new Walker(t.fs.root, t.creds, resolve) : walker(t) };
  }
  // The dirfd is the root even for an absolute pathname.
  const start = startDir(t, dirfd, "");
  if (typeof start === "number") return start;
  return { start, w: new Walker(start, t.creds, resolve) };
}

/** The file `dirfd` names itself (AT_EMPTY_PATH with an empty path). */
function emptyPathTarget(t: VfsTask, dirfd: number): Location | number {
  if (dirfd === AT_FDCWD) return t.fs.cwd;
  const f = t.fdTable.get(dirfd);
  if (!f) return -EBADF;
  return f.location ?? -EBADF;
}

/**
 * Resolves (dirfd, path) per the *at() conventions: `follow` for the last
 * component, `emptyPath` for AT_EMPTY_PATH.
 */
export function lookupAt(
  t: VfsTask,
  dirfd: number,
  path: string,
  follow: boolean,
  emptyPath = false,
  creds: FsCreds = t.creds,
): Location | number {
  if (path === "") return emptyPath ? emptyPathTarget(t, dirfd) : -ENOENT;
  const start = startDir(t, dirfd, path);
  if (typeof start === "number") return start;
  return walker(t, creds).resolve(start, path, follow);
}

/**
 * lookupAt with the last component and an empty path governed by an *at()
 * call's AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH bits.
 */
export function lookupAtFlags(
  t: VfsTask,
  dirfd: number,
  path: string,
  flags: number,
  creds: FsCreds = t.creds,
): Location | number {
  const follow = (flags & AT_SYMLINK_NOFOLLOW) === 0;
  return lookupAt(t, dirfd, path, follow, (flags & AT_EMPTY_PATH) !== 0, creds);
}

function permission(inode: Inode, creds: FsCreds, mask: number): number {
  const a = inode.attrs();
  return checkPermission(a.mode, a.uid, a.gid, creds, mask);
}

/**
 * may_create: the directory still exists (IS_DEADDIR → ENOENT: a removed
 * directory, e.g. a cwd that was rmdir'ed, takes no new entries), and the
 * caller may write and search it.
 */
function mayCreate(dir: Location, creds: FsCreds): number {
  if (dir.inode.unlinked) return -ENOENT;
  return permission(dir.inode, creds, MAY_WRITE | MAY_EXEC);
}

/**
 * may_delete: write+search on the directory and, in a sticky directory,
 * ownership of the file or the directory (or root): "EPERM: The directory
 * containing pathname has the sticky bit (S_ISVTX) set and the process's
 * effective UID is neither the UID of the file to be deleted nor that of the
 * directory containing it" (unlink(2)).
 */
function mayDelete(dir: Location, victim: Location, creds: FsCreds): number {
  const dst = dir.inode.attrs();
  const r = checkPermission(dst.mode, dst.uid, dst.gid, creds, MAY_WRITE | MAY_EXEC);
  if (r < 0) return r;
  if (dst.mode & S_ISVTX && creds.euid !== 0) {
    const vst = victim.inode.attrs();
    if (vst.uid !== creds.euid && dst.uid !== creds.euid) return -EPERM;
  }
  return 0;
}

/** The file a lookup of a name in `dir` finds *before* crossing mounts (for EBUSY checks). */
function childBelowMounts(dir: Location, name: string): Inode | number {
  return dir.inode.lookup(name);
}

function joinPath(dirPath: string | number, name: string): string {
  if (typeof dirPath === "number") return name;
  return dirPath === "/" ? `/${name}` : `${dirPath}/${name}`;
}

/**
 * Makes the file description for an opened location.
 * Preconditions: access checks are done; `loc` is not a symlink unless O_PATH.
 */
function makeFile(w: Walker, loc: Location, flags: number, path: string): FileDescription | number {
  if (flags & O_PATH) return new PathFile(flags, loc, path);
  const type = loc.inode.fileType;
  switch (type) {
    case S_IFDIR: {
      const r = loc.inode.prepareOpen(flags);
      if (r < 0) return r;
      return new DirectoryFile(flags, loc, path, () => w.parentOf(loc).inode.inoNumber);
    }
    case S_IFREG: {
      const r = loc.inode.prepareOpen(flags);
      if (r < 0) return r;
      return new RegularFile(flags, loc, path);
    }
    case S_IFCHR: {
      const r = loc.inode.prepareOpen(flags);
      if (r < 0) return r;
      return loc.mount.ns.devices.open(loc.inode.stat().rdev, flags, loc, path);
    }
    case S_IFIFO: {
      const opener = loc.mount.ns.devices.fifoOpener;
      if (!opener) return -ENXIO;
      return opener(flags, loc, path);
    }
    case S_IFLNK:
      return -ELOOP;
    default:
      // Sockets and block devices: open(2) "ENXIO ... the file is a UNIX domain socket".
      return -ENXIO;
  }
}

/**
 * An open through a magic link that jumped to a file with no location (a
 * pipe, a host stream): the file's own permission check, then a new open
 * file description of the same file from the old one. O_CREAT and O_EXCL
 * have nothing to act on; O_TRUNC is left for the file (a host regular
 * file truncates, a pipe ignores it as Linux's FIFOs do).
 */
function reopenFile(
  t: VfsTask,
  loc: Location,
  inode: OpenFileInode,
  flags: number,
): FileDescription | number {
  if (flags & O_PATH) return new PathFile(flags, loc, inode.file.path);
  const acc = flags & O_ACCMODE;
  let mask = 0;
  if (acc !== O_WRONLY) mask |= MAY_READ;
  if (acc !== O_RDONLY) mask |= MAY_WRITE;
  const perm = permission(inode, t.creds, mask);
  if (perm < 0) return perm;
  return inode.file.reopen((flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_CLOEXEC)) | O_LARGEFILE);
}

/**
 * open(2)/openat(2)/creat(2): resolves and opens a file. Returns a new file
 * description (with one reference, for the caller to install) or an errno.
 */
export function openat(
  t: VfsTask,
  dirfd: number,
  path: string,
  flags: number,
  mode: number,
  resolve = 0,
): FileDescription | number {
  if ((flags & O_TMPFILE) === O_TMPFILE) return openTmpfile(t, dirfd, path, flags, mode, resolve);
  // open(2), since Linux 6.4: O_CREAT with O_DIRECTORY fails with EINVAL.
  if (flags & O_CREAT && flags & O_DIRECTORY) return -EINVAL;
  if (flags & O_PATH) flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  if (path === "") return -ENOENT;
  const ws = resolvingWalker(t, dirfd, path, resolve);
  if (typeof ws === "number") return ws;
  const { start, w } = ws;
  // Paths shown in /proc/PID/fd are relative to the process root even
  // when the walk was scoped to the dirfd.
  const pw = resolve ? walker(t) : w;
  let loc: Location;
  let fullPath: string;
  let created = false;
  if (flags & O_CREAT) {
    let p = w.walkParent(start, path);
    for (;;) {
      if (typeof p === "number") return p;
      const name = p.name;
      if (name === "" || name === "." || name === ".." || p.trailingSlash) return -EISDIR;
      const existing = w.lookupIn(p.dir, name);
      if (typeof existing === "number") {
        if (existing !== -ENOENT) return existing;
        if (p.dir.mount.readOnly) return -EROFS;
        const perm = mayCreate(p.dir, t.creds);
        if (perm < 0) return perm;
        const m = S_IFREG | (mode & ~t.fs.umask & 0o7777);
        const c = p.dir.inode.createChild(name, m, t.creds, {});
        if (typeof c === "number") return c;
        loc = { mount: p.dir.mount, inode: c };
        fullPath = joinPath(pw.pathOf(p.dir), name);
        created = true;
        break;
      }
      // open(2): "O_EXCL ... When these two flags are specified, symbolic
      // links are not followed: if pathname is a symbolic link, then open()
      // fails regardless of where the symbolic link points."
      if (flags & O_EXCL) return -EEXIST;
      if (existing.inode.isSymlink) {
        if (flags & O_NOFOLLOW) return -ELOOP;
        const j = w.jump(p.dir, existing.inode);
        if (j !== null) {
          if (typeof j === "number") return j;
          loc = j;
          const jp = pw.pathOf(j);
          fullPath = typeof jp === "string" ? jp : joinPath(pw.pathOf(p.dir), name);
          break;
        }
        const target = w.linkTarget(p.dir, existing.inode);
        if (typeof target === "number") return target;
        p = w.walkParent(p.dir, target);
        continue;
      }
      loc = existing;
      fullPath = joinPath(pw.pathOf(p.dir), name);
      break;
    }
  } else {
    const p = w.walkParent(start, path);
    if (typeof p === "number") return p;
    const follow = (flags & O_NOFOLLOW) === 0;
    const r = w.resolveLast(p, follow);
    if (typeof r === "number") return r;
    loc = r;
    fullPath = loc.inode.isDir ? String(pw.pathOf(loc)) : joinPath(pw.pathOf(p.dir), p.name);
  }
  const type = loc.inode.fileType;
  if (flags & O_DIRECTORY && type !== S_IFDIR) return -ENOTDIR;
  if (loc.inode instanceof OpenFileInode) return reopenFile(t, loc, loc.inode, flags);
  // open(2): "O_NOFOLLOW: If the trailing component (i.e., basename) of
  // pathname is a symbolic link, then the open fails, with the error
  // ELOOP" — unless O_PATH, which then opens the link itself.
  if (type === S_IFLNK && !(flags & O_PATH)) return -ELOOP;
  const acc = flags & O_ACCMODE;
  if (!(flags & O_PATH)) {
    if (type === S_IFDIR && (acc !== O_RDONLY || flags & O_CREAT || flags & O_TRUNC))
      return -EISDIR;
    if (!created) {
      let mask = 0;
      if (acc !== O_WRONLY) mask |= MAY_READ;
      if (acc !== O_RDONLY) mask |= MAY_WRITE;
      if (flags & O_TRUNC && type === S_IFREG) mask |= MAY_WRITE;
      if (mask & MAY_WRITE && loc.mount.readOnly && (type === S_IFREG || type === S_IFDIR))
        return -EROFS;
      const perm = permission(loc.inode, t.creds, mask);
      if (perm < 0) return perm;
      if (flags & O_TRUNC && type === S_IFREG && loc.inode.stat().size > 0) {
        const tr = loc.inode.setattr({ size: 0 });
        if (tr < 0) return tr;
      }
    }
  }
  const fileFlags = (flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)) | O_LARGEFILE;
  return makeFile(pw, loc, fileFlags, fullPath);
}

/**
 * open(2) O_TMPFILE: "Create an unnamed temporary regular file. The
 * pathname argument specifies a directory"; "EINVAL ... O_TMPFILE and
 * neither O_WRONLY nor O_RDWR"; "EOPNOTSUPP The filesystem containing
 * pathname does not support O_TMPFILE". Without O_EXCL the file may later
 * be linked into the file system with linkat(2).
 */
function openTmpfile(
  t: VfsTask,
  dirfd: number,
  path: string,
  flags: number,
  mode: number,
  resolve: number,
): FileDescription | number {
  const acc = flags & O_ACCMODE;
  if (acc !== O_WRONLY && acc !== O_RDWR) return -EINVAL;
  if (path === "") return -ENOENT;
  const ws = resolvingWalker(t, dirfd, path, resolve);
  if (typeof ws === "number") return ws;
  const dir = ws.w.resolve(ws.start, path, true);
  if (typeof dir === "number") return dir;
  if (!dir.inode.isDir) return -ENOTDIR;
  if (dir.mount.readOnly) return -EROFS;
  const perm = mayCreate(dir, t.creds);
  if (perm < 0) return perm;
  const inode = dir.inode.createTmpfile(mode & ~t.fs.umask & 0o7777, t.creds);
  if (typeof inode === "number") return inode;
  inode.linkable = (flags & O_EXCL) === 0;
  const w = walker(t);
  const dirPath = w.pathOf(dir);
  const fileFlags =
    (flags & ~(O_TMPFILE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)) | O_LARGEFILE | acc;
  return makeFile(
    w,
    { mount: dir.mount, inode },
    fileFlags,
    `${joinPath(dirPath, "#tmpfile")} (deleted)`,
  );
}

/** mkdir(2)/mkdirat(2). */
export function mkdirat(t: VfsTask, dirfd: number, path: string, mode: number): number {
  return createNode(t, dirfd, path, S_IFDIR | (mode & 0o1777 & ~t.fs.umask), {}, true);
}

/**
 * mknod(2)/mknodat(2). mknod(2): "EINVAL mode requested creation of
 * something other than a regular file, device special file, FIFO or socket";
 * "EPERM ... the file type is not one supported by the filesystem" and
 * device nodes need CAP_MKNOD.
 */
export function mknodat(
  t: VfsTask,
  dirfd: number,
  path: string,
  mode: number,
  dev: number,
): number {
  let type = mode & S_IFMT;
  if (type === 0) type = S_IFREG;
  if (
    type === S_IFDIR ||
    (type !== S_IFREG &&
      type !== S_IFCHR &&
      type !== S_IFBLK &&
      type !== S_IFIFO &&
      type !== S_IFSOCK)
  )
    return -EINVAL;
  if ((type === S_IFCHR || type === S_IFBLK) && t.creds.euid !== 0) return -EPERM;
  const perms = mode & 0o7777 & ~t.fs.umask;
  return createNode(
    t,
    dirfd,
    path,
    type | perms,
    type === S_IFCHR || type === S_IFBLK ? { rdev: dev } : {},
    false,
  );
}

/** symlink(2)/symlinkat(2). */
export function symlinkat(t: VfsTask, target: string, newdirfd: number, linkpath: string): number {
  if (target === "") return -ENOENT;
  return createNode(t, newdirfd, linkpath, S_IFLNK | 0o777, { target }, false);
}

/** The common part of mkdir/mknod/symlink (Linux's filename_create + may_create). */
function createNode(
  t: VfsTask,
  dirfd: number,
  path: string,
  mode: number,
  extra: { rdev?: number; target?: string },
  isDir: boolean,
): number {
  if (path === "") return -ENOENT;
  const start = startDir(t, dirfd, path);
  if (typeof start === "number") return start;
  const w = walker(t);
  const p = w.walkParent(start, path);
  if (typeof p === "number") return p;
  if (p.name === "" || p.name === "." || p.name === "..") return -EEXIST;
  const existing = w.lookupIn(p.dir, p.name);
  if (typeof existing !== "number") return -EEXIST;
  if (existing !== -ENOENT) return existing;
  // A trailing slash is only allowed when creating a directory.
  if (p.trailingSlash && !isDir) return -ENOENT;
  if (p.dir.mount.readOnly) return -EROFS;
  const perm = mayCreate(p.dir, t.creds);
  if (perm < 0) return perm;
  const r = p.dir.inode.createChild(p.name, mode, t.creds, extra);
  return typeof r === "number" ? r : 0;
}

/**
 * unlink(2)/unlinkat(2)/rmdir(2). `flags` may be AT_REMOVEDIR.
 * rmdir(2): "EINVAL pathname has . as last component"; "ENOTEMPTY ...
 * or pathname has .. as its final component"; "EBUSY pathname is ... the
 * root directory". unlink(2): "EISDIR pathname refers to a directory".
 */
export function unlinkat(t: VfsTask, dirfd: number, path: string, flags: number): number {
  if (flags & ~AT_REMOVEDIR) return -EINVAL;
  const dir = (flags & AT_REMOVEDIR) !== 0;
  if (path === "") return -ENOENT;
  const start = startDir(t, dirfd, path);
  if (typeof start === "number") return start;
  const w = walker(t);
  const p = w.walkParent(start, path);
  if (typeof p === "number") return p;
  if (dir) {
    if (p.name === ".") return -EINVAL;
    if (p.name === "..") return -ENOTEMPTY;
    if (p.name === "") return -EBUSY;
  } else if (p.name === "" || p.name === "." || p.name === "..") return -EISDIR;
  if (p.dir.mount.readOnly) return -EROFS;
  const victimInode = childBelowMounts(p.dir, p.name);
  if (typeof victimInode === "number") return victimInode;
  const victim: Location = { mount: p.dir.mount, inode: victimInode };
  const vdir = victimInode.isDir;
  if (!dir && p.trailingSlash && !vdir) return -ENOTDIR;
  const perm = mayDelete(p.dir, victim, t.creds);
  if (perm < 0) return perm;
  if (dir) {
    if (!vdir) return -ENOTDIR;
    if (p.dir.mount.children.has(victimInode) || sameRoot(t, victim)) return -EBUSY;
    const entries = victimInode.readdir();
    if (typeof entries === "number") return entries;
    if (entries.length > 0) return -ENOTEMPTY;
  } else {
    if (vdir) return -EISDIR;
    if (p.dir.mount.children.has(victimInode)) return -EBUSY;
  }
  return p.dir.inode.removeChild(p.name, dir);
}

function sameRoot(t: VfsTask, loc: Location): boolean {
  return loc.inode === t.fs.root.inode && loc.mount === t.fs.root.mount;
}

/** Whether `ancestor` is `loc`'s directory or one of its ancestors, within one file system. */
function isAncestor(ancestor: Inode, dir: Inode): boolean {
  for (let cur: Inode | null = dir, guard = 0; cur && guard < 100000; guard++) {
    if (cur === ancestor) return true;
    cur = cur.parentDir();
  }
  return false;
}

/**
 * rename(2)/renameat(2)/renameat2(2) with RENAME_NOREPLACE and
 * RENAME_EXCHANGE (RENAME_WHITEOUT → EINVAL: tsvisor file systems do not
 * support it for programs).
 */
export function renameat2(
  t: VfsTask,
  olddirfd: number,
  oldpath: string,
  newdirfd: number,
  newpath: string,
  flags: number,
): number {
  if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) return -EINVAL;
  if (flags & RENAME_NOREPLACE && flags & RENAME_EXCHANGE) return -EINVAL;
  if (flags & RENAME_WHITEOUT) return -EINVAL;
  if (oldpath === "" || newpath === "") return -ENOENT;
  const os = startDir(t, olddirfd, oldpath);
  if (typeof os === "number") return os;
  const ns = startDir(t, newdirfd, newpath);
  if (typeof ns === "number") return ns;
  const w = walker(t);
  const op = w.walkParent(os, oldpath);
  if (typeof op === "number") return op;
  const np = w.walkParent(ns, newpath);
  if (typeof np === "number") return np;
  const isNormal = (n: string) => n !== "" && n !== "." && n !== "..";
  // The order of checks below is do_renameat2's, then vfs_rename's.
  if (op.dir.mount !== np.dir.mount) return -EXDEV;
  if (!isNormal(op.name) || !isNormal(np.name)) return -EBUSY;
  if (op.dir.mount.readOnly) return -EROFS;
  const src = childBelowMounts(op.dir, op.name);
  if (typeof src === "number") return src;
  const dstR = childBelowMounts(np.dir, np.name);
  if (typeof dstR === "number" && dstR !== -ENOENT) return dstR;
  const dst = typeof dstR === "number" ? null : dstR;
  if (flags & RENAME_NOREPLACE && dst) return -EEXIST;
  if (flags & RENAME_EXCHANGE) {
    if (!dst) return -ENOENT;
    if (!dst.isDir && np.trailingSlash) return -ENOTDIR;
  }
  const srcDir = src.isDir;
  if (!srcDir && (op.trailingSlash || (np.trailingSlash && !(flags & RENAME_EXCHANGE))))
    return -ENOTDIR;
  // rename(2): "EINVAL The new pathname contained a path prefix of the old,
  // or, more generally, an attempt was made to make a directory a
  // subdirectory of itself." (lock_rename's "trap")
  if (srcDir && src !== np.dir.inode && isAncestor(src, np.dir.inode)) return -EINVAL;
  if (srcDir && src === np.dir.inode) return -EINVAL;
  if (dst?.isDir && isAncestor(dst, op.dir.inode))
    return flags & RENAME_EXCHANGE ? -EINVAL : -ENOTEMPTY;
  // Renaming a file over itself (or a hard link to it) does nothing.
  if (dst === src) return 0;
  let perm = mayDelete(op.dir, { mount: op.dir.mount, inode: src }, t.creds);
  if (perm < 0) return perm;
  perm = dst
    ? mayDelete(np.dir, { mount: np.dir.mount, inode: dst }, t.creds)
    : mayCreate(np.dir, t.creds);
  if (perm < 0) return perm;
  // A directory moved elsewhere needs write permission on itself to update "..".
  if (op.dir.inode !== np.dir.inode) {
    if (srcDir) {
      perm = permission(src, t.creds, MAY_WRITE);
      if (perm < 0) return perm;
    }
    if (flags & RENAME_EXCHANGE && dst?.isDir) {
      perm = permission(dst, t.creds, MAY_WRITE);
      if (perm < 0) return perm;
    }
  }
  const m = op.dir.mount.children;
  if (m.has(src) || (dst && m.has(dst))) return -EBUSY;
  if (sameRoot(t, { mount: op.dir.mount, inode: src })) return -EBUSY;
  if (dst && !(flags & RENAME_EXCHANGE)) {
    if (srcDir && !dst.isDir) return -ENOTDIR;
    if (!srcDir && dst.isDir) return -EISDIR;
    if (dst.isDir) {
      const entries = dst.readdir();
      if (typeof entries === "number") return entries;
      if (entries.length > 0) return -ENOTEMPTY;
    }
  }
  return op.dir.inode.rename(op.name, np.dir.inode, np.name, flags);
}

/** link(2)/linkat(2) with AT_SYMLINK_FOLLOW and AT_EMPTY_PATH. */
export function linkat(
  t: VfsTask,
  olddirfd: number,
  oldpath: string,
  newdirfd: number,
  newpath: string,
  flags: number,
): number {
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) return -EINVAL;
  // linkat(2): AT_EMPTY_PATH "requires the CAP_DAC_READ_SEARCH capability".
  if (flags & AT_EMPTY_PATH && oldpath === "" && t.creds.euid !== 0) return -ENOENT;
  const old = lookupAt(
    t,
    olddirfd,
    oldpath,
    (flags & AT_SYMLINK_FOLLOW) !== 0,
    (flags & AT_EMPTY_PATH) !== 0,
  );
  if (typeof old === "number") return old;
  if (newpath === "") return -ENOENT;
  const ns = startDir(t, newdirfd, newpath);
  if (typeof ns === "number") return ns;
  const w = walker(t);
  const p = w.walkParent(ns, newpath);
  if (typeof p === "number") return p;
  if (p.name === "" || p.name === "." || p.name === "..") return -EEXIST;
  const existing = w.lookupIn(p.dir, p.name);
  if (typeof existing !== "number") return -EEXIST;
  if (existing !== -ENOENT) return existing;
  if (p.trailingSlash) return -ENOENT;
  if (p.dir.mount.readOnly) return -EROFS;
  if (old.mount !== p.dir.mount) return -EXDEV;
  const hl = mayLink(old.inode, t.creds);
  if (hl < 0) return hl;
  const perm = mayCreate(p.dir, t.creds);
  if (perm < 0) return perm;
  // link(2): "EPERM oldpath is a directory."
  if (old.inode.isDir) return -EPERM;
  if (old.inode.stat().nlink === 0 && !old.inode.linkable) return -ENOENT;
  return p.dir.inode.link(p.name, old.inode);
}

/**
 * may_linkat with fs.protected_hardlinks = 1 (the default): "hardlinks
 * cannot be created to files that the user does not own unless the user
 * has read/write access to them" and they are regular, non-set-id files
 * (Documentation/admin-guide/sysctl/fs.rst).
 */
function mayLink(inode: Inode, creds: FsCreds): number {
  if (creds.euid === 0) return 0;
  const st = inode.stat();
  if (st.uid === creds.euid) return 0;
  if ((st.mode & S_IFMT) !== S_IFREG) return -EPERM;
  if (st.mode & S_ISUID) return -EPERM;
  if ((st.mode & (S_ISGID | 0o010)) === (S_ISGID | 0o010)) return -EPERM;
  if (checkPermission(st.mode, st.uid, st.gid, creds, MAY_READ | MAY_WRITE) < 0) return -EPERM;
  return 0;
}

/** readlink(2)/readlinkat(2): the link's target (the caller truncates to bufsiz). */
export function readlinkat(t: VfsTask, dirfd: number, path: string): string | number {
  const loc = lookupAt(t, dirfd, path, false, true);
  if (typeof loc === "number") return loc;
  if (!loc.inode.isSymlink) return path === "" ? -ENOENT : -EINVAL;
  return loc.inode.readlink();
}

/** Checks the caller may change attributes reserved to the owner (inode_owner_or_capable). */
function ownerOrRoot(inode: Inode, creds: FsCreds): number {
  if (creds.euid === 0) return 0;
  return inode.stat().uid === creds.euid ? 0 : -EPERM;
}

/**
 * chmod on a resolved file. chmod(2): "If the calling process is not
 * privileged (Linux: does not have the CAP_FSETID capability), and the group
 * of the file does not match the effective group ID of the process or one
 * of its supplementary group IDs, the S_ISGID bit will be turned off, but
 * this will not cause an error to be returned."
 */
export function chmodLocation(t: VfsTask, loc: Location, mode: number): number {
  if (loc.mount.readOnly) return -EROFS;
  const r = ownerOrRoot(loc.inode, t.creds);
  if (r < 0) return r;
  let m = mode & 0o7777;
  if (t.creds.euid !== 0 && !inGroup(t.creds, loc.inode.stat().gid)) m &= ~S_ISGID;
  return loc.inode.setattr({ mode: m });
}

/** chmod(2)/fchmodat(2). fchmodat(2): AT_SYMLINK_NOFOLLOW is "not supported" (EOPNOTSUPP). */
export function fchmodat(
  t: VfsTask,
  dirfd: number,
  path: string,
  mode: number,
  flags: number,
): number {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
  const loc = lookupAtFlags(t, dirfd, path, flags);
  if (typeof loc === "number") return loc;
  if (loc.inode.isSymlink) return -EOPNOTSUPP;
  return chmodLocation(t, loc, mode);
}

/** fchmod(2). */
export function fchmod(t: VfsTask, fd: number, mode: number): number {
  const f = t.fdTable.get(fd);
  if (!f || f.flags & O_PATH) return -EBADF;
  if (!f.location) return ownerOrRoot0(t);
  return chmodLocation(t, f.location, mode);
}

function ownerOrRoot0(t: VfsTask): number {
  return t.creds.euid === 0 ? 0 : -EPERM;
}

/**
 * chown on a resolved file. chown(2): "Only a privileged process may change
 * the owner of a file. The owner of a file may change the group of the file
 * to any group of which that owner is a member." -1 leaves an id unchanged.
 * "When the owner or group of an executable file is changed by an
 * unprivileged user, the S_ISUID and S_ISGID mode bits are cleared. ...
 * since Linux 2.2.13, root is treated like other users."
 */
export function chownLocation(t: VfsTask, loc: Location, uid: number, gid: number): number {
  if (loc.mount.readOnly) return -EROFS;
  const st = loc.inode.stat();
  const c = t.creds;
  const newUid = uid === -1 || uid === 0xffffffff ? -1 : uid >>> 0;
  const newGid = gid === -1 || gid === 0xffffffff ? -1 : gid >>> 0;
  if (c.euid !== 0) {
    if (newUid !== -1 && newUid !== st.uid) return -EPERM;
    if (newGid !== -1 && newGid !== st.gid && (st.uid !== c.euid || !inGroup(c, newGid)))
      return -EPERM;
    if ((newUid !== -1 || newGid !== -1) && st.uid !== c.euid) return -EPERM;
  }
  const attr: SetAttr = {};
  if (newUid !== -1) attr.uid = newUid;
  if (newGid !== -1) attr.gid = newGid;
  if ((st.mode & S_IFMT) !== S_IFDIR && (newUid !== -1 || newGid !== -1)) {
    let m = st.mode & 0o7777;
    m &= ~S_ISUID;
    // S_ISGID without group-execute marks mandatory locking, and is kept.
    if (m & 0o010) m &= ~S_ISGID;
    if (m !== (st.mode & 0o7777)) attr.mode = m;
  }
  return loc.inode.setattr(attr);
}

/** chown(2)/lchown(2)/fchownat(2). */
export function fchownat(
  t: VfsTask,
  dirfd: number,
  path: string,
  uid: number,
  gid: number,
  flags: number,
): number {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
  const loc = lookupAtFlags(t, dirfd, path, flags);
  if (typeof loc === "number") return loc;
  return chownLocation(t, loc, uid, gid);
}

/** fchown(2). */
export function fchown(t: VfsTask, fd: number, uid: number, gid: number): number {
  const f = t.fdTable.get(fd);
  if (!f || f.flags & O_PATH) return -EBADF;
  if (!f.location) return ownerOrRoot0(t);
  return chownLocation(t, f.location, uid, gid);
}

/** One timestamp argument of utimensat(2): a time, "now", or "omit". */
export type TimeArg = Timespec | "now" | "omit";

/** Decodes a `struct timespec` of utimensat(2) with UTIME_NOW / UTIME_OMIT; null if invalid (EINVAL). */
export function decodeTimeArg(sec: number, nsec: number): TimeArg | null {
  if (nsec === UTIME_NOW) return "now";
  if (nsec === UTIME_OMIT) return "omit";
  if (nsec < 0 || nsec > 999_999_999) return null;
  return { sec, nsec };
}

/**
 * Sets timestamps on a resolved file. utimensat(2): to set both to the
 * current time the caller must own the file, have write permission, or be
 * privileged; "To make any change other than setting both timestamps to the
 * current time ... either the caller's effective user ID must match the
 * owner of the file, or the caller must have appropriate privileges".
 */
export function utimesLocation(t: VfsTask, loc: Location, atime: TimeArg, mtime: TimeArg): number {
  if (atime === "omit" && mtime === "omit") return 0;
  if (loc.mount.readOnly) return -EROFS;
  const st = loc.inode.stat();
  const c = t.creds;
  const owner = c.euid === 0 || c.euid === st.uid;
  if (!owner) {
    const bothNow = (atime === "now" || atime === "omit") && (mtime === "now" || mtime === "omit");
    if (!bothNow) return -EPERM;
    if (checkPermission(st.mode, st.uid, st.gid, c, MAY_WRITE) < 0) return -EACCES;
  }
  const n = now();
  const attr: SetAttr = {};
  if (atime !== "omit") attr.atime = atime === "now" ? n : atime;
  if (mtime !== "omit") attr.mtime = mtime === "now" ? n : mtime;
  return loc.inode.setattr(attr);
}

/**
 * utimensat(2). `path` null means the file open at `dirfd` (futimens). "If
 * both tv_nsec fields are specified as UTIME_OMIT, then the Linux
 * implementation of utimensat() succeeds even if the file referred to by
 * dirfd and pathname does not exist."
 */
export function utimensat(
  t: VfsTask,
  dirfd: number,
  path: string | null,
  atime: TimeArg,
  mtime: TimeArg,
  flags: number,
): number {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
  if (atime === "omit" && mtime === "omit") return 0;
  let loc: Location | number;
  if (path === null) {
    if (dirfd === AT_FDCWD) return -EFAULT_OR_EINVAL;
    const f = t.fdTable.get(dirfd);
    if (!f) return -EBADF;
    if (!f.location) return 0;
    loc = f.location;
  } else {
    loc = lookupAtFlags(t, dirfd, path, flags);
  }
  if (typeof loc === "number") return loc;
  return utimesLocation(t, loc, atime, mtime);
}

/** utimensat(AT_FDCWD, NULL, ...) fails with EFAULT on Linux (do_utimes with no path and no fd). */
const EFAULT_OR_EINVAL = 14;

function truncateLocation(loc: Location, length: number, creds: FsCreds | null): number {
  const type = loc.inode.fileType;
  if (type === S_IFDIR) return -EISDIR;
  if (type !== S_IFREG) return -EINVAL;
  if (loc.mount.readOnly) return -EROFS;
  if (creds) {
    const perm = permission(loc.inode, creds, MAY_WRITE);
    if (perm < 0) return perm;
  }
  return loc.inode.setattr({ size: length });
}

/** truncate(2). */
export function truncate(t: VfsTask, path: string, length: number): number {
  if (length < 0) return -EINVAL;
  const loc = lookupAt(t, AT_FDCWD, path, true);
  if (typeof loc === "number") return loc;
  return truncateLocation(loc, length, t.creds);
}

/** ftruncate(2): "EBADF or EINVAL: fd is not open for writing" — Linux gives EINVAL. */
export function ftruncate(t: VfsTask, fd: number, length: number): number {
  // do_sys_ftruncate checks the length before it looks the fd up.
  if (length < 0) return -EINVAL;
  const f = t.fdTable.get(fd);
  if (!f || f.flags & O_PATH) return -EBADF;
  if (!f.location || !f.writable) return -EINVAL;
  if (f.location.inode.fileType !== S_IFREG) return -EINVAL;
  return truncateLocation(f.location, length, null);
}

/**
 * access(2)/faccessat(2)/faccessat2(2). The check uses the real uid/gid
 * (`realCreds`) unless AT_EACCESS. access(2): "If the calling process is
 * privileged (i.e., its real UID is zero), then an X_OK check is successful
 * for a regular file if execute permission is enabled for any of the file
 * owner, group, or other."
 */
export function faccessat(
  t: VfsTask,
  dirfd: number,
  path: string,
  mode: number,
  flags: number,
  realCreds: FsCreds,
): number {
  if (mode & ~7) return -EINVAL;
  if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
  const creds = flags & AT_EACCESS ? t.creds : realCreds;
  const loc = lookupAtFlags(t, dirfd, path, flags, creds);
  if (typeof loc === "number") return loc;
  if (mode === 0) return 0;
  const type = loc.inode.fileType;
  if (mode & 2 && loc.mount.readOnly && (type === S_IFREG || type === S_IFDIR || type === S_IFLNK))
    return -EROFS;
  return permission(loc.inode, creds, mode);
}

/**
 * stat(2)/lstat(2)/fstatat(2)/statx(2) path resolution: the attributes of
 * (dirfd, path). AT_EMPTY_PATH with "" stats the file open at dirfd (any
 * kind, including pipes).
 */
export function fstatat(t: VfsTask, dirfd: number, path: string, flags: number): StatData | number {
  if (
    flags &
    ~((AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | 0x6000) /* AT_STATX_SYNC_TYPE */)
  )
    return -EINVAL;
  if (path === "" && flags & AT_EMPTY_PATH && dirfd !== AT_FDCWD) {
    const f = t.fdTable.get(dirfd);
    if (!f) return -EBADF;
    return f.stat();
  }
  const loc = lookupAtFlags(t, dirfd, path, flags);
  if (typeof loc === "number") return loc;
  return loc.inode.stat();
}

/** fstat(2). */
export function fstat(t: VfsTask, fd: number): StatData | number {
  const f = t.fdTable.get(fd);
  if (!f) return -EBADF;
  return f.stat();
}

/** chdir(2). */
export function chdir(t: VfsTask, path: string): number {
  const loc = lookupAt(t, AT_FDCWD, path, true);
  if (typeof loc === "number") return loc;
  return setCwd(t, loc);
}

/** fchdir(2). */
export function fchdir(t: VfsTask, fd: number): number {
  const f = t.fdTable.get(fd);
  if (!f) return -EBADF;
  if (!f.location) return -ENOTDIR;
  return setCwd(t, f.location);
}

function setCwd(t: VfsTask, loc: Location): number {
  if (!loc.inode.isDir) return -ENOTDIR;
  const perm = permission(loc.inode, t.creds, MAY_EXEC);
  if (perm < 0) return perm;
  t.fs.cwd = loc;
  return 0;
}

/** chroot(2) (privileged). */
export function chroot(t: VfsTask, path: string): number {
  const loc = lookupAt(t, AT_FDCWD, path, true);
  if (typeof loc === "number") return loc;
  if (!loc.inode.isDir) return -ENOTDIR;
  const perm = permission(loc.inode, t.creds, MAY_EXEC);
  if (perm < 0) return perm;
  if (t.creds.euid !== 0) return -EPERM;
  t.fs.root = loc;
  return 0;
}

/** getcwd(2): the cwd's path, or -ENOENT if it was removed. */
export function getcwd(t: VfsTask): string | number {
  return walker(t).pathOf(t.fs.cwd);
}

/** The absolute path of a location as task `t` sees it (for /proc/PID/fd, getcwd). */
export function pathOf(t: VfsTask, loc: Location): string | number {
  return walker(t).pathOf(loc);
}

/** xattr(7) limits: XATTR_NAME_MAX and XATTR_SIZE_MAX. */
const XATTR_NAME_MAX = 255;
const XATTR_SIZE_MAX = 65536;
/** setxattr(2) flags. */
export const XATTR_CREATE = 1;
export const XATTR_REPLACE = 2;

/**
 * Checks an attribute name and the caller's right to read or write it
 * (xattr(7)): a known namespace ("user.", "trusted.", "security.";
 * "system." is EOPNOTSUPP — no POSIX ACLs), "trusted." only for root, and
 * "user." attributes only on regular files and directories, with read or
 * write permission on the file.
 */
function xattrAccess(t: VfsTask, loc: Location, name: string, write: boolean): number {
  if (name.length === 0 || name.length > XATTR_NAME_MAX) return -ERANGE;
  if (name.startsWith("trusted.")) return t.creds.euid === 0 ? 0 : write ? -EPERM : -ENODATA;
  if (name.startsWith("security.")) return write && t.creds.euid !== 0 ? -EPERM : 0;
  if (!name.startsWith("user.")) return -EOPNOTSUPP;
  const type = loc.inode.fileType;
  if (type !== S_IFREG && type !== S_IFDIR) return write ? -EPERM : -ENODATA;
  return permission(loc.inode, t.creds, write ? MAY_WRITE : MAY_READ);
}

/** getxattr(2): the value (the syscall layer applies size 0 / ERANGE). */
export function getxattrAt(t: VfsTask, loc: Location, name: string): Uint8Array | number {
  const r = xattrAccess(t, loc, name, false);
  if (r < 0) return r;
  return loc.inode.getxattr(name);
}

/**
 * setxattr(2): "EEXIST XATTR_CREATE was specified, and the attribute exists
 * already"; "ENODATA XATTR_REPLACE was specified, and the attribute does
 * not exist"; "E2BIG The size of name or value exceeds a
 * filesystem-specific limit."
 */
export function setxattrAt(
  t: VfsTask,
  loc: Location,
  name: string,
  value: Uint8Array,
  flags: number,
): number {
  if (flags & ~(XATTR_CREATE | XATTR_REPLACE)) return -EINVAL;
  if (value.length > XATTR_SIZE_MAX) return -E2BIG;
  if (loc.mount.readOnly) return -EROFS;
  const r = xattrAccess(t, loc, name, true);
  if (r < 0) return r;
  const cur = loc.inode.getxattr(name);
  const exists = typeof cur !== "number";
  if (typeof cur === "number" && cur !== -ENODATA) return cur;
  if (flags & XATTR_CREATE && exists) return -EEXIST;
  if (flags & XATTR_REPLACE && !exists) return -ENODATA;
  return loc.inode.setxattr(name, value);
}

/** listxattr(2): the names the caller may see. */
export function listxattrAt(t: VfsTask, loc: Location): string[] | number {
  const names = loc.inode.listxattr();
  if (typeof names === "number") return names;
  return t.creds.euid === 0 ? names : names.filter((n) => !n.startsWith("trusted."));
}

/** removexattr(2). */
export function removexattrAt(t: VfsTask, loc: Location, name: string): number {
  if (loc.mount.readOnly) return -EROFS;
  const r = xattrAccess(t, loc, name, true);
  if (r < 0) return r;
  return loc.inode.removexattr(name);
}
