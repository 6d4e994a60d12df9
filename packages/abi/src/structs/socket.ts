/**
 * Socket structs: `struct msghdr`, `struct cmsghdr` with the CMSG_* size
 * macros, and the socket addresses `sockaddr_un`, `sockaddr_in`,
 * `sockaddr_in6`.
 *
 * `sin_port`, `sin_addr`, `sin6_port` and `sin6_flowinfo` are in network
 * byte order in memory; decode returns them in host order (as `ntohs`/`ntohl`
 * would) and encode converts back.
 *
 * @module
 */
import { getBytes, getU64, setBytes, setU64 } from "./bytes.js";

/** `struct msghdr` (sendmsg(2), recvmsg(2)). Pointers are application addresses. */
export interface Msghdr {
  msg_name: number;
  msg_namelen: number;
  msg_iov: number;
  msg_iovlen: number;
  msg_control: number;
  msg_controllen: number;
  msg_flags: number;
}
export const MSGHDR_SIZE = 56;
export const MSGHDR_OFFSETS = {
  msg_name: 0,
  msg_namelen: 8,
  msg_iov: 16,
  msg_iovlen: 24,
  msg_control: 32,
  msg_controllen: 40,
  msg_flags: 48,
} as const;

export function decodeMsghdr(dv: DataView, off: number): Msghdr {
  return {
    msg_name: getU64(dv, off),
    msg_namelen: dv.getUint32(off + 8, true),
    msg_iov: getU64(dv, off + 16),
    msg_iovlen: getU64(dv, off + 24),
    msg_control: getU64(dv, off + 32),
    msg_controllen: getU64(dv, off + 40),
    msg_flags: dv.getInt32(off + 48, true),
  };
}
export function encodeMsghdr(dv: DataView, off: number, v: Msghdr): void {
  setU64(dv, off, v.msg_name);
  dv.setUint32(off + 8, v.msg_namelen, true);
  dv.setUint32(off + 12, 0, true);
  setU64(dv, off + 16, v.msg_iov);
  setU64(dv, off + 24, v.msg_iovlen);
  setU64(dv, off + 32, v.msg_control);
  setU64(dv, off + 40, v.msg_controllen);
  dv.setInt32(off + 48, v.msg_flags, true);
  dv.setUint32(off + 52, 0, true);
}

/** `struct cmsghdr`: the header of each control message; data follows at CMSG_LEN(0). */
export interface Cmsghdr {
  cmsg_len: number;
  cmsg_level: number;
  cmsg_type: number;
}
export const CMSGHDR_SIZE = 16;
export const CMSGHDR_OFFSETS = { cmsg_len: 0, cmsg_level: 8, cmsg_type: 12 } as const;

export function decodeCmsghdr(dv: DataView, off: number): Cmsghdr {
  return {
    cmsg_len: getU64(dv, off),
    cmsg_level: dv.getInt32(off + 8, true),
    cmsg_type: dv.getInt32(off + 12, true),
  };
}
export function encodeCmsghdr(dv: DataView, off: number, v: Cmsghdr): void {
  setU64(dv, off, v.cmsg_len);
  dv.setInt32(off + 8, v.cmsg_level, true);
  dv.setInt32(off + 12, v.cmsg_type, true);
}

/** CMSG_ALIGN(len): rounds up to the alignment of `size_t` (8). */
export function CMSG_ALIGN(len: number): number {
  return (len + 7) & ~7;
}
/** CMSG_SPACE(len): bytes a control message with `len` data bytes occupies, padding included. */
export function CMSG_SPACE(len: number): number {
  return CMSG_ALIGN(len) + CMSG_ALIGN(CMSGHDR_SIZE);
}
/** CMSG_LEN(len): the `cmsg_len` value for `len` data bytes (no trailing padding). */
export function CMSG_LEN(len: number): number {
  return CMSG_ALIGN(CMSGHDR_SIZE) + len;
}

/**
 * `struct sockaddr_un`. `sun_path` is raw bytes: unix(7) "abstract" addresses
 * start with a NUL byte and are not NUL-terminated, and the address length,
 * not a terminator, delimits the path.
 */
export interface SockaddrUn {
  sun_family: number;
  sun_path: Uint8Array;
}
export const SOCKADDR_UN_SIZE = 110;
/** Capacity of `sun_path` (UNIX_PATH_MAX). */
export const UNIX_PATH_MAX = 108;
export const SOCKADDR_UN_OFFSETS = { sun_family: 0, sun_path: 2 } as const;

/**
 * Decodes a sockaddr_un of `addrlen` bytes (as passed to bind(2) etc.);
 * `sun_path` gets the `addrlen - 2` path bytes.
 *
 * Preconditions:
 * - 2 <= `addrlen` <= SOCKADDR_UN_SIZE (callers return EINVAL otherwise).
 */
export function decodeSockaddrUn(
  dv: DataView,
  off: number,
  addrlen: number = SOCKADDR_UN_SIZE,
): SockaddrUn {
  return { sun_family: dv.getUint16(off, true), sun_path: getBytes(dv, off + 2, addrlen - 2) };
}
/** Writes all 110 bytes (path zero-filled). Returns the address length: 2 + path bytes. */
export function encodeSockaddrUn(dv: DataView, off: number, v: SockaddrUn): number {
  dv.setUint16(off, v.sun_family, true);
  setBytes(dv, off + 2, UNIX_PATH_MAX, v.sun_path);
  return 2 + Math.min(v.sun_path.length, UNIX_PATH_MAX);
}

/** `struct sockaddr_in` with port and address in host byte order. */
export interface SockaddrIn {
  sin_family: number;
  sin_port: number;
  /** IPv4 address as a host-order u32 (127.0.0.1 is 0x7f000001). */
  sin_addr: number;
}
export const SOCKADDR_IN_SIZE = 16;
export const SOCKADDR_IN_OFFSETS = {
  sin_family: 0,
  sin_port: 2,
  sin_addr: 4,
  sin_zero: 8,
} as const;

export function decodeSockaddrIn(dv: DataView, off: number): SockaddrIn {
  return {
    sin_family: dv.getUint16(off, true),
    sin_port: dv.getUint16(off + 2, false),
    sin_addr: dv.getUint32(off + 4, false),
  };
}
export function encodeSockaddrIn(dv: DataView, off: number, v: SockaddrIn): void {
  dv.setUint16(off, v.sin_family, true);
  dv.setUint16(off + 2, v.sin_port, false);
  dv.setUint32(off + 4, v.sin_addr, false);
  setU64(dv, off + 8, 0);
}

/** `struct sockaddr_in6` with port and flow info in host byte order. */
export interface SockaddrIn6 {
  sin6_family: number;
  sin6_port: number;
  sin6_flowinfo: number;
  /** 16 address bytes, in network order as written. */
  sin6_addr: Uint8Array;
  sin6_scope_id: number;
}
export const SOCKADDR_IN6_SIZE = 28;
export const SOCKADDR_IN6_OFFSETS = {
  sin6_family: 0,
  sin6_port: 2,
  sin6_flowinfo: 4,
  sin6_addr: 8,
  sin6_scope_id: 24,
} as const;

export function decodeSockaddrIn6(dv: DataView, off: number): SockaddrIn6 {
  return {
    sin6_family: dv.getUint16(off, true),
    sin6_port: dv.getUint16(off + 2, false),
    sin6_flowinfo: dv.getUint32(off + 4, false),
    sin6_addr: getBytes(dv, off + 8, 16),
    sin6_scope_id: dv.getUint32(off + 24, true),
  };
}
export function encodeSockaddrIn6(dv: DataView, off: number, v: SockaddrIn6): void {
  dv.setUint16(off, v.sin6_family, true);
  dv.setUint16(off + 2, v.sin6_port, false);
  dv.setUint32(off + 4, v.sin6_flowinfo, false);
  setBytes(dv, off + 8, 16, v.sin6_addr);
  dv.setUint32(off + 24, v.sin6_scope_id, true);
}

/** sizeof(struct sockaddr): the generic 16-byte address. */
export const SOCKADDR_SIZE = 16;
/** sizeof(struct sockaddr_storage): large enough for any address family. */
export const SOCKADDR_STORAGE_SIZE = 128;

/** `struct linger` (SO_LINGER). */
export interface Linger {
  l_onoff: number;
  l_linger: number;
}
export const LINGER_SIZE = 8;
export const LINGER_OFFSETS = { l_onoff: 0, l_linger: 4 } as const;

export function decodeLinger(dv: DataView, off: number): Linger {
  return { l_onoff: dv.getInt32(off, true), l_linger: dv.getInt32(off + 4, true) };
}
export function encodeLinger(dv: DataView, off: number, v: Linger): void {
  dv.setInt32(off, v.l_onoff, true);
  dv.setInt32(off + 4, v.l_linger, true);
}

/** `struct ucred` (SO_PEERCRED, SCM_CREDENTIALS). */
export interface Ucred {
  pid: number;
  uid: number;
  gid: number;
}
export const UCRED_SIZE = 12;
export const UCRED_OFFSETS = { pid: 0, uid: 4, gid: 8 } as const;

export function decodeUcred(dv: DataView, off: number): Ucred {
  return {
    pid: dv.getInt32(off, true),
    uid: dv.getUint32(off + 4, true),
    gid: dv.getUint32(off + 8, true),
  };
}
export function encodeUcred(dv: DataView, off: number, v: Ucred): void {
  dv.setInt32(off, v.pid, true);
  dv.setUint32(off + 4, v.uid, true);
  dv.setUint32(off + 8, v.gid, true);
}

/** `struct mmsghdr` (sendmmsg(2), recvmmsg(2)): a msghdr and the byte count transferred. */
export interface Mmsghdr {
  msg_hdr: Msghdr;
  msg_len: number;
}
export const MMSGHDR_SIZE = 64;
export const MMSGHDR_OFFSETS = { msg_hdr: 0, msg_len: 56 } as const;

export function decodeMmsghdr(dv: DataView, off: number): Mmsghdr {
  return { msg_hdr: decodeMsghdr(dv, off), msg_len: dv.getUint32(off + 56, true) };
}
export function encodeMmsghdr(dv: DataView, off: number, v: Mmsghdr): void {
  encodeMsghdr(dv, off, v.msg_hdr);
  dv.setUint32(off + 56, v.msg_len, true);
  dv.setUint32(off + 60, 0, true);
}
