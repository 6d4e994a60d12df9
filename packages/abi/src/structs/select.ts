/**
 * `fd_set` bitmaps of select(2)/pselect6(2): bit `fd % 64` of the 64-bit
 * word `fd / 64`, little-endian. The kernel reads and writes only
 * `fdSetBytes(nfds)` bytes, not the whole FD_SETSIZE-bit (128-byte) glibc
 * type, so a Sentry must not touch memory past that.
 *
 * @module
 */

/** sizeof(fd_set) in glibc: FD_SETSIZE (1024) bits. */
export const FD_SET_SIZE = 128;

/** Bytes of an fd_set the kernel copies for `nfds` descriptors: whole 64-bit words. */
export function fdSetBytes(nfds: number): number {
  return Math.ceil(nfds / 64) * 8;
}

/** `FD_ISSET(fd, set)` on the fd_set at `off`. */
export function FD_ISSET(fd: number, dv: DataView, off: number): boolean {
  return (dv.getUint8(off + (fd >> 3)) & (1 << (fd & 7))) !== 0;
}
/** `FD_SET(fd, set)`. */
export function FD_SET(fd: number, dv: DataView, off: number): void {
  const i = off + (fd >> 3);
  dv.setUint8(i, dv.getUint8(i) | (1 << (fd & 7)));
}
/** `FD_CLR(fd, set)`. */
export function FD_CLR(fd: number, dv: DataView, off: number): void {
  const i = off + (fd >> 3);
  dv.setUint8(i, dv.getUint8(i) & ~(1 << (fd & 7)));
}
/** Zeroes the first `bytes` bytes of the set (FD_ZERO for the kernel's view). */
export function FD_ZERO(dv: DataView, off: number, bytes: number = FD_SET_SIZE): void {
  for (let i = 0; i < bytes; i++) dv.setUint8(off + i, 0);
}
