/**
 * A ready-to-run sandbox: the kernel composed with @tsvisor/mm (one memory
 * file allocator per sandbox) and @tsvisor/vfs (a mount namespace, host
 * stdio on fds 0-2). This is what `tsvisor run` uses; embedders with other
 * needs build their own {@link KernelServices}.
 */
import {
  AT_EMPTY_PATH,
  AT_SYMLINK_NOFOLLOW,
  EACCES,
  EBADF,
  ELOOP,
  ENODEV,
  O_NOFOLLOW,
  O_RDONLY,
  O_RDWR,
  O_WRONLY,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
} from "@tsvisor/abi";
import { MemoryFileAllocator, MemoryManager } from "@tsvisor/mm";
import type { Platform } from "@tsvisor/platform";
import {
  checkPermission,
  defaultRoot,
  FdTable,
  type FileDescription,
  HostFdFile,
  lookupAt,
  MAY_EXEC,
  mappableOf,
  openat,
  pathOf,
  type SandboxRoot,
  type VfsTask,
} from "@tsvisor/vfs";
import {
  Kernel,
  type KernelServices,
  type OpenedExecutable,
  type RunOptions,
  type SyscallHook,
} from "./kernel.js";
import { ProcFs } from "./procfs.js";
import { fileSyscalls } from "./syscalls/sys-file.js";
import type { SyscallEntry } from "./syscalls/syscall.js";
import { buildTable } from "./syscalls/table.js";
import type { Task } from "./task.js";

/** Options of {@link createSandbox}. */
export interface SandboxOptions {
  platform: Platform;
  /** The file-system view; default {@link defaultRoot}() (host / read-only under a tmpfs overlay). */
  root?: SandboxRoot;
  /** Sandbox-wide memory limit in bytes (default: the memory file's size). */
  memoryLimitBytes?: number;
  hostname?: string;
  strace?: (line: string) => void;
  onSyscall?: SyscallHook;
  /** Syscalls added to (or replacing entries of) the built-in table. */
  extraSyscalls?: readonly SyscallEntry[];
}

/** Adapts a vfs FileDescription to what exec reads. */
function execFile(t: Task, f: FileDescription): OpenedExecutable {
  const st = f.stat();
  const size = typeof st === "number" ? f.size() : st.size;
  const abs = f.location !== null ? pathOf(t as unknown as VfsTask, f.location) : f.path;
  const m = mappableOf(f);
  return {
    ...(m !== null ? { mappable: m } : {}),
    path: typeof abs === "string" ? abs : f.path,
    size,
    readAt: (offset, dst) => f.pread(dst, offset),
    close: () => f.decRef(),
  };
}

/** The {@link KernelServices} of a vfs + mm sandbox. */
export function sandboxServices(
  platform: Platform,
  root: SandboxRoot,
  memoryLimitBytes?: number,
): KernelServices {
  const allocator = new MemoryFileAllocator(
    platform.memoryFile,
    memoryLimitBytes === undefined ? {} : { limitBytes: memoryLimitBytes },
  );
  return {
    newMemory: () => MemoryManager.create({ platform, allocator }),
    openExecutable(t: Task, dirfd: number, path: string, flags: number): OpenedExecutable | number {
      const vt = t as unknown as VfsTask;
      let f: FileDescription | number;
      if (path === "" && (flags & AT_EMPTY_PATH) !== 0) {
        const g = t.fdTable.get(dirfd);
        if (g === undefined) return -EBADF;
        g.incRef();
        f = g;
      } else {
        // Resolve first so a directory or special file is EACCES, not EISDIR.
        const loc = lookupAt(vt, dirfd, path, (flags & AT_SYMLINK_NOFOLLOW) === 0);
        if (typeof loc === "number") return loc;
        // execveat(2): "ELOOP flags includes AT_SYMLINK_NOFOLLOW and the
        // file referred to by pathname ... is a symbolic link" (O_NOFOLLOW).
        if ((loc.inode.mode & S_IFMT) === S_IFLNK) return -ELOOP;
        if ((loc.inode.mode & S_IFMT) !== S_IFREG) return -EACCES;
        f = openat(
          vt,
          dirfd,
          path,
          O_RDONLY | ((flags & AT_SYMLINK_NOFOLLOW) !== 0 ? O_NOFOLLOW : 0),
          0,
        );
        if (typeof f === "number") return f;
      }
      const inode = f.inode;
      // execve(2): "EACCES The file or a script interpreter is not a regular file"
      // / "Execute permission is denied".
      if (inode === null || (inode.mode & S_IFMT) !== S_IFREG) {
        f.decRef();
        return -EACCES;
      }
      const st = inode.stat();
      if (checkPermission(st.mode, st.uid, st.gid, t.creds, MAY_EXEC) < 0) {
        f.decRef();
        return -EACCES;
      }
      return execFile(t, f);
    },
    initialFiles(opts: RunOptions) {
      const fs = root.newFsContext();
      if (opts.umask !== undefined) fs.umask = opts.umask & 0o777;
      const fdTable = new FdTable();
      const stdio = opts.stdio ?? [0, 1, 2];
      const modes = [O_RDONLY, O_WRONLY, O_WRONLY];
      for (let fd = 0; fd < 3; fd++) {
        fdTable.installAt(
          fd,
          new HostFdFile(stdio[fd]!, fd === 0 ? modes[0]! : modes[fd]! | 0),
          false,
        );
      }
      void O_RDWR;
      if (opts.cwd !== undefined && opts.cwd !== "/") {
        const vt: VfsTask = { fs, fdTable, creds: { euid: 0, egid: 0, groups: [] } };
        const loc = lookupAt(vt, -100, opts.cwd, true);
        if (typeof loc === "number") return loc;
        if (!loc.inode.isDir) return -20; // ENOTDIR
        fs.cwd = loc;
      }
      return { fdTable, fs };
    },
    fileForMmap(t: Task, fd: number) {
      const f = t.fdTable.get(fd);
      if (f === undefined) return -EBADF;
      const m = mappableOf(f);
      if (m === null) return -ENODEV;
      return { mappable: m, readable: f.readable, writable: f.writable };
    },
  };
}

/** The syscall table of a sandbox: the kernel core, the file syscalls, then `extra`. */
export function sandboxTable(extra: readonly SyscallEntry[] = []): SyscallEntry[] {
  return buildTable([...fileSyscalls, ...extra]);
}

/**
 * Creates a kernel over `opts.platform` with the default file system and
 * syscall table, and procfs mounted on /proc (when the root has it).
 */
export function createSandbox(opts: SandboxOptions): Kernel {
  const root = opts.root ?? defaultRoot();
  const k = new Kernel({
    platform: opts.platform,
    services: sandboxServices(opts.platform, root, opts.memoryLimitBytes),
    table: sandboxTable(opts.extraSyscalls),
    ...(opts.hostname !== undefined ? { hostname: opts.hostname } : {}),
    ...(opts.strace !== undefined ? { strace: opts.strace } : {}),
    ...(opts.onSyscall !== undefined ? { onSyscall: opts.onSyscall } : {}),
  });
  if (root.proc !== null) root.mountAt("/proc", new ProcFs(k));
  return k;
}
