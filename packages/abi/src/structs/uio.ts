/**
 * `struct iovec` (readv(2), writev(2), process_vm_readv(2), msghdr).
 *
 * @module
 */
import { getU64, setU64 } from "./bytes.js";

export interface Iovec {
  /** Application address. */
  iov_base: number;
  iov_len: number;
}
export const IOVEC_SIZE = 16;
export const IOVEC_OFFSETS = { iov_base: 0, iov_len: 8 } as const;
/**
 * Most iovecs one call accepts (more is EINVAL). readv(2): "On modern Linux
 * systems, the limit is 1024."
 */
export const UIO_MAXIOV = 1024;

export function decodeIovec(dv: DataView, off: number): Iovec {
  return { iov_base: getU64(dv, off), iov_len: getU64(dv, off + 8) };
}
export function encodeIovec(dv: DataView, off: number, v: Iovec): void {
  setU64(dv, off, v.iov_base);
  setU64(dv, off + 8, v.iov_len);
}
