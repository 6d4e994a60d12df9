/**
 * Extended attributes (xattr(7)): {get,set,list,remove}xattr and their
 * l* (no symlink following) and f* (open file) variants.
 *
 * Inspired by gVisor's pkg/sentry/syscalls/linux/vfs2/xattr.go and Linux's
 * fs/xattr.c.
 */
import {
  AT_FDCWD,
  E2BIG,
  EBADF,
  EFAULT,
  ENAMETOOLONG,
  ERANGE,
  O_PATH,
  SYS_fgetxattr,
  SYS_flistxattr,
  SYS_fremovexattr,
  SYS_fsetxattr,
  SYS_getxattr,
  SYS_lgetxattr,
  SYS_listxattr,
  SYS_llistxattr,
  SYS_lremovexattr,
  SYS_lsetxattr,
  SYS_removexattr,
  SYS_setxattr,
} from "@tsvisor/abi";
import * as vfs from "@tsvisor/vfs";
import type { Task } from "../task.js";
import { bytesOf, copyInPath, fdTable, latin1, mem, vtask } from "./file-common.js";
import { partial, type SyscallArgs, type SyscallEntry, type SyscallFn } from "./syscall.js";

/** XATTR_NAME_MAX + 1: names are copied in with strncpy_from_user(…, 256). */
const NAME_BUF = 256;
const XATTR_SIZE_MAX = 65536;

/** The file an xattr call names: a path (following symlinks or not) or an open fd. */
function target(t: Task, a: SyscallArgs, kind: "path" | "lpath" | "fd"): vfs.Location | number {
  if (kind === "fd") {
    const f = fdTable(t).get(a.int(0));
    if (!f || f.flags & O_PATH) return -EBADF;
    return f.location ?? -EBADF;
  }
  const p = copyInPath(t, a.ptr(0));
  if (typeof p === "number") return p;
  return vfs.lookupAt(vtask(t), AT_FDCWD, p, kind === "path");
}

/** The attribute name argument; "ERANGE The size of name is too large" (or empty). */
function nameArg(t: Task, addr: number): string | number {
  const b = mem(t).copyInCString(addr, NAME_BUF);
  if (b === -ENAMETOOLONG) return -ERANGE;
  if (typeof b === "number") return b;
  if (b.length === 0) return -ERANGE;
  return latin1(b);
}

/** Copies `data` out under the size rules of getxattr/listxattr: size 0 asks for the length. */
function sized(t: Task, addr: number, size: number, data: Uint8Array): number {
  if (size === 0) return data.length;
  if (data.length > size) return -ERANGE;
  return mem(t).copyOut(addr, data) < 0 ? -EFAULT : data.length;
}

function getx(kind: "path" | "lpath" | "fd"): SyscallFn {
  return (t, a) => {
    const loc = target(t, a, kind);
    if (typeof loc === "number") return loc;
    const name = nameArg(t, a.ptr(1));
    if (typeof name === "number") return name;
    const v = vfs.getxattrAt(vtask(t), loc, name);
    if (typeof v === "number") return v;
    return sized(t, a.ptr(2), a.u64(3), v);
  };
}

function setx(kind: "path" | "lpath" | "fd"): SyscallFn {
  return (t, a) => {
    const loc = target(t, a, kind);
    if (typeof loc === "number") return loc;
    const name = nameArg(t, a.ptr(1));
    if (typeof name === "number") return name;
    const size = a.u64(3);
    if (size > XATTR_SIZE_MAX) return -E2BIG;
    const value = new Uint8Array(size);
    if (size > 0 && mem(t).copyIn(a.ptr(2), value) < 0) return -EFAULT;
    return vfs.setxattrAt(vtask(t), loc, name, value, a.int(4));
  };
}

function listx(kind: "path" | "lpath" | "fd"): SyscallFn {
  return (t, a) => {
    const loc = target(t, a, kind);
    if (typeof loc === "number") return loc;
    const names = vfs.listxattrAt(vtask(t), loc);
    if (typeof names === "number") return names;
    return sized(t, a.ptr(1), a.u64(2), bytesOf(names.map((n) => `${n}\0`).join("")));
  };
}

function removex(kind: "path" | "lpath" | "fd"): SyscallFn {
  return (t, a) => {
    const loc = target(t, a, kind);
    if (typeof loc === "number") return loc;
    const name = nameArg(t, a.ptr(1));
    if (typeof name === "number") return name;
    return vfs.removexattrAt(vtask(t), loc, name);
  };
}

export const sysGetxattr = getx("path");
export const sysLgetxattr = getx("lpath");
export const sysFgetxattr = getx("fd");
export const sysSetxattr = setx("path");
export const sysLsetxattr = setx("lpath");
export const sysFsetxattr = setx("fd");
export const sysListxattr = listx("path");
export const sysLlistxattr = listx("lpath");
export const sysFlistxattr = listx("fd");
export const sysRemovexattr = removex("path");
export const sysLremovexattr = removex("lpath");
export const sysFremovexattr = removex("fd");

const NOTE =
  "tmpfs and the overlay store xattrs; host mounts have none (EOPNOTSUPP); no system.* (POSIX ACLs).";

export const xattrSyscalls: readonly SyscallEntry[] = [
  partial(SYS_setxattr, "setxattr", sysSetxattr, NOTE),
  partial(SYS_lsetxattr, "lsetxattr", sysLsetxattr, NOTE),
  partial(SYS_fsetxattr, "fsetxattr", sysFsetxattr, NOTE),
  partial(SYS_getxattr, "getxattr", sysGetxattr, NOTE),
  partial(SYS_lgetxattr, "lgetxattr", sysLgetxattr, NOTE),
  partial(SYS_fgetxattr, "fgetxattr", sysFgetxattr, NOTE),
  partial(SYS_listxattr, "listxattr", sysListxattr, NOTE),
  partial(SYS_llistxattr, "llistxattr", sysLlistxattr, NOTE),
  partial(SYS_flistxattr, "flistxattr", sysFlistxattr, NOTE),
  partial(SYS_removexattr, "removexattr", sysRemovexattr, NOTE),
  partial(SYS_lremovexattr, "lremovexattr", sysLremovexattr, NOTE),
  partial(SYS_fremovexattr, "fremovexattr", sysFremovexattr, NOTE),
];
