/**
 * Signal structs as the x86-64 kernel lays them out: the kernel's `struct
 * sigaction` (rt_sigaction(2)), the kernel's 8-byte `sigset_t`, `stack_t`
 * (sigaltstack(2)) and `siginfo_t`.
 *
 * Kernel vs libc: glibc's `sigset_t` is 128 bytes and its `struct sigaction`
 * puts `sa_mask` second; the kernel's sigset is 8 bytes (64 signals) and its
 * sigaction is `{ sa_handler, sa_flags, sa_restorer, sa_mask }` (32 bytes).
 * sigaction(2), "C library/kernel differences": rt_sigaction() "takes an
 * additional fourth argument, size_t sigsetsize, which specifies the size in
 * bytes of the signal sets in act.sa_mask and oldact.sa_mask. This argument
 * is currently required to have the value sizeof(sigset_t) (or the error
 * EINVAL results)" -- where sizeof(sigset_t) is the kernel's 8.
 *
 * @module
 */
import { SIGBUS, SIGCHLD, SIGFPE, SIGILL, SIGPOLL, SIGSEGV, SIGSYS, SIGTRAP } from "../signal.js";
import {
  BUS_MCEERR_AO,
  BUS_MCEERR_AR,
  NSIGBUS,
  NSIGCHLD,
  NSIGFPE,
  NSIGILL,
  NSIGPOLL,
  NSIGSEGV,
  NSIGSYS,
  NSIGTRAP,
  SEGV_BNDERR,
  SEGV_PKUERR,
  SI_KERNEL,
  SI_SIGIO,
  SI_TIMER,
  SI_USER,
} from "../siginfo.js";
import { getU64, getU64Big, setU64, setU64Big } from "./bytes.js";

/** Size of the kernel's `sigset_t` (the only `sigsetsize` rt_sig* calls accept). */
export const SIGSET_SIZE = 8;

/** The bit for signal `sig` in a kernel sigset (`1 << (sig - 1)`). */
export function sigmask(sig: number): bigint {
  return 1n << BigInt(sig - 1);
}

export function decodeSigset(dv: DataView, off: number): bigint {
  return getU64Big(dv, off);
}
export function encodeSigset(dv: DataView, off: number, set: bigint): void {
  setU64Big(dv, off, set);
}

/** The x86-64 kernel's `struct sigaction`. Handler and restorer are application addresses. */
export interface KernelSigaction {
  /** SIG_DFL (0), SIG_IGN (1) or a handler address. */
  sa_handler: number;
  sa_flags: number;
  sa_restorer: number;
  sa_mask: bigint;
}
export const KERNEL_SIGACTION_SIZE = 32;
export const KERNEL_SIGACTION_OFFSETS = {
  sa_handler: 0,
  sa_flags: 8,
  sa_restorer: 16,
  sa_mask: 24,
} as const;

export function decodeKernelSigaction(dv: DataView, off: number): KernelSigaction {
  return {
    sa_handler: getU64(dv, off),
    sa_flags: getU64(dv, off + 8),
    sa_restorer: getU64(dv, off + 16),
    sa_mask: getU64Big(dv, off + 24),
  };
}
export function encodeKernelSigaction(dv: DataView, off: number, v: KernelSigaction): void {
  setU64(dv, off, v.sa_handler);
  setU64(dv, off + 8, v.sa_flags);
  setU64(dv, off + 16, v.sa_restorer);
  setU64Big(dv, off + 24, v.sa_mask);
}

/** `stack_t` (sigaltstack(2)). */
export interface StackT {
  ss_sp: number;
  ss_flags: number;
  ss_size: number;
}
export const STACK_T_SIZE = 24;
export const STACK_T_OFFSETS = { ss_sp: 0, ss_flags: 8, ss_size: 16 } as const;

export function decodeStackT(dv: DataView, off: number): StackT {
  return {
    ss_sp: getU64(dv, off),
    ss_flags: dv.getInt32(off + 8, true),
    ss_size: getU64(dv, off + 16),
  };
}
export function encodeStackT(dv: DataView, off: number, v: StackT): void {
  setU64(dv, off, v.ss_sp);
  dv.setInt32(off + 8, v.ss_flags, true);
  dv.setInt32(off + 12, 0, true);
  setU64(dv, off + 16, v.ss_size);
}

/** `siginfo_t` is 128 bytes (SI_MAX_SIZE); the union starts at 16 on 64-bit. */
export const SIGINFO_SIZE = 128;
/**
 * Offsets of the siginfo_t fields, by the kernel's (and glibc's) accessor
 * names. Union members overlap: which are valid depends on the layout
 * (see siginfoLayout).
 */
export const SIGINFO_OFFSETS = {
  si_signo: 0,
  si_errno: 4,
  si_code: 8,
  // kill, rt, sigchld
  si_pid: 16,
  si_uid: 20,
  // timer
  si_timerid: 16,
  si_overrun: 20,
  // rt, timer
  si_value: 24,
  // sigchld
  si_status: 24,
  si_utime: 32,
  si_stime: 40,
  // sigfault
  si_addr: 16,
  si_addr_lsb: 24,
  si_lower: 32,
  si_upper: 40,
  si_pkey: 32,
  // sigpoll
  si_band: 16,
  si_fd: 24,
  // sigsys
  si_call_addr: 16,
  si_syscall: 24,
  si_arch: 28,
} as const;

/** The fields every `Siginfo` layout has (the start of `siginfo_t`). */
export interface SiginfoCommon {
  si_signo: number;
  si_errno: number;
  si_code: number;
}

/**
 * A decoded siginfo_t, discriminated by which union member is live (the
 * kernel's `enum siginfo_layout`, kernel/signal.c). `si_value` is the
 * 8-byte `union sigval` as raw bits.
 */
export type Siginfo =
  | (SiginfoCommon & { layout: "kill"; si_pid: number; si_uid: number })
  | (SiginfoCommon & { layout: "timer"; si_timerid: number; si_overrun: number; si_value: bigint })
  | (SiginfoCommon & { layout: "rt"; si_pid: number; si_uid: number; si_value: bigint })
  | (SiginfoCommon & {
      layout: "chld";
      si_pid: number;
      si_uid: number;
      si_status: number;
      si_utime: number;
      si_stime: number;
    })
  | (SiginfoCommon & { layout: "fault"; si_addr: number })
  | (SiginfoCommon & { layout: "fault_mce"; si_addr: number; si_addr_lsb: number })
  | (SiginfoCommon & {
      layout: "fault_bnderr";
      si_addr: number;
      si_lower: number;
      si_upper: number;
    })
  | (SiginfoCommon & { layout: "fault_pkuerr"; si_addr: number; si_pkey: number })
  | (SiginfoCommon & { layout: "poll"; si_band: number; si_fd: number })
  | (SiginfoCommon & { layout: "sys"; si_call_addr: number; si_syscall: number; si_arch: number });

export type SiginfoLayout = Siginfo["layout"];

/**
 * Highest si_code each signal's specific layout applies to (the kernel's
 * sig_sicodes[] table, bounded by the NSIG* counts of the host's headers).
 */
const SPECIFIC_LIMIT: Readonly<Record<number, number>> = {
  [SIGILL]: NSIGILL,
  [SIGFPE]: NSIGFPE,
  [SIGSEGV]: NSIGSEGV,
  [SIGBUS]: NSIGBUS,
  [SIGTRAP]: NSIGTRAP,
  [SIGCHLD]: NSIGCHLD,
  [SIGPOLL]: NSIGPOLL,
  [SIGSYS]: NSIGSYS,
};

/**
 * Which union member of siginfo_t is live for `signo`/`code`, following the
 * kernel's siginfo_layout(): codes in (SI_USER, SI_KERNEL) are
 * signal-specific (fault, chld, poll, sys), SI_TIMER is a timer, SI_SIGIO
 * is poll, other negative codes (sigqueue, tkill, ...) are rt, and SI_USER /
 * SI_KERNEL are kill. (SIGTRAP's TRAP_PERF, which Linux lays out as
 * SIL_FAULT_PERF_EVENT, is reported here as plain "fault".)
 */
export function siginfoLayout(signo: number, code: number): SiginfoLayout {
  if (code > SI_USER && code < SI_KERNEL) {
    const limit = SPECIFIC_LIMIT[signo];
    if (limit !== undefined && code <= limit) {
      switch (signo) {
        case SIGCHLD:
          return "chld";
        case SIGPOLL:
          return "poll";
        case SIGSYS:
          return "sys";
        case SIGBUS:
          return code === BUS_MCEERR_AR || code === BUS_MCEERR_AO ? "fault_mce" : "fault";
        case SIGSEGV:
          if (code === SEGV_BNDERR) return "fault_bnderr";
          if (code === SEGV_PKUERR) return "fault_pkuerr";
          return "fault";
        default:
          return "fault";
      }
    }
    // Linux: any other signal with a code in 1..NSIGPOLL is laid out as
    // SIL_POLL (e.g. SIGIO sent for an fd with F_SETSIG); beyond it, SIL_KILL.
    return code <= NSIGPOLL ? "poll" : "kill";
  }
  if (code === SI_TIMER) return "timer";
  if (code === SI_SIGIO) return "poll";
  if (code < 0) return "rt";
  return "kill";
}

/** Decodes a siginfo_t, choosing the union member with siginfoLayout(). */
export function decodeSiginfo(dv: DataView, off: number): Siginfo {
  const si_signo = dv.getInt32(off, true);
  const si_errno = dv.getInt32(off + 4, true);
  const si_code = dv.getInt32(off + 8, true);
  const c = { si_signo, si_errno, si_code };
  const u = off + 16;
  const layout = siginfoLayout(si_signo, si_code);
  switch (layout) {
    case "kill":
      return { ...c, layout, si_pid: dv.getInt32(u, true), si_uid: dv.getUint32(u + 4, true) };
    case "timer":
      return {
        ...c,
        layout,
        si_timerid: dv.getInt32(u, true),
        si_overrun: dv.getInt32(u + 4, true),
        si_value: getU64Big(dv, u + 8),
      };
    case "rt":
      return {
        ...c,
        layout,
        si_pid: dv.getInt32(u, true),
        si_uid: dv.getUint32(u + 4, true),
        si_value: getU64Big(dv, u + 8),
      };
    case "chld":
      return {
        ...c,
        layout,
        si_pid: dv.getInt32(u, true),
        si_uid: dv.getUint32(u + 4, true),
        si_status: dv.getInt32(u + 8, true),
        si_utime: getU64(dv, u + 16),
        si_stime: getU64(dv, u + 24),
      };
    case "fault":
      return { ...c, layout, si_addr: getU64(dv, u) };
    case "fault_mce":
      return { ...c, layout, si_addr: getU64(dv, u), si_addr_lsb: dv.getInt16(u + 8, true) };
    case "fault_bnderr":
      return {
        ...c,
        layout,
        si_addr: getU64(dv, u),
        si_lower: getU64(dv, u + 16),
        si_upper: getU64(dv, u + 24),
      };
    case "fault_pkuerr":
      return { ...c, layout, si_addr: getU64(dv, u), si_pkey: dv.getUint32(u + 16, true) };
    case "poll":
      return { ...c, layout, si_band: getU64(dv, u), si_fd: dv.getInt32(u + 8, true) };
    case "sys":
      return {
        ...c,
        layout,
        si_call_addr: getU64(dv, u),
        si_syscall: dv.getInt32(u + 8, true),
        si_arch: dv.getUint32(u + 12, true),
      };
  }
}

/**
 * Writes all 128 bytes of a siginfo_t: the common header, the live union
 * member, and zeros elsewhere (the kernel clears siginfo before filling it,
 * so no stale bytes leak to the program).
 */
export function encodeSiginfo(dv: DataView, off: number, v: Siginfo): void {
  for (let i = 0; i < SIGINFO_SIZE; i += 8) setU64(dv, off + i, 0);
  dv.setInt32(off, v.si_signo, true);
  dv.setInt32(off + 4, v.si_errno, true);
  dv.setInt32(off + 8, v.si_code, true);
  const u = off + 16;
  switch (v.layout) {
    case "kill":
      dv.setInt32(u, v.si_pid, true);
      dv.setUint32(u + 4, v.si_uid, true);
      return;
    case "timer":
      dv.setInt32(u, v.si_timerid, true);
      dv.setInt32(u + 4, v.si_overrun, true);
      setU64Big(dv, u + 8, v.si_value);
      return;
    case "rt":
      dv.setInt32(u, v.si_pid, true);
      dv.setUint32(u + 4, v.si_uid, true);
      setU64Big(dv, u + 8, v.si_value);
      return;
    case "chld":
      dv.setInt32(u, v.si_pid, true);
      dv.setUint32(u + 4, v.si_uid, true);
      dv.setInt32(u + 8, v.si_status, true);
      setU64(dv, u + 16, v.si_utime);
      setU64(dv, u + 24, v.si_stime);
      return;
    case "fault":
      setU64(dv, u, v.si_addr);
      return;
    case "fault_mce":
      setU64(dv, u, v.si_addr);
      dv.setInt16(u + 8, v.si_addr_lsb, true);
      return;
    case "fault_bnderr":
      setU64(dv, u, v.si_addr);
      setU64(dv, u + 16, v.si_lower);
      setU64(dv, u + 24, v.si_upper);
      return;
    case "fault_pkuerr":
      setU64(dv, u, v.si_addr);
      dv.setUint32(u + 16, v.si_pkey, true);
      return;
    case "poll":
      setU64(dv, u, v.si_band);
      dv.setInt32(u + 8, v.si_fd, true);
      return;
    case "sys":
      setU64(dv, u, v.si_call_addr);
      dv.setInt32(u + 8, v.si_syscall, true);
      dv.setUint32(u + 12, v.si_arch, true);
      return;
  }
}

/**
 * `struct sigevent` (timer_create(2), mq_notify(3)) as the kernel reads it:
 * `sigev_notify` is SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD (a glibc-only
 * notion; the kernel sees SIGEV_THREAD_ID) or SIGEV_THREAD_ID.
 */
export interface Sigevent {
  /** The 8-byte `union sigval` as raw bits. */
  sigev_value: bigint;
  sigev_signo: number;
  sigev_notify: number;
  /** SIGEV_THREAD_ID: the thread to signal (`_sigev_un._tid`). */
  sigev_notify_thread_id: number;
}
export const SIGEVENT_SIZE = 64;
export const SIGEVENT_OFFSETS = {
  sigev_value: 0,
  sigev_signo: 8,
  sigev_notify: 12,
  sigev_notify_thread_id: 16,
} as const;

export function decodeSigevent(dv: DataView, off: number): Sigevent {
  return {
    sigev_value: getU64Big(dv, off),
    sigev_signo: dv.getInt32(off + 8, true),
    sigev_notify: dv.getInt32(off + 12, true),
    sigev_notify_thread_id: dv.getInt32(off + 16, true),
  };
}

/** Writes all 64 bytes (the rest of the union zeroed). */
export function encodeSigevent(dv: DataView, off: number, v: Sigevent): void {
  setU64Big(dv, off, v.sigev_value);
  dv.setInt32(off + 8, v.sigev_signo, true);
  dv.setInt32(off + 12, v.sigev_notify, true);
  dv.setInt32(off + 16, v.sigev_notify_thread_id, true);
  for (let i = 20; i < SIGEVENT_SIZE; i += 4) dv.setUint32(off + i, 0, true);
}
