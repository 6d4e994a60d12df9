/**
 * Signal syscalls: rt_sigaction, rt_sigprocmask, sigaltstack, rt_sigreturn,
 * kill/tgkill/tkill, rt_sigqueueinfo/rt_tgsigqueueinfo, rt_sigpending,
 * rt_sigsuspend, rt_sigtimedwait, pause.
 *
 * Every handler runs on behalf of the calling task `t`.
 */
import {
  SI_KERNEL,
  SIGILL,
  EAGAIN,
  EFAULT,
  EINTR,
  EINVAL,
  ENOMEM,
  EPERM,
  ERESTARTNOHAND,
  ESRCH,
  SI_TKILL,
  SI_USER,
  SIG_BLOCK,
  SIG_SETMASK,
  SIG_UNBLOCK,
  SIGKILL,
  SIGSTOP,
  SS_AUTODISARM,
  SS_DISABLE,
  SS_ONSTACK,
} from "@tsvisor/abi";
import type { Kernel } from "../kernel.js";
import {
  decodeSigInfo,
  encodeSigInfo,
  newSigInfo,
  SIGINFO_SIZE,
  type SigInfo,
  sigBit,
  UNBLOCKABLE,
} from "../signals.js";
import type { Task } from "../task.js";
import {
  altStackFlags,
  forceSignal,
  isIgnored,
  sendToGroup,
  sendToTask,
  sigreturn,
} from "../task-signals.js";
import type { ThreadGroup } from "../thread-group.js";
import { readTimespecMs } from "../futex.js";
import { block, type Block, monotonicMs, type SyscallArgs } from "./syscall.js";

/** sizeof(sigset_t) as the kernel's rt_* calls require it. */
const SIGSET_SIZE = 8;
/** Kernel MINSIGSTKSZ on x86-64. */
const MINSIGSTKSZ = 2048;

function validSignal(sig: number): boolean {
  return sig >= 1 && sig <= 64;
}

function readSigset(t: Task, addr: number): bigint | number {
  const b = new Uint8Array(8);
  if (t.mm.copyIn(addr, b) !== 8) return -EFAULT;
  return new DataView(b.buffer).getBigUint64(0, true);
}

function writeSigset(t: Task, addr: number, set: bigint): number {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, set, true);
  return t.mm.copyOut(addr, b) === 8 ? 0 : -EFAULT;
}

/**
 * rt_sigaction(2) with the kernel's struct sigaction layout: handler@0,
 * flags@8, restorer@16, mask@24 (32 bytes).
 */
export function sysRtSigaction(t: Task, a: SyscallArgs): number {
  const sig = a.int(0);
  const act = a.ptr(1);
  const oact = a.ptr(2);
  if (a.u64(3) !== SIGSET_SIZE) return -EINVAL;
  if (!validSignal(sig)) return -EINVAL;
  // sigaction(2): "EINVAL ... an attempt is made to change the action for SIGKILL or SIGSTOP".
  if (act !== 0 && (sig === SIGKILL || sig === SIGSTOP)) return -EINVAL;
  const cur = t.sighand.actions[sig]!;
  let next: { handler: number; flags: number; restorer: number; mask: bigint } | null = null;
  if (act !== 0) {
    const b = new Uint8Array(32);
    if (t.mm.copyIn(act, b) !== 32) return -EFAULT;
    const dv = new DataView(b.buffer);
    next = {
      handler: Number(dv.getBigUint64(0, true)),
      flags: Number(dv.getBigUint64(8, true) & 0xffffffffn),
      restorer: Number(dv.getBigUint64(16, true)),
      mask: dv.getBigUint64(24, true) & ~UNBLOCKABLE,
    };
  }
  if (oact !== 0) {
    const b = new Uint8Array(32);
    const dv = new DataView(b.buffer);
    dv.setBigUint64(0, BigInt(cur.handler), true);
    dv.setBigUint64(8, BigInt(cur.flags >>> 0), true);
    dv.setBigUint64(16, BigInt(cur.restorer), true);
    dv.setBigUint64(24, cur.mask, true);
    if (t.mm.copyOut(oact, b) !== 32) return -EFAULT;
  }
  if (next !== null) {
    cur.handler = next.handler;
    cur.flags = next.flags;
    cur.restorer = next.restorer;
    cur.mask = next.mask;
    // do_sigaction: setting a signal to be ignored discards it where pending.
    if (isIgnored(t, sig)) {
      t.tg.pending.discard(sigBit(sig));
      for (const o of t.tg.tasks) o.pending.discard(sigBit(sig));
    }
  }
  return 0;
}

/** rt_sigprocmask(2). */
export function sysRtSigprocmask(t: Task, a: SyscallArgs): number {
  const how = a.int(0);
  const setAddr = a.ptr(1);
  const oldAddr = a.ptr(2);
  if (a.u64(3) !== SIGSET_SIZE) return -EINVAL;
  const old = t.sigMask;
  if (setAddr !== 0) {
    const set = readSigset(t, setAddr);
    if (typeof set === "number") return set;
    switch (how) {
      case SIG_BLOCK:
        t.sigMask = (old | set) & ~UNBLOCKABLE;
        break;
      case SIG_UNBLOCK:
        t.sigMask = old & ~set;
        break;
      case SIG_SETMASK:
        t.sigMask = set & ~UNBLOCKABLE;
        break;
      default:
        return -EINVAL;
    }
  }
  if (oldAddr !== 0) return writeSigset(t, oldAddr, old);
  return 0;
}

/** sigaltstack(2): stack_t is { ss_sp@0, ss_flags@8 (int), ss_size@16 }. */
export function sysSigaltstack(t: Task, a: SyscallArgs): number {
  const ss = a.ptr(0);
  const oss = a.ptr(1);
  const curFlags = altStackFlags(t);
  let next: { sp: number; size: number; flags: number } | null = null;
  if (ss !== 0) {
    const b = new Uint8Array(24);
    if (t.mm.copyIn(ss, b) !== 24) return -EFAULT;
    const dv = new DataView(b.buffer);
    const sp = Number(dv.getBigUint64(0, true));
    const flags = dv.getInt32(8, true);
    const size = Number(dv.getBigUint64(16, true));
    // sigaltstack(2): "EPERM An attempt was made to change the alternate signal stack while it was active".
    if ((curFlags & SS_ONSTACK) !== 0) return -EPERM;
    const mode = flags & ~SS_AUTODISARM;
    if (mode !== SS_DISABLE && mode !== SS_ONSTACK && mode !== 0) return -EINVAL;
    if (mode === SS_DISABLE) {
      next = { sp: 0, size: 0, flags: SS_DISABLE };
    } else {
      if (size < MINSIGSTKSZ) return -ENOMEM;
      next = { sp, size, flags: flags & SS_AUTODISARM };
    }
  }
  if (oss !== 0) {
    const b = new Uint8Array(24);
    const dv = new DataView(b.buffer);
    dv.setBigUint64(0, BigInt(t.altStack.sp), true);
    dv.setInt32(8, curFlags, true);
    dv.setBigUint64(16, BigInt(t.altStack.size), true);
    if (t.mm.copyOut(oss, b) !== 24) return -EFAULT;
  }
  if (next !== null) t.altStack = next;
  return 0;
}

/** uretprobe's x86-64 number (Linux 6.11+; not in every libc's headers yet). */
export const SYS_uretprobe = 335;

/**
 * uretprobe (Linux 6.11+): only the uprobes return trampoline may call it;
 * for any other caller Linux does "force_sig(SIGILL); return -1". tsvisor
 * has no uprobes, so every caller is outside a trampoline.
 */
export function sysUretprobe(t: Task): number {
  forceSignal(t.kernel, t, newSigInfo(SIGILL, SI_KERNEL));
  return -EPERM;
}

/** rt_sigreturn(2). */
export function sysRtSigreturn(t: Task): number {
  return sigreturn(t.kernel, t);
}

/** Builds the siginfo of a kill()-like call from `t`. */
function userInfo(t: Task, sig: number, code: number): SigInfo {
  const info = newSigInfo(sig, code, "kill");
  info.pid = t.tgid;
  info.uid = t.creds.uid;
  return info;
}

/**
 * Whether `t` may signal `target` (kill(2)'s permission rule): root, or the
 * sender's real or effective uid equals the target's real or saved uid.
 */
function maySignal(t: Task, target: ThreadGroup): boolean {
  const tc = target.leader?.creds;
  if (tc === undefined) return true;
  const c = t.creds;
  if (c.euid === 0) return true;
  return c.uid === tc.uid || c.uid === tc.suid || c.euid === tc.uid || c.euid === tc.suid;
}

function killGroup(k: Kernel, t: Task, tg: ThreadGroup, sig: number, info: SigInfo): number {
  if (!maySignal(t, tg)) return -EPERM;
  if (sig === 0) return 0;
  return sendToGroup(k, tg, { ...info });
}

/** kill(2). */
export function sysKill(t: Task, a: SyscallArgs): number {
  const pid = a.int(0);
  const sig = a.int(1);
  if (sig !== 0 && !validSignal(sig)) return -EINVAL;
  const k = t.kernel;
  const info = userInfo(t, sig, SI_USER);
  if (pid > 0) {
    const tg = k.pidns.threadGroups.get(pid);
    if (tg === undefined || tg.exit.kind === "reaped") return -ESRCH;
    if (tg.exit.kind === "zombie") return maySignal(t, tg) ? 0 : -EPERM;
    return killGroup(k, t, tg, sig, info);
  }
  // pid 0: the caller's process group; pid < -1: group -pid; pid -1: everyone but init and the caller.
  if (pid === -2147483648) return -ESRCH;
  let found = false;
  let lastErr = 0;
  let ok = false;
  for (const tg of [...k.pidns.threadGroups.values()]) {
    if (tg.exit.kind !== "alive") continue;
    if (pid === -1) {
      if (tg.tgid === 1 || tg === t.tg) continue;
    } else {
      const pgid = pid === 0 ? t.tg.pgid : -pid;
      if (tg.pgid !== pgid) continue;
    }
    found = true;
    const r = killGroup(k, t, tg, sig, info);
    if (r === 0) ok = true;
    else lastErr = r;
  }
  if (!found) return -ESRCH;
  return ok ? 0 : lastErr;
}

/** Finds a live thread by tid (and optionally thread group). */
function findThread(t: Task, tgid: number, tid: number): Task | null {
  const target = t.kernel.pidns.tasks.get(tid);
  if (target === undefined || target.state.kind === "exited") return null;
  if (tgid > 0 && target.tgid !== tgid) return null;
  return target;
}

/** tgkill(2). */
export function sysTgkill(t: Task, a: SyscallArgs): number {
  const tgid = a.int(0);
  const tid = a.int(1);
  const sig = a.int(2);
  if (tgid <= 0 || tid <= 0) return -EINVAL;
  if (sig !== 0 && !validSignal(sig)) return -EINVAL;
  const target = findThread(t, tgid, tid);
  if (target === null) return -ESRCH;
  if (!maySignal(t, target.tg)) return -EPERM;
  if (sig === 0) return 0;
  return sendToTask(t.kernel, target, userInfo(t, sig, SI_TKILL));
}

/** tkill(2). */
export function sysTkill(t: Task, a: SyscallArgs): number {
  const tid = a.int(0);
  const sig = a.int(1);
  if (tid <= 0) return -EINVAL;
  if (sig !== 0 && !validSignal(sig)) return -EINVAL;
  const target = findThread(t, 0, tid);
  if (target === null) return -ESRCH;
  if (!maySignal(t, target.tg)) return -EPERM;
  if (sig === 0) return 0;
  return sendToTask(t.kernel, target, userInfo(t, sig, SI_TKILL));
}

/** Reads a siginfo for rt_(tg)sigqueueinfo and applies its permission rule. */
function queuedInfo(t: Task, sig: number, addr: number, target: ThreadGroup): SigInfo | number {
  const b = new Uint8Array(SIGINFO_SIZE);
  if (t.mm.copyIn(addr, b) !== SIGINFO_SIZE) return -EFAULT;
  const info = decodeSigInfo(new DataView(b.buffer), 0);
  // "Not even root can pretend to send signals from the kernel. Nor can they impersonate a kill()/tgkill()."
  if ((info.code >= 0 || info.code === SI_TKILL) && target !== t.tg) return -EPERM;
  info.signo = sig;
  return info;
}

/** rt_sigqueueinfo(2). */
export function sysRtSigqueueinfo(t: Task, a: SyscallArgs): number {
  const pid = a.int(0);
  const sig = a.int(1);
  if (!validSignal(sig)) return -EINVAL;
  const tg = t.kernel.pidns.threadGroups.get(pid);
  if (tg === undefined || tg.exit.kind !== "alive") return -ESRCH;
  const info = queuedInfo(t, sig, a.ptr(2), tg);
  if (typeof info === "number") return info;
  if (!maySignal(t, tg)) return -EPERM;
  return sendToGroup(t.kernel, tg, info);
}

/** rt_tgsigqueueinfo(2). */
export function sysRtTgsigqueueinfo(t: Task, a: SyscallArgs): number {
  const tgid = a.int(0);
  const tid = a.int(1);
  const sig = a.int(2);
  if (tgid <= 0 || tid <= 0) return -EINVAL;
  if (!validSignal(sig)) return -EINVAL;
  const target = findThread(t, tgid, tid);
  if (target === null) return -ESRCH;
  const info = queuedInfo(t, sig, a.ptr(3), target.tg);
  if (typeof info === "number") return info;
  if (!maySignal(t, target.tg)) return -EPERM;
  return sendToTask(t.kernel, target, info);
}

/** rt_sigpending(2): pending signals that are blocked... and all pending ones. */
export function sysRtSigpending(t: Task, a: SyscallArgs): number {
  if (a.u64(1) > SIGSET_SIZE) return -EINVAL;
  const set = (t.pending.mask | t.tg.pending.mask) & t.sigMask;
  return writeSigset(t, a.ptr(0), set);
}

/**
 * rt_sigsuspend(2): replaces the mask and sleeps until a signal is
 * delivered; always returns -EINTR (via ERESTARTNOHAND, as Linux).
 */
export function sysRtSigsuspend(t: Task, a: SyscallArgs): number | Block {
  if (a.u64(1) !== SIGSET_SIZE) return -EINVAL;
  const set = readSigset(t, a.ptr(0));
  if (typeof set === "number") return set;
  t.savedSigMask = t.sigMask;
  t.sigMask = set & ~UNBLOCKABLE;
  return block([], { resume: () => -ERESTARTNOHAND });
}

/** pause(2). */
export function sysPause(): number | Block {
  return block([], { resume: () => -ERESTARTNOHAND });
}

/**
 * rt_sigtimedwait(2): set, info, timeout, sigsetsize. Dequeues a pending
 * signal in `set` without running its handler.
 */
export function sysRtSigtimedwait(t: Task, a: SyscallArgs): number | Block {
  if (a.u64(3) !== SIGSET_SIZE) return -EINVAL;
  const set = readSigset(t, a.ptr(0));
  if (typeof set === "number") return set;
  const want = set & ~UNBLOCKABLE;
  const infoAddr = a.ptr(1);
  const tsAddr = a.ptr(2);
  let deadline = Number.POSITIVE_INFINITY;
  if (tsAddr !== 0) {
    const ms = readTimespecMs(t, tsAddr);
    if (ms < 0) return ms;
    deadline = monotonicMs() + ms;
  }
  const take = (): number => {
    const pick = (t.pending.mask | t.tg.pending.mask) & want;
    if (pick === 0n) return 0;
    let info = t.pending.dequeue(~pick & ((1n << 64n) - 1n));
    if (info === null) info = t.tg.pending.dequeue(~pick & ((1n << 64n) - 1n));
    if (info === null) return 0;
    if (infoAddr !== 0) {
      const b = new Uint8Array(SIGINFO_SIZE);
      encodeSigInfo(info, new DataView(b.buffer), 0);
      if (t.mm.copyOut(infoAddr, b) !== SIGINFO_SIZE) return -EFAULT;
    }
    return info.signo;
  };
  const r = take();
  if (r !== 0) return r;
  if (deadline <= monotonicMs()) return -EAGAIN;
  // Signals in `set` are temporarily unblocked so their arrival wakes us
  // (Linux: "real_blocked"); they are dequeued here, not delivered.
  const saved = t.sigMask;
  t.savedSigMask = saved;
  t.sigMask = saved & ~want;
  return block([], {
    deadline,
    resume: (_t, why) => {
      t.sigMask = saved;
      t.savedSigMask = null;
      const got = take();
      if (got !== 0) return got;
      if (why === "timeout") return -EAGAIN;
      return -EINTR;
    },
  });
}
