/**
 * Resource structs: `struct rlimit` (getrlimit(2), prlimit64(2)), `struct
 * rusage` (getrusage(2), wait4(2)), `struct sysinfo` (sysinfo(2)).
 *
 * @module
 */
import { getI64, getU64, getU64Big, setI64, setU64, setU64Big } from "./bytes.js";
import { decodeTimeval, encodeTimeval, type Timeval } from "./time.js";

/**
 * RLIM_INFINITY: `(~0UL)` on x86-64, i.e. 2^64 - 1. It does not fit a
 * double, so rlimits are bigints. getrlimit(2): "The value RLIM_INFINITY
 * denotes no limit on a resource."
 */
export const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;
/**
 * The number-world marker for RLIM_INFINITY: `Infinity`, which compares
 * greater than any finite limit. See rlimitToNumber/rlimitFromNumber.
 */
export const RLIM_INFINITY_NUMBER: number = Number.POSITIVE_INFINITY;

/**
 * Converts a raw rlimit value to a number: RLIM_INFINITY (and any value
 * above 2^53, which no resource can reach) becomes `Infinity`.
 */
export function rlimitToNumber(v: bigint): number {
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? RLIM_INFINITY_NUMBER : Number(v);
}

/** Converts a number limit back to the raw value (`Infinity` -> RLIM_INFINITY). */
export function rlimitFromNumber(n: number): bigint {
  return n === RLIM_INFINITY_NUMBER ? RLIM_INFINITY : BigInt(n);
}

/** `struct rlimit` with exact 64-bit values. */
export interface Rlimit {
  rlim_cur: bigint;
  rlim_max: bigint;
}
export const RLIMIT_SIZE = 16;
export const RLIMIT_OFFSETS = { rlim_cur: 0, rlim_max: 8 } as const;

export function decodeRlimit(dv: DataView, off: number): Rlimit {
  return { rlim_cur: getU64Big(dv, off), rlim_max: getU64Big(dv, off + 8) };
}
export function encodeRlimit(dv: DataView, off: number, v: Rlimit): void {
  setU64Big(dv, off, v.rlim_cur);
  setU64Big(dv, off + 8, v.rlim_max);
}

/** `struct rusage`: two timevals then fourteen longs. */
export interface Rusage {
  ru_utime: Timeval;
  ru_stime: Timeval;
  ru_maxrss: number;
  ru_ixrss: number;
  ru_idrss: number;
  ru_isrss: number;
  ru_minflt: number;
  ru_majflt: number;
  ru_nswap: number;
  ru_inblock: number;
  ru_oublock: number;
  ru_msgsnd: number;
  ru_msgrcv: number;
  ru_nsignals: number;
  ru_nvcsw: number;
  ru_nivcsw: number;
}
export const RUSAGE_SIZE = 144;
const RUSAGE_LONGS = [
  "ru_maxrss",
  "ru_ixrss",
  "ru_idrss",
  "ru_isrss",
  "ru_minflt",
  "ru_majflt",
  "ru_nswap",
  "ru_inblock",
  "ru_oublock",
  "ru_msgsnd",
  "ru_msgrcv",
  "ru_nsignals",
  "ru_nvcsw",
  "ru_nivcsw",
] as const;
export const RUSAGE_OFFSETS = {
  ru_utime: 0,
  ru_stime: 16,
  ru_maxrss: 32,
  ru_ixrss: 40,
  ru_idrss: 48,
  ru_isrss: 56,
  ru_minflt: 64,
  ru_majflt: 72,
  ru_nswap: 80,
  ru_inblock: 88,
  ru_oublock: 96,
  ru_msgsnd: 104,
  ru_msgrcv: 112,
  ru_nsignals: 120,
  ru_nvcsw: 128,
  ru_nivcsw: 136,
} as const;

export function decodeRusage(dv: DataView, off: number): Rusage {
  const r = {
    ru_utime: decodeTimeval(dv, off),
    ru_stime: decodeTimeval(dv, off + 16),
  } as Rusage;
  for (const k of RUSAGE_LONGS) r[k] = getI64(dv, off + RUSAGE_OFFSETS[k]);
  return r;
}
export function encodeRusage(dv: DataView, off: number, v: Rusage): void {
  encodeTimeval(dv, off, v.ru_utime);
  encodeTimeval(dv, off + 16, v.ru_stime);
  for (const k of RUSAGE_LONGS) setI64(dv, off + RUSAGE_OFFSETS[k], v[k]);
}

/**
 * `struct sysinfo` (sysinfo(2)). Memory sizes are in units of `mem_unit`
 * bytes; `loads` are 1, 5 and 15-minute load averages scaled by 2^16
 * (SI_LOAD_SHIFT).
 */
export interface Sysinfo {
  uptime: number;
  loads: [number, number, number];
  totalram: number;
  freeram: number;
  sharedram: number;
  bufferram: number;
  totalswap: number;
  freeswap: number;
  procs: number;
  totalhigh: number;
  freehigh: number;
  mem_unit: number;
}
export const SYSINFO_SIZE = 112;
/** Load averages in `loads` are fixed-point with this many fraction bits. */
export const SI_LOAD_SHIFT = 16;
export const SYSINFO_OFFSETS = {
  uptime: 0,
  loads: 8,
  totalram: 32,
  freeram: 40,
  sharedram: 48,
  bufferram: 56,
  totalswap: 64,
  freeswap: 72,
  procs: 80,
  pad: 82,
  totalhigh: 88,
  freehigh: 96,
  mem_unit: 104,
} as const;

export function decodeSysinfo(dv: DataView, off: number): Sysinfo {
  return {
    uptime: getI64(dv, off),
    loads: [getU64(dv, off + 8), getU64(dv, off + 16), getU64(dv, off + 24)],
    totalram: getU64(dv, off + 32),
    freeram: getU64(dv, off + 40),
    sharedram: getU64(dv, off + 48),
    bufferram: getU64(dv, off + 56),
    totalswap: getU64(dv, off + 64),
    freeswap: getU64(dv, off + 72),
    procs: dv.getUint16(off + 80, true),
    totalhigh: getU64(dv, off + 88),
    freehigh: getU64(dv, off + 96),
    mem_unit: dv.getUint32(off + 104, true),
  };
}

/** Writes all 112 bytes, zeroing padding. */
export function encodeSysinfo(dv: DataView, off: number, v: Sysinfo): void {
  setI64(dv, off, v.uptime);
  for (let i = 0; i < 3; i++) setU64(dv, off + 8 + 8 * i, v.loads[i]!);
  setU64(dv, off + 32, v.totalram);
  setU64(dv, off + 40, v.freeram);
  setU64(dv, off + 48, v.sharedram);
  setU64(dv, off + 56, v.bufferram);
  setU64(dv, off + 64, v.totalswap);
  setU64(dv, off + 72, v.freeswap);
  dv.setUint16(off + 80, v.procs, true);
  dv.setUint16(off + 82, 0, true);
  dv.setUint32(off + 84, 0, true);
  setU64(dv, off + 88, v.totalhigh);
  setU64(dv, off + 96, v.freehigh);
  dv.setUint32(off + 104, v.mem_unit, true);
  dv.setUint32(off + 108, 0, true);
}
