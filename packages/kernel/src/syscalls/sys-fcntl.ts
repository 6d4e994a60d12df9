/**
 * dup(2), dup2(2), dup3(2), fcntl(2) and flock(2).
 *
 * Inspired by gVisor's pkg/sentry/syscalls/linux/vfs2/fd.go.
 */
import {
  EAGAIN,
  EBADF,
  EFAULT,
  EINVAL,
  EPERM,
  ERESTARTSYS,
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
  O_DIRECT,
  O_PATH,
  S_IFREG,
  SYS_dup,
  SYS_dup2,
  SYS_dup3,
  SYS_fcntl,
  SYS_flock,
} from "@tsvisor/abi";
import { SETFL_MASK, WaitQueue } from "@tsvisor/vfs";
import { PipeFile } from "../pipe.js";
import type { Task } from "../task.js";
import { fdTable, mem } from "./file-common.js";
import {
  type Block,
  block,
  partial,
  type SyscallEntry,
  type SyscallFn,
  supported,
} from "./syscall.js";

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
  dropLocksOf(t, newfd);
  return tab.dup2(oldfd, newfd, false);
};

/** dup3(2): "EINVAL (dup3()) flags contain an invalid value. ... oldfd was equal to newfd." */
export const sysDup3: SyscallFn = (t, a) => {
  const oldfd = a.int(0);
  const newfd = a.int(1);
  const flags = a.int(2);
  if (flags & ~O_CLOEXEC) return -EINVAL;
  if (oldfd === newfd) return -EINVAL;
  if (fdTable(t).get(oldfd)) dropLocksOf(t, newfd);
  return fdTable(t).dup2(oldfd, newfd, (flags & O_CLOEXEC) !== 0);
};

/** Per-description owner and signal of F_SETOWN / F_SETSIG (kept, not acted on: no SIGIO). */
const owners = new WeakMap<object, { owner: number; sig: number }>();

/** sizeof(struct flock) on x86-64: l_type, l_whence (short), l_start, l_len (off_t), l_pid (+pad). */
const FLOCK_SIZE = 32;

/** End of a lock that extends to the end of the file (and beyond). */
const TO_EOF = Number.POSITIVE_INFINITY;

/**
 * One byte-range lock. POSIX (process-associated) locks are owned by the
 * thread group; OFD locks and flock(2) locks by the open file description.
 */
interface RangeLock {
  owner: object;
  /** F_RDLCK or F_WRLCK. */
  type: number;
  start: number;
  /** Inclusive last byte, or TO_EOF. */
  end: number;
  /** l_pid F_GETLK reports: the owner's tgid, or -1 for OFD locks. */
  pid: number;
}

/**
 * The locks of one inode (Linux's file_lock_context): POSIX/OFD record
 * locks and flock(2) locks are separate namespaces that never conflict
 * with each other.
 */
interface LockContext {
  posix: RangeLock[];
  flock: RangeLock[];
  /** Woken whenever a lock is released, for F_SETLKW and blocking flock. */
  readonly queue: WaitQueue;
}

const lockContexts = new WeakMap<object, LockContext>();

function lockContext(inode: object): LockContext {
  let c = lockContexts.get(inode);
  if (!c) {
    c = { posix: [], flock: [], queue: new WaitQueue() };
    lockContexts.set(inode, c);
  }
  return c;
}

/**
 * Whether a lock's owner is gone: a process that exited (Linux releases
 * its POSIX locks in exit's close of every fd) or a description whose last
 * reference was dropped. Stale locks are pruned lazily.
 */
function stale(l: RangeLock): boolean {
  const o = l.owner as { exit?: { kind: string }; refCount?: number };
  if (o.exit !== undefined) return o.exit.kind !== "alive";
  if (o.refCount !== undefined) return o.refCount === 0;
  return false;
}

function prune(list: RangeLock[]): RangeLock[] {
  return list.some(stale) ? list.filter((l) => !stale(l)) : list;
}

function conflicting(
  list: RangeLock[],
  owner: object,
  type: number,
  start: number,
  end: number,
): RangeLock | null {
  for (const l of list) {
    if (l.owner === owner) continue;
    if (l.end < start || l.start > end) continue;
    if (l.type === F_WRLCK || type === F_WRLCK) return l;
  }
  return null;
}

/**
 * Applies `type` (F_RDLCK/F_WRLCK/F_UNLCK) to [start, end] for `owner`:
 * the owner's overlapping locks are trimmed or split, then the new lock is
 * added, and adjacent same-type locks of the owner merged — POSIX's rule
 * that a process holds at most one lock type per byte.
 */
function applyLock(
  list: RangeLock[],
  owner: object,
  type: number,
  start: number,
  end: number,
  pid: number,
): RangeLock[] {
  const out: RangeLock[] = [];
  for (const l of list) {
    if (l.owner !== owner || l.end < start || l.start > end) {
      out.push(l);
      continue;
    }
    if (l.start < start) out.push({ ...l, end: start - 1 });
    if (l.end > end) out.push({ ...l, start: end + 1 });
  }
  if (type !== F_UNLCK) {
    let n: RangeLock = { owner, type, start, end, pid };
    // Merge with touching locks of the same owner and type.
    for (let i = out.length - 1; i >= 0; i--) {
      const l = out[i]!;
      if (l.owner !== owner || l.type !== type) continue;
      if (l.end !== TO_EOF && l.end + 1 < n.start) continue;
      if (n.end !== TO_EOF && n.end + 1 < l.start) continue;
      n = { ...n, start: Math.min(l.start, n.start), end: Math.max(l.end, n.end) };
      out.splice(i, 1);
    }
    out.push(n);
  }
  return out;
}

/**
 * close(2): "If a process closes any file descriptor referring to a file,
 * then all of the process's locks on that file are released, regardless of
 * the file descriptor(s) on which the locks were obtained." Called before
 * `fd` is closed or replaced.
 */
export function dropLocksOf(t: Task, fd: number): void {
  const inode = fdTable(t).get(fd)?.inode;
  if (inode) releasePosixLocks(inode, t.tg);
}

/** Releases every POSIX lock `owner` (a thread group) holds on `inode`. */
export function releasePosixLocks(inode: object, owner: object): void {
  const c = lockContexts.get(inode);
  if (!c?.posix.some((l) => l.owner === owner)) return;
  c.posix = c.posix.filter((l) => l.owner !== owner);
  c.queue.notifyAll();
}

/**
 * F_GETLK / F_SETLK / F_SETLKW and the OFD variants (fcntl(2) "Advisory
 * record locking" and "Open file description locks"). Conflicts make
 * F_SETLK fail with EAGAIN and F_SETLKW sleep until a lock is released;
 * F_GETLK describes the first conflicting lock or sets l_type to F_UNLCK.
 */
function recordLock(t: Task, fd: number, cmd: number, arg: number): number | Block {
  const f = fdTable(t).get(fd)!;
  const inode = f.inode;
  const b = new Uint8Array(FLOCK_SIZE);
  if (mem(t).copyIn(arg, b) < 0) return -EFAULT;
  const dv = new DataView(b.buffer);
  const type = dv.getInt16(0, true);
  const whence = dv.getInt16(2, true);
  const lStart = Number(dv.getBigInt64(8, true));
  const lLen = Number(dv.getBigInt64(16, true));
  if (type !== F_RDLCK && type !== F_WRLCK && type !== F_UNLCK) return -EINVAL;
  const ofd = cmd === F_OFD_GETLK || cmd === F_OFD_SETLK || cmd === F_OFD_SETLKW;
  if (ofd && dv.getInt32(24, true) !== 0) return -EINVAL; // fcntl(2): l_pid must be 0 for OFD locks
  let base: number;
  if (whence === 0) base = 0;
  else if (whence === 1) base = f.offset;
  else if (whence === 2) {
    const st = f.stat();
    base = typeof st === "number" ? 0 : st.size;
  } else return -EINVAL;
  // fcntl(2): "l_len ... If negative, the interval described by lock covers
  // bytes l_start+l_len up to and including l_start-1."
  let start = base + lStart;
  let end = lLen === 0 ? TO_EOF : start + lLen - 1;
  if (lLen < 0) {
    end = start - 1;
    start = start + lLen;
  }
  if (start < 0) return -EINVAL;
  // A pipe's inode is its pipe (Linux locks pipefs inodes like any other).
  const key: object | null = inode ?? (f instanceof PipeFile ? f.pipe : null);
  if (!key) return -EINVAL;
  const ctx = lockContext(key);
  ctx.posix = prune(ctx.posix);
  const owner: object = ofd ? f : t.tg;
  if (cmd === F_GETLK || cmd === F_OFD_GETLK) {
    if (type === F_UNLCK) return -EINVAL;
    const c = conflicting(ctx.posix, owner, type, start, end);
    if (!c) dv.setInt16(0, F_UNLCK, true);
    else {
      dv.setInt16(0, c.type, true);
      dv.setInt16(2, 0, true);
      dv.setBigInt64(8, BigInt(c.start), true);
      dv.setBigInt64(16, c.end === TO_EOF ? 0n : BigInt(c.end - c.start + 1), true);
      dv.setInt32(24, c.pid, true);
    }
    return mem(t).copyOut(arg, b) < 0 ? -EFAULT : 0;
  }
  // fcntl(2): "EBADF ... the lock type is not compatible with the access mode".
  if (type === F_RDLCK && !f.readable) return -EBADF;
  if (type === F_WRLCK && !f.writable) return -EBADF;
  const wait = cmd === F_SETLKW || cmd === F_OFD_SETLKW;
  const attempt = (t2: Task): number | Block => {
    ctx.posix = prune(ctx.posix);
    if (type !== F_UNLCK && conflicting(ctx.posix, owner, type, start, end)) {
      if (!wait) return -EAGAIN;
      return block(ctx.queue, {
        resume: (t3, why) => (why === "woken" ? attempt(t3) : -ERESTARTSYS),
      });
    }
    ctx.posix = applyLock(ctx.posix, owner, type, start, end, ofd ? -1 : t2.tgid);
    ctx.queue.notifyAll();
    return 0;
  };
  return attempt(t);
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
      // setfl(): "Pipe packetized mode is controlled by O_DIRECT flag";
      // other files need direct I/O (FMODE_CAN_ODIRECT): regular files
      // (tmpfs has it since Linux 6.6), not directories, devices or sockets.
      if (arg & O_DIRECT && !(f instanceof PipeFile) && f.inode?.fileType !== S_IFREG)
        return -EINVAL;
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
    // pipe_fcntl: "if (!pipe) return -EBADF" for a file that is not a pipe.
    case F_GETPIPE_SZ:
      return f instanceof PipeFile ? f.pipe.capacity : -EBADF;
    case F_SETPIPE_SZ: {
      if (!(f instanceof PipeFile)) return -EBADF;
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
 * flock(2): whole-file locks owned by the open file description (so dups
 * and fork share them, and they go away with the last reference).
 * "EWOULDBLOCK The file is locked and the LOCK_NB flag was selected."
 */
export const sysFlock: SyscallFn = (t, a) => {
  const f = fdTable(t).get(a.int(0));
  if (!f || f.flags & O_PATH) return -EBADF;
  const nb = (a.int(1) & LOCK_NB) !== 0;
  const op = a.int(1) & ~LOCK_NB;
  if (op !== LOCK_SH && op !== LOCK_EX && op !== LOCK_UN) return -EINVAL;
  const inode = f.inode;
  if (!inode) return 0;
  const ctx = lockContext(inode);
  const type = op === LOCK_SH ? F_RDLCK : op === LOCK_EX ? F_WRLCK : F_UNLCK;
  const attempt = (): number | Block => {
    ctx.flock = prune(ctx.flock);
    if (type !== F_UNLCK && conflicting(ctx.flock, f, type, 0, TO_EOF)) {
      if (nb) return -EAGAIN;
      return block(ctx.queue, {
        resume: (_t, why) => (why === "woken" ? attempt() : -ERESTARTSYS),
      });
    }
    ctx.flock = applyLock(ctx.flock, f, type, 0, TO_EOF, -1);
    ctx.queue.notifyAll();
    return 0;
  };
  return attempt();
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
