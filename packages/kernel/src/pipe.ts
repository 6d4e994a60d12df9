/**
 * Pipes (pipe(7)).
 *
 * A {@link Pipe} is a bounded byte queue with a read end and a write end,
 * each an open file description. Semantics follow pipe(7):
 * - capacity 65536 bytes by default (F_GETPIPE_SZ / F_SETPIPE_SZ);
 * - "POSIX.1 says that writes of less than PIPE_BUF bytes must be atomic":
 *   a write of at most PIPE_BUF (4096) bytes goes in whole or not at all;
 *   a larger one may be split;
 * - reading an empty pipe whose write ends are all closed sees end of file;
 * - "If all file descriptors referring to the read end of a pipe have been
 *   closed, then a write(2) will cause a SIGPIPE signal to be generated for
 *   the calling process" and the write fails with EPIPE (the syscall layer
 *   sends the signal);
 * - an operation that cannot proceed returns -EAGAIN; the syscall layer
 *   either returns it (O_NONBLOCK) or blocks the task on `queue`.
 *
 * Inspired by gVisor's pkg/sentry/kernel/pipe and Linux's fs/pipe.c.
 */
import {
  EAGAIN,
  EBADF,
  EBUSY,
  EINVAL,
  ENOMEM,
  ENXIO,
  EPIPE,
  O_ACCMODE,
  O_NONBLOCK,
  O_RDONLY,
  O_TRUNC,
  O_WRONLY,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLOUT,
  POLLRDNORM,
  POLLWRNORM,
  S_IFIFO,
} from "@tsvisor/abi";
import {
  blankStat,
  FileDescription,
  type Inode,
  type Location,
  makedev,
  now,
  type StatData,
  type Waitable,
  WaitQueue,
} from "@tsvisor/vfs";

/** PIPE_BUF from <linux/limits.h>: writes up to this size are atomic. */
export const PIPE_BUF = 4096;
/** The default capacity of a pipe (16 pages). */
export const DEFAULT_PIPE_SIZE = 65536;
/** /proc/sys/fs/pipe-max-size default: F_SETPIPE_SZ's ceiling for unprivileged callers. */
export const PIPE_MAX_SIZE = 1048576;

/** st_dev of every pipe (Linux's pipefs is an anonymous device too). */
const PIPEFS_DEV = makedev(0, 14);
let nextPipeIno = 1;

/**
 * The shared state of one pipe.
 *
 * Invariants: 0 <= `length` <= `capacity`; the queued bytes are
 * `buf[head .. head+length)` modulo `buf.length`; `readers`/`writers`
 * count open descriptions of each end. Owned by the Sentry thread.
 */
export class Pipe {
  private buf: Uint8Array;
  private head = 0;
  private length = 0;
  readers = 0;
  writers = 0;
  /** Opens of each end so far (a FIFO opener waiting for a peer watches these change). */
  readerOpens = 0;
  writerOpens = 0;
  /** Woken on every state change (data, space, an end closing). */
  readonly queue = new WaitQueue();
  readonly ino = nextPipeIno++;
  readonly created = now();

  constructor(
    readonly uid = 0,
    readonly gid = 0,
  ) {
    this.buf = new Uint8Array(DEFAULT_PIPE_SIZE);
  }

  /** Bytes queued (FIONREAD). */
  get size(): number {
    return this.length;
  }

  /** Capacity in bytes (F_GETPIPE_SZ). */
  get capacity(): number {
    return this.buf.length;
  }

  /**
   * Reads up to `dst.length` bytes; 0 at end of file (no writers), -EAGAIN
   * when empty with writers left.
   */
  read(dst: Uint8Array): number {
    if (this.length === 0) return this.writers === 0 ? 0 : -EAGAIN;
    const n = Math.min(dst.length, this.length);
    const cap = this.buf.length;
    const first = Math.min(n, cap - this.head);
    dst.set(this.buf.subarray(this.head, this.head + first), 0);
    if (first < n) dst.set(this.buf.subarray(0, n - first), first);
    this.head = (this.head + n) % cap;
    this.length -= n;
    if (this.length === 0) this.head = 0;
    if (n > 0) this.queue.notifyAll();
    return n;
  }

  /** Puts `src` back at the front (a read whose copy-out faulted). */
  unread(src: Uint8Array): void {
    const cap = this.buf.length;
    const n = Math.min(src.length, cap - this.length);
    this.head = (this.head - n + cap) % cap;
    const first = Math.min(n, cap - this.head);
    this.buf.set(src.subarray(0, first), this.head);
    if (first < n) this.buf.set(src.subarray(first, n), 0);
    this.length += n;
  }

  /**
   * Writes `src`: all of it if it fits; with more than PIPE_BUF bytes, as
   * much as fits. -EPIPE without readers; -EAGAIN when nothing may be
   * written now.
   */
  write(src: Uint8Array): number {
    if (this.readers === 0) return -EPIPE;
    if (src.length === 0) return 0;
    const free = this.buf.length - this.length;
    if (src.length <= PIPE_BUF ? free < src.length : free === 0) return -EAGAIN;
    const n = Math.min(src.length, free);
    const cap = this.buf.length;
    const tail = (this.head + this.length) % cap;
    const first = Math.min(n, cap - tail);
    this.buf.set(src.subarray(0, first), tail);
    if (first < n) this.buf.set(src.subarray(first, n), 0);
    this.length += n;
    this.queue.notifyAll();
    return n;
  }

  /**
   * F_SETPIPE_SZ: fcntl(2) "EBUSY: ... attempted to reduce the pipe
   * capacity below the amount of buffer space currently used". The size is
   * rounded up to a power-of-two number of pages.
   */
  setCapacity(size: number, privileged: boolean): number {
    if (size < 0) return -EINVAL;
    let cap = 4096;
    while (cap < size) cap *= 2;
    if (cap > PIPE_MAX_SIZE && !privileged) return -1; // EPERM, mapped by the caller
    if (cap > 2 ** 31) return -EINVAL;
    // Buffers are allocated eagerly here; refuse what Linux would only reserve.
    if (cap > PIPE_MAX_SIZE * 16) return -ENOMEM;
    if (cap < this.length) return -EBUSY;
    const nb = new Uint8Array(cap);
    const tmp = new Uint8Array(this.length);
    const saved = this.length;
    this.read(tmp);
    nb.set(tmp);
    this.buf = nb;
    this.head = 0;
    this.length = saved;
    this.queue.notifyAll();
    return cap;
  }

  /** Free space (for POLLOUT). */
  get free(): number {
    return this.buf.length - this.length;
  }
}

/**
 * One end of a pipe (or an opened FIFO).
 *
 * Invariants: the end's count in `pipe` (readers or writers) includes this
 * description until `release`.
 */
export class PipeFile extends FileDescription {
  constructor(
    readonly pipe: Pipe,
    flags: number,
    location: Location | null = null,
    path = `pipe:[${pipe.ino}]`,
  ) {
    super(flags, location, path);
    if (this.isReadEnd) {
      pipe.readers++;
      pipe.readerOpens++;
    }
    if (this.isWriteEnd) {
      pipe.writers++;
      pipe.writerOpens++;
    }
    if (location) pipe.queue.notifyAll();
  }

  get isReadEnd(): boolean {
    return (this.flags & O_ACCMODE) !== O_WRONLY;
  }

  get isWriteEnd(): boolean {
    return (this.flags & O_ACCMODE) !== O_RDONLY;
  }

  protected override release(): void {
    if (this.isReadEnd) this.pipe.readers--;
    if (this.isWriteEnd) this.pipe.writers--;
    this.pipe.queue.notifyAll();
    super.release();
  }

  override get seekable(): boolean {
    return false;
  }

  /**
   * An open of /proc/PID/fd/N (or /dev/fd/N) naming this end: a new open
   * file description on the same pipe, its end chosen by the new access
   * mode (O_RDONLY a read end, O_WRONLY a write end, O_RDWR both), so the
   * reader and writer counts — and with them EOF and EPIPE — include it.
   * Linux opens a pipe's inode with fifo_open(), which for pipefs (unlike a
   * named FIFO, fifo(7)) neither waits for a peer nor fails a non-blocking
   * write-only open with ENXIO.
   */
  override reopen(flags: number): PipeFile | number {
    return new PipeFile(this.pipe, flags & ~O_TRUNC, null, `pipe:[${this.pipe.ino}]`);
  }

  override read(dst: Uint8Array): number {
    if (!this.readable) return -EBADF;
    if (dst.length === 0) return 0;
    return this.pipe.read(dst);
  }

  override write(src: Uint8Array): number {
    if (!this.writable) return -EBADF;
    return this.pipe.write(src);
  }

  override stat(): StatData {
    if (this.location) return this.location.inode.stat(); // a FIFO: its inode
    const p = this.pipe;
    return blankStat({
      dev: PIPEFS_DEV,
      ino: p.ino,
      mode: S_IFIFO | 0o600,
      uid: p.uid,
      gid: p.gid,
      time: p.created,
    });
  }

  /** pipe_poll(): readable with data or at EOF (POLLHUP); writable with room; POLLERR without readers. */
  override readiness(mask: number): number {
    let r = 0;
    const p = this.pipe;
    if (this.isReadEnd) {
      if (p.size > 0) r |= POLLIN | POLLRDNORM;
      if (p.writers === 0) r |= POLLHUP;
    }
    if (this.isWriteEnd) {
      if (p.free >= PIPE_BUF) r |= POLLOUT | POLLWRNORM;
      if (p.readers === 0) r |= POLLERR;
    }
    return r & (mask | POLLHUP | POLLERR);
  }

  override waitable(): Waitable {
    return this.pipe.queue;
  }

  override ioctl(cmd: number, _arg: number): number | Uint8Array | undefined {
    if (cmd === 0x541b /* FIONREAD */) {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, this.pipe.size, true);
      return b;
    }
    return undefined;
  }

  /** Whether a blocked operation should block (blocking mode) rather than return EAGAIN. */
  get nonblocking(): boolean {
    return (this.flags & O_NONBLOCK) !== 0;
  }
}

/** pipe2(2): a new pipe's read and write ends with `flags` (O_NONBLOCK; O_CLOEXEC is per fd). */
export function newPipe(flags: number, uid = 0, gid = 0): [PipeFile, PipeFile] {
  const p = new Pipe(uid, gid);
  const status = flags & O_NONBLOCK;
  return [new PipeFile(p, O_RDONLY | status), new PipeFile(p, O_WRONLY | status)];
}

const fifoPipes = new WeakMap<Inode, Pipe>();

/**
 * Opens a FIFO (named pipe) inode: every open of one FIFO shares one Pipe
 * while any end is open. fifo(7): "opening for write-only ... O_NONBLOCK
 * ... fails with ENXIO unless the other end has already been opened."
 * Blocking opens that need a peer are finished by {@link fifoOpenWait}.
 */
export function openFifo(flags: number, location: Location, path: string): PipeFile | number {
  let p = fifoPipes.get(location.inode);
  if (!p || (p.readers === 0 && p.writers === 0)) {
    const st = location.inode.attrs();
    p = new Pipe(st.uid, st.gid);
    fifoPipes.set(location.inode, p);
  }
  const acc = flags & O_ACCMODE;
  if (acc === O_WRONLY && flags & O_NONBLOCK && p.readers === 0) return -ENXIO;
  return new PipeFile(p, flags, location, path);
}

/**
 * Whether a just-opened FIFO end must still wait for its peer (fifo(7):
 * "Normally, opening the FIFO blocks until the other end is opened
 * also"). Returns a predicate that is true once the wait is over, or null
 * when no wait is needed (O_RDWR, O_NONBLOCK, or the peer is there).
 */
export function fifoOpenWait(f: PipeFile): (() => boolean) | null {
  if (!f.location || f.flags & O_NONBLOCK) return null;
  const p = f.pipe;
  const acc = f.flags & O_ACCMODE;
  if (acc === O_RDONLY && p.writers === 0) {
    const seen = p.writerOpens;
    return () => p.writers > 0 || p.writerOpens !== seen;
  }
  if (acc === O_WRONLY && p.readers === 0) {
    const seen = p.readerOpens;
    return () => p.readers > 0 || p.readerOpens !== seen;
  }
  return null;
}
