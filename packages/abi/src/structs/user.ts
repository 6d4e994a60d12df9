/**
 * `struct user_regs_struct` and `struct user_fpregs_struct` (<sys/user.h>),
 * the buffers of PTRACE_GETREGS / PTRACE_GETFPREGS (and NT_PRSTATUS /
 * NT_PRFPREG register sets). Register order matches @tsvisor/platform's
 * REG_* indices.
 *
 * @module
 */
import { getU32Array, getU64Big, setU32Array, setU64Big } from "./bytes.js";

/** The 27 registers of `user_regs_struct`, in memory order. */
export const USER_REGS_NAMES = [
  "r15",
  "r14",
  "r13",
  "r12",
  "rbp",
  "rbx",
  "r11",
  "r10",
  "r9",
  "r8",
  "rax",
  "rcx",
  "rdx",
  "rsi",
  "rdi",
  "orig_rax",
  "rip",
  "cs",
  "eflags",
  "rsp",
  "ss",
  "fs_base",
  "gs_base",
  "ds",
  "es",
  "fs",
  "gs",
] as const;
export type UserReg = (typeof USER_REGS_NAMES)[number];
/** `struct user_regs_struct`: 27 u64s. */
export type UserRegsStruct = Record<UserReg, bigint>;
export const USER_REGS_STRUCT_SIZE = 216;
export const USER_REGS_STRUCT_OFFSETS: Readonly<Record<UserReg, number>> = Object.fromEntries(
  USER_REGS_NAMES.map((r, i) => [r, 8 * i]),
) as Record<UserReg, number>;

export function decodeUserRegsStruct(dv: DataView, off: number): UserRegsStruct {
  const r = {} as UserRegsStruct;
  USER_REGS_NAMES.forEach((n, i) => {
    r[n] = getU64Big(dv, off + 8 * i);
  });
  return r;
}
export function encodeUserRegsStruct(dv: DataView, off: number, r: UserRegsStruct): void {
  USER_REGS_NAMES.forEach((n, i) => {
    setU64Big(dv, off + 8 * i, r[n]);
  });
}

/** `struct user_fpregs_struct`: the FXSAVE image (same layout as `_fpstate_64`). */
export interface UserFpregsStruct {
  cwd: number;
  swd: number;
  ftw: number;
  fop: number;
  rip: bigint;
  rdp: bigint;
  mxcsr: number;
  mxcr_mask: number;
  st_space: Uint32Array;
  xmm_space: Uint32Array;
  padding: Uint32Array;
}
export const USER_FPREGS_STRUCT_SIZE = 512;
export const USER_FPREGS_STRUCT_OFFSETS = {
  cwd: 0,
  swd: 2,
  ftw: 4,
  fop: 6,
  rip: 8,
  rdp: 16,
  mxcsr: 24,
  mxcr_mask: 28,
  st_space: 32,
  xmm_space: 160,
  padding: 416,
} as const;

export function decodeUserFpregsStruct(dv: DataView, off: number): UserFpregsStruct {
  return {
    cwd: dv.getUint16(off, true),
    swd: dv.getUint16(off + 2, true),
    ftw: dv.getUint16(off + 4, true),
    fop: dv.getUint16(off + 6, true),
    rip: getU64Big(dv, off + 8),
    rdp: getU64Big(dv, off + 16),
    mxcsr: dv.getUint32(off + 24, true),
    mxcr_mask: dv.getUint32(off + 28, true),
    st_space: getU32Array(dv, off + 32, 32),
    xmm_space: getU32Array(dv, off + 160, 64),
    padding: getU32Array(dv, off + 416, 24),
  };
}
export function encodeUserFpregsStruct(dv: DataView, off: number, v: UserFpregsStruct): void {
  dv.setUint16(off, v.cwd, true);
  dv.setUint16(off + 2, v.swd, true);
  dv.setUint16(off + 4, v.ftw, true);
  dv.setUint16(off + 6, v.fop, true);
  setU64Big(dv, off + 8, v.rip);
  setU64Big(dv, off + 16, v.rdp);
  dv.setUint32(off + 24, v.mxcsr, true);
  dv.setUint32(off + 28, v.mxcr_mask, true);
  setU32Array(dv, off + 32, 32, v.st_space);
  setU32Array(dv, off + 160, 64, v.xmm_space);
  setU32Array(dv, off + 416, 24, v.padding);
}
