/**
 * System V shared memory: shmget, shmat, shmdt, shmctl (IPC_STAT, IPC_SET,
 * IPC_RMID). A segment is a Mappable that mm maps MAP_SHARED, so every
 * attachment (in any process, and across fork) shares one page cache.
 *
 * Simplifications: one IPC namespace per sandbox; permissions are checked
 * for non-root callers against the segment's mode; nattch counts shmat and
 * shmdt calls (attachments inherited through fork are not counted).
 *
 * Every handler runs on behalf of the calling task `t`.
 */
import {
  EACCES,
  EEXIST,
  EFAULT,
  EIDRM,
  EINVAL,
  ENOENT,
  EPERM,
  MAP_FIXED,
  MAP_SHARED,
  PROT_EXEC,
  PROT_READ,
  PROT_WRITE,
} from "@tsvisor/abi";
import type { Mappable } from "@tsvisor/mm";
import type { Kernel } from "../kernel.js";
import type { Task } from "../task.js";
import type { SyscallArgs } from "./syscall.js";

const IPC_PRIVATE = 0;
const IPC_CREAT = 0o1000;
const IPC_EXCL = 0o2000;
const IPC_RMID = 0;
const IPC_SET = 1;
const IPC_STAT = 2;
const SHM_RDONLY = 0o10000;
const SHM_RND = 0o20000;
const SHM_REMAP = 0o40000;
const SHM_EXEC = 0o100000;
/** Linux's SHMMAX/SHMALL defaults are effectively unlimited; cap at 64 GiB. */
const SHMMAX = 64 * 2 ** 30;

/** One segment: its bytes live in mm's page cache for `mappable`. */
class Segment implements Mappable {
  readonly name: string;
  readonly dev = 0;
  nattch = 0;
  removed = false;
  atime = 0;
  dtime = 0;
  readonly ctime = Math.floor(Date.now() / 1000);
  private readonly data: Uint8Array;

  constructor(
    readonly id: number,
    readonly key: number,
    readonly bytes: number,
    public mode: number,
    public uid: number,
    public gid: number,
    readonly cpid: number,
    public lpid: number,
  ) {
    this.name = `/SYSV${(key >>> 0).toString(16).padStart(8, "0")}`;
    this.data = new Uint8Array(bytes);
  }

  get ino(): number {
    return this.id;
  }

  size(): number {
    return this.bytes;
  }

  read(offset: number, dst: Uint8Array): number {
    if (offset >= this.bytes) return 0;
    const n = Math.min(dst.length, this.bytes - offset);
    dst.set(this.data.subarray(offset, offset + n));
    return n;
  }

  write(offset: number, src: Uint8Array): number {
    if (offset >= this.bytes) return 0;
    const n = Math.min(src.length, this.bytes - offset);
    this.data.set(src.subarray(0, n), offset);
    return n;
  }
}

interface IpcNamespace {
  next: number;
  byId: Map<number, Segment>;
  byKey: Map<number, Segment>;
}

const namespaces = new WeakMap<Kernel, IpcNamespace>();
function ns(k: Kernel): IpcNamespace {
  let n = namespaces.get(k);
  if (n === undefined) {
    n = { next: 0, byId: new Map(), byKey: new Map() };
    namespaces.set(k, n);
  }
  return n;
}

/** ipcperms(): owner, group or other bits of the segment for `want` (4 read, 2 write). */
function permitted(t: Task, s: Segment, want: number): boolean {
  const c = t.creds;
  if (c.euid === 0) return true;
  const bits = c.euid === s.uid ? s.mode >> 6 : c.inGroup(s.gid) ? s.mode >> 3 : s.mode;
  return (bits & want) === want;
}

export function sysShmget(t: Task, a: SyscallArgs): number {
  const key = a.int(0);
  const size = a.u64(1);
  const flags = a.int(2);
  const n = ns(t.kernel);
  if (key !== IPC_PRIVATE) {
    const s = n.byKey.get(key);
    if (s !== undefined) {
      if ((flags & IPC_CREAT) !== 0 && (flags & IPC_EXCL) !== 0) return -EEXIST;
      if (size > s.bytes) return -EINVAL;
      if (!permitted(t, s, (flags >> 6) & 7 & 6)) return -EACCES;
      return s.id;
    }
    if ((flags & IPC_CREAT) === 0) return -ENOENT;
  }
  if (size < 1 || size > SHMMAX) return -EINVAL;
  const id = n.next++;
  const s = new Segment(id, key, size, flags & 0o777, t.creds.euid, t.creds.egid, t.tgid, 0);
  n.byId.set(id, s);
  if (key !== IPC_PRIVATE) n.byKey.set(key, s);
  return id;
}

export function sysShmat(t: Task, a: SyscallArgs): number {
  const s = ns(t.kernel).byId.get(a.int(0));
  if (s === undefined) return -EINVAL;
  const flags = a.int(2);
  let addr = a.ptr(1);
  if (addr !== 0) {
    if ((flags & SHM_RND) !== 0) addr -= addr % 4096;
    else if (addr % 4096 !== 0) return -EINVAL;
  }
  const ro = (flags & SHM_RDONLY) !== 0;
  if (!permitted(t, s, ro ? 4 : 6)) return -EACCES;
  const prot = PROT_READ | (ro ? 0 : PROT_WRITE) | ((flags & SHM_EXEC) !== 0 ? PROT_EXEC : 0);
  // do_shmat: an explicit address must not overlap a mapping unless SHM_REMAP.
  const fixed =
    addr !== 0 ? ((flags & SHM_REMAP) !== 0 ? MAP_FIXED : 0x100000 /* MAP_FIXED_NOREPLACE */) : 0;
  const r = t.mm.mmap({
    addr,
    length: Math.ceil(s.bytes / 4096) * 4096,
    prot,
    flags: MAP_SHARED | fixed,
    file: s,
    offset: 0,
    fileReadable: true,
    fileWritable: !ro,
  });
  if (r < 0) return r === -EEXIST ? -EINVAL : r;
  s.nattch++;
  s.atime = Math.floor(Date.now() / 1000);
  s.lpid = t.tgid;
  return r;
}

/** The segment mapped at `addr` in `t`'s memory (mm's VMA lookup), or null. */
function segmentAt(t: Task, addr: number): Segment | null {
  const vmas = (
    t.mm as unknown as { vmas?: { find(a: number): { file: unknown; start: number } | undefined } }
  ).vmas;
  const v = vmas?.find(addr);
  if (v === undefined || !(v.file instanceof Segment) || v.start !== addr) return null;
  return v.file;
}

export function sysShmdt(t: Task, a: SyscallArgs): number {
  const addr = a.ptr(0);
  if (addr % 4096 !== 0) return -EINVAL;
  const s = segmentAt(t, addr);
  if (s === null) return -EINVAL;
  const r = t.mm.munmap(addr, Math.ceil(s.bytes / 4096) * 4096);
  if (r < 0) return r;
  s.nattch = Math.max(0, s.nattch - 1);
  s.dtime = Math.floor(Date.now() / 1000);
  s.lpid = t.tgid;
  if (s.removed && s.nattch === 0) ns(t.kernel).byId.delete(s.id);
  return 0;
}

/** struct shmid_ds (x86-64): shm_perm (ipc64_perm, 48 bytes), then sizes and times. */
function encodeShmid(s: Segment): Uint8Array {
  const b = new Uint8Array(112);
  const dv = new DataView(b.buffer);
  dv.setInt32(0, s.key, true);
  dv.setUint32(4, s.uid, true);
  dv.setUint32(8, s.gid, true);
  dv.setUint32(12, s.uid, true);
  dv.setUint32(16, s.gid, true);
  dv.setUint16(20, s.mode | (s.removed ? 0o1000 : 0), true);
  dv.setUint16(24, s.id & 0xffff, true);
  dv.setBigUint64(48, BigInt(s.bytes), true);
  dv.setBigInt64(56, BigInt(s.atime), true);
  dv.setBigInt64(64, BigInt(s.dtime), true);
  dv.setBigInt64(72, BigInt(s.ctime), true);
  dv.setInt32(80, s.cpid, true);
  dv.setInt32(84, s.lpid, true);
  dv.setBigUint64(88, BigInt(s.nattch), true);
  return b;
}

export function sysShmctl(t: Task, a: SyscallArgs): number {
  const n = ns(t.kernel);
  const s = n.byId.get(a.int(0));
  const cmd = a.int(1) & ~0x100; // IPC_64
  if (s === undefined) return -EINVAL;
  switch (cmd) {
    case IPC_STAT: {
      if (!permitted(t, s, 4)) return -EACCES;
      const b = encodeShmid(s);
      return t.mm.copyOut(a.ptr(2), b) === b.length ? 0 : -EFAULT;
    }
    case IPC_SET: {
      if (t.creds.euid !== 0 && t.creds.euid !== s.uid) return -EPERM;
      const b = new Uint8Array(48);
      if (t.mm.copyIn(a.ptr(2), b) !== 48) return -EFAULT;
      const dv = new DataView(b.buffer);
      s.uid = dv.getUint32(4, true);
      s.gid = dv.getUint32(8, true);
      s.mode = dv.getUint16(20, true) & 0o777;
      return 0;
    }
    case IPC_RMID:
      if (t.creds.euid !== 0 && t.creds.euid !== s.uid) return -EPERM;
      if (s.removed) return -EIDRM;
      s.removed = true;
      if (s.key !== IPC_PRIVATE) n.byKey.delete(s.key);
      if (s.nattch === 0) n.byId.delete(s.id);
      return 0;
    default:
      return -EINVAL;
  }
}
