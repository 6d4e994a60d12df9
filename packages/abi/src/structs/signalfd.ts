/**
 * Records read from notification file descriptors: `struct
 * signalfd_siginfo` (signalfd(2), 128 bytes each) and `struct
 * inotify_event` (inotify(7), 16 bytes plus a NUL-padded name).
 *
 * @module
 */
import { getU64, getU64Big, setU64, setU64Big } from "./bytes.js";

/** `struct signalfd_siginfo`. */
export interface SignalfdSiginfo {
  ssi_signo: number;
  ssi_errno: number;
  ssi_code: number;
  ssi_pid: number;
  ssi_uid: number;
  ssi_fd: number;
  ssi_tid: number;
  ssi_band: number;
  ssi_overrun: number;
  ssi_trapno: number;
  ssi_status: number;
  ssi_int: number;
  ssi_ptr: bigint;
  ssi_utime: number;
  ssi_stime: number;
  ssi_addr: number;
  ssi_addr_lsb: number;
  ssi_syscall: number;
  ssi_call_addr: number;
  ssi_arch: number;
}
export const SIGNALFD_SIGINFO_SIZE = 128;
export const SIGNALFD_SIGINFO_OFFSETS = {
  ssi_signo: 0,
  ssi_errno: 4,
  ssi_code: 8,
  ssi_pid: 12,
  ssi_uid: 16,
  ssi_fd: 20,
  ssi_tid: 24,
  ssi_band: 28,
  ssi_overrun: 32,
  ssi_trapno: 36,
  ssi_status: 40,
  ssi_int: 44,
  ssi_ptr: 48,
  ssi_utime: 56,
  ssi_stime: 64,
  ssi_addr: 72,
  ssi_addr_lsb: 80,
  __pad2: 82,
  ssi_syscall: 84,
  ssi_call_addr: 88,
  ssi_arch: 96,
  __pad: 100,
} as const;

export function decodeSignalfdSiginfo(dv: DataView, off: number): SignalfdSiginfo {
  return {
    ssi_signo: dv.getUint32(off, true),
    ssi_errno: dv.getInt32(off + 4, true),
    ssi_code: dv.getInt32(off + 8, true),
    ssi_pid: dv.getUint32(off + 12, true),
    ssi_uid: dv.getUint32(off + 16, true),
    ssi_fd: dv.getInt32(off + 20, true),
    ssi_tid: dv.getUint32(off + 24, true),
    ssi_band: dv.getUint32(off + 28, true),
    ssi_overrun: dv.getUint32(off + 32, true),
    ssi_trapno: dv.getUint32(off + 36, true),
    ssi_status: dv.getInt32(off + 40, true),
    ssi_int: dv.getInt32(off + 44, true),
    ssi_ptr: getU64Big(dv, off + 48),
    ssi_utime: getU64(dv, off + 56),
    ssi_stime: getU64(dv, off + 64),
    ssi_addr: getU64(dv, off + 72),
    ssi_addr_lsb: dv.getUint16(off + 80, true),
    ssi_syscall: dv.getInt32(off + 84, true),
    ssi_call_addr: getU64(dv, off + 88),
    ssi_arch: dv.getUint32(off + 96, true),
  };
}

/** Writes all 128 bytes (padding zeroed). */
export function encodeSignalfdSiginfo(dv: DataView, off: number, v: SignalfdSiginfo): void {
  dv.setUint32(off, v.ssi_signo, true);
  dv.setInt32(off + 4, v.ssi_errno, true);
  dv.setInt32(off + 8, v.ssi_code, true);
  dv.setUint32(off + 12, v.ssi_pid, true);
  dv.setUint32(off + 16, v.ssi_uid, true);
  dv.setInt32(off + 20, v.ssi_fd, true);
  dv.setUint32(off + 24, v.ssi_tid, true);
  dv.setUint32(off + 28, v.ssi_band, true);
  dv.setUint32(off + 32, v.ssi_overrun, true);
  dv.setUint32(off + 36, v.ssi_trapno, true);
  dv.setInt32(off + 40, v.ssi_status, true);
  dv.setInt32(off + 44, v.ssi_int, true);
  setU64Big(dv, off + 48, v.ssi_ptr);
  setU64(dv, off + 56, v.ssi_utime);
  setU64(dv, off + 64, v.ssi_stime);
  setU64(dv, off + 72, v.ssi_addr);
  dv.setUint16(off + 80, v.ssi_addr_lsb, true);
  dv.setUint16(off + 82, 0, true);
  dv.setInt32(off + 84, v.ssi_syscall, true);
  setU64(dv, off + 88, v.ssi_call_addr);
  dv.setUint32(off + 96, v.ssi_arch, true);
  for (let i = 100; i < SIGNALFD_SIGINFO_SIZE; i += 4) dv.setUint32(off + i, 0, true);
}

/**
 * `struct inotify_event`. inotify(7): "The name field is present only when
 * an event is returned for a file inside a watched directory ... The len
 * field counts all of the bytes in name, including the null bytes", which
 * may pad the record to an alignment boundary.
 */
export interface InotifyEvent {
  wd: number;
  mask: number;
  cookie: number;
  /** Bytes of `name` including NUL padding (0 when there is no name). */
  len: number;
  name: string;
}
export const INOTIFY_EVENT_HEADER_SIZE = 16;
export const INOTIFY_EVENT_OFFSETS = { wd: 0, mask: 4, cookie: 8, len: 12, name: 16 } as const;

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8");

/** The `len` Linux uses for `name`: name + NUL rounded up to 16 bytes (sizeof the header), or 0. */
export function inotifyNameLen(nameBytes: number): number {
  return nameBytes === 0 ? 0 : (nameBytes + 1 + 15) & ~15;
}

export function decodeInotifyEvent(dv: DataView, off: number): InotifyEvent {
  const len = dv.getUint32(off + 12, true);
  const b = new Uint8Array(dv.buffer, dv.byteOffset + off + 16, len);
  const end = b.indexOf(0);
  return {
    wd: dv.getInt32(off, true),
    mask: dv.getUint32(off + 4, true),
    cookie: dv.getUint32(off + 8, true),
    len,
    name: dec.decode(end < 0 ? b : b.subarray(0, end)),
  };
}

/**
 * Writes one event with `len` computed by inotifyNameLen (the given `len`
 * is ignored). Returns the record size, 16 + len.
 */
export function encodeInotifyEvent(dv: DataView, off: number, v: InotifyEvent): number {
  const name = enc.encode(v.name);
  const len = inotifyNameLen(name.length);
  dv.setInt32(off, v.wd, true);
  dv.setUint32(off + 4, v.mask >>> 0, true);
  dv.setUint32(off + 8, v.cookie, true);
  dv.setUint32(off + 12, len, true);
  const dst = new Uint8Array(dv.buffer, dv.byteOffset + off + 16, len);
  dst.fill(0);
  dst.set(name);
  return 16 + len;
}
