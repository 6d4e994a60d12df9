/**
 * `struct stat` (the kernel's x86-64 layout from <asm/stat.h>, used by
 * stat(2), fstat(2), lstat(2), newfstatat(2); glibc's is identical on
 * x86-64) and `struct statx` / `struct statx_timestamp` (<linux/stat.h>).
 * Field names are the kernel's: `st_atime`/`st_atime_nsec` where glibc says
 * `st_atim.tv_sec`/`st_atim.tv_nsec`.
 *
 * @module
 */
import { getI64, getU64, setI64, setU64 } from "./bytes.js";

/** The kernel's x86-64 `struct stat`. */
export interface Stat {
  st_dev: number;
  st_ino: number;
  st_nlink: number;
  st_mode: number;
  st_uid: number;
  st_gid: number;
  st_rdev: number;
  st_size: number;
  st_blksize: number;
  st_blocks: number;
  st_atime: number;
  st_atime_nsec: number;
  st_mtime: number;
  st_mtime_nsec: number;
  st_ctime: number;
  st_ctime_nsec: number;
}
export const STAT_SIZE = 144;
/** Field offsets. Note x86-64 puts st_nlink (64-bit) before st_mode, unlike the generic layout. */
export const STAT_OFFSETS = {
  st_dev: 0,
  st_ino: 8,
  st_nlink: 16,
  st_mode: 24,
  st_uid: 28,
  st_gid: 32,
  __pad0: 36,
  st_rdev: 40,
  st_size: 48,
  st_blksize: 56,
  st_blocks: 64,
  st_atime: 72,
  st_atime_nsec: 80,
  st_mtime: 88,
  st_mtime_nsec: 96,
  st_ctime: 104,
  st_ctime_nsec: 112,
  __unused: 120,
} as const;

export function decodeStat(dv: DataView, off: number): Stat {
  return {
    st_dev: getU64(dv, off),
    st_ino: getU64(dv, off + 8),
    st_nlink: getU64(dv, off + 16),
    st_mode: dv.getUint32(off + 24, true),
    st_uid: dv.getUint32(off + 28, true),
    st_gid: dv.getUint32(off + 32, true),
    st_rdev: getU64(dv, off + 40),
    st_size: getI64(dv, off + 48),
    st_blksize: getI64(dv, off + 56),
    st_blocks: getI64(dv, off + 64),
    st_atime: getI64(dv, off + 72),
    st_atime_nsec: getU64(dv, off + 80),
    st_mtime: getI64(dv, off + 88),
    st_mtime_nsec: getU64(dv, off + 96),
    st_ctime: getI64(dv, off + 104),
    st_ctime_nsec: getU64(dv, off + 112),
  };
}

/** Writes all 144 bytes, zeroing padding and `__unused`. */
export function encodeStat(dv: DataView, off: number, s: Stat): void {
  setU64(dv, off, s.st_dev);
  setU64(dv, off + 8, s.st_ino);
  setU64(dv, off + 16, s.st_nlink);
  dv.setUint32(off + 24, s.st_mode, true);
  dv.setUint32(off + 28, s.st_uid, true);
  dv.setUint32(off + 32, s.st_gid, true);
  dv.setUint32(off + 36, 0, true);
  setU64(dv, off + 40, s.st_rdev);
  setI64(dv, off + 48, s.st_size);
  setI64(dv, off + 56, s.st_blksize);
  setI64(dv, off + 64, s.st_blocks);
  setI64(dv, off + 72, s.st_atime);
  setU64(dv, off + 80, s.st_atime_nsec);
  setI64(dv, off + 88, s.st_mtime);
  setU64(dv, off + 96, s.st_mtime_nsec);
  setI64(dv, off + 104, s.st_ctime);
  setU64(dv, off + 112, s.st_ctime_nsec);
  for (let i = 120; i < STAT_SIZE; i += 8) setU64(dv, off + i, 0);
}

/** `struct statx_timestamp`: i64 seconds, u32 nanoseconds, 4 reserved bytes. */
export interface StatxTimestamp {
  tv_sec: number;
  tv_nsec: number;
}
export const STATX_TIMESTAMP_SIZE = 16;
export const STATX_TIMESTAMP_OFFSETS = { tv_sec: 0, tv_nsec: 8, __reserved: 12 } as const;

export function decodeStatxTimestamp(dv: DataView, off: number): StatxTimestamp {
  return { tv_sec: getI64(dv, off), tv_nsec: dv.getUint32(off + 8, true) };
}
export function encodeStatxTimestamp(dv: DataView, off: number, t: StatxTimestamp): void {
  setI64(dv, off, t.tv_sec);
  dv.setUint32(off + 8, t.tv_nsec, true);
  dv.setInt32(off + 12, 0, true);
}

/** `struct statx` (statx(2)), 256 bytes of which the tail is spare. */
export interface Statx {
  stx_mask: number;
  stx_blksize: number;
  stx_attributes: number;
  stx_nlink: number;
  stx_uid: number;
  stx_gid: number;
  stx_mode: number;
  stx_ino: number;
  stx_size: number;
  stx_blocks: number;
  stx_attributes_mask: number;
  stx_atime: StatxTimestamp;
  stx_btime: StatxTimestamp;
  stx_ctime: StatxTimestamp;
  stx_mtime: StatxTimestamp;
  stx_rdev_major: number;
  stx_rdev_minor: number;
  stx_dev_major: number;
  stx_dev_minor: number;
  stx_mnt_id: number;
  stx_dio_mem_align: number;
  stx_dio_offset_align: number;
}
/** sizeof(struct statx). (Not STATX_SIZE: that is the statx(2) mask bit for stx_size.) */
export const STATX_STRUCT_SIZE = 256;
export const STATX_OFFSETS = {
  stx_mask: 0,
  stx_blksize: 4,
  stx_attributes: 8,
  stx_nlink: 16,
  stx_uid: 20,
  stx_gid: 24,
  stx_mode: 28,
  __spare0: 30,
  stx_ino: 32,
  stx_size: 40,
  stx_blocks: 48,
  stx_attributes_mask: 56,
  stx_atime: 64,
  stx_btime: 80,
  stx_ctime: 96,
  stx_mtime: 112,
  stx_rdev_major: 128,
  stx_rdev_minor: 132,
  stx_dev_major: 136,
  stx_dev_minor: 140,
  stx_mnt_id: 144,
  stx_dio_mem_align: 152,
  stx_dio_offset_align: 156,
  __spare3: 160,
} as const;

export function decodeStatx(dv: DataView, off: number): Statx {
  return {
    stx_mask: dv.getUint32(off, true),
    stx_blksize: dv.getUint32(off + 4, true),
    stx_attributes: getU64(dv, off + 8),
    stx_nlink: dv.getUint32(off + 16, true),
    stx_uid: dv.getUint32(off + 20, true),
    stx_gid: dv.getUint32(off + 24, true),
    stx_mode: dv.getUint16(off + 28, true),
    stx_ino: getU64(dv, off + 32),
    stx_size: getU64(dv, off + 40),
    stx_blocks: getU64(dv, off + 48),
    stx_attributes_mask: getU64(dv, off + 56),
    stx_atime: decodeStatxTimestamp(dv, off + 64),
    stx_btime: decodeStatxTimestamp(dv, off + 80),
    stx_ctime: decodeStatxTimestamp(dv, off + 96),
    stx_mtime: decodeStatxTimestamp(dv, off + 112),
    stx_rdev_major: dv.getUint32(off + 128, true),
    stx_rdev_minor: dv.getUint32(off + 132, true),
    stx_dev_major: dv.getUint32(off + 136, true),
    stx_dev_minor: dv.getUint32(off + 140, true),
    stx_mnt_id: getU64(dv, off + 144),
    stx_dio_mem_align: dv.getUint32(off + 152, true),
    stx_dio_offset_align: dv.getUint32(off + 156, true),
  };
}

/** Writes all 256 bytes, zeroing spare fields. */
export function encodeStatx(dv: DataView, off: number, s: Statx): void {
  dv.setUint32(off, s.stx_mask, true);
  dv.setUint32(off + 4, s.stx_blksize, true);
  setU64(dv, off + 8, s.stx_attributes);
  dv.setUint32(off + 16, s.stx_nlink, true);
  dv.setUint32(off + 20, s.stx_uid, true);
  dv.setUint32(off + 24, s.stx_gid, true);
  dv.setUint16(off + 28, s.stx_mode, true);
  dv.setUint16(off + 30, 0, true);
  setU64(dv, off + 32, s.stx_ino);
  setU64(dv, off + 40, s.stx_size);
  setU64(dv, off + 48, s.stx_blocks);
  setU64(dv, off + 56, s.stx_attributes_mask);
  encodeStatxTimestamp(dv, off + 64, s.stx_atime);
  encodeStatxTimestamp(dv, off + 80, s.stx_btime);
  encodeStatxTimestamp(dv, off + 96, s.stx_ctime);
  encodeStatxTimestamp(dv, off + 112, s.stx_mtime);
  dv.setUint32(off + 128, s.stx_rdev_major, true);
  dv.setUint32(off + 132, s.stx_rdev_minor, true);
  dv.setUint32(off + 136, s.stx_dev_major, true);
  dv.setUint32(off + 140, s.stx_dev_minor, true);
  setU64(dv, off + 144, s.stx_mnt_id);
  dv.setUint32(off + 152, s.stx_dio_mem_align, true);
  dv.setUint32(off + 156, s.stx_dio_offset_align, true);
  for (let i = 160; i < STATX_STRUCT_SIZE; i += 8) setU64(dv, off + i, 0);
}

/**
 * glibc's `makedev(major, minor)` (<sys/sysmacros.h>): the 64-bit dev_t
 * encoding, which for major < 4096 and minor < 2^20 equals the kernel's
 * 32-bit new_encode_dev() that stat(2) reports. Exact while major < 2^21.
 */
export function makedev(major: number, minor: number): number {
  const lo = (((major & 0xfff) << 8) | (minor & 0xff) | ((minor & 0xfff00) << 12)) >>> 0;
  const hi = ((major & 0xfffff000) | (minor >>> 20)) >>> 0;
  return hi * 0x1_0000_0000 + lo;
}
/** glibc's `major(dev)`. */
export function major(dev: number): number {
  const lo = dev >>> 0;
  const hi = Math.floor(dev / 0x1_0000_0000) >>> 0;
  return (((lo >>> 8) & 0xfff) | (hi & 0xfffff000)) >>> 0;
}
/** glibc's `minor(dev)`. */
export function minor(dev: number): number {
  const lo = dev >>> 0;
  const hi = Math.floor(dev / 0x1_0000_0000) >>> 0;
  return ((lo & 0xff) | ((lo >>> 12) & 0xfff00) | ((hi & 0xfff) << 20)) >>> 0;
}
