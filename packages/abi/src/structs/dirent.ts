/**
 * `struct linux_dirent64`, the records getdents64(2) returns:
 *
 * ```c
 * struct linux_dirent64 {
 *     ino64_t        d_ino;    // 64-bit inode number
 *     off64_t        d_off;    // Not an offset; see getdents(2)
 *     unsigned short d_reclen; // Size of this dirent
 *     unsigned char  d_type;   // File type
 *     char           d_name[]; // Filename (null-terminated)
 * };
 * ```
 *
 * Records are variable-length: the name (NUL-terminated) starts at byte 19
 * and `d_reclen` rounds the total up to a multiple of 8. getdents(2): d_off
 * is "the distance from the start of the directory to the start of the next
 * linux_dirent" -- in practice an opaque 64-bit cookie for lseek(2) (ext4
 * and tmpfs hash cookies exceed 2^53), hence a bigint. Not in
 * userspace headers; glibc's `struct dirent64` has the same header layout.
 *
 * @module
 */
import { getU64, getU64Big, setU64, setU64Big } from "./bytes.js";

export interface LinuxDirent64 {
  d_ino: number;
  d_off: bigint;
  d_reclen: number;
  d_type: number;
  d_name: string;
}
/** Offset of `d_name`: the fixed header size. */
export const LINUX_DIRENT64_HEADER_SIZE = 19;
export const LINUX_DIRENT64_OFFSETS = {
  d_ino: 0,
  d_off: 8,
  d_reclen: 16,
  d_type: 18,
  d_name: 19,
} as const;

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8");

/** The `d_reclen` of a record whose name is `nameBytes` bytes (UTF-8, without NUL). */
export function linuxDirent64Reclen(nameBytes: number): number {
  return (LINUX_DIRENT64_HEADER_SIZE + nameBytes + 1 + 7) & ~7;
}

export function decodeLinuxDirent64(dv: DataView, off: number): LinuxDirent64 {
  const reclen = dv.getUint16(off + 16, true);
  const name = new Uint8Array(dv.buffer, dv.byteOffset + off + 19, Math.max(0, reclen - 19));
  const end = name.indexOf(0);
  return {
    d_ino: getU64(dv, off),
    d_off: BigInt.asIntN(64, getU64Big(dv, off + 8)),
    d_reclen: reclen,
    d_type: dv.getUint8(off + 18),
    d_name: dec.decode(end < 0 ? name : name.subarray(0, end)),
  };
}

/**
 * Writes one record, computing `d_reclen` from the name (the `d_reclen` in
 * `v` is ignored) and zero-filling the padding. Returns `d_reclen`.
 *
 * Preconditions:
 * - `dv` has room for `linuxDirent64Reclen(utf8 length of d_name)` bytes at `off`.
 */
export function encodeLinuxDirent64(dv: DataView, off: number, v: LinuxDirent64): number {
  const name = enc.encode(v.d_name);
  const reclen = linuxDirent64Reclen(name.length);
  setU64(dv, off, v.d_ino);
  setU64Big(dv, off + 8, v.d_off);
  dv.setUint16(off + 16, reclen, true);
  dv.setUint8(off + 18, v.d_type);
  const dst = new Uint8Array(dv.buffer, dv.byteOffset + off + 19, reclen - 19);
  dst.fill(0);
  dst.set(name);
  return reclen;
}

/**
 * The old `struct linux_dirent` of getdents(2) (syscall 78):
 *
 * ```c
 * struct linux_dirent {
 *     unsigned long  d_ino;     // Inode number
 *     unsigned long  d_off;     // Not an offset; see below
 *     unsigned short d_reclen;  // Length of this linux_dirent
 *     char           d_name[];  // Filename (null-terminated)
 *     // char pad;              // Zero padding byte
 *     // char d_type;           // File type (only since Linux 2.6.4);
 *     //                        // offset is (d_reclen - 1)
 * };
 * ```
 */
export interface LinuxDirent {
  d_ino: number;
  d_off: bigint;
  d_reclen: number;
  d_name: string;
  d_type: number;
}
/** Offset of `d_name`. */
export const LINUX_DIRENT_HEADER_SIZE = 18;
export const LINUX_DIRENT_OFFSETS = { d_ino: 0, d_off: 8, d_reclen: 16, d_name: 18 } as const;

/** The `d_reclen` of an old-style record: header, name, NUL, d_type, rounded up to 8. */
export function linuxDirentReclen(nameBytes: number): number {
  return (LINUX_DIRENT_HEADER_SIZE + nameBytes + 2 + 7) & ~7;
}

export function decodeLinuxDirent(dv: DataView, off: number): LinuxDirent {
  const reclen = dv.getUint16(off + 16, true);
  const name = new Uint8Array(dv.buffer, dv.byteOffset + off + 18, Math.max(0, reclen - 19));
  const end = name.indexOf(0);
  return {
    d_ino: getU64(dv, off),
    d_off: BigInt.asIntN(64, getU64Big(dv, off + 8)),
    d_reclen: reclen,
    d_name: dec.decode(end < 0 ? name : name.subarray(0, end)),
    d_type: dv.getUint8(off + reclen - 1),
  };
}

/**
 * Writes one old-style record, computing `d_reclen` (the given one is
 * ignored); the padding is zeroed and `d_type` is the last byte. Returns
 * `d_reclen`.
 */
export function encodeLinuxDirent(dv: DataView, off: number, v: LinuxDirent): number {
  const name = enc.encode(v.d_name);
  const reclen = linuxDirentReclen(name.length);
  setU64(dv, off, v.d_ino);
  setU64Big(dv, off + 8, v.d_off);
  dv.setUint16(off + 16, reclen, true);
  const dst = new Uint8Array(dv.buffer, dv.byteOffset + off + 18, reclen - 18);
  dst.fill(0);
  dst.set(name);
  dv.setUint8(off + reclen - 1, v.d_type);
  return reclen;
}
