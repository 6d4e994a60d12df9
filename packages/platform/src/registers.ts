import { USER_REGS_NAMES } from "@tsvisor/abi";

/**
 * The general-purpose register file of an application thread, in the order of
 * Linux's `struct user_regs_struct` (x86-64), so a ptrace platform can hand it
 * to `PTRACE_GETREGS`/`PTRACE_SETREGS` without reordering.
 *
 * Registers are stored as little-endian 32-bit halves in a `Uint32Array`
 * (`lo` at `2*i`, `hi` at `2*i+1`): no BigInt on the hot path, and the array
 * can alias native memory shared with a platform's addon.
 */
export const REG_R15 = 0;
export const REG_R14 = 1;
export const REG_R13 = 2;
export const REG_R12 = 3;
export const REG_RBP = 4;
export const REG_RBX = 5;
export const REG_R11 = 6;
export const REG_R10 = 7;
export const REG_R9 = 8;
export const REG_R8 = 9;
export const REG_RAX = 10;
export const REG_RCX = 11;
export const REG_RDX = 12;
export const REG_RSI = 13;
export const REG_RDI = 14;
export const REG_ORIG_RAX = 15;
export const REG_RIP = 16;
export const REG_CS = 17;
export const REG_EFLAGS = 18;
export const REG_RSP = 19;
export const REG_SS = 20;
export const REG_FS_BASE = 21;
export const REG_GS_BASE = 22;
export const REG_DS = 23;
export const REG_ES = 24;
export const REG_FS = 25;
export const REG_GS = 26;
/** Number of 64-bit registers in `user_regs_struct`. */
export const NUM_REGS = 27;
/** Names in `user_regs_struct` order, for traces and error messages. */
export const REG_NAMES: readonly string[] = USER_REGS_NAMES;

/** Registers holding syscall arguments 0..5, per the x86-64 syscall ABI. */
export const SYSCALL_ARG_REGS: readonly number[] = [
  REG_RDI,
  REG_RSI,
  REG_RDX,
  REG_R10,
  REG_R8,
  REG_R9,
];

/** A register file: `2 * NUM_REGS` 32-bit words. */
export type Registers = Uint32Array;

/** Allocates a zeroed register file. */
export function newRegisters(): Registers {
  return new Uint32Array(NUM_REGS * 2);
}

const TWO32 = 4294967296;

/**
 * Register `i` as an unsigned number. Exact below 2^53; above that it is
 * rounded but stays >= 2^53, so "too large" checks still hold.
 */
export function regU64(r: Registers, i: number): number {
  return r[2 * i + 1]! * TWO32 + r[2 * i]!;
}

/** Register `i` as a signed 64-bit number (exact within ±2^53). */
export function regS64(r: Registers, i: number): number {
  return (r[2 * i + 1]! | 0) * TWO32 + r[2 * i]!;
}

/** The low 32 bits of register `i` as a signed int (C `int` arguments). */
export function regI32(r: Registers, i: number): number {
  return r[2 * i]! | 0;
}

/** The low 32 bits of register `i` as an unsigned int. */
export function regU32(r: Registers, i: number): number {
  return r[2 * i]!;
}

/**
 * Sets register `i` from a number in [-2^53, 2^64): negatives are stored in
 * two's complement, so `setReg(r, REG_RAX, -ENOENT)` is what Linux returns.
 */
export function setReg(r: Registers, i: number, v: number): void {
  if (v < 0) {
    const m = -v;
    let lo = m % TWO32;
    let hi = Math.floor(m / TWO32);
    // two's complement of (hi:lo)
    lo = (~lo >>> 0) + 1;
    hi = ~hi >>> 0;
    if (lo === TWO32) {
      lo = 0;
      hi = (hi + 1) >>> 0;
    }
    r[2 * i] = lo;
    r[2 * i + 1] = hi;
  } else {
    r[2 * i] = v % TWO32;
    r[2 * i + 1] = Math.floor(v / TWO32);
  }
}

/** Register `i` as a BigInt, exact (for slow paths such as traces and ptrace-of-ptrace). */
export function regBig(r: Registers, i: number): bigint {
  return (BigInt(r[2 * i + 1]!) << 32n) | BigInt(r[2 * i]!);
}

/** Sets register `i` from a BigInt, exact (taken modulo 2^64). */
export function setRegBig(r: Registers, i: number, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  r[2 * i] = Number(u & 0xffffffffn);
  r[2 * i + 1] = Number(u >> 32n);
}
