/**
 * fcntl(2) argument structs: `struct flock` (F_GETLK, F_SETLK, F_SETLKW and
 * the F_OFD_* variants) and `struct f_owner_ex` (F_GETOWN_EX, F_SETOWN_EX).
 * On x86-64 `struct flock` and `struct flock64` are the same.
 *
 * @module
 */
import { getI64, setI64 } from "./bytes.js";

/**
 * `struct flock`. fcntl(2): "Specifying 0 for l_len has the special meaning:
 * lock all bytes starting at the location specified by l_whence and l_start
 * through to the end of file, no matter how large the file grows."
 */
export interface Flock {
  /** F_RDLCK, F_WRLCK or F_UNLCK. */
  l_type: number;
  /** SEEK_SET, SEEK_CUR or SEEK_END. */
  l_whence: number;
  l_start: number;
  l_len: number;
  /** F_GETLK: the lock holder's pid (-1 for OFD locks); must be 0 for F_OFD_*. */
  l_pid: number;
}
export const FLOCK_SIZE = 32;
export const FLOCK_OFFSETS = { l_type: 0, l_whence: 2, l_start: 8, l_len: 16, l_pid: 24 } as const;

export function decodeFlock(dv: DataView, off: number): Flock {
  return {
    l_type: dv.getInt16(off, true),
    l_whence: dv.getInt16(off + 2, true),
    l_start: getI64(dv, off + 8),
    l_len: getI64(dv, off + 16),
    l_pid: dv.getInt32(off + 24, true),
  };
}
export function encodeFlock(dv: DataView, off: number, v: Flock): void {
  dv.setInt16(off, v.l_type, true);
  dv.setInt16(off + 2, v.l_whence, true);
  dv.setUint32(off + 4, 0, true);
  setI64(dv, off + 8, v.l_start);
  setI64(dv, off + 16, v.l_len);
  dv.setInt32(off + 24, v.l_pid, true);
  dv.setUint32(off + 28, 0, true);
}

/** `struct f_owner_ex`: `type` is F_OWNER_TID, F_OWNER_PID or F_OWNER_PGRP. */
export interface FOwnerEx {
  type: number;
  pid: number;
}
export const F_OWNER_EX_SIZE = 8;
export const F_OWNER_EX_OFFSETS = { type: 0, pid: 4 } as const;

export function decodeFOwnerEx(dv: DataView, off: number): FOwnerEx {
  return { type: dv.getInt32(off, true), pid: dv.getInt32(off + 4, true) };
}
export function encodeFOwnerEx(dv: DataView, off: number, v: FOwnerEx): void {
  dv.setInt32(off, v.type, true);
  dv.setInt32(off + 4, v.pid, true);
}
