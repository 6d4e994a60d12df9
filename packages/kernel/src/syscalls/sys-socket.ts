/**
 * Socket syscalls for AF_UNIX (../socket-unix.ts). Other families are not
 * available in the sandbox (no network): socket(2) gives EAFNOSUPPORT.
 *
 * Every handler runs on behalf of the calling task `t` and may block.
 */
import {
  AF_UNIX,
  EADDRINUSE,
  EAFNOSUPPORT,
  EAGAIN,
  EBADF,
  ECONNREFUSED,
  EEXIST,
  EFAULT,
  EINVAL,
  EISCONN,
  ENOPROTOOPT,
  ENOTSOCK,
  EOPNOTSUPP,
  EPIPE,
  EPROTOTYPE,
  O_NONBLOCK,
  S_IFMT,
  S_IFSOCK,
} from "@tsvisor/abi";
import { type FileDescription, lookupAt, mknodat, type VfsTask } from "@tsvisor/vfs";
import type { Kernel } from "../kernel.js";
import { pair, socketType, UnixNamespace, UnixSocket } from "../socket-unix.js";
import type { Task } from "../task.js";
import { sendSigpipe } from "./sys-file.js";
import { type Block, block, type SyscallArgs } from "./syscall.js";

const MSG_PEEK = 2;
const MSG_TRUNC = 0x20;
const MSG_CTRUNC = 8;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
const MSG_CMSG_CLOEXEC = 0x40000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
/** sizeof(struct sockaddr_un). */
const SOCKADDR_UN_SIZE = 110;

const namespaces = new WeakMap<Kernel, UnixNamespace>();
function unixNs(k: Kernel): UnixNamespace {
  let n = namespaces.get(k);
  if (n === undefined) {
    n = new UnixNamespace();
    namespaces.set(k, n);
  }
  return n;
}

function vt(t: Task): VfsTask {
  return t as unknown as VfsTask;
}

/** The socket at `fd`: -EBADF or -ENOTSOCK otherwise. */
function sock(t: Task, fd: number): UnixSocket | number {
  const f = t.fdTable.get(fd);
  if (f === undefined) return -EBADF;
  return f instanceof UnixSocket ? f : -ENOTSOCK;
}

/** Reads a sockaddr_un: the name ("\0..." for abstract), or a negative errno. */
function readAddr(t: Task, addr: number, len: number): string | number {
  if (len <= 2 || len > SOCKADDR_UN_SIZE) return -EINVAL;
  const b = new Uint8Array(len);
  if (t.mm.copyIn(addr, b) !== len) return -EFAULT;
  if ((b[0]! | (b[1]! << 8)) !== AF_UNIX) return -EINVAL;
  const path = b.subarray(2);
  if (path[0] === 0) return Buffer.from(path).toString("latin1");
  const nul = path.indexOf(0);
  return Buffer.from(nul >= 0 ? path.subarray(0, nul) : path).toString("latin1");
}

/** Writes a sockaddr_un for `name` at (addr, *lenp), truncating like Linux. */
function writeAddr(t: Task, addr: number, lenp: number, name: string | null): number {
  if (addr === 0 || lenp === 0) return 0;
  const lb = new Uint8Array(4);
  if (t.mm.copyIn(lenp, lb) !== 4) return -EFAULT;
  const have = new DataView(lb.buffer).getInt32(0, true);
  if (have < 0) return -EINVAL;
  const bytes = Buffer.from(name ?? "", "latin1");
  const full = 2 + bytes.length + (name !== null && !name.startsWith("\0") && name !== "" ? 1 : 0);
  const out = new Uint8Array(full);
  out[0] = AF_UNIX;
  out.set(bytes, 2);
  const n = Math.min(have, full);
  if (n > 0 && t.mm.copyOut(addr, out.subarray(0, n)) !== n) return -EFAULT;
  new DataView(lb.buffer).setInt32(0, full, true);
  return t.mm.copyOut(lenp, lb) === 4 ? 0 : -EFAULT;
}

/** Finds the socket bound to `name`. */
function lookupName(t: Task, name: string): UnixSocket | number {
  const ns = unixNs(t.kernel);
  if (name.startsWith("\0")) return ns.abstract.get(name) ?? -ECONNREFUSED;
  const loc = lookupAt(vt(t), -100, name, true);
  if (typeof loc === "number") return loc;
  if ((loc.inode.mode & S_IFMT) !== S_IFSOCK) return -ECONNREFUSED;
  const s = ns.byInode.get(loc.inode);
  return s === undefined || s.closed ? -ECONNREFUSED : s;
}

export function sysSocket(t: Task, a: SyscallArgs): number {
  const domain = a.int(0);
  if (domain !== AF_UNIX) return -EAFNOSUPPORT;
  const ty = socketType(a.int(1));
  if (typeof ty === "number") return ty;
  const proto = a.int(2);
  if (proto !== 0) return -93; // EPROTONOSUPPORT
  return t.fdTable.install(new UnixSocket(ty[0], ty[1] & O_NONBLOCK), (ty[1] & 0o2000000) !== 0);
}

export function sysSocketpair(t: Task, a: SyscallArgs): number {
  const domain = a.int(0);
  if (domain !== AF_UNIX) return domain === 2 || domain === 10 ? -EOPNOTSUPP : -EAFNOSUPPORT;
  const ty = socketType(a.int(1));
  if (typeof ty === "number") return ty;
  if (a.int(2) !== 0) return -93;
  const x = new UnixSocket(ty[0], ty[1] & O_NONBLOCK);
  const y = new UnixSocket(ty[0], ty[1] & O_NONBLOCK);
  pair(x, y);
  const cloexec = (ty[1] & 0o2000000) !== 0;
  const fx = t.fdTable.install(x, cloexec);
  if (fx < 0) {
    y.decRef();
    return fx;
  }
  const fy = t.fdTable.install(y, cloexec);
  if (fy < 0) {
    t.fdTable.close(fx);
    return fy;
  }
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  dv.setInt32(0, fx, true);
  dv.setInt32(4, fy, true);
  if (t.mm.copyOut(a.ptr(3), b) !== 8) {
    t.fdTable.close(fx);
    t.fdTable.close(fy);
    return -EFAULT;
  }
  return 0;
}

export function sysBind(t: Task, a: SyscallArgs): number {
  const s = sock(t, a.int(0));
  if (typeof s === "number") return s;
  const name = readAddr(t, a.ptr(1), a.int(2));
  if (typeof name === "number") return name;
  if (s.name !== null) return -EINVAL;
  const ns = unixNs(t.kernel);
  if (name.startsWith("\0")) {
    if (ns.abstract.has(name)) return -EADDRINUSE;
    ns.abstract.set(name, s);
    s.unbind = () => ns.abstract.delete(name);
  } else {
    const r = mknodat(vt(t), -100, name, S_IFSOCK | 0o777, 0);
    if (r === -EEXIST) return -EADDRINUSE;
    if (r < 0) return r;
    const loc = lookupAt(vt(t), -100, name, false);
    if (typeof loc === "number") return loc;
    ns.byInode.set(loc.inode, s);
    s.unbind = () => ns.byInode.delete(loc.inode);
  }
  s.name = name;
  return 0;
}

export function sysListen(t: Task, a: SyscallArgs): number {
  const s = sock(t, a.int(0));
  if (typeof s === "number") return s;
  if (!s.connectionOriented) return -EOPNOTSUPP;
  if (s.peer !== null) return -EINVAL;
  s.listening = true;
  s.backlogMax = Math.max(0, Math.min(a.int(1), 4096));
  return 0;
}

export function sysConnect(t: Task, a: SyscallArgs): number {
  const s = sock(t, a.int(0));
  if (typeof s === "number") return s;
  const name = readAddr(t, a.ptr(1), a.int(2));
  if (typeof name === "number") return name;
  const target = lookupName(t, name);
  if (typeof target === "number") return target;
  if (target.type !== s.type) return -EPROTOTYPE;
  if (!s.connectionOriented) {
    s.peer = target;
    return 0;
  }
  if (s.peer !== null) return -EISCONN;
  if (!target.listening) return -ECONNREFUSED;
  const server = new UnixSocket(s.type, 0);
  server.name = target.name;
  pair(s, server);
  target.backlog.push(server);
  target.queue.notifyAll();
  return 0;
}

function doAccept(t: Task, a: SyscallArgs, flags: number): number | Block {
  const s = sock(t, a.int(0));
  if (typeof s === "number") return s;
  if ((flags & ~(0o4000 | 0o2000000)) !== 0) return -EINVAL;
  if (!s.listening) return -EINVAL;
  const c = s.backlog.shift();
  if (c === undefined) {
    if ((s.flags & O_NONBLOCK) !== 0) return -EAGAIN;
    return block(s.queue);
  }
  c.flags = (c.flags & ~O_NONBLOCK) | (flags & O_NONBLOCK);
  const fd = t.fdTable.install(c, (flags & 0o2000000) !== 0);
  if (fd < 0) return fd;
  const w = writeAddr(t, a.ptr(1), a.ptr(2), c.peer?.name ?? null);
  return w < 0 ? w : fd;
}

export function sysAccept(t: Task, a: SyscallArgs): number | Block {
  return doAccept(t, a, 0);
}

export function sysAccept4(t: Task, a: SyscallArgs): number | Block {
  return doAccept(t, a, a.int(3));
}

export function sysShutdown(t: Task, a: SyscallArgs): number {
  const s = sock(t, a.int(0));
  if (typeof s === "number") return s;
  const how = a.int(1);
  if (how < 0 || how > 2) return -EINVAL;
  return s.shutdown(how);
}

export function sysGetsockname(t: Task, a: SyscallArgs): number {
  const s = sock(t, a.int(0));
  if (typeof s === "number") return s;
  return writeAddr(t, a.ptr(1), a.ptr(2), s.name);
}

export function sysGetpeername(t: Task, a: SyscallArgs): number {
  const s = sock(t, a.int(0));
  if (typeof s === "number") return s;
  if (s.peer === null) return -107; // ENOTCONN
  return writeAddr(t, a.ptr(1), a.ptr(2), s.peer.name);
}

/** Sends `data` from socket `s`, blocking (or EAGAIN) when the receiver is full; SIGPIPE on EPIPE. */
function sendData(
  t: Task,
  s: UnixSocket,
  data: Uint8Array,
  rights: FileDescription[],
  to: UnixSocket | null,
  flags: number,
): number | Block {
  const r = s.send(data, rights, to);
  if (r === -EAGAIN) {
    if ((flags & MSG_DONTWAIT) !== 0 || (s.flags & O_NONBLOCK) !== 0) return r;
    return block((to ?? s.peer ?? s).queue);
  }
  if (r === -EPIPE && (flags & MSG_NOSIGNAL) === 0) sendSigpipe(t);
  if (r < 0) for (const f of rights) f.decRef();
  return r;
}

/** sendto(2) / send(2): fd, buf, len, flags, dest_addr, addrlen. */
export function sysSendto(t: Task, a: SyscallArgs): number | Block {
  const s = sock(t, a.int(0));
  if (typeof s === "number") return s;
  const len = Math.min(a.u64(2), 1 << 26);
  const data = new Uint8Array(len);
  if (len > 0 && t.mm.copyIn(a.ptr(1), data) !== len) return -EFAULT;
  let to: UnixSocket | null = null;
  if (a.ptr(4) !== 0 && !s.connectionOriented) {
    const name = readAddr(t, a.ptr(4), a.int(5));
    if (typeof name === "number") return name;
    const target = lookupName(t, name);
    if (typeof target === "number") return target;
    to = target;
  }
  return sendData(t, s, data, [], to, a.int(3));
}

/** recvfrom(2) / recv(2): fd, buf, len, flags, src_addr, addrlen. */
export function sysRecvfrom(t: Task, a: SyscallArgs): number | Block {
  const s = sock(t, a.int(0));
  if (typeof s === "number") return s;
  const flags = a.int(3);
  const buf = new Uint8Array(Math.min(a.u64(2), 1 << 26));
  const r = s.recv(buf, flags);
  if (r.n === -EAGAIN) {
    if ((flags & MSG_DONTWAIT) !== 0 || (s.flags & O_NONBLOCK) !== 0) return -EAGAIN;
    return block(s.queue);
  }
  for (const f of r.rights) f.decRef(); // no control buffer: passed files are dropped
  if (r.n > 0 && t.mm.copyOut(a.ptr(1), buf.subarray(0, r.n)) !== r.n) return -EFAULT;
  if (a.ptr(4) !== 0) {
    const w = writeAddr(t, a.ptr(4), a.ptr(5), r.from);
    if (w < 0) return w;
  }
  return (flags & MSG_TRUNC) !== 0 && s.type !== 1 ? r.full : r.n;
}

/** struct msghdr fields. */
interface Msghdr {
  name: number;
  namelen: number;
  iov: number;
  iovlen: number;
  control: number;
  controllen: number;
}

function readMsghdr(t: Task, addr: number): Msghdr | number {
  const b = new Uint8Array(56);
  if (t.mm.copyIn(addr, b) !== 56) return -EFAULT;
  const dv = new DataView(b.buffer);
  const u = (o: number): number => Number(dv.getBigUint64(o, true));
  return {
    name: u(0),
    namelen: dv.getInt32(8, true),
    iov: u(16),
    iovlen: u(24),
    control: u(32),
    controllen: u(40),
  };
}

export function sysSendmsg(t: Task, a: SyscallArgs): number | Block {
  const s = sock(t, a.int(0));
  if (typeof s === "number") return s;
  const m = readMsghdr(t, a.ptr(1));
  if (typeof m === "number") return m;
  const iovs = t.mm.readIovecs(m.iov, m.iovlen);
  if (typeof iovs === "number") return iovs;
  const total = iovs.reduce((n, v) => n + v.len, 0);
  const data = new Uint8Array(Math.min(total, 1 << 26));
  const got = t.mm.copyInVec(iovs, data);
  if (got < 0) return got;
  const rights: FileDescription[] = [];
  if (m.control !== 0 && m.controllen > 0) {
    const c = new Uint8Array(Math.min(m.controllen, 1 << 16));
    if (t.mm.copyIn(m.control, c) !== c.length) return -EFAULT;
    const dv = new DataView(c.buffer);
    for (let o = 0; o + 16 <= c.length; ) {
      const len = Number(dv.getBigUint64(o, true));
      if (len < 16 || o + len > c.length) return -EINVAL;
      const level = dv.getInt32(o + 8, true);
      const type = dv.getInt32(o + 12, true);
      if (level === SOL_SOCKET && type === SCM_RIGHTS) {
        for (let p = o + 16; p + 4 <= o + len; p += 4) {
          const f = t.fdTable.get(dv.getInt32(p, true));
          if (f === undefined) {
            for (const x of rights) x.decRef();
            return -EBADF;
          }
          f.incRef();
          rights.push(f);
        }
      } else if (level === SOL_SOCKET) {
        for (const x of rights) x.decRef();
        return -EINVAL;
      }
      o += Math.ceil(len / 8) * 8;
    }
  }
  let to: UnixSocket | null = null;
  if (m.name !== 0 && !s.connectionOriented) {
    const name = readAddr(t, m.name, m.namelen);
    if (typeof name === "number") return name;
    const target = lookupName(t, name);
    if (typeof target === "number") return target;
    to = target;
  }
  return sendData(t, s, data.subarray(0, got), rights, to, a.int(2));
}

export function sysRecvmsg(t: Task, a: SyscallArgs): number | Block {
  const s = sock(t, a.int(0));
  if (typeof s === "number") return s;
  const flags = a.int(2);
  const m = readMsghdr(t, a.ptr(1));
  if (typeof m === "number") return m;
  const iovs = t.mm.readIovecs(m.iov, m.iovlen);
  if (typeof iovs === "number") return iovs;
  const total = iovs.reduce((n, v) => n + v.len, 0);
  const buf = new Uint8Array(Math.min(total, 1 << 26));
  const r = s.recv(buf, flags);
  if (r.n === -EAGAIN) {
    if ((flags & MSG_DONTWAIT) !== 0 || (s.flags & O_NONBLOCK) !== 0) return -EAGAIN;
    return block(s.queue);
  }
  if (r.n > 0 && t.mm.copyOutVec(iovs, buf.subarray(0, r.n)) < 0) return -EFAULT;
  let msgFlags = 0;
  if (s.type !== 1 && r.full > r.n) msgFlags |= MSG_TRUNC;
  let controlUsed = 0;
  if (r.rights.length > 0) {
    const fit = m.control === 0 ? 0 : Math.max(0, Math.floor((m.controllen - 16) / 4));
    const n = Math.min(fit, r.rights.length);
    if (n < r.rights.length) msgFlags |= MSG_CTRUNC;
    if (n > 0) {
      const len = 16 + 4 * n;
      const c = new Uint8Array(len);
      const dv = new DataView(c.buffer);
      dv.setBigUint64(0, BigInt(len), true);
      dv.setInt32(8, SOL_SOCKET, true);
      dv.setInt32(12, SCM_RIGHTS, true);
      for (let i = 0; i < n; i++) {
        const fd = t.fdTable.install(r.rights[i]!, (flags & MSG_CMSG_CLOEXEC) !== 0);
        dv.setInt32(16 + 4 * i, fd, true);
      }
      if (t.mm.copyOut(m.control, c) !== len) return -EFAULT;
      controlUsed = Math.ceil(len / 8) * 8;
    }
    for (let i = n; i < r.rights.length; i++) r.rights[i]!.decRef();
  }
  const hdr = new Uint8Array(8);
  const hv = new DataView(hdr.buffer);
  hv.setBigUint64(0, BigInt(controlUsed), true);
  if (t.mm.copyOut(a.ptr(1) + 40, hdr) !== 8) return -EFAULT;
  hv.setInt32(0, msgFlags, true);
  if (t.mm.copyOut(a.ptr(1) + 48, hdr.subarray(0, 4)) !== 4) return -EFAULT;
  if (m.name !== 0) {
    // msg_namelen is updated in place (at offset 8 of the msghdr).
    const w = writeAddr(t, m.name, a.ptr(1) + 8, r.from);
    if (w < 0) return w;
  }
  return (flags & MSG_TRUNC) !== 0 && s.type !== 1 ? r.full : r.n;
}

export function sysGetsockopt(t: Task, a: SyscallArgs): number {
  const s = sock(t, a.int(0));
  if (typeof s === "number") return s;
  if (a.int(1) !== SOL_SOCKET) return -ENOPROTOOPT;
  let v: number;
  switch (a.int(2)) {
    case 3: // SO_TYPE
      v = s.type;
      break;
    case 4: // SO_ERROR
      v = 0;
      break;
    case 7: // SO_SNDBUF
    case 8: // SO_RCVBUF
      v = 212992;
      break;
    case 30: // SO_ACCEPTCONN
      v = s.listening ? 1 : 0;
      break;
    case 39: // SO_DOMAIN
      v = AF_UNIX;
      break;
    case 38: // SO_PROTOCOL
      v = 0;
      break;
    default:
      return -ENOPROTOOPT;
  }
  const lb = new Uint8Array(4);
  if (t.mm.copyIn(a.ptr(4), lb) !== 4) return -EFAULT;
  const have = new DataView(lb.buffer).getInt32(0, true);
  if (have < 0) return -EINVAL;
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  const n = Math.min(have, 4);
  if (n > 0 && t.mm.copyOut(a.ptr(3), b.subarray(0, n)) !== n) return -EFAULT;
  new DataView(lb.buffer).setInt32(0, n, true);
  return t.mm.copyOut(a.ptr(4), lb) === 4 ? 0 : -EFAULT;
}

export function sysSetsockopt(t: Task, a: SyscallArgs): number {
  const s = sock(t, a.int(0));
  if (typeof s === "number") return s;
  if (a.int(1) !== SOL_SOCKET) return -ENOPROTOOPT;
  if (a.int(4) < 0) return -EINVAL;
  return 0;
}
