/**
 * @tsvisor/vfs — tsvisor's virtual file system.
 *
 * - Path resolution ({@link Walker}): symlinks (40-link limit), `..` across
 *   mounts and at the root, trailing slashes, the *at() conventions.
 * - Mounts ({@link MountNamespace}, {@link Mount}, {@link Location}).
 * - Open file descriptions ({@link FileDescription}) and fd tables ({@link FdTable}).
 * - File systems: {@link TmpFs}, {@link HostFs} (host passthrough),
 *   {@link OverlayFs} (tmpfs over a read-only lower), /dev ({@link makeDevFs},
 *   {@link DeviceRegistry}) and host stdio ({@link HostFdFile}).
 * - System-call-level operations (`openat`, `mkdirat`, `renameat2`, ...)
 *   returning a result or a negative errno, for the kernel's handlers.
 * - {@link defaultRoot}: host `/` read-only under a tmpfs overlay, with /dev,
 *   /proc (mount point) and /tmp; `--volume` specs ({@link parseVolume}).
 *
 * Names and paths are byte strings: one latin1 code unit per byte.
 */

export {
  DEV_FULL,
  DEV_NULL,
  DEV_RANDOM,
  DEV_TTY,
  DEV_URANDOM,
  DEV_ZERO,
  DeviceRegistry,
  FullFile,
  HostFdFile,
  KERNEL_TERMIOS_SIZE,
  makeDevFs,
  NullFile,
  RandomFile,
  ZeroFile,
} from "./devices.js";
export type { DeviceOpener } from "./devices.js";
export { DEFAULT_NOFILE, FdTable, NR_OPEN } from "./fd-table.js";
export type { FdEntry } from "./fd-table.js";
export {
  DirectoryFile,
  direntReclen,
  FileDescription,
  MAX_OFFSET,
  PathFile,
  RegularFile,
  SETFL_MASK,
} from "./file.js";
export { FsContext } from "./fs-context.js";
export { O_LARGEFILE as KERNEL_O_LARGEFILE } from "./linux.js";
export { HostFs, HostInode, hostErrno } from "./hostfs.js";
export {
  blankStat,
  FileSystem,
  Inode,
  makedev,
  modeToDirentType,
  now,
  ROOT_CREDS,
  splitDev,
} from "./inode.js";
export type {
  DirEntry,
  FsCreds,
  FsStats,
  PermAttrs,
  SetAttr,
  StatData,
  Timespec,
} from "./inode.js";
export { OpenFileInode } from "./magic-link.js";
export { InodeMappable, mappableOf, peekMappable } from "./mappable.js";
export { Mount, MountNamespace } from "./mount.js";
export type { Location, MountOptions } from "./mount.js";
export { crossMounts, sameLocation, Walker } from "./namei.js";
export type { ParentResult } from "./namei.js";
export {
  chdir,
  chmodLocation,
  chownLocation,
  chroot,
  decodeTimeArg,
  faccessat,
  fchdir,
  fchmod,
  fchmodat,
  fchown,
  fchownat,
  fstat,
  fstatat,
  ftruncate,
  getcwd,
  getxattrAt,
  linkat,
  listxattrAt,
  lookupAt,
  lookupAtFlags,
  mkdirat,
  mknodat,
  openat,
  pathOf,
  readlinkat,
  removexattrAt,
  renameat2,
  setxattrAt,
  symlinkat,
  truncate,
  unlinkat,
  utimensat,
  utimesLocation,
  XATTR_CREATE,
  XATTR_REPLACE,
} from "./ops.js";
export type { TimeArg, VfsTask } from "./ops.js";
export { OverlayFs, OverlayInode } from "./overlay.js";
export { checkPermission, inGroup, MAY_EXEC, MAY_READ, MAY_WRITE } from "./permission.js";
export { defaultRoot, parseVolume } from "./root.js";
export type { RootOptions, SandboxRoot, VolumeSpec } from "./root.js";
export { TMPFS_MAX_FILE_SIZE, TmpFs, TmpfsInode } from "./tmpfs.js";
export { WaitQueue } from "./waiter.js";
export type { Waitable, Waiter } from "./waiter.js";
