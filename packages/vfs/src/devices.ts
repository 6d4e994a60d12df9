/**
 * Character devices, /dev, and host stdio passthrough.
 *
 * Opening a character-device inode looks its st_rdev up in the mount
 * namespace's {@link DeviceRegistry}, as Linux's chrdev_open does; so
 * `mknod` in a tmpfs makes working device nodes too.
 *
 * Inspired by gVisor's pkg/sentry/devices/memdev and fsimpl/devtmpfs.
 */

import * as fs from "node:fs";
import { randomFillSync } from "node:crypto";
import { isatty } from "node:tty";
import { FileDescription } from "./file.js";
import { type FsCreds, makedev, ROOT_CREDS } from "./inode.js";
import {
  EAGAIN,
  EIO,
  EINVAL,
  ENOSPC,
  ENXIO,
  ESPIPE,
  O_ACCMODE,
  O_APPEND,
  O_TRUNC,
  POLLIN,
  POLLOUT,
  POLLRDNORM,
  POLLWRNORM,
  S_IFCHR,
  S_IFDIR,
  S_IFLNK,
} from "./linux.js";
import type { Location } from "./mount.js";
import { hostErrno } from "./hostfs.js";
import { TmpFs } from "./tmpfs.js";
import { WaitQueue, type Waitable } from "./waiter.js";

/** Opens a device: returns its file description or a negative errno. */
export type DeviceOpener = (
  flags: number,
  location: Location,
  path: string,
) => FileDescription | number;

/** Device numbers of the devices tsvisor provides (Documentation/admin-guide/devices.txt). */
export const DEV_NULL = makedev(1, 3);
export const DEV_ZERO = makedev(1, 5);
export const DEV_FULL = makedev(1, 7);
export const DEV_RANDOM = makedev(1, 8);
export const DEV_URANDOM = makedev(1, 9);
export const DEV_TTY = makedev(5, 0);

/**
 * Maps st_rdev to a driver. A node without a driver opens with ENXIO, as
 * Linux's chrdev_open: "ENXIO: pathname refers to a device special file
 * and no corresponding device exists" (open(2)).
 */
export class DeviceRegistry {
  private readonly drivers = new Map<number, DeviceOpener>();
  /** Opens a named pipe (FIFO) inode; set by the kernel, which owns pipes. Null → ENXIO. */
  fifoOpener: DeviceOpener | null = null;

  /**
   * A registry with null, zero, full, random and urandom, and /dev/tty:
   * with `hostTty`, opening it opens the Sentry's own controlling terminal
   * (a passthrough, like the stdio files); otherwise ENXIO, as for a
   * process without a controlling terminal.
   */
  static withDefaults(opts: { hostTty?: boolean } = {}): DeviceRegistry {
    const r = new DeviceRegistry();
    r.register(DEV_NULL, (f, l, p) => new NullFile(f, l, p));
    r.register(DEV_ZERO, (f, l, p) => new ZeroFile(f, l, p));
    r.register(DEV_FULL, (f, l, p) => new FullFile(f, l, p));
    r.register(DEV_RANDOM, (f, l, p) => new RandomFile(f, l, p));
    r.register(DEV_URANDOM, (f, l, p) => new RandomFile(f, l, p));
    // tty(4): /dev/tty is the process's controlling terminal; without one, ENXIO.
    r.register(DEV_TTY, opts.hostTty ? openHostTty : () => -ENXIO);
    return r;
  }

  register(rdev: number, open: DeviceOpener): void {
    this.drivers.set(rdev, open);
  }

  open(rdev: number, flags: number, location: Location, path: string): FileDescription | number {
    const d = this.drivers.get(rdev);
    if (!d) return -ENXIO;
    return d(flags, location, path);
  }
}

/** Opens the Sentry's controlling terminal for /dev/tty; ENXIO when it has none. */
function openHostTty(flags: number, _location: Location, path: string): FileDescription | number {
  let fd: number;
  try {
    fd = fs.openSync("/dev/tty", (flags & 3) | fs.constants.O_NOCTTY);
  } catch (e) {
    const n = hostErrno(e);
    return n === -EIO ? -ENXIO : n;
  }
  return new HostFdFile(fd, flags, path, true);
}

/** Memory devices are seekable but have no size: lseek always lands on 0 (null_lseek). */
abstract class MemDevFile extends FileDescription {
  protected override doSeek(): number {
    this.offset = 0;
    return 0;
  }
}

/** A memory device whose write(2) ignores the buffer (write_null, write_full). */
abstract class DiscardingDevFile extends MemDevFile {
  override get writeIgnoresData(): boolean {
    return true;
  }
}

/** /dev/null: reads see EOF, writes vanish. */
export class NullFile extends DiscardingDevFile {
  protected override doRead(): number {
    return 0;
  }
  protected override doWrite(src: Uint8Array): number {
    return src.length;
  }
}

/** /dev/zero: reads zeros, writes vanish. */
export class ZeroFile extends DiscardingDevFile {
  protected override doRead(dst: Uint8Array): number {
    dst.fill(0);
    return dst.length;
  }
  protected override doWrite(src: Uint8Array): number {
    return src.length;
  }
}

/** /dev/full: reads zeros; null(4): "Writes to /dev/full fail with an ENOSPC error." */
export class FullFile extends DiscardingDevFile {
  protected override doRead(dst: Uint8Array): number {
    dst.fill(0);
    return dst.length;
  }
  protected override doWrite(): number {
    return -ENOSPC;
  }
}

/** /dev/random and /dev/urandom (never block: the host CSPRNG is seeded). */
export class RandomFile extends MemDevFile {
  protected override doRead(dst: Uint8Array): number {
    randomFillSync(dst);
    return dst.length;
  }
  protected override doWrite(src: Uint8Array): number {
    return src.length;
  }
}

/** Kernel `struct termios` size (asm-generic/termbits.h: 4 flags, c_line, 19 c_cc). */
export const KERNEL_TERMIOS_SIZE = 36;

/** A typical cooked terminal: `stty sane` on Linux. */
function defaultTermios(): Uint8Array {
  const b = new Uint8Array(KERNEL_TERMIOS_SIZE);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, 0x500, true); // ICRNL|IXON
  dv.setUint32(4, 0x5, true); // OPOST|ONLCR
  dv.setUint32(8, 0xbf, true); // B38400|CS8|CREAD
  dv.setUint32(12, 0x8a3b, true); // ISIG|ICANON|ECHO|ECHOE|ECHOK|ECHOCTL|ECHOKE|IEXTEN
  b.set([3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f, 0x17, 0x16, 0], 17);
  return b;
}

const TCGETS = 0x5401;
const TCSETS = 0x5402;
const TCSETSW = 0x5403;
const TCSETSF = 0x5404;
const TIOCGWINSZ = 0x5413;
const FIONREAD = 0x541b;

/**
 * A file description wrapping a host fd: the sandbox's stdin, stdout and
 * stderr.
 *
 * Reads never block the Sentry. Regular files are read synchronously (they
 * never block). A pipe or terminal is reopened once through
 * /proc/self/fd/N with O_NONBLOCK — a new open file description of the
 * same pipe or terminal, so the host fd's own flags (shared with the
 * parent shell) stay untouched — and read without blocking: data is
 * returned at once, or -EAGAIN while `waitable().hostReady` polls the fd
 * on an unref'd timer (10 ms), so a program that exits while waiting for
 * input never keeps the Sentry's event loop alive. Where the reopen fails
 * (a socket), one asynchronous thread-pool read is used instead.
 *
 * Limitations: lseek is ESPIPE (node:fs has no lseek); terminal attributes
 * are emulated (TCGETS returns a cooked terminal; TCSETS* are remembered,
 * not applied to the host).
 */
export class HostFdFile extends FileDescription {
  readonly isTty: boolean;
  private readonly isRegular: boolean;
  private buffered: Uint8Array | null = null;
  private eof = false;
  private readError = 0;
  private pending: Promise<void> | null = null;
  /** The non-blocking reopened fd; -1 not tried yet, -2 unavailable (use thread-pool reads). */
  private nbFd = -1;
  private readonly queue = new WaitQueue();
  private termios: Uint8Array | null = null;

  /**
   * Preconditions: `hostFd` is open on the host and stays open while this
   * description lives (it is not closed on release: the embedder owns it).
   */
  constructor(
    readonly hostFd: number,
    flags: number,
    path = `host:fd${hostFd}`,
    /** Close `hostFd` when this description is released (it was opened for it). */
    private readonly ownsFd = false,
  ) {
    super(flags, null, path);
    let st: fs.Stats | null = null;
    try {
      st = fs.fstatSync(hostFd);
    } catch {
      st = null;
    }
    this.isRegular = st?.isFile() ?? false;
    this.isTty = st?.isCharacterDevice() ? isatty(hostFd) : false;
  }

  override get seekable(): boolean {
    return false;
  }

  override lseek(_offset: number, _whence: number): number {
    return -ESPIPE;
  }

  /**
   * An open of /proc/PID/fd/N (/dev/stdin...) naming this host stream: the
   * host reopens its own /proc/self/fd link with the new access mode, so
   * the result is what Linux gives (a new description of the same file, a
   * pipe's other end, or the host's errno). open(2): "ENXIO ... the file is
   * a UNIX domain socket". A host FIFO is opened O_NONBLOCK so the Sentry
   * never blocks in open (fifo(7): a write-only open fails with ENXIO
   * without a reader); reads poll and writes retry anyway.
   */
  override reopen(flags: number): FileDescription | number {
    let st: fs.Stats;
    try {
      st = fs.fstatSync(this.hostFd);
    } catch (e) {
      return hostErrno(e);
    }
    if (st.isSocket()) return -ENXIO;
    const c = fs.constants;
    const hostFlags =
      (flags & O_ACCMODE) |
      c.O_NOCTTY |
      (flags & O_APPEND ? c.O_APPEND : 0) |
      (flags & O_TRUNC && st.isFile() ? c.O_TRUNC : 0) |
      (st.isFIFO() ? c.O_NONBLOCK : 0);
    let fd: number;
    try {
      fd = fs.openSync(`/proc/self/fd/${this.hostFd}`, hostFlags);
    } catch (e) {
      return hostErrno(e);
    }
    return new HostFdFile(fd, flags & ~O_TRUNC, this.path, true);
  }

  protected override release(): void {
    if (this.nbFd >= 0) {
      const nb = this.nbFd;
      this.nbFd = -2;
      try {
        fs.closeSync(nb);
      } catch {
        // Ours, and already gone: nothing to report.
      }
    }
    if (!this.ownsFd) return;
    const close = () => {
      try {
        fs.closeSync(this.hostFd);
      } catch {
        // Already closed: nothing the program could observe.
      }
    };
    // A pending host read still uses the fd: close once it finishes.
    if (this.pending) void this.pending.then(close);
    else close();
  }

  override stat(): ReturnType<FileDescription["stat"]> {
    try {
      const s = fs.fstatSync(this.hostFd, { bigint: true });
      const t = (ns: bigint) => ({
        sec: Number(ns / 1_000_000_000n),
        nsec: Number(ns % 1_000_000_000n),
      });
      return {
        dev: Number(s.dev),
        ino: Number(s.ino),
        mode: Number(s.mode),
        nlink: Number(s.nlink),
        uid: Number(s.uid),
        gid: Number(s.gid),
        rdev: Number(s.rdev),
        size: Number(s.size),
        blksize: Number(s.blksize),
        blocks: Number(s.blocks),
        atime: t(s.atimeNs),
        mtime: t(s.mtimeNs),
        ctime: t(s.ctimeNs),
      };
    } catch (e) {
      return hostErrno(e);
    }
  }

  override read(dst: Uint8Array): number {
    if (!this.readable) return -9; // EBADF
    if (dst.length === 0) return 0;
    if (this.buffered) {
      const n = Math.min(dst.length, this.buffered.length);
      dst.set(this.buffered.subarray(0, n));
      this.buffered = n === this.buffered.length ? null : this.buffered.subarray(n);
      return n;
    }
    if (this.readError) {
      const e = this.readError;
      this.readError = 0;
      return e;
    }
    if (this.eof) {
      // A terminal's EOF (^D) is one-shot; a pipe's is final.
      if (this.isTty) this.eof = false;
      return 0;
    }
    if (this.isRegular) {
      try {
        return fs.readSync(this.hostFd, dst, 0, dst.length, null);
      } catch (e) {
        return hostErrno(e);
      }
    }
    if (this.nonblockingFd() >= 0) {
      const n = this.readNonblocking(dst);
      if (n !== -EAGAIN) return n;
      this.startPolling();
      return -EAGAIN;
    }
    this.startHostRead(Math.max(dst.length, 4096));
    return -EAGAIN;
  }

  /** The reopened O_NONBLOCK fd, opening it on first use; negative when unavailable. */
  private nonblockingFd(): number {
    if (this.nbFd === -1) {
      try {
        this.nbFd = fs.openSync(
          `/proc/self/fd/${this.hostFd}`,
          fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY,
        );
      } catch {
        this.nbFd = -2;
      }
    }
    return this.nbFd;
  }

  /** One non-blocking read: bytes, 0 at end of file, -EAGAIN, or an errno. */
  private readNonblocking(dst: Uint8Array): number {
    try {
      return fs.readSync(this.nbFd, dst, 0, dst.length, null);
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === "EAGAIN" ? -EAGAIN : hostErrno(e);
    }
  }

  /**
   * Polls the non-blocking fd every 10 ms (an unref'd timer) until input,
   * end of file or an error arrives; then buffers it and wakes waiters.
   */
  private startPolling(): void {
    if (this.pending) return;
    this.pending = new Promise<void>((resolve) => {
      const tick = () => {
        const buf = new Uint8Array(1 << 16);
        const n = this.readNonblocking(buf);
        if (n === -EAGAIN) {
          setTimeout(tick, 10).unref();
          return;
        }
        if (n === 0) this.eof = true;
        else if (n < 0) this.readError = n;
        else this.buffered = buf.subarray(0, n);
        this.pending = null;
        this.queue.notifyAll();
        resolve();
      };
      setTimeout(tick, 10).unref();
    });
  }

  private startHostRead(size: number): void {
    if (this.pending) return;
    const buf = new Uint8Array(Math.min(size, 1 << 16));
    this.pending = new Promise<void>((resolve) => {
      fs.read(this.hostFd, buf, 0, buf.length, null, (err, n) => {
        if (err) {
          // EAGAIN on a host fd someone made non-blocking: retry later.
          if ((err as NodeJS.ErrnoException).code === "EAGAIN") {
            setTimeout(() => {
              this.pending = null;
              this.queue.notifyAll();
              resolve();
            }, 10).unref();
            return;
          }
          this.readError = hostErrno(err);
        } else if (n === 0) this.eof = true;
        else this.buffered = buf.subarray(0, n);
        this.pending = null;
        this.queue.notifyAll();
        resolve();
      });
    });
  }

  override write(src: Uint8Array): number {
    if (!this.writable) return -9; // EBADF
    let done = 0;
    while (done < src.length) {
      try {
        done += fs.writeSync(this.hostFd, src, done, src.length - done);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EAGAIN") continue;
        return done > 0 ? done : hostErrno(e);
      }
    }
    return done;
  }

  override pread(_dst: Uint8Array, _offset: number): number {
    return -ESPIPE;
  }

  override pwrite(_src: Uint8Array, _offset: number): number {
    return -ESPIPE;
  }

  override readiness(mask: number): number {
    if (
      mask & (POLLIN | POLLRDNORM) &&
      this.readable &&
      !this.isRegular &&
      !this.buffered &&
      !this.eof &&
      !this.readError
    ) {
      // Look for input now: whatever a non-blocking read finds is buffered for the next read.
      if (this.nonblockingFd() >= 0) {
        const buf = new Uint8Array(1 << 16);
        const n = this.readNonblocking(buf);
        if (n === 0) this.eof = true;
        else if (n > 0) this.buffered = buf.subarray(0, n);
        else if (n !== -EAGAIN) this.readError = n;
        else this.startPolling();
      } else this.startHostRead(4096);
    }
    let r = POLLOUT | POLLWRNORM;
    if (this.buffered || this.eof || this.readError || this.isRegular) r |= POLLIN | POLLRDNORM;
    return r & mask;
  }

  override waitable(): Waitable {
    const q = this.queue;
    return {
      subscribe: (w) => q.subscribe(w),
      unsubscribe: (w) => q.unsubscribe(w),
      hostReady: () => this.pending ?? Promise.resolve(),
    };
  }

  override ioctl(cmd: number): number | Uint8Array | undefined {
    if (cmd === FIONREAD) {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, this.buffered?.length ?? 0, true);
      return b;
    }
    if (!this.isTty) return undefined; // ENOTTY
    switch (cmd) {
      case TCGETS:
        return (this.termios ?? defaultTermios()).slice();
      case TCSETS:
      case TCSETSW:
      case TCSETSF:
        return 0; // the kernel copies the new termios in and calls setTermios
      case TIOCGWINSZ: {
        const b = new Uint8Array(8);
        const dv = new DataView(b.buffer);
        const ws = hostWindowSize(this.hostFd);
        dv.setUint16(0, ws[1], true); // ws_row
        dv.setUint16(2, ws[0], true); // ws_col
        return b;
      }
      default:
        return -EINVAL;
    }
  }

  /** Remembers the termios a TCSETS* set (36 bytes, kernel layout). */
  setTermios(t: Uint8Array): void {
    this.termios = t.slice(0, KERNEL_TERMIOS_SIZE);
  }
}

function hostWindowSize(fd: number): [number, number] {
  const s = fd === 1 ? process.stdout : fd === 2 ? process.stderr : null;
  if (s && "getWindowSize" in s && s.isTTY) {
    try {
      return (s as unknown as { getWindowSize(): [number, number] }).getWindowSize();
    } catch {
      // fall through
    }
  }
  return [Number(process.env.COLUMNS) || 80, Number(process.env.LINES) || 24];
}

/**
 * Creates the sandbox's /dev: a tmpfs with the memory devices, tty, the
 * /proc/self/fd links, and empty pts/ and shm/ directories.
 */
export function makeDevFs(creds: FsCreds = ROOT_CREDS): TmpFs {
  const dev = new TmpFs({ mode: 0o755 });
  const root = dev.root;
  const nodes: [string, number][] = [
    ["null", DEV_NULL],
    ["zero", DEV_ZERO],
    ["full", DEV_FULL],
    ["random", DEV_RANDOM],
    ["urandom", DEV_URANDOM],
    ["tty", DEV_TTY],
  ];
  for (const [name, rdev] of nodes) root.createChild(name, S_IFCHR | 0o666, creds, { rdev });
  const links: [string, string][] = [
    ["fd", "/proc/self/fd"],
    ["stdin", "/proc/self/fd/0"],
    ["stdout", "/proc/self/fd/1"],
    ["stderr", "/proc/self/fd/2"],
  ];
  for (const [name, target] of links) root.createChild(name, S_IFLNK | 0o777, creds, { target });
  root.createChild("pts", S_IFDIR | 0o755, creds, {});
  root.createChild("shm", S_IFDIR | 0o1777, creds, {});
  return dev;
}
