/**
 * The ioctl(2) request-number encoding of <asm-generic/ioctl.h> (used by
 * x86-64): bits 0-7 are the number, 8-15 the type (a character), 16-29 the
 * argument size, 30-31 the direction (_IOC_READ means the kernel writes to
 * user memory). Old requests such as TCGETS (0x5401) predate the encoding
 * and carry no size or direction.
 *
 * The C macros take a type; these take its size in bytes.
 *
 * @module
 */

export const _IOC_NRBITS = 8;
export const _IOC_TYPEBITS = 8;
export const _IOC_SIZEBITS = 14;
export const _IOC_DIRBITS = 2;
export const _IOC_NRSHIFT = 0;
export const _IOC_TYPESHIFT = 8;
export const _IOC_SIZESHIFT = 16;
export const _IOC_DIRSHIFT = 30;
export const _IOC_NONE = 0;
export const _IOC_WRITE = 1;
export const _IOC_READ = 2;

/** `_IOC(dir, type, nr, size)`, as an unsigned 32-bit number. */
export function _IOC(dir: number, type: number, nr: number, size: number): number {
  return (
    ((dir << _IOC_DIRSHIFT) |
      (type << _IOC_TYPESHIFT) |
      (nr << _IOC_NRSHIFT) |
      (size << _IOC_SIZESHIFT)) >>>
    0
  );
}
/** `_IO(type, nr)`: no argument. */
export function _IO(type: number, nr: number): number {
  return _IOC(_IOC_NONE, type, nr, 0);
}
/** `_IOR(type, nr, T)`: the kernel writes `size` bytes to the argument. */
export function _IOR(type: number, nr: number, size: number): number {
  return _IOC(_IOC_READ, type, nr, size);
}
/** `_IOW(type, nr, T)`: the kernel reads `size` bytes from the argument. */
export function _IOW(type: number, nr: number, size: number): number {
  return _IOC(_IOC_WRITE, type, nr, size);
}
/** `_IOWR(type, nr, T)`: both. */
export function _IOWR(type: number, nr: number, size: number): number {
  return _IOC(_IOC_READ | _IOC_WRITE, type, nr, size);
}
export function _IOC_DIR(req: number): number {
  return (req >>> _IOC_DIRSHIFT) & ((1 << _IOC_DIRBITS) - 1);
}
export function _IOC_TYPE(req: number): number {
  return (req >>> _IOC_TYPESHIFT) & ((1 << _IOC_TYPEBITS) - 1);
}
export function _IOC_NR(req: number): number {
  return (req >>> _IOC_NRSHIFT) & ((1 << _IOC_NRBITS) - 1);
}
export function _IOC_SIZE(req: number): number {
  return (req >>> _IOC_SIZESHIFT) & ((1 << _IOC_SIZEBITS) - 1);
}
