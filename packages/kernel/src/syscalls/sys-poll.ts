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
  EINVAL,
  ERESTARTNOHAND,
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
  SYS_poll,
  SYS_ppoll,
  SYS_pselect6,
  SYS_select,
} from "@tsvisor/abi";
import type { Waitable } from "@tsvisor/vfs";
import { UNBLOCKABLE } from "../signals.js";
import type { Task } from "../task.js";
import type { WakeReason } from "../waiter.js";
import { fdTable, mem } from "./file-common.js";
import {
  type Block,
  block,
  monotonicMs,
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

export const pollSyscalls: readonly SyscallEntry[] = [
  supported(SYS_poll, "poll", sysPoll),
  supported(SYS_ppoll, "ppoll", sysPpoll),
  supported(SYS_select, "select", sysSelect),
  supported(SYS_pselect6, "pselect6", sysPselect6),
];
