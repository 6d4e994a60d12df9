/**
 * AF_UNIX sockets: socketpair, bind (file-system and abstract names),
 * listen/connect/accept for SOCK_STREAM and SOCK_SEQPACKET, connected and
 * addressed SOCK_DGRAM, shutdown, MSG_PEEK/MSG_TRUNC, and SCM_RIGHTS file
 * passing. Data lives in the receiving socket's queue of messages.
 *
 * Inspired by gVisor's pkg/sentry/socket/unix and Linux's net/unix/af_unix.c.
 */
import {
  EAGAIN,
  ECONNREFUSED,
  EINVAL,
  ENOTCONN,
  EPIPE,
  POLLHUP,
  POLLIN,
  POLLOUT,
  POLLRDHUP,
  POLLRDNORM,
  POLLWRNORM,
  SOCK_DGRAM,
  SOCK_SEQPACKET,
  SOCK_STREAM,
} from "@tsvisor/abi";
import { blankStat, FileDescription, type StatData, type Waitable, WaitQueue } from "@tsvisor/vfs";

/** One queued message (a stream write keeps its boundary only for SCM_RIGHTS). */
export interface UnixMessage {
  data: Uint8Array;
  /** Files passed with SCM_RIGHTS (one reference each, owned by the message). */
  rights: FileDescription[];
  /** The sender's bound name, for recvfrom on datagram sockets. */
  from: string | null;
}

/** Bytes a socket may hold unread before writers block (net.core.wmem_default-like). */
export const UNIX_BUFFER = 212992;

/** Per-sandbox registry of bound AF_UNIX names. */
export class UnixNamespace {
  /** Abstract names (sun_path starting with NUL), by name. */
  readonly abstract = new Map<string, UnixSocket>();
  /** File-system names, by the socket inode the bind created. */
  readonly byInode = new WeakMap<object, UnixSocket>();
}

let nextIno = 1;

/**
 * An AF_UNIX socket.
 *
 * Invariants: `peer` (when set) points back at this socket for connected
 * stream/seqpacket pairs; `rx` holds what peers sent and this socket has not
 * read; `rxBytes` is the total data length of `rx`.
 */
export class UnixSocket extends FileDescription {
  readonly queue = new WaitQueue();
  rx: UnixMessage[] = [];
  rxBytes = 0;
  peer: UnixSocket | null = null;
  listening = false;
  backlog: UnixSocket[] = [];
  backlogMax = 0;
  /** This end will not send any more (shutdown SHUT_WR, or closed). */
  shutWr = false;
  /** This end will not receive any more (shutdown SHUT_RD). */
  shutRd = false;
  /** The peer closed or shut down its writing side: reads see EOF. */
  peerGone = false;
  /** Bound name ("" unnamed); abstract names start with "\0". */
  name: string | null = null;
  /** Unbinds the name when the socket is released. */
  unbind: (() => void) | null = null;
  closed = false;
  private readonly ino = nextIno++;

  constructor(
    readonly type: number,
    flags: number,
  ) {
    super(2 /* O_RDWR */ | flags, null, "");
    this.path = `socket:[${this.ino}]`;
  }

  get connectionOriented(): boolean {
    return this.type === SOCK_STREAM || this.type === SOCK_SEQPACKET;
  }

  override get seekable(): boolean {
    return false;
  }

  override stat(): StatData | number {
    return blankStat({ dev: 8, ino: this.ino, mode: 0o140777 });
  }

  override readiness(mask: number): number {
    let r = 0;
    if (this.listening) return this.backlog.length > 0 ? mask & (POLLIN | POLLRDNORM) : 0;
    if (this.rx.length > 0 || this.shutRd || (this.connectionOriented && this.peerGone))
      r |= POLLIN | POLLRDNORM;
    if (this.connectionOriented && this.peerGone) r |= POLLRDHUP;
    if (this.connectionOriented && this.peerGone && this.shutWr) r |= POLLHUP;
    const target = this.peer;
    if (
      !this.shutWr &&
      (target === null ? !this.connectionOriented : target.rxBytes < UNIX_BUFFER)
    ) {
      r |= POLLOUT | POLLWRNORM;
    }
    return r & (mask | POLLHUP);
  }

  override waitable(): Waitable | null {
    return this.queue;
  }

  override read(dst: Uint8Array): number {
    return this.recv(dst, 0).n;
  }

  override write(src: Uint8Array): number {
    return this.send(src, [], null);
  }

  /**
   * Queues `data` (with `rights`) for `to` (default: the peer). Returns the
   * bytes accepted, -EAGAIN when the receiver is full, -EPIPE when this end
   * or the peer is shut down, -ENOTCONN/-ECONNREFUSED when there is no peer.
   */
  send(data: Uint8Array, rights: FileDescription[], to: UnixSocket | null): number {
    if (this.shutWr) return -EPIPE;
    let target = to ?? this.peer;
    if (target === null)
      return this.connectionOriented ? (this.peerGone ? -EPIPE : -ENOTCONN) : -ENOTCONN;
    if (target.closed || target.shutRd) {
      if (this.connectionOriented) return -EPIPE;
      return -ECONNREFUSED;
    }
    if (this.type === SOCK_STREAM) {
      const room = UNIX_BUFFER - target.rxBytes;
      if (room <= 0) return -EAGAIN;
      const n = Math.min(room, data.length);
      if (n === 0 && data.length > 0) return -EAGAIN;
      target.rx.push({ data: data.slice(0, n), rights, from: this.name });
      target.rxBytes += n;
      target.queue.notifyAll();
      return n;
    }
    if (target.rxBytes + data.length > UNIX_BUFFER && target.rx.length > 0) return -EAGAIN;
    target.rx.push({ data: data.slice(), rights, from: this.name });
    target.rxBytes += data.length;
    target.queue.notifyAll();
    target = null;
    return data.length;
  }

  /**
   * Takes received data into `dst`: a stream reads across messages (but not
   * past one carrying rights), datagrams one message each (the rest is
   * dropped; `full` is its real length for MSG_TRUNC). -EAGAIN when empty;
   * 0 at end of stream.
   */
  recv(
    dst: Uint8Array,
    flags: number,
  ): { n: number; full: number; rights: FileDescription[]; from: string | null } {
    const peek = (flags & 2) !== 0; // MSG_PEEK
    if (this.rx.length === 0) {
      const eof = this.shutRd || (this.connectionOriented && this.peerGone);
      return { n: eof ? 0 : -EAGAIN, full: 0, rights: [], from: null };
    }
    if (this.type !== SOCK_STREAM) {
      const m = this.rx[0]!;
      const n = Math.min(dst.length, m.data.length);
      dst.set(m.data.subarray(0, n));
      if (!peek) {
        this.rx.shift();
        this.rxBytes -= m.data.length;
        this.peerQueueNotify();
      }
      return { n, full: m.data.length, rights: peek ? [] : m.rights, from: m.from };
    }
    let n = 0;
    let rights: FileDescription[] = [];
    let i = 0;
    let offsetInFirst = 0;
    while (n < dst.length && i < this.rx.length) {
      const m = this.rx[i]!;
      if (n > 0 && m.rights.length > 0) break;
      const take = Math.min(dst.length - n, m.data.length - (i === 0 ? offsetInFirst : 0));
      dst.set(m.data.subarray(0, take), n);
      n += take;
      if (m.rights.length > 0) {
        rights = m.rights;
        if (!peek) m.rights = [];
      }
      if (take < m.data.length) {
        if (!peek) m.data = m.data.subarray(take);
        offsetInFirst = take;
        break;
      }
      i++;
    }
    if (!peek) {
      this.rx.splice(0, i);
      this.rxBytes -= n;
      this.peerQueueNotify();
    }
    return { n, full: n, rights, from: null };
  }

  /** Wakes writers blocked on this socket's full queue. */
  private peerQueueNotify(): void {
    this.peer?.queue.notifyAll();
    this.queue.notifyAll();
  }

  /** shutdown(2). */
  shutdown(how: number): number {
    if (this.connectionOriented && this.peer === null && !this.peerGone) return -ENOTCONN;
    if (how === 0 || how === 2) {
      this.shutRd = true;
      if (this.peer !== null) this.peer.shutWrPeer();
    }
    if (how === 1 || how === 2) {
      this.shutWr = true;
      if (this.peer !== null) {
        this.peer.peerGone = true;
        this.peer.queue.notifyAll();
      }
    }
    this.queue.notifyAll();
    return 0;
  }

  /** The peer shut down its reading side: our writes fail with EPIPE. */
  private shutWrPeer(): void {
    this.shutWr = true;
    this.queue.notifyAll();
  }

  protected override release(): void {
    this.closed = true;
    this.unbind?.();
    const p = this.peer;
    // Connected pairs point at each other; a datagram socket's default
    // destination does not point back.
    if (p !== null && p.peer === this) {
      p.peerGone = true;
      p.peer = null;
      p.queue.notifyAll();
    }
    this.peer = null;
    for (const m of this.rx) for (const f of m.rights) f.decRef();
    this.rx = [];
    for (const s of this.backlog) s.decRef();
    this.backlog = [];
  }
}

/** Connects a fresh pair (socketpair, or an accepted connection). */
export function pair(a: UnixSocket, b: UnixSocket): void {
  a.peer = b;
  b.peer = a;
}

/** Validates a socket type word; returns [type, flags] or -EINVAL / -ESOCKTNOSUPPORT. */
export function socketType(word: number): [number, number] | number {
  const flags = word & (0o4000 | 0o2000000);
  const type = word & ~(0o4000 | 0o2000000);
  if (type === SOCK_STREAM || type === SOCK_DGRAM || type === SOCK_SEQPACKET) return [type, flags];
  if (type < 0 || type > 10) return -EINVAL;
  return -94; // ESOCKTNOSUPPORT
}
