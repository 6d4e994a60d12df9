/**
 * Unix domain sockets (unix(7)) and the socket system calls.
 *
 * AF_UNIX SOCK_STREAM, SOCK_SEQPACKET and SOCK_DGRAM: socketpair, bind to
 * a file-system path (an S_IFSOCK inode) or an abstract name, listen,
 * connect, accept, send/recv with MSG_PEEK, MSG_DONTWAIT, MSG_TRUNC and
 * MSG_NOSIGNAL, shutdown, and SCM_RIGHTS descriptor passing. Other
 * address families fail with EAFNOSUPPORT (socket) or EOPNOTSUPP
 * (socketpair), as on a kernel without them.
 *
 * Inspired by gVisor's pkg/sentry/socket/unix and Linux's net/unix/af_unix.c.
 */
import {
  AF_UNIX,
  EADDRINUSE,
  EAFNOSUPPORT,
  EAGAIN,
  EBADF,
  ECONNREFUSED,
  EDESTADDRREQ,
  EFAULT,
  EINVAL,
  EISCONN,
  EMSGSIZE,
  ENOPROTOOPT,
  ENOTCONN,
  ENOTSOCK,
  EOPNOTSUPP,
  EPIPE,
  EPROTONOSUPPORT,
  ERESTARTSYS,
  ESOCKTNOSUPPORT,
  MSG_CMSG_CLOEXEC,
  MSG_CTRUNC,
  MSG_DONTWAIT,
  MSG_NOSIGNAL,
  MSG_PEEK,
  MSG_TRUNC,
  O_NONBLOCK,
  O_RDWR,
  POLLHUP,
  POLLIN,
  POLLOUT,
  POLLRDNORM,
  POLLWRNORM,
  S_IFSOCK,
  SCM_RIGHTS,
  SHUT_RD,
  SHUT_RDWR,
  SHUT_WR,
  SO_ACCEPTCONN,
  SO_DOMAIN,
  SO_ERROR,
  SO_PROTOCOL,
  SO_RCVBUF,
  SO_SNDBUF,
  SO_TYPE,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCK_SEQPACKET,
  SOCK_STREAM,
  SOL_SOCKET,
  SYS_accept,
  SYS_accept4,
  SYS_bind,
  SYS_connect,
  SYS_getpeername,
  SYS_getsockname,
  SYS_getsockopt,
  SYS_listen,
  SYS_recvfrom,
  SYS_recvmsg,
  SYS_sendmsg,
  SYS_sendto,
  SYS_setsockopt,
  SYS_shutdown,
  SYS_socket,
  SYS_socketpair,
} from "@tsvisor/abi";
import * as vfs from "@tsvisor/vfs";
import type { Task } from "../task.js";
import { bytesOf, fdTable, latin1, mem, sendSigpipe, vtask } from "./file-common.js";
import { type Block, block, partial, type SyscallEntry, type SyscallFn } from "./syscall.js";

/** Default send/receive buffer (net.core.wmem_default). */
const BUF_SIZE = 212992;

/** One queued message: bytes plus descriptors passed with SCM_RIGHTS. */
interface Segment {
  data: Uint8Array;
  fds: vfs.FileDescription[];
  /** Sender's bound name (datagrams), for recvfrom. */
  from: string | null;
}

/** Bound names: path sockets by inode, abstract ones by name. */
const byInode = new WeakMap<object, UnixSocket>();
const abstractNames = new Map<string, UnixSocket>();

/**
 * A Unix domain socket.
 *
 * Invariants: a connected stream socket's `peer` points back at it; the
 * receive queue holds at most BUF_SIZE bytes for streams; descriptors in
 * queued segments hold one reference each until received or dropped.
 */
export class UnixSocket extends vfs.FileDescription {
  peer: UnixSocket | null = null;
  listening = false;
  backlog: UnixSocket[] = [];
  maxBacklog = 0;
  readonly queue: Segment[] = [];
  queued = 0;
  rdShut = false;
  wrShut = false;
  /** The peer closed (stream): reads see EOF, writes EPIPE. */
  peerGone = false;
  name: string | null = null;
  /** Default destination of an unconnected-but-connected datagram socket. */
  readonly wq = new vfs.WaitQueue();

  constructor(
    readonly type: number,
    flags: number,
  ) {
    super(O_RDWR | (flags & O_NONBLOCK), null, "socket:[unix]");
  }

  override get seekable(): boolean {
    return false;
  }

  override stat(): vfs.StatData {
    return vfs.blankStat({ dev: 8, ino: 1, mode: S_IFSOCK | 0o777 });
  }

  protected override release(): void {
    for (const s of this.queue) for (const f of s.fds) f.decRef();
    this.queue.length = 0;
    for (const b of this.backlog) b.decRef();
    this.backlog = [];
    if (this.name !== null && abstractNames.get(this.name) === this)
      abstractNames.delete(this.name);
    const p = this.peer;
    if (p && this.type !== SOCK_DGRAM) {
      p.peerGone = true;
      p.peer = null;
      p.wq.notifyAll();
    }
    this.wq.notifyAll();
  }

  get isStream(): boolean {
    return this.type === SOCK_STREAM;
  }

  /** Queues a message on this (receiving) socket; -EAGAIN when full. */
  enqueue(data: Uint8Array, fds: vfs.FileDescription[], from: string | null): number {
    if (this.rdShut) return this.isStream ? data.length : -EPIPE;
    const room = BUF_SIZE - this.queued;
    if (this.isStream) {
      if (room <= 0) return -EAGAIN;
      const n = Math.min(room, data.length);
      this.queue.push({ data: data.slice(0, n), fds, from });
      this.queued += n;
      this.wq.notifyAll();
      return n;
    }
    if (data.length > BUF_SIZE) return -EMSGSIZE;
    if (data.length > room && this.queue.length > 0) return -EAGAIN;
    this.queue.push({ data: data.slice(), fds, from });
    this.queued += data.length;
    this.wq.notifyAll();
    return data.length;
  }

  /**
   * Receives into `dst`: streams merge segments (stopping after a segment
   * that carried descriptors), datagrams return one message, truncated.
   * Returns [bytes, real length, fds, from] or an errno.
   */
  receive(
    dst: Uint8Array,
    peek: boolean,
  ): [number, number, vfs.FileDescription[], string | null] | number {
    if (this.queue.length === 0) {
      if (this.rdShut || this.peerGone) return [0, 0, [], null];
      if (this.isStream && this.peer?.wrShut) return [0, 0, [], null];
      if (this.isStream && !this.peer) return this.listening ? -EINVAL : -ENOTCONN;
      return -EAGAIN;
    }
    if (!this.isStream) {
      const s = this.queue[0]!;
      const n = Math.min(dst.length, s.data.length);
      dst.set(s.data.subarray(0, n));
      if (!peek) {
        this.queue.shift();
        this.queued -= s.data.length;
        this.wq.notifyAll();
        this.peerNotify();
      }
      return [n, s.data.length, peek ? [] : s.fds, s.from];
    }
    let done = 0;
    const fds: vfs.FileDescription[] = [];
    let i = 0;
    const offsetInFirst = 0;
    while (done < dst.length && i < this.queue.length) {
      const s = this.queue[i]!;
      const n = Math.min(dst.length - done, s.data.length - (i === 0 ? offsetInFirst : 0));
      dst.set(s.data.subarray(0, n), done);
      done += n;
      if (!peek) fds.push(...s.fds);
      if (n < s.data.length) {
        if (!peek) {
          s.data = s.data.subarray(n);
          s.fds = [];
        }
        break;
      }
      i++;
      if (s.fds.length > 0) break;
    }
    if (!peek) {
      this.queue.splice(0, i);
      this.queued -= done;
      this.wq.notifyAll();
      this.peerNotify();
    }
    return [done, done, fds, null];
  }

  private peerNotify(): void {
    this.peer?.wq.notifyAll();
  }

  override read(dst: Uint8Array): number {
    const r = this.receive(dst, false);
    if (typeof r === "number") return r;
    for (const f of r[2]) f.decRef(); // plain read(2) drops passed descriptors
    return r[0];
  }

  override write(src: Uint8Array): number {
    return this.send(src, [], null);
  }

  /** Sends to the connected peer (or `to` for datagrams). */
  send(src: Uint8Array, fds: vfs.FileDescription[], to: UnixSocket | null): number {
    if (this.wrShut) return -EPIPE;
    const target = to ?? this.peer;
    if (!target) {
      if (this.peerGone) return -EPIPE;
      return this.isStream || this.type === SOCK_SEQPACKET ? -ENOTCONN : -EDESTADDRREQ;
    }
    if (this.isStream && src.length === 0) return 0;
    return target.enqueue(src, fds, this.name);
  }

  override readiness(mask: number): number {
    let r = 0;
    if (
      this.queue.length > 0 ||
      this.rdShut ||
      this.peerGone ||
      (this.listening && this.backlog.length > 0)
    )
      r |= POLLIN | POLLRDNORM;
    if (this.peer && this.peer.queued < BUF_SIZE && !this.wrShut) r |= POLLOUT | POLLWRNORM;
    if (!this.isStream && !this.peer && !this.wrShut) r |= POLLOUT | POLLWRNORM;
    if (this.peerGone || (this.rdShut && this.wrShut)) r |= POLLHUP;
    return r & (mask | POLLHUP);
  }

  override waitable(): vfs.Waitable {
    return this.wq;
  }
}

function sockOf(t: Task, fd: number): UnixSocket | number {
  const f = fdTable(t).get(fd);
  if (!f) return -EBADF;
  return f instanceof UnixSocket ? f : -ENOTSOCK;
}

/** Validates (domain, type, protocol); returns [base type, flags] or an errno. */
function checkType(
  domain: number,
  type: number,
  protocol: number,
  pair: boolean,
): [number, number] | number {
  const base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (domain !== AF_UNIX)
    return pair ? (domain >= 0 && domain < 46 ? -EOPNOTSUPP : -EAFNOSUPPORT) : -EAFNOSUPPORT;
  if (base !== SOCK_STREAM && base !== SOCK_DGRAM && base !== SOCK_SEQPACKET)
    return -ESOCKTNOSUPPORT;
  if (protocol !== 0 && protocol !== AF_UNIX) return -EPROTONOSUPPORT;
  return [base, type];
}

export const sysSocket: SyscallFn = (t, a) => {
  const r = checkType(a.int(0), a.int(1), a.int(2), false);
  if (typeof r === "number") return r;
  const s = new UnixSocket(r[0], r[1] & SOCK_NONBLOCK ? O_NONBLOCK : 0);
  return fdTable(t).install(s, (r[1] & SOCK_CLOEXEC) !== 0);
};

/** socketpair(2): "EOPNOTSUPP The specified protocol does not support creation of socket pairs." */
export const sysSocketpair: SyscallFn = (t, a) => {
  const r = checkType(a.int(0), a.int(1), a.int(2), true);
  if (typeof r === "number") return r;
  const nb = r[1] & SOCK_NONBLOCK ? O_NONBLOCK : 0;
  const x = new UnixSocket(r[0], nb);
  const y = new UnixSocket(r[0], nb);
  x.peer = y;
  y.peer = x;
  const tab = fdTable(t);
  const cloexec = (r[1] & SOCK_CLOEXEC) !== 0;
  const fx = tab.install(x, cloexec);
  if (fx < 0) {
    y.decRef();
    return fx;
  }
  const fy = tab.install(y, cloexec);
  if (fy < 0) {
    tab.close(fx);
    return fy;
  }
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  dv.setInt32(0, fx, true);
  dv.setInt32(4, fy, true);
  if (mem(t).copyOut(a.ptr(3), b) < 0) {
    tab.close(fx);
    tab.close(fy);
    return -EFAULT;
  }
  return 0;
};

/** Decodes a sockaddr_un: a path, an abstract name ("\0..."), or "" (unnamed). */
function readSockaddr(t: Task, addr: number, len: number): string | number {
  if (len < 2 || len > 110) return -EINVAL;
  const b = new Uint8Array(len);
  if (mem(t).copyIn(addr, b) < 0) return -EFAULT;
  const family = b[0]! | (b[1]! << 8);
  if (family !== AF_UNIX) return -EINVAL;
  const path = b.subarray(2);
  if (path.length === 0) return "";
  if (path[0] === 0) return latin1(path);
  const nul = path.indexOf(0);
  return latin1(nul >= 0 ? path.subarray(0, nul) : path);
}

/** Writes a sockaddr_un for `name` to (addr, *lenAddr), truncating like Linux. */
function writeSockaddr(t: Task, addr: number, lenAddr: number, name: string | null): number {
  if (addr === 0) return 0;
  const lb = new Uint8Array(4);
  if (mem(t).copyIn(lenAddr, lb) < 0) return -EFAULT;
  const max = new DataView(lb.buffer).getInt32(0, true);
  if (max < 0) return -EINVAL;
  const nameBytes = name === null ? new Uint8Array(0) : bytesOf(name);
  const full = new Uint8Array(2 + nameBytes.length + (name !== null && name[0] !== "\0" ? 1 : 0));
  full[0] = AF_UNIX;
  full.set(nameBytes, 2);
  if (mem(t).copyOut(addr, full.subarray(0, Math.min(max, full.length))) < 0) return -EFAULT;
  new DataView(lb.buffer).setInt32(0, full.length, true);
  return mem(t).copyOut(lenAddr, lb) < 0 ? -EFAULT : 0;
}

/** Finds the socket bound to `name`; ECONNREFUSED when nothing listens there. */
function lookupName(t: Task, name: string): UnixSocket | number {
  if (name.startsWith("\0")) return abstractNames.get(name) ?? -ECONNREFUSED;
  const loc = vfs.lookupAt(vtask(t), -100, name, true);
  if (typeof loc === "number") return loc;
  if (loc.inode.fileType !== S_IFSOCK) return -ECONNREFUSED;
  return byInode.get(loc.inode) ?? -ECONNREFUSED;
}

/** bind(2): "EADDRINUSE The given address is already in use"; "EINVAL The socket is already bound". */
export const sysBind: SyscallFn = (t, a) => {
  const s = sockOf(t, a.int(0));
  if (typeof s === "number") return s;
  const name = readSockaddr(t, a.ptr(1), a.int(2));
  if (typeof name === "number") return name;
  if (s.name !== null) return -EINVAL;
  if (name === "") return -EINVAL;
  if (name.startsWith("\0")) {
    if (abstractNames.has(name)) return -EADDRINUSE;
    abstractNames.set(name, s);
  } else {
    const vt = vtask(t);
    const r = vfs.mknodat(vt, -100, name, S_IFSOCK | 0o777, 0);
    if (r === -17) return -EADDRINUSE;
    if (r < 0) return r;
    const loc = vfs.lookupAt(vt, -100, name, false);
    if (typeof loc === "number") return loc;
    byInode.set(loc.inode, s);
  }
  s.name = name;
  return 0;
};

export const sysListen: SyscallFn = (t, a) => {
  const s = sockOf(t, a.int(0));
  if (typeof s === "number") return s;
  if (s.type === SOCK_DGRAM) return -EOPNOTSUPP;
  if (s.peer) return -EINVAL;
  s.listening = true;
  s.maxBacklog = Math.max(1, Math.min(a.int(1), 4096));
  return 0;
};

/** connect(2): streams join a listener's backlog; datagram sockets set their default peer. */
export const sysConnect: SyscallFn = (t, a) => {
  const s = sockOf(t, a.int(0));
  if (typeof s === "number") return s;
  const name = readSockaddr(t, a.ptr(1), a.int(2));
  if (typeof name === "number") return name;
  const target = lookupName(t, name);
  if (typeof target === "number") return target;
  if (target.type !== s.type) return -EPROTONOSUPPORT;
  if (s.type === SOCK_DGRAM) {
    s.peer = target;
    return 0;
  }
  if (s.peer) return -EISCONN;
  if (!target.listening) return -ECONNREFUSED;
  if (target.backlog.length >= target.maxBacklog) return -EAGAIN;
  const server = new UnixSocket(s.type, 0);
  server.name = target.name;
  server.peer = s;
  s.peer = server;
  target.backlog.push(server);
  target.wq.notifyAll();
  return 0;
};

function acceptOn(t: Task, a: Parameters<SyscallFn>[1], flags: number): number | Block {
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) return -EINVAL;
  const s = sockOf(t, a.int(0));
  if (typeof s === "number") return s;
  if (!s.listening) return -EINVAL;
  const c = s.backlog.shift();
  if (!c) {
    if (s.flags & O_NONBLOCK) return -EAGAIN;
    return block(s.wq, {
      resume: (t2, why) => (why === "woken" ? acceptOn(t2, a, flags) : -ERESTARTSYS),
    });
  }
  if (flags & SOCK_NONBLOCK) c.flags |= O_NONBLOCK;
  const fd = fdTable(t).install(c, (flags & SOCK_CLOEXEC) !== 0);
  if (fd < 0) return fd;
  if (a.ptr(1) !== 0) {
    const r = writeSockaddr(t, a.ptr(1), a.ptr(2), null);
    if (r < 0) return r;
  }
  return fd;
}

export const sysAccept: SyscallFn = (t, a) => acceptOn(t, a, 0);
export const sysAccept4: SyscallFn = (t, a) => acceptOn(t, a, a.int(3));

/**
 * The common send path: `fds` go with the first byte. EPIPE raises SIGPIPE
 * unless MSG_NOSIGNAL; a full peer blocks unless MSG_DONTWAIT/O_NONBLOCK.
 */
function doSend(
  t: Task,
  s: UnixSocket,
  data: Uint8Array,
  fds: vfs.FileDescription[],
  flags: number,
  to: UnixSocket | null,
): number | Block {
  const r = s.send(data, fds, to);
  if (r === -EPIPE) {
    if (!(flags & MSG_NOSIGNAL)) sendSigpipe(t);
    for (const f of fds) f.decRef();
    return r;
  }
  if (r === -EAGAIN) {
    if (s.flags & O_NONBLOCK || flags & MSG_DONTWAIT) {
      for (const f of fds) f.decRef();
      return r;
    }
    const held = data.slice();
    const target = to ?? s.peer;
    return block(target ? target.wq : s.wq, {
      resume: (t2, why) => (why === "woken" ? doSend(t2, s, held, fds, flags, to) : -ERESTARTSYS),
    });
  }
  if (r < 0) for (const f of fds) f.decRef();
  return r;
}

/**
 * The common receive path. Returns [count, flags-out] or an errno/Block;
 * `deliver` gets the bytes, descriptors and sender name.
 */
function doRecv(
  t: Task,
  s: UnixSocket,
  len: number,
  flags: number,
  deliver: (
    t: Task,
    data: Uint8Array,
    realLen: number,
    fds: vfs.FileDescription[],
    from: string | null,
  ) => number,
): number | Block {
  const buf = new Uint8Array(Math.min(len, BUF_SIZE));
  const r = s.receive(buf, (flags & MSG_PEEK) !== 0);
  if (r === -EAGAIN) {
    if (s.flags & O_NONBLOCK || flags & MSG_DONTWAIT) return r;
    return block(s.wq, {
      resume: (t2, why) => (why === "woken" ? doRecv(t2, s, len, flags, deliver) : -ERESTARTSYS),
    });
  }
  if (typeof r === "number") return r;
  return deliver(t, buf.subarray(0, r[0]), r[1], r[2], r[3]);
}

export const sysSendto: SyscallFn = (t, a) => {
  const s = sockOf(t, a.int(0));
  if (typeof s === "number") return s;
  const data = new Uint8Array(Math.min(a.u64(2), BUF_SIZE * 4));
  if (data.length > 0 && mem(t).copyIn(a.ptr(1), data) < 0) return -EFAULT;
  let to: UnixSocket | null = null;
  if (a.ptr(4) !== 0) {
    const name = readSockaddr(t, a.ptr(4), a.int(5));
    if (typeof name === "number") return name;
    if (s.isStream) return s.peer ? -EISCONN : -EOPNOTSUPP;
    const target = lookupName(t, name);
    if (typeof target === "number") return target;
    to = target;
  }
  return doSend(t, s, data, [], a.int(3), to);
};

export const sysRecvfrom: SyscallFn = (t, a) => {
  const s = sockOf(t, a.int(0));
  if (typeof s === "number") return s;
  const flags = a.int(3);
  return doRecv(t, s, a.u64(2), flags, (t2, data, real, fds, from) => {
    for (const f of fds) f.decRef();
    if (data.length > 0 && mem(t2).copyOut(a.ptr(1), data) < 0) return -EFAULT;
    if (a.ptr(4) !== 0) {
      const r = writeSockaddr(t2, a.ptr(4), a.ptr(5), from);
      if (r < 0) return r;
    }
    return flags & MSG_TRUNC && !s.isStream ? real : data.length;
  });
};

/** sizeof(struct msghdr) and struct cmsghdr's header on x86-64. */
const MSGHDR_SIZE = 56;
const CMSG_HDR = 16;

export const sysSendmsg: SyscallFn = (t, a) => {
  const s = sockOf(t, a.int(0));
  if (typeof s === "number") return s;
  const hb = new Uint8Array(MSGHDR_SIZE);
  if (mem(t).copyIn(a.ptr(1), hb) < 0) return -EFAULT;
  const dv = new DataView(hb.buffer);
  const nameAddr = Number(dv.getBigUint64(0, true));
  const nameLen = dv.getUint32(8, true);
  const iovs = mem(t).readIovecs(
    Number(dv.getBigUint64(16, true)),
    Number(dv.getBigUint64(24, true)),
  );
  if (typeof iovs === "number") return iovs;
  const ctl = Number(dv.getBigUint64(32, true));
  const ctlLen = Number(dv.getBigUint64(40, true));
  let total = 0;
  for (const v of iovs) total += v.len;
  const data = new Uint8Array(Math.min(total, BUF_SIZE * 4));
  const c = mem(t).copyInVec(iovs, data);
  if (c < 0) return c;
  const fds: vfs.FileDescription[] = [];
  if (ctl !== 0 && ctlLen >= CMSG_HDR) {
    const cb = new Uint8Array(Math.min(ctlLen, 65536));
    if (mem(t).copyIn(ctl, cb) < 0) return -EFAULT;
    const cv = new DataView(cb.buffer);
    for (let off = 0; off + CMSG_HDR <= cb.length; ) {
      const len = Number(cv.getBigUint64(off, true));
      const level = cv.getInt32(off + 8, true);
      const type = cv.getInt32(off + 12, true);
      if (len < CMSG_HDR || off + len > cb.length) {
        for (const f of fds) f.decRef();
        return -EINVAL;
      }
      if (level === SOL_SOCKET && type === SCM_RIGHTS) {
        for (let p = off + CMSG_HDR; p + 4 <= off + len; p += 4) {
          const f = fdTable(t).get(cv.getInt32(p, true));
          if (!f) {
            for (const g of fds) g.decRef();
            return -EBADF;
          }
          f.incRef();
          fds.push(f);
        }
      }
      off += (len + 7) & ~7;
    }
  }
  let to: UnixSocket | null = null;
  if (nameAddr !== 0 && !s.isStream) {
    const name = readSockaddr(t, nameAddr, nameLen);
    if (typeof name === "number") return name;
    const target = lookupName(t, name);
    if (typeof target === "number") return target;
    to = target;
  }
  return doSend(t, s, data.subarray(0, c), fds, a.int(2), to);
};

export const sysRecvmsg: SyscallFn = (t, a) => {
  const s = sockOf(t, a.int(0));
  if (typeof s === "number") return s;
  const hdrAddr = a.ptr(1);
  const hb = new Uint8Array(MSGHDR_SIZE);
  if (mem(t).copyIn(hdrAddr, hb) < 0) return -EFAULT;
  const dv = new DataView(hb.buffer);
  const iovs = mem(t).readIovecs(
    Number(dv.getBigUint64(16, true)),
    Number(dv.getBigUint64(24, true)),
  );
  if (typeof iovs === "number") return iovs;
  let total = 0;
  for (const v of iovs) total += v.len;
  const flags = a.int(2);
  return doRecv(t, s, total, flags, (t2, data, real, fds) => {
    const n = mem(t2).copyOutVec(iovs, data);
    if (n < 0 && data.length > 0) {
      for (const f of fds) f.decRef();
      return n;
    }
    let outFlags = 0;
    if (real > data.length && !s.isStream) outFlags |= MSG_TRUNC;
    const ctl = Number(dv.getBigUint64(32, true));
    const ctlLen = Number(dv.getBigUint64(40, true));
    let ctlUsed = 0;
    if (fds.length > 0) {
      const room = ctl === 0 || ctlLen < CMSG_HDR + 4 ? 0 : Math.floor((ctlLen - CMSG_HDR) / 4);
      const take = Math.min(room, fds.length);
      if (take < fds.length) outFlags |= MSG_CTRUNC;
      const tab = fdTable(t2);
      const nums: number[] = [];
      for (let i = 0; i < fds.length; i++) {
        if (i < take) {
          const fd = tab.install(fds[i]!, (flags & MSG_CMSG_CLOEXEC) !== 0);
          if (fd >= 0) nums.push(fd);
          else outFlags |= MSG_CTRUNC;
        } else fds[i]!.decRef();
      }
      if (nums.length > 0) {
        const len = CMSG_HDR + 4 * nums.length;
        const cb = new Uint8Array((len + 7) & ~7);
        const cv = new DataView(cb.buffer);
        cv.setBigUint64(0, BigInt(len), true);
        cv.setInt32(8, SOL_SOCKET, true);
        cv.setInt32(12, SCM_RIGHTS, true);
        nums.forEach((fd, i) => {
          cv.setInt32(CMSG_HDR + 4 * i, fd, true);
        });
        if (mem(t2).copyOut(ctl, cb.subarray(0, Math.min(cb.length, ctlLen))) < 0) return -EFAULT;
        ctlUsed = Math.min(cb.length, ctlLen);
      }
    }
    dv.setUint32(8, 0, true); // msg_namelen: unnamed peers
    dv.setBigUint64(40, BigInt(ctlUsed), true);
    dv.setInt32(48, outFlags, true);
    if (mem(t2).copyOut(hdrAddr, hb) < 0) return -EFAULT;
    return flags & MSG_TRUNC && !s.isStream ? real : data.length;
  });
};

/** shutdown(2): "EINVAL An invalid value was specified in how"; "ENOTCONN The specified socket is not connected." */
export const sysShutdown: SyscallFn = (t, a) => {
  const s = sockOf(t, a.int(0));
  if (typeof s === "number") return s;
  const how = a.int(1);
  if (how !== SHUT_RD && how !== SHUT_WR && how !== SHUT_RDWR) return -EINVAL;
  if (!s.peer && !s.peerGone && s.isStream) return -ENOTCONN;
  if (how !== SHUT_WR) s.rdShut = true;
  if (how !== SHUT_RD) s.wrShut = true;
  s.wq.notifyAll();
  s.peer?.wq.notifyAll();
  return 0;
};

export const sysGetsockname: SyscallFn = (t, a) => {
  const s = sockOf(t, a.int(0));
  if (typeof s === "number") return s;
  return writeSockaddr(t, a.ptr(1), a.ptr(2), s.name);
};

export const sysGetpeername: SyscallFn = (t, a) => {
  const s = sockOf(t, a.int(0));
  if (typeof s === "number") return s;
  if (!s.peer) return -ENOTCONN;
  return writeSockaddr(t, a.ptr(1), a.ptr(2), s.peer.name);
};

/** getsockopt(2) for the SOL_SOCKET options programs query; others ENOPROTOOPT. */
export const sysGetsockopt: SyscallFn = (t, a) => {
  const s = sockOf(t, a.int(0));
  if (typeof s === "number") return s;
  if (a.int(1) !== SOL_SOCKET) return -ENOPROTOOPT;
  let v: number;
  switch (a.int(2)) {
    case SO_TYPE:
      v = s.type;
      break;
    case SO_ERROR:
      v = 0;
      break;
    case SO_DOMAIN:
      v = AF_UNIX;
      break;
    case SO_PROTOCOL:
      v = 0;
      break;
    case SO_ACCEPTCONN:
      v = s.listening ? 1 : 0;
      break;
    case SO_SNDBUF:
    case SO_RCVBUF:
      v = BUF_SIZE;
      break;
    default:
      return -ENOPROTOOPT;
  }
  const lb = new Uint8Array(4);
  if (mem(t).copyIn(a.ptr(4), lb) < 0) return -EFAULT;
  const len = new DataView(lb.buffer).getInt32(0, true);
  if (len < 0) return -EINVAL;
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  if (mem(t).copyOut(a.ptr(3), b.subarray(0, Math.min(4, len))) < 0) return -EFAULT;
  new DataView(lb.buffer).setInt32(0, Math.min(4, len), true);
  return mem(t).copyOut(a.ptr(4), lb) < 0 ? -EFAULT : 0;
};

/** setsockopt(2): accepted for SOL_SOCKET (buffer sizes and flags are not modelled). */
export const sysSetsockopt: SyscallFn = (t, a) => {
  const s = sockOf(t, a.int(0));
  if (typeof s === "number") return s;
  if (a.int(1) !== SOL_SOCKET) return -ENOPROTOOPT;
  if (a.int(4) < 0) return -EINVAL;
  return 0;
};

export const socketSyscalls: readonly SyscallEntry[] = [
  partial(SYS_socket, "socket", sysSocket, "AF_UNIX only; other families are EAFNOSUPPORT."),
  partial(SYS_socketpair, "socketpair", sysSocketpair, "AF_UNIX only."),
  partial(SYS_bind, "bind", sysBind, "AF_UNIX paths and abstract names."),
  partial(SYS_listen, "listen", sysListen, "AF_UNIX."),
  partial(
    SYS_connect,
    "connect",
    sysConnect,
    "AF_UNIX; a full backlog is EAGAIN instead of blocking.",
  ),
  partial(SYS_accept, "accept", sysAccept, "AF_UNIX."),
  partial(SYS_accept4, "accept4", sysAccept4, "AF_UNIX."),
  partial(SYS_sendto, "sendto", sysSendto, "AF_UNIX."),
  partial(
    SYS_recvfrom,
    "recvfrom",
    sysRecvfrom,
    "AF_UNIX; sender addresses of unnamed sockets are empty.",
  ),
  partial(SYS_sendmsg, "sendmsg", sysSendmsg, "AF_UNIX; SCM_RIGHTS only (no SCM_CREDENTIALS)."),
  partial(SYS_recvmsg, "recvmsg", sysRecvmsg, "AF_UNIX; SCM_RIGHTS only; msg_namelen is 0."),
  partial(SYS_shutdown, "shutdown", sysShutdown, "AF_UNIX."),
  partial(SYS_getsockname, "getsockname", sysGetsockname, "AF_UNIX."),
  partial(SYS_getpeername, "getpeername", sysGetpeername, "AF_UNIX."),
  partial(
    SYS_getsockopt,
    "getsockopt",
    sysGetsockopt,
    "SO_TYPE, SO_ERROR, SO_DOMAIN, SO_PROTOCOL, SO_ACCEPTCONN, SO_SNDBUF, SO_RCVBUF.",
  ),
  partial(SYS_setsockopt, "setsockopt", sysSetsockopt, "Accepted, not modelled."),
];
