/**
 * Terminal structs: the kernel's `struct termios` (TCGETS/TCSETS*), `struct
 * termios2` (TCGETS2/TCSETS2) and `struct winsize` (TIOCGWINSZ/TIOCSWINSZ).
 *
 * Which termios: these are the kernel's, from <asm/termbits.h>, since the
 * Sentry serves the ioctls. The kernel's `struct termios` is 36 bytes with
 * `c_cc[NCCS]` where NCCS = 19. glibc's `struct termios` (<termios.h>) is 60
 * bytes (NCCS = 32 plus c_ispeed/c_ospeed); glibc's tcgetattr(3) converts
 * from the kernel's layout, so programs never pass glibc's to the kernel.
 *
 * @module
 */
import { getBytes, setBytes } from "./bytes.js";

/** The kernel's NCCS (size of c_cc). */
export const KERNEL_NCCS = 19;

export interface Termios {
  c_iflag: number;
  c_oflag: number;
  c_cflag: number;
  c_lflag: number;
  c_line: number;
  /** KERNEL_NCCS control characters, indexed by VINTR, VQUIT, ... */
  c_cc: Uint8Array;
}
export const TERMIOS_SIZE = 36;
export const TERMIOS_OFFSETS = {
  c_iflag: 0,
  c_oflag: 4,
  c_cflag: 8,
  c_lflag: 12,
  c_line: 16,
  c_cc: 17,
} as const;

export function decodeTermios(dv: DataView, off: number): Termios {
  return {
    c_iflag: dv.getUint32(off, true),
    c_oflag: dv.getUint32(off + 4, true),
    c_cflag: dv.getUint32(off + 8, true),
    c_lflag: dv.getUint32(off + 12, true),
    c_line: dv.getUint8(off + 16),
    c_cc: getBytes(dv, off + 17, KERNEL_NCCS),
  };
}
export function encodeTermios(dv: DataView, off: number, v: Termios): void {
  dv.setUint32(off, v.c_iflag >>> 0, true);
  dv.setUint32(off + 4, v.c_oflag >>> 0, true);
  dv.setUint32(off + 8, v.c_cflag >>> 0, true);
  dv.setUint32(off + 12, v.c_lflag >>> 0, true);
  dv.setUint8(off + 16, v.c_line);
  setBytes(dv, off + 17, KERNEL_NCCS, v.c_cc);
}

/** `struct termios2`: termios plus explicit input/output speeds (with BOTHER). */
export interface Termios2 extends Termios {
  c_ispeed: number;
  c_ospeed: number;
}
export const TERMIOS2_SIZE = 44;
export const TERMIOS2_OFFSETS = { ...TERMIOS_OFFSETS, c_ispeed: 36, c_ospeed: 40 } as const;

export function decodeTermios2(dv: DataView, off: number): Termios2 {
  return {
    ...decodeTermios(dv, off),
    c_ispeed: dv.getUint32(off + 36, true),
    c_ospeed: dv.getUint32(off + 40, true),
  };
}
export function encodeTermios2(dv: DataView, off: number, v: Termios2): void {
  encodeTermios(dv, off, v);
  dv.setUint32(off + 36, v.c_ispeed, true);
  dv.setUint32(off + 40, v.c_ospeed, true);
}

/** `struct winsize`. */
export interface Winsize {
  ws_row: number;
  ws_col: number;
  ws_xpixel: number;
  ws_ypixel: number;
}
export const WINSIZE_SIZE = 8;
export const WINSIZE_OFFSETS = { ws_row: 0, ws_col: 2, ws_xpixel: 4, ws_ypixel: 6 } as const;

export function decodeWinsize(dv: DataView, off: number): Winsize {
  return {
    ws_row: dv.getUint16(off, true),
    ws_col: dv.getUint16(off + 2, true),
    ws_xpixel: dv.getUint16(off + 4, true),
    ws_ypixel: dv.getUint16(off + 6, true),
  };
}
export function encodeWinsize(dv: DataView, off: number, v: Winsize): void {
  dv.setUint16(off, v.ws_row, true);
  dv.setUint16(off + 2, v.ws_col, true);
  dv.setUint16(off + 4, v.ws_xpixel, true);
  dv.setUint16(off + 6, v.ws_ypixel, true);
}
