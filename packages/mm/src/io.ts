import { EFAULT, EINVAL, ENAMETOOLONG, PROT_WRITE } from "@tsvisor/abi";
import { PAGE_SIZE } from "@tsvisor/platform";
import { type MemoryManager, TR_ZERO, accessAllowed } from "./mm.js";
import type { Vma } from "./vma.js";

/**
 * Copies between the application's memory and a Sentry buffer, like Linux's
 * copy_from_user / copy_to_user / clear_user: page by page through the
 * memory file, checking VMAs and protections (a write needs PROT_WRITE, a
 * read any access right, as x86 page tables allow), bringing pages in and
 * breaking copy-on-write as needed (the Sentry writes the memory file
 * directly, so it must do what a fault would). Faults below a MAP_GROWSDOWN
 * stack grow it.
 *
 * `buf === null` with `write` writes zeros. Returns the number of bytes
 * copied before the first inaccessible byte (`len` on success).
 */
export function copy(
  mm: MemoryManager,
  addr: number,
  buf: Uint8Array | null,
  len: number,
  write: boolean,
): number {
  let done = 0;
  let v: Vma | undefined;
  const file = mm.allocator.file;
  const cs = file.chunkSize;
  while (done < len) {
    const a = addr + done;
    if (v === undefined || a >= v.end) {
      if (!(a >= 0 && a < mm.maxAddr)) break;
      v = mm.vmas.find(a) ?? mm.growStack(a);
      if (v === undefined) break;
      if (write ? (v.prot & PROT_WRITE) === 0 : !accessAllowed(v.prot, "read")) break;
    }
    const vpn = Math.floor(a / PAGE_SIZE);
    const inPage = a - vpn * PAGE_SIZE;
    const n = Math.min(PAGE_SIZE - inPage, len - done);
    const off = mm.translate(v, vpn, write);
    if (off === TR_ZERO) {
      buf!.fill(0, done, done + n);
    } else if (off < 0) {
      break;
    } else {
      const chunk = file.chunk(Math.floor(off / cs));
      const base = (off % cs) + inPage;
      if (!write) {
        if (n <= 16) for (let i = 0; i < n; i++) buf![done + i] = chunk[base + i]!;
        else buf!.set(chunk.subarray(base, base + n), done);
      } else if (buf === null) {
        chunk.fill(0, base, base + n);
      } else if (n <= 16) {
        for (let i = 0; i < n; i++) chunk[base + i] = buf[done + i]!;
      } else {
        chunk.set(buf.subarray(done, done + n), base);
      }
    }
    done += n;
  }
  return done;
}

const scratch = new Uint8Array(8);
const scratchView = new DataView(scratch.buffer);
const TWO32 = 4294967296;

/** Reads a little-endian u32 at `addr`; -EFAULT if inaccessible. */
export function readU32(mm: MemoryManager, addr: number): number {
  if (copy(mm, addr, scratch, 4, false) !== 4) return -EFAULT;
  return scratchView.getUint32(0, true);
}

/**
 * Reads a little-endian u64 at `addr` as a number (exact below 2^53, rounded
 * above); -EFAULT if inaccessible. Values are never negative, so a negative
 * result is always the errno.
 */
export function readU64(mm: MemoryManager, addr: number): number {
  if (copy(mm, addr, scratch, 8, false) !== 8) return -EFAULT;
  return scratchView.getUint32(4, true) * TWO32 + scratchView.getUint32(0, true);
}

/** Reads a u64 exactly, as a BigInt (slow path); -EFAULT as a number. */
export function readBigU64(mm: MemoryManager, addr: number): bigint | number {
  if (copy(mm, addr, scratch, 8, false) !== 8) return -EFAULT;
  return scratchView.getBigUint64(0, true);
}

/** Writes `v` (taken modulo 2^32) as a little-endian u32; 0 or -EFAULT. */
export function writeU32(mm: MemoryManager, addr: number, v: number): number {
  scratchView.setUint32(0, v >>> 0, true);
  return copy(mm, addr, scratch, 4, true) === 4 ? 0 : -EFAULT;
}

/**
 * Writes `v` as a little-endian u64; negative values in [-2^53, 0) are stored
 * in two's complement (so a negative errno or -1 round-trips); 0 or -EFAULT.
 */
export function writeU64(mm: MemoryManager, addr: number, v: number): number {
  scratchView.setBigUint64(0, BigInt.asUintN(64, BigInt(Math.trunc(v))), true);
  return copy(mm, addr, scratch, 8, true) === 8 ? 0 : -EFAULT;
}

const utf8 = new TextDecoder("utf-8");

/**
 * Reads a NUL-terminated string of at most `maxLen - 1` bytes at `addr`, like
 * Linux's strncpy_from_user as getname(PATH_MAX) uses it: the raw bytes
 * (without the NUL), -EFAULT when an inaccessible byte comes before the NUL,
 * -ENAMETOOLONG when no NUL is within `maxLen` bytes.
 */
export function copyInCString(
  mm: MemoryManager,
  addr: number,
  maxLen: number,
): Uint8Array | number {
  const out = new Uint8Array(Math.min(maxLen, PAGE_SIZE));
  let buf = out;
  let done = 0;
  while (done < maxLen) {
    // Read up to the end of the current page, so we never touch a page past the NUL.
    const a = addr + done;
    const n = Math.min(PAGE_SIZE - (a % PAGE_SIZE), maxLen - done);
    if (done + n > buf.length) {
      const bigger = new Uint8Array(Math.min(maxLen, Math.max(buf.length * 2, done + n)));
      bigger.set(buf.subarray(0, done));
      buf = bigger;
    }
    const got = copy(mm, a, buf.subarray(done, done + n), n, false);
    const nul = buf.subarray(done, done + got).indexOf(0);
    if (nul >= 0) return buf.slice(0, done + nul);
    if (got < n) return -EFAULT;
    done += n;
  }
  return -ENAMETOOLONG;
}

/** {@link copyInCString}, decoded as UTF-8 (invalid sequences become U+FFFD). */
export function copyInString(mm: MemoryManager, addr: number, maxLen: number): string | number {
  const b = copyInCString(mm, addr, maxLen);
  return typeof b === "number" ? b : utf8.decode(b);
}

/** One `struct iovec`. */
export interface Iovec {
  base: number;
  len: number;
}

/** Linux's UIO_MAXIOV. */
export const UIO_MAXIOV = 1024;
/** Linux's MAX_RW_COUNT: the most one read/write transfers (INT_MAX & PAGE_MASK). */
export const MAX_RW_COUNT = 0x7ffff000;

/**
 * Reads an iovec array (readv(2), writev(2), sendmsg(2)...), like Linux's
 * import_iovec: EINVAL for `count > UIO_MAXIOV` or a length that is negative
 * as ssize_t, EFAULT when the array is inaccessible; lengths are trimmed so
 * the total stays within MAX_RW_COUNT.
 */
export function readIovecs(mm: MemoryManager, addr: number, count: number): Iovec[] | number {
  if (!(count >= 0) || count > UIO_MAXIOV) return -EINVAL;
  const raw = new Uint8Array(count * 16);
  if (copy(mm, addr, raw, raw.length, false) !== raw.length) return -EFAULT;
  const dv = new DataView(raw.buffer);
  const out: Iovec[] = [];
  let total = 0;
  for (let i = 0; i < count; i++) {
    const base = dv.getUint32(i * 16 + 4, true) * TWO32 + dv.getUint32(i * 16, true);
    const hi = dv.getUint32(i * 16 + 12, true);
    if (hi >= 0x80000000) return -EINVAL;
    let len = hi * TWO32 + dv.getUint32(i * 16 + 8, true);
    if (len > MAX_RW_COUNT - total) len = MAX_RW_COUNT - total;
    total += len;
    out.push({ base, len });
  }
  return out;
}

/**
 * Copies out of application memory along `iovs` into `dst` (writev's
 * gather); returns bytes copied, which is short if a buffer is inaccessible
 * after some bytes were copied, or -EFAULT if nothing could be.
 */
export function copyInVec(mm: MemoryManager, iovs: readonly Iovec[], dst: Uint8Array): number {
  let done = 0;
  for (const iov of iovs) {
    const n = Math.min(iov.len, dst.length - done);
    if (n <= 0) continue;
    const got = copy(mm, iov.base, dst.subarray(done, done + n), n, false);
    done += got;
    if (got < n) return done > 0 ? done : -EFAULT;
  }
  return done;
}

/** Copies `src` into application memory along `iovs` (readv's scatter); as copyInVec. */
export function copyOutVec(mm: MemoryManager, iovs: readonly Iovec[], src: Uint8Array): number {
  let done = 0;
  for (const iov of iovs) {
    const n = Math.min(iov.len, src.length - done);
    if (n <= 0) continue;
    const got = copy(mm, iov.base, src.subarray(done, done + n), n, true);
    done += got;
    if (got < n) return done > 0 ? done : -EFAULT;
  }
  return done;
}
