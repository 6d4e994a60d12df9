/**
 * `struct statfs` (statfs(2), fstatfs(2)): the x86-64 kernel layout, which
 * glibc's <sys/vfs.h> matches. `f_type` is a *_MAGIC value (mount.ts);
 * `f_flags` holds ST_* bits (Linux 2.6.36+).
 *
 * @module
 */
import { getI64, getU64, setI64, setU64 } from "./bytes.js";

export interface Statfs {
  f_type: number;
  f_bsize: number;
  f_blocks: number;
  f_bfree: number;
  f_bavail: number;
  f_files: number;
  f_ffree: number;
  /** `f_fsid.__val[0..1]`. */
  f_fsid: [number, number];
  f_namelen: number;
  f_frsize: number;
  f_flags: number;
}
export const STATFS_SIZE = 120;
export const STATFS_OFFSETS = {
  f_type: 0,
  f_bsize: 8,
  f_blocks: 16,
  f_bfree: 24,
  f_bavail: 32,
  f_files: 40,
  f_ffree: 48,
  f_fsid: 56,
  f_namelen: 64,
  f_frsize: 72,
  f_flags: 80,
  f_spare: 88,
} as const;

export function decodeStatfs(dv: DataView, off: number): Statfs {
  return {
    f_type: getI64(dv, off),
    f_bsize: getI64(dv, off + 8),
    f_blocks: getU64(dv, off + 16),
    f_bfree: getU64(dv, off + 24),
    f_bavail: getU64(dv, off + 32),
    f_files: getU64(dv, off + 40),
    f_ffree: getU64(dv, off + 48),
    f_fsid: [dv.getInt32(off + 56, true), dv.getInt32(off + 60, true)],
    f_namelen: getI64(dv, off + 64),
    f_frsize: getI64(dv, off + 72),
    f_flags: getI64(dv, off + 80),
  };
}

/** Writes all 120 bytes (f_spare zeroed). */
export function encodeStatfs(dv: DataView, off: number, v: Statfs): void {
  setI64(dv, off, v.f_type);
  setI64(dv, off + 8, v.f_bsize);
  setU64(dv, off + 16, v.f_blocks);
  setU64(dv, off + 24, v.f_bfree);
  setU64(dv, off + 32, v.f_bavail);
  setU64(dv, off + 40, v.f_files);
  setU64(dv, off + 48, v.f_ffree);
  dv.setInt32(off + 56, v.f_fsid[0], true);
  dv.setInt32(off + 60, v.f_fsid[1], true);
  setI64(dv, off + 64, v.f_namelen);
  setI64(dv, off + 72, v.f_frsize);
  setI64(dv, off + 80, v.f_flags);
  for (let i = 88; i < STATFS_SIZE; i += 8) setU64(dv, off + i, 0);
}
