/**
 * Little-endian field access helpers for struct encode/decode over a
 * `DataView`. x86-64 is little-endian; every helper passes `true`.
 *
 * 64-bit fields are read as `number` where values stay below 2^53 in
 * practice (sizes, addresses, times); such a value is exact up to 2^53 and
 * rounds beyond. Fields that carry arbitrary 64-bit data (signal masks,
 * registers, user cookies like `epoll_event.data`) use the `Big` variants.
 *
 * @module
 */

const TWO32 = 0x1_0000_0000;

/** Reads a u64 as a number (exact below 2^53). */
export function getU64(dv: DataView, off: number): number {
  return dv.getUint32(off + 4, true) * TWO32 + dv.getUint32(off, true);
}

/** Reads an i64 as a number (exact within ±2^53). */
export function getI64(dv: DataView, off: number): number {
  return dv.getInt32(off + 4, true) * TWO32 + dv.getUint32(off, true);
}

/**
 * Writes an integer number as 64 bits; negative values are written in two's
 * complement, so this serves both u64 and i64 fields.
 *
 * Preconditions:
 * - `v` is an integer in [-2^63, 2^64).
 */
export function setU64(dv: DataView, off: number, v: number): void {
  dv.setUint32(off, v >>> 0, true);
  dv.setUint32(off + 4, Math.floor(v / TWO32) >>> 0, true);
}

/** Same as setU64 (two's complement covers signed values). */
export const setI64: (dv: DataView, off: number, v: number) => void = setU64;

/** Reads a u64 exactly. */
export function getU64Big(dv: DataView, off: number): bigint {
  return dv.getBigUint64(off, true);
}

/** Writes a u64 exactly; negative values wrap (two's complement). */
export function setU64Big(dv: DataView, off: number, v: bigint): void {
  dv.setBigUint64(off, BigInt.asUintN(64, v), true);
}

const utf8 = new TextDecoder("utf-8");
const utf8enc = new TextEncoder();

/** Copies `len` bytes at `off` out of `dv`. */
export function getBytes(dv: DataView, off: number, len: number): Uint8Array {
  return new Uint8Array(dv.buffer, dv.byteOffset + off, len).slice();
}

/**
 * Writes `bytes` at `off`, zero-filling up to `len`.
 *
 * Preconditions:
 * - `bytes.length <= len`.
 */
export function setBytes(dv: DataView, off: number, len: number, bytes: Uint8Array): void {
  const dst = new Uint8Array(dv.buffer, dv.byteOffset + off, len);
  dst.fill(0);
  dst.set(bytes.subarray(0, len));
}

/** Reads a NUL-terminated string (UTF-8) from a `char[len]` field. */
export function getCString(dv: DataView, off: number, len: number): string {
  const b = new Uint8Array(dv.buffer, dv.byteOffset + off, len);
  const end = b.indexOf(0);
  return utf8.decode(end < 0 ? b : b.subarray(0, end));
}

/**
 * Writes `s` (UTF-8) into a `char[len]` field, NUL-terminated and
 * zero-filled; truncates to `len - 1` bytes.
 */
export function setCString(dv: DataView, off: number, len: number, s: string): void {
  const b = utf8enc.encode(s);
  setBytes(dv, off, len, b.subarray(0, len - 1));
}

/** Reads `n` u32s as a new Uint32Array (from any alignment). */
export function getU32Array(dv: DataView, off: number, n: number): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = dv.getUint32(off + 4 * i, true);
  return a;
}

/** Writes up to `n` u32s from `a`, zero-filling the rest. */
export function setU32Array(dv: DataView, off: number, n: number, a: ArrayLike<number>): void {
  for (let i = 0; i < n; i++) dv.setUint32(off + 4 * i, i < a.length ? a[i]! : 0, true);
}
