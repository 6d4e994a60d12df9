/**
 * dup(2), dup2(2), dup3(2), fcntl(2) and flock(2).
 *
 * Inspired by gVisor's pkg/sentry/syscalls/linux/vfs2/fd.go.
 */
import {
  EBADF,
  EINVAL,
  EPERM,
  F_ADD_SEALS,
  F_DUPFD,
  F_DUPFD_CLOEXEC,
  F_GET_SEALS,
  F_GETFD,
  F_GETFL,
  F_GETLEASE,
  F_GETLK,
  F_GETOWN,
  F_GETPIPE_SZ,
  F_GETSIG,
  F_NOTIFY,
  F_OFD_GETLK,
  F_OFD_SETLK,
  F_OFD_SETLKW,
  F_RDLCK,
  F_SETFD,
  F_SETFL,
  F_SETLEASE,
  F_SETLK,
  F_SETLKW,
  F_SETOWN,
  F_SETPIPE_SZ,
  F_SETSIG,
  F_UNLCK,
  F_WRLCK,
  O_CLOEXEC,
  O_PATH,
  SYS_dup,
  SYS_dup2,
  SYS_dup3,
  SYS_fcntl,
  SYS_flock,
} from "@tsvisor/abi";
import { SETFL_MASK } from "@tsvisor/vfs";
import { PipeFile } from "../pipe.js";
import type { Task } from "../task.js";
import { fdTable, mem } from "./file-common.js";
import { partial, type SyscallEntry, type SyscallFn, supported } from "./syscall.js";

export const sysDup: SyscallFn = (t, a) => fdTable(t).dup(a.int(0));

/**
 * dup2(2): "If oldfd is a valid file descriptor, and newfd has the same
 * value as oldfd, then dup2() does nothing, and returns newfd."
 */
export const sysDup2: SyscallFn = (t, a) => {
  const oldfd = a.int(0);
  const newfd = a.int(1);
  const tab = fdTable(t);
  if (oldfd === newfd) return tab.get(oldfd) ? newfd : -EBADF;
  return tab.dup2(oldfd, newfd, false);
};

/** dup3(2): "EINVAL (dup3()) flags contain an invalid value. ... oldfd was equal to newfd." */
export const sysDup3: SyscallFn = (t, a) => {
  const oldfd = a.int(0);
  const newfd = a.int(1);
  const flags = a.int(2);
  if (flags & ~O_CLOEXEC) return -EINVAL;
  if (oldfd === newfd) return -EINVAL;
  return fdTable(t).dup2(oldfd, newfd, (flags & O_CLOEXEC) !== 0);
};

/** Per-description owner and signal of F_SETOWN / F_SETSIG (kept, not acted on: no SIGIO). */
const owners = new WeakMap<object, { owner: number; sig: number }>();

/** sizeof(struct flock) on x86-64: l_type, l_whence (short), l_start, l_len (off_t), l_pid (+pad). */
const FLOCK_SIZE = 32;

/**
 * F_GETLK / F_SETLK / F_SETLKW and the OFD variants: validates the struct
 * like Linux (EFAULT, EINVAL for a bad l_type/l_whence, EBADF when the
 * description's access mode does not allow the lock type). tsvisor keeps no
 * lock table yet: every lock is granted and F_GETLK reports none.
 */
function recordLock(t: Task, fd: number, cmd: number, arg: number): number {
  const f = fdTable(t).get(fd)!;
  const b = new Uint8Array(FLOCK_SIZE);
  const r = mem(t).copyIn(arg, b);
  if (r < 0) return r;
  const dv = new DataView(b.buffer);
  const type = dv.getInt16(0, true);
  const whence = dv.getInt16(2, true);
  if (type !== F_RDLCK && type !== F_WRLCK && type !== F_UNLCK) return -EINVAL;
  if (whence < 0 || whence > 2) return -EINVAL;
  const ofd = cmd === F_OFD_GETLK || cmd === F_OFD_SETLK || cmd === F_OFD_SETLKW;
  if (ofd && dv.getInt32(24, true) !== 0) return -EINVAL; // fcntl(2): l_pid must be 0 for OFD locks
  if (cmd === F_GETLK || cmd === F_OFD_GETLK) {
    if (type === F_UNLCK) return -EINVAL;
    dv.setInt16(0, F_UNLCK, true);
    return mem(t).copyOut(arg, b) < 0 ? -14 : 0;
  }
  // fcntl(2): "EBADF ... the lock type is not compatible with the access mode".
  if (type === F_RDLCK && !f.readable) return -EBADF;
  if (type === F_WRLCK && !f.writable) return -EBADF;
  return 0;
}

/** fcntl(2). */
export const sysFcntl: SyscallFn = (t, a) => {
  const fd = a.int(0);
  const cmd = a.int(1);
  const tab = fdTable(t);
  const f = tab.get(fd);
  if (!f) return -EBADF;
  // open(2) O_PATH: only F_DUPFD(_CLOEXEC), F_GETFD/F_SETFD and F_GETFL work.
  if (f.flags & O_PATH) {
    if (
      cmd !== F_DUPFD &&
      cmd !== F_DUPFD_CLOEXEC &&
      cmd !== F_GETFD &&
      cmd !== F_SETFD &&
      cmd !== F_GETFL
    )
      return -EBADF;
  }
  switch (cmd) {
    case F_DUPFD:
      return tab.dup(fd, a.int(2), false);
    case F_DUPFD_CLOEXEC:
      return tab.dup(fd, a.int(2), true);
    case F_GETFD:
      return tab.getFdFlags(fd);
    case F_SETFD:
      return tab.setFdFlags(fd, a.int(2));
    case F_GETFL:
      return f.flags;
    case F_SETFL: {
      // fcntl(2): "On Linux, this command can change only the O_APPEND,
      // O_ASYNC, O_DIRECT, O_NOATIME, and O_NONBLOCK flags."
      const arg = a.int(2);
      f.flags = (f.flags & ~SETFL_MASK) | (arg & SETFL_MASK);
      return 0;
    }
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
      return recordLock(t, fd, cmd, a.ptr(2));
    case F_SETOWN: {
      const o = owners.get(f) ?? { owner: 0, sig: 0 };
      o.owner = a.int(2);
      owners.set(f, o);
      return 0;
    }
    case F_GETOWN:
      return owners.get(f)?.owner ?? 0;
    case F_SETSIG: {
      const sig = a.int(2);
      if (sig < 0 || sig > 64) return -EINVAL;
      const o = owners.get(f) ?? { owner: 0, sig: 0 };
      o.sig = sig;
      owners.set(f, o);
      return 0;
    }
    case F_GETSIG:
      return owners.get(f)?.sig ?? 0;
    case F_GETPIPE_SZ:
      return f instanceof PipeFile ? f.pipe.capacity : -EINVAL;
    case F_SETPIPE_SZ: {
      if (!(f instanceof PipeFile)) return -EINVAL;
      const r = f.pipe.setCapacity(a.int(2), t.creds.euid === 0);
      return r === -1 ? -EPERM : r;
    }
    case F_GETLEASE:
      return F_UNLCK;
    case F_SETLEASE:
    case F_NOTIFY:
      return -EINVAL;
    case F_ADD_SEALS:
    case F_GET_SEALS:
      // Only memfds take seals: fcntl(2) "EINVAL ... fd does not refer to a memfd".
      return -EINVAL;
    default:
      return -EINVAL;
  }
};

/** flock(2) operations. */
const LOCK_SH = 1;
const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

/**
 * flock(2): validates like Linux ("EINVAL operation is invalid") and grants
 * every lock (no lock table yet).
 */
export const sysFlock: SyscallFn = (t, a) => {
  const f = fdTable(t).get(a.int(0));
  if (!f || f.flags & O_PATH) return -EBADF;
  const op = a.int(1) & ~LOCK_NB;
  if (op !== LOCK_SH && op !== LOCK_EX && op !== LOCK_UN) return -EINVAL;
  return 0;
};

export const fcntlSyscalls: readonly SyscallEntry[] = [
  supported(SYS_dup, "dup", sysDup),
  supported(SYS_dup2, "dup2", sysDup2),
  supported(SYS_dup3, "dup3", sysDup3),
  partial(
    SYS_fcntl,
    "fcntl",
    sysFcntl,
    "Record locks are validated and always granted (no lock table); no SIGIO; no leases, notify or seals.",
  ),
  partial(SYS_flock, "flock", sysFlock, "Always granted (no lock table)."),
];
