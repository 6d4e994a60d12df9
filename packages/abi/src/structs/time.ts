/**
 * Time structs (x86-64): `struct timespec`, `timeval`, `itimerspec`,
 * `itimerval`, `timezone` and `tms`. On x86-64 `time_t`, `suseconds_t`,
 * `long` and `clock_t` are all 64-bit, so glibc's and the kernel's layouts
 * agree.
 *
 * @module
 */
import { getI64, setI64 } from "./bytes.js";

/** `struct timespec`: seconds and nanoseconds. */
export interface Timespec {
  tv_sec: number;
  tv_nsec: number;
}
export const TIMESPEC_SIZE = 16;
export const TIMESPEC_OFFSETS = { tv_sec: 0, tv_nsec: 8 } as const;

export function decodeTimespec(dv: DataView, off: number): Timespec {
  return { tv_sec: getI64(dv, off), tv_nsec: getI64(dv, off + 8) };
}
export function encodeTimespec(dv: DataView, off: number, v: Timespec): void {
  setI64(dv, off, v.tv_sec);
  setI64(dv, off + 8, v.tv_nsec);
}

/** `struct timeval`: seconds and microseconds. */
export interface Timeval {
  tv_sec: number;
  tv_usec: number;
}
export const TIMEVAL_SIZE = 16;
export const TIMEVAL_OFFSETS = { tv_sec: 0, tv_usec: 8 } as const;

export function decodeTimeval(dv: DataView, off: number): Timeval {
  return { tv_sec: getI64(dv, off), tv_usec: getI64(dv, off + 8) };
}
export function encodeTimeval(dv: DataView, off: number, v: Timeval): void {
  setI64(dv, off, v.tv_sec);
  setI64(dv, off + 8, v.tv_usec);
}

/** `struct itimerspec` (timer_settime(2), timerfd_settime(2)). */
export interface Itimerspec {
  it_interval: Timespec;
  it_value: Timespec;
}
export const ITIMERSPEC_SIZE = 32;
export const ITIMERSPEC_OFFSETS = { it_interval: 0, it_value: 16 } as const;

export function decodeItimerspec(dv: DataView, off: number): Itimerspec {
  return { it_interval: decodeTimespec(dv, off), it_value: decodeTimespec(dv, off + 16) };
}
export function encodeItimerspec(dv: DataView, off: number, v: Itimerspec): void {
  encodeTimespec(dv, off, v.it_interval);
  encodeTimespec(dv, off + 16, v.it_value);
}

/** `struct itimerval` (setitimer(2)). */
export interface Itimerval {
  it_interval: Timeval;
  it_value: Timeval;
}
export const ITIMERVAL_SIZE = 32;
export const ITIMERVAL_OFFSETS = { it_interval: 0, it_value: 16 } as const;

export function decodeItimerval(dv: DataView, off: number): Itimerval {
  return { it_interval: decodeTimeval(dv, off), it_value: decodeTimeval(dv, off + 16) };
}
export function encodeItimerval(dv: DataView, off: number, v: Itimerval): void {
  encodeTimeval(dv, off, v.it_interval);
  encodeTimeval(dv, off + 16, v.it_value);
}

/**
 * `struct timezone` (gettimeofday(2)). The man page: "The use of the timezone
 * structure is obsolete; the tz argument should normally be specified as NULL."
 */
export interface Timezone {
  tz_minuteswest: number;
  tz_dsttime: number;
}
export const TIMEZONE_SIZE = 8;
export const TIMEZONE_OFFSETS = { tz_minuteswest: 0, tz_dsttime: 4 } as const;

export function decodeTimezone(dv: DataView, off: number): Timezone {
  return { tz_minuteswest: dv.getInt32(off, true), tz_dsttime: dv.getInt32(off + 4, true) };
}
export function encodeTimezone(dv: DataView, off: number, v: Timezone): void {
  dv.setInt32(off, v.tz_minuteswest, true);
  dv.setInt32(off + 4, v.tz_dsttime, true);
}

/** `struct tms` (times(2)), in clock ticks. */
export interface Tms {
  tms_utime: number;
  tms_stime: number;
  tms_cutime: number;
  tms_cstime: number;
}
export const TMS_SIZE = 32;
export const TMS_OFFSETS = { tms_utime: 0, tms_stime: 8, tms_cutime: 16, tms_cstime: 24 } as const;

export function decodeTms(dv: DataView, off: number): Tms {
  return {
    tms_utime: getI64(dv, off),
    tms_stime: getI64(dv, off + 8),
    tms_cutime: getI64(dv, off + 16),
    tms_cstime: getI64(dv, off + 24),
  };
}
export function encodeTms(dv: DataView, off: number, v: Tms): void {
  setI64(dv, off, v.tms_utime);
  setI64(dv, off + 8, v.tms_stime);
  setI64(dv, off + 16, v.tms_cutime);
  setI64(dv, off + 24, v.tms_cstime);
}

/** `struct utimbuf` (utime(2)): access and modification times in seconds. */
export interface Utimbuf {
  actime: number;
  modtime: number;
}
export const UTIMBUF_SIZE = 16;
export const UTIMBUF_OFFSETS = { actime: 0, modtime: 8 } as const;

export function decodeUtimbuf(dv: DataView, off: number): Utimbuf {
  return { actime: getI64(dv, off), modtime: getI64(dv, off + 8) };
}
export function encodeUtimbuf(dv: DataView, off: number, v: Utimbuf): void {
  setI64(dv, off, v.actime);
  setI64(dv, off + 8, v.modtime);
}
