/**
 * seccomp(2) and classic BPF structs: `struct seccomp_data` (what a filter
 * inspects), `struct sock_filter` (one BPF instruction), `struct sock_fprog`
 * (a program), plus the BPF_STMT / BPF_JUMP macros of <linux/filter.h>.
 *
 * @module
 */
import { getU64, getU64Big, setU64, setU64Big } from "./bytes.js";

/** `struct seccomp_data`. Syscall arguments are raw 64-bit values. */
export interface SeccompData {
  nr: number;
  /** AUDIT_ARCH_X86_64 for 64-bit syscalls. */
  arch: number;
  instruction_pointer: number;
  args: [bigint, bigint, bigint, bigint, bigint, bigint];
}
export const SECCOMP_DATA_SIZE = 64;
export const SECCOMP_DATA_OFFSETS = { nr: 0, arch: 4, instruction_pointer: 8, args: 16 } as const;

export function decodeSeccompData(dv: DataView, off: number): SeccompData {
  const args = [0, 1, 2, 3, 4, 5].map((i) =>
    getU64Big(dv, off + 16 + 8 * i),
  ) as SeccompData["args"];
  return {
    nr: dv.getInt32(off, true),
    arch: dv.getUint32(off + 4, true),
    instruction_pointer: getU64(dv, off + 8),
    args,
  };
}
export function encodeSeccompData(dv: DataView, off: number, v: SeccompData): void {
  dv.setInt32(off, v.nr, true);
  dv.setUint32(off + 4, v.arch >>> 0, true);
  setU64(dv, off + 8, v.instruction_pointer);
  v.args.forEach((a, i) => {
    setU64Big(dv, off + 16 + 8 * i, a);
  });
}

/** `struct sock_filter`: one classic BPF instruction. */
export interface SockFilter {
  code: number;
  jt: number;
  jf: number;
  k: number;
}
export const SOCK_FILTER_SIZE = 8;
export const SOCK_FILTER_OFFSETS = { code: 0, jt: 2, jf: 3, k: 4 } as const;

export function decodeSockFilter(dv: DataView, off: number): SockFilter {
  return {
    code: dv.getUint16(off, true),
    jt: dv.getUint8(off + 2),
    jf: dv.getUint8(off + 3),
    k: dv.getUint32(off + 4, true),
  };
}
export function encodeSockFilter(dv: DataView, off: number, v: SockFilter): void {
  dv.setUint16(off, v.code, true);
  dv.setUint8(off + 2, v.jt);
  dv.setUint8(off + 3, v.jf);
  dv.setUint32(off + 4, v.k >>> 0, true);
}

/** `BPF_STMT(code, k)`. */
export function BPF_STMT(code: number, k: number): SockFilter {
  return { code, jt: 0, jf: 0, k: k >>> 0 };
}
/** `BPF_JUMP(code, k, jt, jf)`. */
export function BPF_JUMP(code: number, k: number, jt: number, jf: number): SockFilter {
  return { code, jt, jf, k: k >>> 0 };
}

/** `struct sock_fprog`: `len` instructions at address `filter`. */
export interface SockFprog {
  len: number;
  filter: number;
}
export const SOCK_FPROG_SIZE = 16;
export const SOCK_FPROG_OFFSETS = { len: 0, filter: 8 } as const;

export function decodeSockFprog(dv: DataView, off: number): SockFprog {
  return { len: dv.getUint16(off, true), filter: getU64(dv, off + 8) };
}
export function encodeSockFprog(dv: DataView, off: number, v: SockFprog): void {
  dv.setUint16(off, v.len, true);
  dv.setUint16(off + 2, 0, true);
  dv.setUint32(off + 4, 0, true);
  setU64(dv, off + 8, v.filter);
}
