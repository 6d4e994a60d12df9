/**
 * The x86-64 signal frame: `struct sigcontext` (the kernel's `mcontext`),
 * `struct _fpstate_64` (the 512-byte FXSAVE image, with the
 * `_fpx_sw_bytes` xstate marker in its software-reserved tail), the
 * kernel's `struct ucontext` (<asm-generic/ucontext.h>) and the layout of
 * `struct rt_sigframe` (arch/x86/include/asm/sigframe.h).
 *
 * Register values are bigints: registers hold arbitrary 64-bit values.
 *
 * @module
 */
import { decodeStackT, encodeStackT, type StackT } from "./signal.js";
import { getU32Array, getU64, getU64Big, setU32Array, setU64, setU64Big } from "./bytes.js";

/** `uc_flags`: the frame's fpstate is in XSAVE format (FP_XSTATE_MAGIC1 present). */
export const UC_FP_XSTATE = 0x1;
/** `uc_flags`: `ss` in sigcontext was saved, and is restored on sigreturn. */
export const UC_SIGCONTEXT_SS = 0x2;
/** `uc_flags`: sigreturn must restore `ss` exactly as saved. */
export const UC_STRICT_RESTORE_SS = 0x4;
/** `_fpx_sw_bytes.magic1` when the frame holds an XSAVE area. */
export const FP_XSTATE_MAGIC1 = 0x46505853;
/** Stored right after the XSAVE area (at fpstate + extended_size - 4). */
export const FP_XSTATE_MAGIC2 = 0x46505845;
export const FP_XSTATE_MAGIC2_SIZE = 4;

/** Register names of `struct sigcontext` in order (all 64-bit), before the segment words. */
export const SIGCONTEXT_GREGS = [
  "r8",
  "r9",
  "r10",
  "r11",
  "r12",
  "r13",
  "r14",
  "r15",
  "rdi",
  "rsi",
  "rbp",
  "rbx",
  "rdx",
  "rax",
  "rcx",
  "rsp",
  "rip",
  "eflags",
] as const;
export type SigcontextGreg = (typeof SIGCONTEXT_GREGS)[number];

/** `struct sigcontext` (x86-64 userspace view). */
export type Sigcontext = Record<SigcontextGreg, bigint> & {
  cs: number;
  gs: number;
  fs: number;
  ss: number;
  err: bigint;
  trapno: bigint;
  oldmask: bigint;
  cr2: bigint;
  /** Address of the fpstate in the frame; 0 when there is no FPU context. */
  fpstate: number;
};
export const SIGCONTEXT_SIZE = 256;
export const SIGCONTEXT_OFFSETS = {
  r8: 0,
  r9: 8,
  r10: 16,
  r11: 24,
  r12: 32,
  r13: 40,
  r14: 48,
  r15: 56,
  rdi: 64,
  rsi: 72,
  rbp: 80,
  rbx: 88,
  rdx: 96,
  rax: 104,
  rcx: 112,
  rsp: 120,
  rip: 128,
  eflags: 136,
  cs: 144,
  gs: 146,
  fs: 148,
  ss: 150,
  err: 152,
  trapno: 160,
  oldmask: 168,
  cr2: 176,
  fpstate: 184,
  reserved1: 192,
} as const;

export function decodeSigcontext(dv: DataView, off: number): Sigcontext {
  const s = {} as Sigcontext;
  for (const r of SIGCONTEXT_GREGS) s[r] = getU64Big(dv, off + SIGCONTEXT_OFFSETS[r]);
  s.cs = dv.getUint16(off + 144, true);
  s.gs = dv.getUint16(off + 146, true);
  s.fs = dv.getUint16(off + 148, true);
  s.ss = dv.getUint16(off + 150, true);
  s.err = getU64Big(dv, off + 152);
  s.trapno = getU64Big(dv, off + 160);
  s.oldmask = getU64Big(dv, off + 168);
  s.cr2 = getU64Big(dv, off + 176);
  s.fpstate = getU64(dv, off + 184);
  return s;
}

/** Writes all 256 bytes (reserved1 zeroed). */
export function encodeSigcontext(dv: DataView, off: number, s: Sigcontext): void {
  for (const r of SIGCONTEXT_GREGS) setU64Big(dv, off + SIGCONTEXT_OFFSETS[r], s[r]);
  dv.setUint16(off + 144, s.cs, true);
  dv.setUint16(off + 146, s.gs, true);
  dv.setUint16(off + 148, s.fs, true);
  dv.setUint16(off + 150, s.ss, true);
  setU64Big(dv, off + 152, s.err);
  setU64Big(dv, off + 160, s.trapno);
  setU64Big(dv, off + 168, s.oldmask);
  setU64Big(dv, off + 176, s.cr2);
  setU64(dv, off + 184, s.fpstate);
  for (let i = 192; i < SIGCONTEXT_SIZE; i += 8) setU64(dv, off + i, 0);
}

/** `struct _fpx_sw_bytes`: software-defined bytes 464..511 of the FXSAVE image. */
export interface FpxSwBytes {
  magic1: number;
  extended_size: number;
  xfeatures: bigint;
  xstate_size: number;
}
export const FPX_SW_BYTES_SIZE = 48;
export const FPX_SW_BYTES_OFFSETS = {
  magic1: 0,
  extended_size: 4,
  xfeatures: 8,
  xstate_size: 16,
  padding: 20,
} as const;

export function decodeFpxSwBytes(dv: DataView, off: number): FpxSwBytes {
  return {
    magic1: dv.getUint32(off, true),
    extended_size: dv.getUint32(off + 4, true),
    xfeatures: getU64Big(dv, off + 8),
    xstate_size: dv.getUint32(off + 16, true),
  };
}
export function encodeFpxSwBytes(dv: DataView, off: number, v: FpxSwBytes): void {
  dv.setUint32(off, v.magic1, true);
  dv.setUint32(off + 4, v.extended_size, true);
  setU64Big(dv, off + 8, v.xfeatures);
  dv.setUint32(off + 16, v.xstate_size, true);
  for (let i = 20; i < FPX_SW_BYTES_SIZE; i += 4) dv.setUint32(off + i, 0, true);
}

/**
 * `struct _fpstate_64`: the FXSAVE (legacy) image, 512 bytes, 16-byte
 * aligned in memory. `st_space` holds 8 x87 registers (16 bytes each),
 * `xmm_space` 16 XMM registers, as u32 words.
 */
export interface Fpstate {
  cwd: number;
  swd: number;
  twd: number;
  fop: number;
  rip: bigint;
  rdp: bigint;
  mxcsr: number;
  mxcsr_mask: number;
  st_space: Uint32Array;
  xmm_space: Uint32Array;
  sw_reserved: FpxSwBytes;
}
export const FPSTATE_SIZE = 512;
export const FPSTATE_OFFSETS = {
  cwd: 0,
  swd: 2,
  twd: 4,
  fop: 6,
  rip: 8,
  rdp: 16,
  mxcsr: 24,
  mxcsr_mask: 28,
  st_space: 32,
  xmm_space: 160,
  reserved2: 416,
  sw_reserved: 464,
} as const;

export function decodeFpstate(dv: DataView, off: number): Fpstate {
  return {
    cwd: dv.getUint16(off, true),
    swd: dv.getUint16(off + 2, true),
    twd: dv.getUint16(off + 4, true),
    fop: dv.getUint16(off + 6, true),
    rip: getU64Big(dv, off + 8),
    rdp: getU64Big(dv, off + 16),
    mxcsr: dv.getUint32(off + 24, true),
    mxcsr_mask: dv.getUint32(off + 28, true),
    st_space: getU32Array(dv, off + 32, 32),
    xmm_space: getU32Array(dv, off + 160, 64),
    sw_reserved: decodeFpxSwBytes(dv, off + 464),
  };
}

/** Writes all 512 bytes (reserved2 zeroed). */
export function encodeFpstate(dv: DataView, off: number, v: Fpstate): void {
  dv.setUint16(off, v.cwd, true);
  dv.setUint16(off + 2, v.swd, true);
  dv.setUint16(off + 4, v.twd, true);
  dv.setUint16(off + 6, v.fop, true);
  setU64Big(dv, off + 8, v.rip);
  setU64Big(dv, off + 16, v.rdp);
  dv.setUint32(off + 24, v.mxcsr, true);
  dv.setUint32(off + 28, v.mxcsr_mask, true);
  setU32Array(dv, off + 32, 32, v.st_space);
  setU32Array(dv, off + 160, 64, v.xmm_space);
  setU32Array(dv, off + 416, 12, []);
  encodeFpxSwBytes(dv, off + 464, v.sw_reserved);
}

/** The kernel's `struct ucontext` (x86-64): what `uc` in a signal frame points at. */
export interface Ucontext {
  uc_flags: number;
  uc_link: number;
  uc_stack: StackT;
  uc_mcontext: Sigcontext;
  /** The kernel's 8-byte sigset (not glibc's 128-byte one). */
  uc_sigmask: bigint;
}
export const UCONTEXT_SIZE = 304;
export const UCONTEXT_OFFSETS = {
  uc_flags: 0,
  uc_link: 8,
  uc_stack: 16,
  uc_mcontext: 40,
  uc_sigmask: 296,
} as const;

export function decodeUcontext(dv: DataView, off: number): Ucontext {
  return {
    uc_flags: getU64(dv, off),
    uc_link: getU64(dv, off + 8),
    uc_stack: decodeStackT(dv, off + 16),
    uc_mcontext: decodeSigcontext(dv, off + 40),
    uc_sigmask: getU64Big(dv, off + 296),
  };
}
export function encodeUcontext(dv: DataView, off: number, v: Ucontext): void {
  setU64(dv, off, v.uc_flags);
  setU64(dv, off + 8, v.uc_link);
  encodeStackT(dv, off + 16, v.uc_stack);
  encodeSigcontext(dv, off + 40, v.uc_mcontext);
  setU64Big(dv, off + 296, v.uc_sigmask);
}

/**
 * `struct rt_sigframe` (x86-64), what the kernel pushes to deliver a signal
 * with SA_SIGINFO or not:
 *
 * ```c
 * struct rt_sigframe {
 *     char __user *pretcode;   // return address: sa_restorer
 *     struct ucontext uc;
 *     struct siginfo info;
 *     // fp state follows here
 * };
 * ```
 *
 * On delivery rsp points at `pretcode`, so the handler "returns" to
 * sa_restorer, which calls rt_sigreturn(2) with rsp at `uc`. The fpstate is
 * placed below the red zone (128 bytes) 64-byte aligned, and the frame
 * below it at `((fpstate - RT_SIGFRAME_SIZE) & ~15) - 8` as in
 * get_sigframe(), so that rsp + 8 is 16-byte aligned at handler entry.
 */
export const RT_SIGFRAME_SIZE = 440;
export const RT_SIGFRAME_OFFSETS = { pretcode: 0, uc: 8, info: 312 } as const;
/** x86-64 ABI red zone below rsp that signal delivery must skip. */
export const X86_64_RED_ZONE = 128;
