/**
 * Helpers shared by the file-system syscall modules (sys-file, sys-dir,
 * sys-stat, sys-fcntl, sys-ioctl, sys-pipe, sys-poll): the calling task's
 * vfs view, its memory as those handlers use it, and path copy-in.
 */
import type { Iovec } from "@tsvisor/mm";
import type * as vfs from "@tsvisor/vfs";
import type { Credentials } from "../credentials.js";
import type { Task } from "../task.js";

/**
 * The memory operations file syscalls use; @tsvisor/mm's MemoryManager
 * provides them (the kernel's TaskMemory interface names only a subset).
 */
export interface FileMemory {
  copyIn(addr: number, dst: Uint8Array): number;
  copyOut(addr: number, src: Uint8Array): number;
  /** Bytes copied from `addr` before the first inaccessible one (0..dst.length). */
  copyInPartial(addr: number, dst: Uint8Array): number;
  /** Bytes copied to `addr` before the first inaccessible one (0..src.length). */
  copyOutPartial(addr: number, src: Uint8Array): number;
  copyInCString(addr: number, maxLen: number): Uint8Array | number;
  readIovecs(addr: number, count: number): Iovec[] | number;
  copyInVec(iovs: readonly Iovec[], dst: Uint8Array): number;
  copyOutVec(iovs: readonly Iovec[], src: Uint8Array): number;
}

/** `t`'s memory as file syscalls use it. */
export function mem(t: Task): FileMemory {
  return t.mm as unknown as FileMemory;
}

/** `t`'s fd table (a @tsvisor/vfs FdTable). */
export function fdTable(t: Task): vfs.FdTable {
  return t.fdTable as unknown as vfs.FdTable;
}

/** `t`'s root/cwd/umask (a @tsvisor/vfs FsContext). */
export function fsContext(t: Task): vfs.FsContext {
  return t.fs as unknown as vfs.FsContext;
}

const fsCredsCache = new WeakMap<Credentials, vfs.FsCreds>();
const realCredsCache = new WeakMap<Credentials, vfs.FsCreds>();

/** The identity file-system checks use: fsuid/fsgid and supplementary groups. */
export function fsCreds(t: Task): vfs.FsCreds {
  let c = fsCredsCache.get(t.creds);
  if (!c) {
    c = { euid: t.creds.fsuid, egid: t.creds.fsgid, groups: t.creds.groups };
    fsCredsCache.set(t.creds, c);
  }
  return c;
}

/** The real uid/gid as access(2) checks them. */
export function realCreds(t: Task): vfs.FsCreds {
  let c = realCredsCache.get(t.creds);
  if (!c) {
    c = { euid: t.creds.uid, egid: t.creds.gid, groups: t.creds.groups };
    realCredsCache.set(t.creds, c);
  }
  return c;
}

/** The VfsTask view of `t` for @tsvisor/vfs operations. */
export function vtask(t: Task): vfs.VfsTask {
  return { fs: fsContext(t), fdTable: fdTable(t), creds: fsCreds(t) };
}

/** PATH_MAX, counting the NUL. */
export const PATH_MAX = 4096;

/**
 * Copies in a NUL-terminated path as a byte string (one latin1 code unit
 * per byte): -EFAULT for a bad pointer, -ENAMETOOLONG when there is no NUL
 * within PATH_MAX bytes (getname()).
 */
export function copyInPath(t: Task, addr: number): string | number {
  const b = mem(t).copyInCString(addr, PATH_MAX);
  if (typeof b === "number") return b;
  return latin1(b);
}

/** Decodes bytes as a byte string. */
export function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
}

/** Encodes a byte string as bytes. */
export function bytesOf(s: string): Uint8Array {
  return Buffer.from(s, "latin1");
}

/**
 * Sends SIGPIPE to `t` (pipe(7): a write with no reader left). The
 * implementation is installed by sys-file.ts, which may import the signal
 * code: this module must not, because kernel.ts → sandbox.ts → sys-file.ts
 * would otherwise close an import cycle through every file-syscall module.
 */
export function sendSigpipe(t: Task): void {
  sigpipeImpl(t);
}

let sigpipeImpl: (t: Task) => void = () => {};

/** Installs the SIGPIPE sender (called once by sys-file.ts at load). */
export function installSigpipe(fn: (t: Task) => void): void {
  sigpipeImpl = fn;
}
