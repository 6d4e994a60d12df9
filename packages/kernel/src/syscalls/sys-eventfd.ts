/**
 * eventfd(2) and timerfd_create(2): counters and timers as file
 * descriptors, readable with read(2) and pollable with poll/epoll.
 *
 * Inspired by gVisor's pkg/sentry/fsimpl/eventfd and fsimpl/timerfd.
 */
import {
  CLOCK_BOOTTIME,
  CLOCK_BOOTTIME_ALARM,
  CLOCK_MONOTONIC,
  CLOCK_REALTIME,
  CLOCK_REALTIME_ALARM,
  EAGAIN,
  EBADF,
  EFAULT,
  EFD_CLOEXEC,
  EFD_NONBLOCK,
  EFD_SEMAPHORE,
  EINVAL,
  O_NONBLOCK,
  O_RDWR,
  POLLIN,
  POLLOUT,
  POLLRDNORM,
  POLLWRNORM,
  SFD_CLOEXEC,
  SFD_NONBLOCK,
  SIGNALFD_SIGINFO_SIZE,
  SYS_eventfd,
  SYS_signalfd,
  SYS_signalfd4,
  encodeSignalfdSiginfo,
  ERESTARTSYS,
  SYS_eventfd2,
  SYS_timerfd_create,
  SYS_timerfd_gettime,
  SYS_timerfd_settime,
  TFD_CLOEXEC,
  TFD_NONBLOCK,
  TFD_TIMER_ABSTIME,
  TFD_TIMER_CANCEL_ON_SET,
} from "@tsvisor/abi";
import { FileDescription, type Waitable, type Waiter, WaitQueue } from "@tsvisor/vfs";
import type { SigInfo } from "../signals.js";
import type { Task } from "../task.js";
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

/** The largest eventfd counter value: 2^64 - 2. */
const EVENTFD_MAX = 0xfffffffffffffffen;

/**
 * An eventfd: a 64-bit counter. eventfd(2): read returns the counter and
 * resets it (or returns 1 and decrements it, with EFD_SEMAPHORE); "If the
 * eventfd counter is zero at the time of the call to read(2), then the
 * call either blocks ... or fails with the error EAGAIN"; write adds, and
 * blocks or fails with EAGAIN if the counter would exceed 2^64-2; "EINVAL
 * ... the size of the supplied buffer is less than 8 bytes, or ... an
 * attempt is made to write the value 0xffffffffffffffff."
 */
export class EventFdFile extends FileDescription {
  private counter: bigint;
  private readonly queue = new WaitQueue();

  constructor(
    initval: number,
    flags: number,
    private readonly semaphore: boolean,
  ) {
    super(O_RDWR | (flags & O_NONBLOCK), null, "anon_inode:[eventfd]");
    this.counter = BigInt(initval);
  }

  override get seekable(): boolean {
    return false;
  }

  override read(dst: Uint8Array): number {
    if (dst.length < 8) return -EINVAL;
    if (this.counter === 0n) return -EAGAIN;
    const v = this.semaphore ? 1n : this.counter;
    this.counter -= v;
    new DataView(dst.buffer, dst.byteOffset, 8).setBigUint64(0, v, true);
    this.queue.notifyAll();
    return 8;
  }

  override write(src: Uint8Array): number {
    if (src.length < 8) return -EINVAL;
    const v = new DataView(src.buffer, src.byteOffset, 8).getBigUint64(0, true);
    if (v === 0xffffffffffffffffn) return -EINVAL;
    if (this.counter + v > EVENTFD_MAX) return -EAGAIN;
    this.counter += v;
    if (v > 0n) this.queue.notifyAll();
    return 8;
  }

  override readiness(mask: number): number {
    let r = 0;
    if (this.counter > 0n) r |= POLLIN | POLLRDNORM;
    if (this.counter < EVENTFD_MAX) r |= POLLOUT | POLLWRNORM;
    return r & mask;
  }

  override waitable(): Waitable {
    return this.queue;
  }
}

function eventfd(t: Task, initval: number, flags: number): number {
  if (flags & ~(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE)) return -EINVAL;
  const f = new EventFdFile(
    initval,
    flags & EFD_NONBLOCK ? O_NONBLOCK : 0,
    (flags & EFD_SEMAPHORE) !== 0,
  );
  return fdTable(t).install(f, (flags & EFD_CLOEXEC) !== 0);
}

export const sysEventfd: SyscallFn = (t, a) => eventfd(t, a.uint(0), 0);
export const sysEventfd2: SyscallFn = (t, a) => eventfd(t, a.uint(0), a.int(1));

/**
 * A timerfd. Times are kept on the kernel's monotonic clock in
 * milliseconds; CLOCK_REALTIME absolute times are converted with the
 * current offset between the clocks.
 *
 * Invariants: `next` is the next expiry (Infinity when disarmed);
 * `expirations` counts expiries not yet read.
 */
export class TimerFdFile extends FileDescription {
  next = Number.POSITIVE_INFINITY;
  interval = 0;
  private expirations = 0;
  private readonly queue = new WaitQueue();
  private hostTimer: ReturnType<typeof setTimeout> | null = null;
  private hostWait: Promise<void> | null = null;

  constructor(
    readonly clock: number,
    flags: number,
  ) {
    super(O_RDWR | (flags & O_NONBLOCK), null, "anon_inode:[timerfd]");
  }

  override get seekable(): boolean {
    return false;
  }

  protected override release(): void {
    this.disarmHostTimer();
  }

  /** Moves due expiries into `expirations`. */
  private advance(now = monotonicMs()): void {
    if (now < this.next) return;
    if (this.interval > 0) {
      const n = 1 + Math.floor((now - this.next) / this.interval);
      this.expirations += n;
      this.next += n * this.interval;
    } else {
      this.expirations += 1;
      this.next = Number.POSITIVE_INFINITY;
    }
  }

  /** Arms with a first expiry `next` (monotonic ms, Infinity to disarm) and `interval` ms. */
  set(next: number, interval: number): void {
    this.advance();
    this.expirations = 0;
    this.next = next;
    this.interval = next === Number.POSITIVE_INFINITY ? 0 : interval;
    this.disarmHostTimer();
    this.queue.notifyAll();
  }

  /** Time until the next expiry in ms (0 when disarmed, like it_value). */
  remaining(): number {
    this.advance();
    return this.next === Number.POSITIVE_INFINITY ? 0 : Math.max(0, this.next - monotonicMs());
  }

  /** timerfd_create(2): read "returns an unsigned 8-byte integer containing the number of expirations". */
  override read(dst: Uint8Array): number {
    if (dst.length < 8) return -EINVAL;
    this.advance();
    if (this.expirations === 0) return -EAGAIN;
    new DataView(dst.buffer, dst.byteOffset, 8).setBigUint64(0, BigInt(this.expirations), true);
    this.expirations = 0;
    return 8;
  }

  override write(_src: Uint8Array): number {
    return -EINVAL;
  }

  override readiness(mask: number): number {
    this.advance();
    return this.expirations > 0 ? mask & (POLLIN | POLLRDNORM) : 0;
  }

  private disarmHostTimer(): void {
    if (this.hostTimer !== null) clearTimeout(this.hostTimer);
    this.hostTimer = null;
    this.hostWait = null;
  }

  /**
   * What a task waits on: the queue, plus `hostReady` resolving at the next
   * expiry (a host timer, cleared when the timer is re-armed or closed), so
   * poll/epoll without their own deadline wake at the expiry.
   */
  override waitable(): Waitable {
    const q = this.queue;
    return {
      subscribe: (w: Waiter) => q.subscribe(w),
      unsubscribe: (w: Waiter) => q.unsubscribe(w),
      hostReady: () => {
        if (this.next === Number.POSITIVE_INFINITY) return new Promise<void>(() => {});
        if (!this.hostWait) {
          this.hostWait = new Promise<void>((resolve) => {
            this.hostTimer = setTimeout(
              () => {
                this.hostTimer = null;
                this.hostWait = null;
                this.queue.notifyAll();
                resolve();
              },
              // Timers take whole milliseconds and may round down: never fire early.
              Math.max(0, Math.ceil(this.next - monotonicMs()) + 1),
            );
          });
        }
        return this.hostWait;
      },
    };
  }

  /** The deadline a blocked read should wake at. */
  get deadline(): number {
    return this.next;
  }
}

const CLOCKS = new Set([
  CLOCK_REALTIME,
  CLOCK_MONOTONIC,
  CLOCK_BOOTTIME,
  CLOCK_REALTIME_ALARM,
  CLOCK_BOOTTIME_ALARM,
]);

/** timerfd_create(2): "EINVAL The clockid is not valid"; "EINVAL flags is invalid". */
export const sysTimerfdCreate: SyscallFn = (t, a) => {
  const clock = a.int(0);
  const flags = a.int(1);
  if (!CLOCKS.has(clock)) return -EINVAL;
  if (flags & ~(TFD_CLOEXEC | TFD_NONBLOCK)) return -EINVAL;
  const f = new TimerFdFile(clock, flags & TFD_NONBLOCK ? O_NONBLOCK : 0);
  return fdTable(t).install(f, (flags & TFD_CLOEXEC) !== 0);
};

function timerOf(t: Task, fd: number): TimerFdFile | number {
  const f = fdTable(t).get(fd);
  if (!f) return -EBADF;
  return f instanceof TimerFdFile ? f : -EINVAL;
}

/** Reads a `struct itimerspec` as [interval ms, value ms]; null for an invalid one. */
function readItimerspec(t: Task, addr: number): [number, number] | number | null {
  const b = new Uint8Array(32);
  if (mem(t).copyIn(addr, b) < 0) return -EFAULT;
  const dv = new DataView(b.buffer);
  const v = [0, 8, 16, 24].map((o) => Number(dv.getBigInt64(o, true)));
  const [isec, insec, vsec, vnsec] = v as [number, number, number, number];
  if (isec < 0 || vsec < 0 || insec < 0 || insec > 999_999_999 || vnsec < 0 || vnsec > 999_999_999)
    return null;
  return [isec * 1000 + insec / 1e6, vsec * 1000 + vnsec / 1e6];
}

function writeItimerspec(t: Task, addr: number, intervalMs: number, valueMs: number): number {
  const b = new Uint8Array(32);
  const dv = new DataView(b.buffer);
  const put = (off: number, ms: number) => {
    const sec = Math.floor(ms / 1000);
    dv.setBigInt64(off, BigInt(sec), true);
    dv.setBigInt64(off + 8, BigInt(Math.round((ms - sec * 1000) * 1e6) % 1_000_000_000), true);
  };
  put(0, intervalMs);
  put(16, valueMs);
  return mem(t).copyOut(addr, b) < 0 ? -EFAULT : 0;
}

/**
 * timerfd_settime(2): "EINVAL new_value is not properly initialized (one of
 * the tv_nsec falls outside the range zero to 999,999,999)"; "EINVAL flags
 * is invalid". A zero it_value disarms.
 */
export const sysTimerfdSettime: SyscallFn = (t, a) => {
  const tf = timerOf(t, a.int(0));
  if (typeof tf === "number") return tf;
  const flags = a.int(1);
  if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) return -EINVAL;
  const spec = readItimerspec(t, a.ptr(2));
  if (spec === null) return -EINVAL;
  if (typeof spec === "number") return spec;
  const old = a.ptr(3);
  if (old !== 0) {
    const r = writeItimerspec(t, old, tf.interval, tf.remaining());
    if (r < 0) return r;
  }
  const [interval, value] = spec;
  if (value === 0) {
    tf.set(Number.POSITIVE_INFINITY, 0);
    return 0;
  }
  let next = monotonicMs() + value;
  if (flags & TFD_TIMER_ABSTIME) {
    const realtime = tf.clock === CLOCK_REALTIME || tf.clock === CLOCK_REALTIME_ALARM;
    const nowOnClock = realtime ? performance.timeOrigin + performance.now() : monotonicMs();
    next = monotonicMs() + (value - nowOnClock);
  }
  tf.set(next, interval);
  return 0;
};

export const sysTimerfdGettime: SyscallFn = (t, a) => {
  const tf = timerOf(t, a.int(0));
  if (typeof tf === "number") return tf;
  return writeItimerspec(t, a.ptr(1), tf.interval, tf.remaining());
};

/** SIGKILL and SIGSTOP: signalfd(2) "silently ignores" them in the mask. */
const UNREADABLE = (1n << 8n) | (1n << 18n);

/**
 * A signalfd (signalfd(2)): reading dequeues the caller's pending signals
 * that are in the mask (thread-directed first, then process-directed) as
 * `struct signalfd_siginfo`. "the set of signals to be accepted via the
 * file descriptor ... should be blocked" — delivery otherwise races.
 * Readiness is relative to the task whose syscall is running.
 */
export class SignalFdFile extends FileDescription {
  constructor(
    public mask: bigint,
    flags: number,
  ) {
    super(O_RDWR | (flags & O_NONBLOCK), null, "anon_inode:[signalfd]");
  }

  override get seekable(): boolean {
    return false;
  }

  /** Dequeues one signal of `t` in the mask, or null. */
  take(t: Task): SigInfo | null {
    const blocked = ~this.mask & ((1n << 64n) - 1n);
    return t.pending.dequeue(blocked) ?? t.tg.pending.dequeue(blocked);
  }

  pendingFor(t: Task): boolean {
    return ((t.pending.mask | t.tg.pending.mask) & this.mask) !== 0n;
  }

  override readiness(mask: number): number {
    // Kernel.current is the task polling (signalfd's poll is relative to the caller).
    const t = currentTask;
    return t && this.pendingFor(t) ? mask & (POLLIN | POLLRDNORM) : 0;
  }

  /**
   * Signals are queued without notifying signalfds, so a blocked reader
   * re-checks every 10 ms (host timer) — the one polling wait in tsvisor's
   * file objects.
   */
  override waitable(): Waitable {
    const q = this.queue;
    return {
      subscribe: (w: Waiter) => q.subscribe(w),
      unsubscribe: (w: Waiter) => q.unsubscribe(w),
      hostReady: () =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            q.notifyAll();
            resolve();
          }, 10),
        ),
    };
  }

  private readonly queue = new WaitQueue();
}

/** The task whose signalfd syscall is running (readiness has no task argument). */
let currentTask: Task | null = null;

function encodeSsi(dv: DataView, off: number, info: SigInfo): void {
  encodeSignalfdSiginfo(dv, off, {
    ssi_signo: info.signo,
    ssi_errno: info.errno,
    ssi_code: info.code,
    ssi_pid: info.pid,
    ssi_uid: info.uid,
    ssi_fd: 0,
    ssi_tid: info.timerId,
    ssi_band: 0,
    ssi_overrun: info.overrun,
    ssi_trapno: 0,
    ssi_status: info.status,
    ssi_int: Number(BigInt.asIntN(32, BigInt(info.value))),
    ssi_ptr: BigInt(info.value),
    ssi_utime: 0,
    ssi_stime: 0,
    ssi_addr: info.addr,
    ssi_addr_lsb: 0,
    ssi_syscall: 0,
    ssi_call_addr: 0,
    ssi_arch: 0,
  });
}

/**
 * read(2) of a signalfd: "EINVAL The size of the buffer ... is less than
 * sizeof(struct signalfd_siginfo)"; as many siginfos as fit; EAGAIN (or a
 * wait) when none of the mask's signals is pending.
 */
function signalfdRead(t: Task, f: SignalFdFile, addr: number, count: number): number | Block {
  if (count < SIGNALFD_SIGINFO_SIZE) return -EINVAL;
  const max = Math.min(Math.floor(count / SIGNALFD_SIGINFO_SIZE), 64);
  const b = new Uint8Array(max * SIGNALFD_SIGINFO_SIZE);
  const dv = new DataView(b.buffer);
  let n = 0;
  while (n < max) {
    const info = f.take(t);
    if (!info) break;
    encodeSsi(dv, n * SIGNALFD_SIGINFO_SIZE, info);
    n++;
  }
  if (n === 0) {
    if (f.flags & O_NONBLOCK) return -EAGAIN;
    return block(f.waitable(), {
      resume: (t2, why) => (why === "woken" ? signalfdRead(t2, f, addr, count) : -ERESTARTSYS),
    });
  }
  const out = b.subarray(0, n * SIGNALFD_SIGINFO_SIZE);
  return mem(t).copyOut(addr, out) < 0 ? -EFAULT : out.length;
}

/**
 * The read(2) hook for signalfds: sys-file's read calls it for a
 * SignalFdFile (its read needs the calling task).
 */
export function readSignalfd(
  t: Task,
  f: FileDescription,
  addr: number,
  count: number,
): number | Block | null {
  if (!(f instanceof SignalFdFile)) return null;
  return signalfdRead(t, f, addr, count);
}

/** Makes `t` the task signalfd readiness is computed for (poll/epoll/select). */
export function setSignalfdCaller(t: Task | null): void {
  currentTask = t;
}

/**
 * signalfd(2)/signalfd4(2): "EINVAL ... fd is not a valid signalfd file
 * descriptor"; "EINVAL flags is invalid" (or sizemask is not 8).
 */
function signalfd(t: Task, fd: number, maskAddr: number, size: number, flags: number): number {
  if (flags & ~(SFD_CLOEXEC | SFD_NONBLOCK)) return -EINVAL;
  if (size !== 8) return -EINVAL;
  const b = new Uint8Array(8);
  if (mem(t).copyIn(maskAddr, b) < 0) return -EFAULT;
  const mask = new DataView(b.buffer).getBigUint64(0, true) & ~UNREADABLE;
  if (fd !== -1) {
    const f = fdTable(t).get(fd);
    if (!f) return -EBADF;
    if (!(f instanceof SignalFdFile)) return -EINVAL;
    f.mask = mask;
    return fd;
  }
  const f = new SignalFdFile(mask, flags & SFD_NONBLOCK ? O_NONBLOCK : 0);
  return fdTable(t).install(f, (flags & SFD_CLOEXEC) !== 0);
}

export const sysSignalfd: SyscallFn = (t, a) => signalfd(t, a.int(0), a.ptr(1), a.u64(2), 0);
export const sysSignalfd4: SyscallFn = (t, a) =>
  signalfd(t, a.int(0), a.ptr(1), a.u64(2), a.int(3));

export const eventfdSyscalls: readonly SyscallEntry[] = [
  partial(
    SYS_signalfd,
    "signalfd",
    sysSignalfd,
    "A blocked reader polls every 10 ms; ssi_utime/ssi_stime/ssi_trapno are 0.",
  ),
  partial(SYS_signalfd4, "signalfd4", sysSignalfd4, "As signalfd."),
  supported(SYS_eventfd, "eventfd", sysEventfd),
  supported(SYS_eventfd2, "eventfd2", sysEventfd2),
  partial(
    SYS_timerfd_create,
    "timerfd_create",
    sysTimerfdCreate,
    "The *_ALARM and BOOTTIME clocks behave as REALTIME and MONOTONIC; TFD_TIMER_CANCEL_ON_SET never cancels.",
  ),
  partial(SYS_timerfd_settime, "timerfd_settime", sysTimerfdSettime, "As timerfd_create."),
  supported(SYS_timerfd_gettime, "timerfd_gettime", sysTimerfdGettime),
];
