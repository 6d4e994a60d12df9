/**
 * poll(2), ppoll(2), select(2) and pselect6(2).
 *
 * Readiness comes from each file's `readiness(events)`; when nothing is
 * ready and the timeout allows, the task blocks on every file's waitable
 * until one notifies, the deadline passes, or a signal arrives. A signal
 * yields ERESTARTNOHAND: the call restarts if no handler ran, else EINTR
 * (poll(2): "EINTR A signal occurred before any requested event"), which
 * is what Linux's restart-block ends in for a handled signal.
 *
 * Inspired by gVisor's pkg/sentry/syscalls/linux/vfs2/poll.go.
 */
import {
  EBADF,
  EFAULT,
  EEXIST,
  EINTR,
  EINVAL,
  ENOENT,
  EPERM,
  EPOLL_CLOEXEC,
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_CTL_MOD,
  EPOLLERR,
  EPOLLET,
  EPOLLEXCLUSIVE,
  EPOLLHUP,
  EPOLLONESHOT,
  EPOLLWAKEUP,
  ERESTARTNOHAND,
  O_RDWR,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLNVAL,
  POLLOUT,
  POLLPRI,
  POLLRDBAND,
  POLLRDNORM,
  POLLWRBAND,
  POLLWRNORM,
  SYS_epoll_create,
  SYS_epoll_create1,
  SYS_epoll_ctl,
  SYS_epoll_pwait,
  SYS_epoll_pwait2,
  SYS_epoll_wait,
  SYS_poll,
  SYS_ppoll,
  SYS_pselect6,
  SYS_select,
} from "@tsvisor/abi";
import { FileDescription, type Waitable, type Waiter } from "@tsvisor/vfs";
import { UNBLOCKABLE } from "../signals.js";
import { setSignalfdCaller } from "./sys-eventfd.js";
import type { Task } from "../task.js";
import type { WakeReason } from "../waiter.js";
import { fdTable, mem } from "./file-common.js";
import {
  type Block,
  block,
  monotonicMs,
  partial,
  type SyscallEntry,
  type SyscallFn,
  supported,
} from "./syscall.js";

/** One poll request, as decoded from a pollfd or from select's bitmaps. */
interface PollReq {
  fd: number;
  events: number;
  revents: number;
}

/**
 * Fills `revents` for every request; returns how many have any, and the
 * waitables to sleep on when none do. POLLERR, POLLHUP and POLLNVAL are
 * always reported (poll(2)).
 */
function scan(t: Task, reqs: PollReq[], waitables: Waitable[] | null): number {
  setSignalfdCaller(t);
  const tab = fdTable(t);
  let ready = 0;
  for (const r of reqs) {
    r.revents = 0;
    if (r.fd < 0) continue;
    const f = tab.get(r.fd);
    if (!f) {
      r.revents = POLLNVAL;
      ready++;
      continue;
    }
    const want = r.events | POLLERR | POLLHUP;
    r.revents = f.readiness(want) & want;
    if (r.revents) ready++;
    else if (waitables) {
      const w = f.waitable();
      if (w && !waitables.includes(w)) waitables.push(w);
    }
  }
  return ready;
}

/**
 * Polls `reqs` until something is ready or `deadline` (absolute ms on the
 * monotonic clock; Infinity for none; <= now for "don't wait") passes.
 * `finish(n)` writes results back and produces the syscall's return value.
 */
function pollUntil(
  t: Task,
  reqs: PollReq[],
  deadline: number,
  finish: (t: Task, n: number) => number,
): number | Block {
  const waitables: Waitable[] = [];
  const n = scan(t, reqs, waitables);
  if (n > 0 || deadline <= monotonicMs()) return finish(t, n);
  return block(waitables, {
    deadline,
    resume: (t2: Task, why: WakeReason) => {
      if (why === "interrupted") return -ERESTARTNOHAND;
      if (why === "timeout") return finish(t2, scan(t2, reqs, null));
      return pollUntil(t2, reqs, deadline, finish);
    },
  });
}

/** Absolute deadline for a relative timeout in ms (negative: none). */
function deadlineMs(ms: number): number {
  if (ms < 0) return Number.POSITIVE_INFINITY;
  return ms === 0 ? Number.NEGATIVE_INFINITY : monotonicMs() + ms;
}

/** Reads a `struct timespec`; null pointer → null (no timeout). EINVAL for a bad one. */
function readTimespecMs(t: Task, addr: number): number | null | "efault" | "einval" {
  if (addr === 0) return null;
  const b = new Uint8Array(16);
  if (mem(t).copyIn(addr, b) < 0) return "efault";
  const dv = new DataView(b.buffer);
  const sec = Number(dv.getBigInt64(0, true));
  const nsec = Number(dv.getBigInt64(8, true));
  if (sec < 0 || nsec < 0 || nsec >= 1e9) return "einval";
  return sec * 1000 + nsec / 1e6;
}

/**
 * Installs the temporary signal mask of ppoll/pselect6 (restored by the
 * signal-delivery path when the syscall returns). `sigsetsize` must be 8.
 */
function setTempMask(t: Task, addr: number, size: number): number {
  if (addr === 0) return 0;
  if (size !== 8) return -EINVAL;
  const b = new Uint8Array(8);
  if (mem(t).copyIn(addr, b) < 0) return -EFAULT;
  const m = new DataView(b.buffer).getBigUint64(0, true) & ~UNBLOCKABLE;
  if (t.savedSigMask === null) t.savedSigMask = t.sigMask;
  t.sigMask = m;
  return 0;
}

function doPoll(t: Task, addr: number, nfds: number, deadline: number): number | Block {
  if (nfds < 0 || nfds > fdTable(t).nofile) return -EINVAL;
  const raw = new Uint8Array(nfds * 8);
  if (nfds > 0 && mem(t).copyIn(addr, raw) < 0) return -EFAULT;
  const dv = new DataView(raw.buffer);
  const reqs: PollReq[] = [];
  for (let i = 0; i < nfds; i++) {
    reqs.push({ fd: dv.getInt32(i * 8, true), events: dv.getUint16(i * 8 + 4, true), revents: 0 });
  }
  return pollUntil(t, reqs, deadline, (t2, n) => {
    for (let i = 0; i < nfds; i++) dv.setInt16(i * 8 + 6, reqs[i]!.revents, true);
    if (nfds > 0 && mem(t2).copyOut(addr, raw) < 0) return -EFAULT;
    return n;
  });
}

/** poll(2): timeout in ms, negative for infinite. */
export const sysPoll: SyscallFn = (t, a) => doPoll(t, a.ptr(0), a.int(1), deadlineMs(a.int(2)));

/** ppoll(2). */
export const sysPpoll: SyscallFn = (t, a) => {
  const ts = readTimespecMs(t, a.ptr(2));
  if (ts === "efault") return -EFAULT;
  if (ts === "einval") return -EINVAL;
  const r = setTempMask(t, a.ptr(3), a.u64(4));
  if (r < 0) return r;
  return doPoll(t, a.ptr(0), a.int(1), ts === null ? Number.POSITIVE_INFINITY : deadlineMs(ts));
};

// select(2): "POLLIN_SET", "POLLOUT_SET", "POLLEX_SET" of fs/select.c.
const IN_SET = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR;
const OUT_SET = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR;
const EX_SET = POLLPRI;

/** FD_SETSIZE-independent: select accepts any nfds up to RLIMIT_NOFILE. */
function doSelect(
  t: Task,
  nfds: number,
  rAddr: number,
  wAddr: number,
  eAddr: number,
  deadline: number,
  writeTimeout: ((t: Task) => number) | null = null,
): number | Block {
  if (nfds < 0) return -EINVAL;
  const tab = fdTable(t);
  if (nfds > tab.nofile) nfds = tab.nofile;
  const bytes = Math.ceil(nfds / 64) * 8;
  const sets: (Uint8Array | null)[] = [rAddr, wAddr, eAddr].map((addr) => {
    if (addr === 0) return null;
    const b = new Uint8Array(bytes);
    return mem(t).copyIn(addr, b) < 0 ? new Uint8Array(0) : b;
  });
  if (sets.some((s) => s !== null && s.length !== bytes)) return -EFAULT;
  const reqs: PollReq[] = [];
  const isSet = (s: Uint8Array | null, fd: number) =>
    s !== null && (s[fd >> 3]! & (1 << (fd & 7))) !== 0;
  for (let fd = 0; fd < nfds; fd++) {
    let events = 0;
    if (isSet(sets[0]!, fd)) events |= IN_SET;
    if (isSet(sets[1]!, fd)) events |= OUT_SET;
    if (isSet(sets[2]!, fd)) events |= EX_SET;
    if (events === 0) continue;
    // select(2): "EBADF An invalid file descriptor was given in one of the sets."
    if (!tab.get(fd)) return -EBADF;
    reqs.push({ fd, events, revents: 0 });
  }
  return pollUntil(t, reqs, deadline, (t2) => {
    const out = sets.map((s) => (s ? new Uint8Array(s.length) : null));
    let count = 0;
    for (const r of reqs) {
      const mark = (i: number, mask: number) => {
        const o = out[i];
        if (o && r.events & mask && r.revents & mask) {
          o[r.fd >> 3]! |= 1 << (r.fd & 7);
          count++;
        }
      };
      mark(0, IN_SET);
      mark(1, OUT_SET);
      mark(2, EX_SET);
    }
    const addrs = [rAddr, wAddr, eAddr];
    for (let i = 0; i < 3; i++) {
      const o = out[i];
      if (o && mem(t2).copyOut(addrs[i]!, o) < 0) return -EFAULT;
    }
    if (writeTimeout && writeTimeout(t2) < 0) return -EFAULT;
    return count;
  });
}

/**
 * Writes the time left until `deadline` to a timeval (`usec`) or timespec
 * at `addr`: select(2) "On Linux, select() modifies timeout to reflect the
 * amount of time not slept".
 */
function remainingWriter(addr: number, deadline: number, usec: boolean): (t: Task) => number {
  return (t) => {
    const left = Math.max(0, deadline - monotonicMs());
    const sec = Math.floor(left / 1000);
    const frac = left - sec * 1000;
    const b = new Uint8Array(16);
    const dv = new DataView(b.buffer);
    dv.setBigInt64(0, BigInt(sec), true);
    dv.setBigInt64(8, BigInt(usec ? Math.floor(frac * 1000) : Math.floor(frac * 1e6)), true);
    return mem(t).copyOut(addr, b);
  };
}

/** select(2), with Linux's update of the timeout to the time not slept. */
export const sysSelect: SyscallFn = (t, a) => {
  let deadline = Number.POSITIVE_INFINITY;
  const tv = a.ptr(4);
  let writer: ((t: Task) => number) | null = null;
  if (tv !== 0) {
    const b = new Uint8Array(16);
    if (mem(t).copyIn(tv, b) < 0) return -EFAULT;
    const dv = new DataView(b.buffer);
    const sec = Number(dv.getBigInt64(0, true));
    const usec = Number(dv.getBigInt64(8, true));
    if (sec < 0 || usec < 0) return -EINVAL;
    const ms = sec * 1000 + usec / 1000;
    deadline = deadlineMs(ms);
    writer = remainingWriter(tv, ms === 0 ? 0 : deadline, true);
  }
  return doSelect(t, a.int(0), a.ptr(1), a.ptr(2), a.ptr(3), deadline, writer);
};

/** pselect6(2): the sixth argument points at `{ const sigset_t *ss; size_t ss_len; }`. */
export const sysPselect6: SyscallFn = (t, a) => {
  const ts = readTimespecMs(t, a.ptr(4));
  if (ts === "efault") return -EFAULT;
  if (ts === "einval") return -EINVAL;
  const sm = a.ptr(5);
  if (sm !== 0) {
    const b = new Uint8Array(16);
    if (mem(t).copyIn(sm, b) < 0) return -EFAULT;
    const dv = new DataView(b.buffer);
    const r = setTempMask(t, Number(dv.getBigUint64(0, true)), Number(dv.getBigUint64(8, true)));
    if (r < 0) return r;
  }
  const deadline = ts === null ? Number.POSITIVE_INFINITY : deadlineMs(ts);
  const writer = ts === null ? null : remainingWriter(a.ptr(4), ts === 0 ? 0 : deadline, false);
  return doSelect(t, a.int(0), a.ptr(1), a.ptr(2), a.ptr(3), deadline, writer);
};

// ---------------------------------------------------------------------------
// epoll(7)

/** sizeof(struct epoll_event) on x86-64: packed, u32 events + u64 data. */
const EPOLL_EVENT_SIZE = 12;
/** EP_MAX_EVENTS: epoll_wait(2) "EINVAL ... maxevents is less than or equal to zero" or too big. */
const EP_MAX_EVENTS = 0x7fffffff / EPOLL_EVENT_SIZE;

/** One watched (file description, fd) pair of an epoll instance. */
interface EpollEntry {
  readonly fd: number;
  readonly file: FileDescription;
  events: number;
  /** epoll_data_t, kept as its two 32-bit halves. */
  dataLo: number;
  dataHi: number;
  /** EPOLLONESHOT fired: no more events until EPOLL_CTL_MOD. */
  disabled: boolean;
  /** Edge-triggered: the file notified a change since the last report. */
  changed: boolean;
  /** Persistent subscription that records changes (edge-triggered bookkeeping). */
  readonly waiter: Waiter;
  readonly waitable: Waitable | null;
}

/**
 * An epoll instance (epoll(7)): an interest list of (file, fd) pairs.
 * Level-triggered entries report whenever the file is ready;
 * edge-triggered ones (EPOLLET) only after the file signalled a change
 * since the last report; EPOLLONESHOT disables an entry after one report.
 * Entries whose file description was released are dropped, as Linux does
 * when the last reference to a watched file goes.
 *
 * Invariants: keys are `fd` + file identity; each entry holds a
 * subscription on its file's waitable until removed.
 */
export class EpollFile extends FileDescription {
  readonly entries = new Map<FileDescription, Map<number, EpollEntry>>();

  constructor(flags: number) {
    super(flags, null, "anon_inode:[eventpoll]");
  }

  override get seekable(): boolean {
    return false;
  }

  protected override release(): void {
    for (const m of this.entries.values())
      for (const e of m.values()) e.waitable?.unsubscribe(e.waiter);
    this.entries.clear();
  }

  find(file: FileDescription, fd: number): EpollEntry | undefined {
    return this.entries.get(file)?.get(fd);
  }

  add(file: FileDescription, fd: number, events: number, lo: number, hi: number): void {
    const waitable = file.waitable();
    const entry: EpollEntry = {
      fd,
      file,
      events,
      dataLo: lo,
      dataHi: hi,
      disabled: false,
      changed: true,
      waitable,
      waiter: {
        notify: () => {
          entry.changed = true;
        },
      },
    };
    waitable?.subscribe(entry.waiter);
    let m = this.entries.get(file);
    if (!m) {
      m = new Map();
      this.entries.set(file, m);
    }
    m.set(fd, entry);
  }

  remove(e: EpollEntry): void {
    e.waitable?.unsubscribe(e.waiter);
    const m = this.entries.get(e.file);
    m?.delete(e.fd);
    if (m && m.size === 0) this.entries.delete(e.file);
  }

  /** Collects up to `max` ready entries as [events, lo, hi] triples; `consume` applies ET/ONESHOT. */
  collect(max: number, consume: boolean): number[] {
    const out: number[] = [];
    for (const [file, m] of this.entries) {
      if (file.refCount === 0) {
        for (const e of m.values()) this.remove(e);
        continue;
      }
      for (const e of m.values()) {
        if (out.length / 3 >= max) return out;
        if (e.disabled) continue;
        if (e.events & EPOLLET && !e.changed) continue;
        const want =
          (e.events & ~(EPOLLET | EPOLLONESHOT | EPOLLEXCLUSIVE | EPOLLWAKEUP)) |
          EPOLLERR |
          EPOLLHUP;
        const r = file.readiness(want & 0xffff) & want;
        if (r === 0) continue;
        out.push(r >>> 0, e.dataLo, e.dataHi);
        if (consume) {
          if (e.events & EPOLLET) e.changed = false;
          if (e.events & EPOLLONESHOT) e.disabled = true;
        }
      }
    }
    return out;
  }

  /** Readable (POLLIN) when some entry would be reported. */
  override readiness(mask: number): number {
    return this.collect(1, false).length > 0 ? mask & (POLLIN | POLLRDNORM) : 0;
  }

  override waitable(): Waitable {
    const all = (): Waitable[] => {
      const ws: Waitable[] = [];
      for (const m of this.entries.values())
        for (const e of m.values()) if (e.waitable && !ws.includes(e.waitable)) ws.push(e.waitable);
      return ws;
    };
    return {
      subscribe: (w) => {
        for (const x of all()) x.subscribe(w);
      },
      unsubscribe: (w) => {
        for (const x of all()) x.unsubscribe(w);
      },
    };
  }
}

/** epoll_create1(2): "EINVAL Invalid value specified in flags." */
function epollCreate(t: Task, flags: number): number {
  if (flags & ~EPOLL_CLOEXEC) return -EINVAL;
  return fdTable(t).install(new EpollFile(O_RDWR), (flags & EPOLL_CLOEXEC) !== 0);
}

/** epoll_create(2): "EINVAL size is not positive." */
export const sysEpollCreate: SyscallFn = (t, a) => (a.int(0) <= 0 ? -EINVAL : epollCreate(t, 0));
export const sysEpollCreate1: SyscallFn = (t, a) => epollCreate(t, a.int(0));

/**
 * epoll_ctl(2). "EPERM The target file fd does not support epoll. This
 * error can occur if fd refers to, for example, a regular file or a
 * directory." "EINVAL epfd is not an epoll file descriptor, or fd is the
 * same as epfd". "EEXIST op was EPOLL_CTL_ADD, and the supplied file
 * descriptor fd is already registered"; "ENOENT op was EPOLL_CTL_MOD or
 * EPOLL_CTL_DEL, and fd is not registered".
 */
export const sysEpollCtl: SyscallFn = (t, a) => {
  const tab = fdTable(t);
  const epfd = a.int(0);
  const op = a.int(1);
  const fd = a.int(2);
  const ep = tab.get(epfd);
  const f = tab.get(fd);
  if (!ep || !f) return -EBADF;
  let events = 0;
  let lo = 0;
  let hi = 0;
  if (op !== EPOLL_CTL_DEL) {
    const b = new Uint8Array(EPOLL_EVENT_SIZE);
    if (mem(t).copyIn(a.ptr(3), b) < 0) return -EFAULT;
    const dv = new DataView(b.buffer);
    events = dv.getUint32(0, true);
    lo = dv.getUint32(4, true);
    hi = dv.getUint32(8, true);
  }
  if (!(ep instanceof EpollFile) || fd === epfd) return -EINVAL;
  if (f.waitable() === null && !(f instanceof EpollFile)) return -EPERM;
  const existing = ep.find(f, fd);
  switch (op) {
    case EPOLL_CTL_ADD:
      if (existing) return -EEXIST;
      ep.add(f, fd, events, lo, hi);
      return 0;
    case EPOLL_CTL_MOD:
      if (!existing) return -ENOENT;
      // epoll_ctl(2): "EINVAL ... EPOLLEXCLUSIVE was specified in event and fd refers to an epoll instance" / with MOD.
      if (events & EPOLLEXCLUSIVE) return -EINVAL;
      existing.events = events;
      existing.dataLo = lo;
      existing.dataHi = hi;
      existing.disabled = false;
      existing.changed = true;
      return 0;
    case EPOLL_CTL_DEL:
      if (!existing) return -ENOENT;
      ep.remove(existing);
      return 0;
    default:
      return -EINVAL;
  }
};

function epollWait(
  t: Task,
  epfd: number,
  addr: number,
  max: number,
  deadline: number,
): number | Block {
  const ep = fdTable(t).get(epfd);
  if (!ep) return -EBADF;
  if (!(ep instanceof EpollFile)) return -EINVAL;
  if (max <= 0 || max > EP_MAX_EVENTS) return -EINVAL;
  const finish = (t2: Task): number | Block => {
    setSignalfdCaller(t2);
    const got = ep.collect(max, true);
    const n = got.length / 3;
    if (n === 0) {
      if (deadline <= monotonicMs()) return 0;
      return block(ep.waitable(), {
        deadline,
        resume: (t3, why) =>
          why === "interrupted" ? -EINTR : why === "timeout" ? finishNow(t3) : finish(t3),
      });
    }
    const b = new Uint8Array(n * EPOLL_EVENT_SIZE);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < n; i++) {
      dv.setUint32(i * 12, got[i * 3]!, true);
      dv.setUint32(i * 12 + 4, got[i * 3 + 1]!, true);
      dv.setUint32(i * 12 + 8, got[i * 3 + 2]!, true);
    }
    return mem(t2).copyOut(addr, b) < 0 ? -EFAULT : n;
  };
  const finishNow = (t2: Task): number => {
    const r = finish(t2);
    return typeof r === "number" ? r : 0;
  };
  return finish(t);
}

/** epoll_wait(2): "EINTR The call was interrupted by a signal handler" — never restarted. */
export const sysEpollWait: SyscallFn = (t, a) =>
  epollWait(t, a.int(0), a.ptr(1), a.int(2), deadlineMs(a.int(3)));

/** epoll_pwait(2): epoll_wait with a temporary signal mask. */
export const sysEpollPwait: SyscallFn = (t, a) => {
  const r = setTempMask(t, a.ptr(4), a.u64(5));
  if (r < 0) return r;
  return epollWait(t, a.int(0), a.ptr(1), a.int(2), deadlineMs(a.int(3)));
};

/** epoll_pwait2(2): the timeout is a `struct timespec` (NULL: infinite). */
export const sysEpollPwait2: SyscallFn = (t, a) => {
  const ts = readTimespecMs(t, a.ptr(3));
  if (ts === "efault") return -EFAULT;
  if (ts === "einval") return -EINVAL;
  const r = setTempMask(t, a.ptr(4), a.u64(5));
  if (r < 0) return r;
  return epollWait(
    t,
    a.int(0),
    a.ptr(1),
    a.int(2),
    ts === null ? Number.POSITIVE_INFINITY : deadlineMs(ts),
  );
};

export const pollSyscalls: readonly SyscallEntry[] = [
  supported(SYS_epoll_create, "epoll_create", sysEpollCreate),
  supported(SYS_epoll_create1, "epoll_create1", sysEpollCreate1),
  partial(
    SYS_epoll_ctl,
    "epoll_ctl",
    sysEpollCtl,
    "EPOLLEXCLUSIVE and EPOLLWAKEUP are accepted and have no effect.",
  ),
  supported(SYS_epoll_wait, "epoll_wait", sysEpollWait),
  supported(SYS_epoll_pwait, "epoll_pwait", sysEpollPwait),
  supported(SYS_epoll_pwait2, "epoll_pwait2", sysEpollPwait2),
  supported(SYS_poll, "poll", sysPoll),
  supported(SYS_ppoll, "ppoll", sysPpoll),
  supported(SYS_select, "select", sysSelect),
  supported(SYS_pselect6, "pselect6", sysPselect6),
];
