/**
 * File descriptor tables.
 *
 * An {@link FdTable} maps small integers to open file descriptions plus the
 * per-fd close-on-exec flag. fork(2) copies the table (the descriptions are
 * shared, so offsets are shared); clone(CLONE_FILES) shares the table
 * object itself; execve(2) closes the O_CLOEXEC entries.
 *
 * Inspired by gVisor's pkg/sentry/kernel/fd_table.go and Linux's fs/file.c.
 */

import type { FileDescription } from "./file.js";
import { EBADF, EINVAL, EMFILE } from "./linux.js";

/** Default RLIMIT_NOFILE soft limit (Linux's INR_OPEN_CUR). */
export const DEFAULT_NOFILE = 1024;

/** Hard ceiling on table size (Linux's fs.nr_open default, 1048576). */
export const NR_OPEN = 1 << 20;

/** One fd slot. */
export interface FdEntry {
  readonly file: FileDescription;
  cloexec: boolean;
}

/**
 * A file descriptor table.
 *
 * Invariants: each entry holds one reference to its file description;
 * `lowestFree` is <= the lowest empty slot. Owned by the Sentry thread;
 * shared by tasks cloned with CLONE_FILES.
 */
export class FdTable {
  private slots: (FdEntry | undefined)[] = [];
  private lowestFree = 0;
  /** RLIMIT_NOFILE soft limit: fds must be below it. The kernel keeps it current. */
  nofile = DEFAULT_NOFILE;

  /** The description at `fd`, or undefined (→ EBADF). */
  get(fd: number): FileDescription | undefined {
    return this.slots[fd]?.file;
  }

  /** The entry at `fd`, or undefined. */
  entry(fd: number): FdEntry | undefined {
    return this.slots[fd];
  }

  /**
   * Installs `file` at the lowest free fd >= `minFd`, consuming the
   * caller's reference to it (on failure the reference is dropped).
   * Returns the fd, or -EMFILE when no fd below RLIMIT_NOFILE is free.
   */
  install(file: FileDescription, cloexec: boolean, minFd = 0): number {
    let fd = Math.max(minFd, this.lowestFree);
    while (fd < this.slots.length && this.slots[fd]) fd++;
    if (fd >= this.nofile || fd >= NR_OPEN) {
      file.decRef();
      return -EMFILE;
    }
    this.slots[fd] = { file, cloexec };
    if (minFd <= this.lowestFree) this.lowestFree = fd + 1;
    return fd;
  }

  /**
   * Installs `file` at exactly `fd`, closing what was there (dup2/dup3).
   * Consumes the caller's reference. Returns `fd` or -EBADF when `fd` is
   * out of range: dup2(2) "EBADF: newfd is out of the allowed range for
   * file descriptors".
   */
  installAt(fd: number, file: FileDescription, cloexec: boolean): number {
    if (fd < 0 || fd >= this.nofile || fd >= NR_OPEN) {
      file.decRef();
      return -EBADF;
    }
    const old = this.slots[fd];
    this.slots[fd] = { file, cloexec };
    old?.file.decRef();
    return fd;
  }

  /** dup(2) / F_DUPFD / F_DUPFD_CLOEXEC: a new fd >= `minFd` for the same description. */
  dup(oldfd: number, minFd = 0, cloexec = false): number {
    const e = this.slots[oldfd];
    if (!e) return -EBADF;
    // fcntl(2) F_DUPFD: "EINVAL: arg is negative or is greater than the maximum allowable value".
    if (minFd < 0 || minFd >= this.nofile) return -EINVAL;
    e.file.incRef();
    return this.install(e.file, cloexec, minFd);
  }

  /**
   * dup2(2)/dup3(2): makes `newfd` refer to `oldfd`'s description.
   * dup2(2): "If oldfd is a valid file descriptor, and newfd has the same
   * value as oldfd, then dup2() does nothing, and returns newfd." (dup3's
   * EINVAL for that case is the caller's check.)
   */
  dup2(oldfd: number, newfd: number, cloexec = false): number {
    const e = this.slots[oldfd];
    if (!e) return -EBADF;
    if (oldfd === newfd) return newfd;
    e.file.incRef();
    return this.installAt(newfd, e.file, cloexec);
  }

  /** close(2). */
  close(fd: number): number {
    const e = this.slots[fd];
    if (!e) return -EBADF;
    this.slots[fd] = undefined;
    if (fd < this.lowestFree) this.lowestFree = fd;
    e.file.decRef();
    return 0;
  }

  /** F_GETFD: FD_CLOEXEC or 0; -EBADF for a closed fd. */
  getFdFlags(fd: number): number {
    const e = this.slots[fd];
    if (!e) return -EBADF;
    return e.cloexec ? 1 : 0;
  }

  /** F_SETFD. */
  setFdFlags(fd: number, flags: number): number {
    const e = this.slots[fd];
    if (!e) return -EBADF;
    e.cloexec = (flags & 1) !== 0;
    return 0;
  }

  /** A copy for fork(2): same descriptions (one more reference each), same flags. */
  fork(): FdTable {
    const t = new FdTable();
    t.nofile = this.nofile;
    t.lowestFree = this.lowestFree;
    t.slots = this.slots.map((e) => {
      if (!e) return undefined;
      e.file.incRef();
      return { file: e.file, cloexec: e.cloexec };
    });
    return t;
  }

  /** execve(2): closes every close-on-exec fd. */
  closeOnExec(): void {
    for (let fd = 0; fd < this.slots.length; fd++) if (this.slots[fd]?.cloexec) this.close(fd);
  }

  /** Closes everything (the last task using the table exited). */
  closeAll(): void {
    for (let fd = 0; fd < this.slots.length; fd++) if (this.slots[fd]) this.close(fd);
    this.slots = [];
    this.lowestFree = 0;
  }

  /** The last task using this table is gone: closes everything. */
  release(): void {
    this.closeAll();
  }

  /** The open fds in ascending order (for /proc/PID/fd and tests). */
  fds(): number[] {
    const out: number[] = [];
    for (let fd = 0; fd < this.slots.length; fd++) if (this.slots[fd]) out.push(fd);
    return out;
  }
}
