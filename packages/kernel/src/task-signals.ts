/**
 * Signal sending and delivery: kill/tgkill semantics, forced (fault)
 * signals, default actions, job control stops, and the x86-64 rt_sigframe
 * that rt_sigreturn undoes.
 *
 * Inspired by gVisor's pkg/sentry/kernel/task_signals.go and Linux's
 * kernel/signal.c and arch/x86/kernel/signal.c.
 */
import {
  CLD_CONTINUED,
  CLD_STOPPED,
  defaultAction,
  SA_NOCLDSTOP,
  SA_NODEFER,
  SA_ONSTACK,
  SA_RESETHAND,
  SA_RESTART,
  SA_RESTORER,
  SIGCHLD,
  SIGCONT,
  SIGKILL,
  SIGSEGV,
  SIGSTOP,
  SIGTSTP,
  SIGTTIN,
  SIGTTOU,
  SS_AUTODISARM,
  SS_DISABLE,
  SS_ONSTACK,
} from "@tsvisor/abi";
import {
  REG_CS,
  REG_EFLAGS,
  REG_R8,
  REG_R9,
  REG_R10,
  REG_R11,
  REG_R12,
  REG_R13,
  REG_R14,
  REG_R15,
  REG_RAX,
  REG_RBP,
  REG_RBX,
  REG_RCX,
  REG_RDI,
  REG_RDX,
  REG_RIP,
  REG_RSI,
  REG_RSP,
  REG_SS,
  regU64,
  setReg,
} from "@tsvisor/platform";
import type { Kernel } from "./kernel.js";
import {
  encodeSigInfo,
  newSigInfo,
  SIG_DFL,
  SIG_IGN,
  SIGINFO_SIZE,
  type SigInfo,
  sigBit,
  UNBLOCKABLE,
} from "./signals.js";
import { STOPPED, type Task } from "./task.js";
import { groupExit } from "./task-exit.js";
import { restartForHandler, restartIfNeeded } from "./task-syscall.js";
import type { ThreadGroup } from "./thread-group.js";

const STOP_SIGNALS = sigBit(SIGSTOP) | sigBit(SIGTSTP) | sigBit(SIGTTIN) | sigBit(SIGTTOU);

/** Whether `sig` is ignored by `t`'s dispositions (explicitly or by default). */
export function isIgnored(t: Task, sig: number): boolean {
  const a = t.sighand.actions[sig]!;
  if (a.handler === SIG_IGN) return true;
  if (a.handler !== SIG_DFL) return false;
  // sig_kernel_ignore(): SIGCHLD, SIGURG, SIGWINCH and SIGCONT (whose
  // continuing happens at send time, in prepareSignal).
  const d = defaultAction(sig);
  return d === "ignore" || d === "continue";
}

/** Whether `sig` would terminate the group if delivered to `t` with its current disposition. */
function isFatal(t: Task, sig: number): boolean {
  if (sig === SIGKILL) return true;
  const a = t.sighand.actions[sig]!;
  if (a.handler !== SIG_DFL) return false;
  const d = defaultAction(sig);
  return d === "term" || d === "core";
}

/**
 * Whether `t` has something to do before returning to the application: a
 * pending unblocked signal that is not ignored, a group stop, or a group exit.
 */
export function hasDeliverableSignal(t: Task): boolean {
  if (t.exiting || t.tg.exit.kind !== "alive" || t.tg.groupStopPending) return true;
  let m = (t.pending.mask | t.tg.pending.mask) & ~t.sigMask;
  while (m !== 0n) {
    const low = m & -m;
    let sig = 1;
    for (let b = low; b > 1n; b >>= 1n) sig++;
    if (!isIgnored(t, sig)) return true;
    m &= ~low;
  }
  return false;
}

/**
 * Makes `t` notice a new signal: interrupts an interruptible wait, or a
 * running context. A fatal signal (SIGKILL, group exit) interrupts any wait.
 */
function signalWakeUp(k: Kernel, t: Task, fatal: boolean): void {
  const st = t.state;
  if (st.kind === "blocked") {
    if (st.block.interruptible || fatal) k.wake(t, "interrupted");
  } else if (st.kind === "running") {
    t.ctx.interrupt();
  }
  // A stopped task takes no signal but SIGKILL (wants_signal: "if
  // (task_is_stopped_or_traced(p)) return false"); SIGKILL goes through
  // groupExit, which wakes stopped tasks itself.
}

/**
 * Side effects of sending `sig` to a group before it is queued (Linux's
 * prepare_signal): SIGCONT resumes a stopped group and discards pending stop
 * signals; a stop signal discards a pending SIGCONT. Returns false when the
 * signal must be dropped (group exiting, or ignored and not blocked).
 */
function prepareSignal(k: Kernel, tg: ThreadGroup, t: Task, sig: number): boolean {
  if (tg.exit.kind !== "alive") return sig === SIGKILL;
  if ((STOP_SIGNALS & sigBit(sig)) !== 0n) {
    tg.pending.discard(sigBit(SIGCONT));
    for (const x of tg.tasks) x.pending.discard(sigBit(SIGCONT));
  } else if (sig === SIGCONT || sig === SIGKILL) {
    tg.pending.discard(STOP_SIGNALS);
    for (const x of tg.tasks) x.pending.discard(STOP_SIGNALS);
    if (tg.stopped || tg.groupStopPending) {
      const wasStopped = tg.stopped;
      tg.stopped = false;
      tg.groupStopPending = false;
      for (const x of tg.tasks) if (x.state.kind === "stopped") k.makeReady(x);
      if (wasStopped && sig === SIGCONT) {
        tg.jobEvent = { kind: "continued" };
        notifyParentJobControl(k, tg, CLD_CONTINUED, SIGCONT);
      }
    }
  }
  // sig_ignored(): an ignored, unblocked signal is dropped at send time.
  if (sig !== SIGKILL && isIgnored(t, sig) && (t.sigMask & sigBit(sig)) === 0n) return false;
  return true;
}

/**
 * Sends `info` to one thread (tgkill, tkill, faults). Called on behalf of
 * the sender; returns 0 (the signal was queued or legitimately dropped).
 */
export function sendToTask(k: Kernel, t: Task, info: SigInfo): number {
  if (t.state.kind === "exited") return 0;
  if (!prepareSignal(k, t.tg, t, info.signo)) return 0;
  if (info.signo === SIGKILL) {
    groupExit(k, t.tg, SIGKILL);
    return 0;
  }
  t.pending.enqueue(info);
  if ((t.sigMask & sigBit(info.signo)) === 0n) {
    t.sigPending = true;
    signalWakeUp(k, t, false);
  }
  return 0;
}

/**
 * Sends `info` to a thread group (kill). The signal is queued on the group;
 * one thread that does not block it is woken to take it (the leader first).
 */
export function sendToGroup(k: Kernel, tg: ThreadGroup, info: SigInfo): number {
  const any =
    tg.leader !== null && tg.tasks.has(tg.leader) ? tg.leader : tg.tasks.values().next().value;
  if (any === undefined) return 0; // zombie: the signal is discarded
  if (!prepareSignal(k, tg, any, info.signo)) return 0;
  if (info.signo === SIGKILL) {
    groupExit(k, tg, SIGKILL);
    return 0;
  }
  tg.pending.enqueue(info);
  const bit = sigBit(info.signo);
  const candidates = [any, ...tg.tasks];
  for (const t of candidates) {
    if ((t.sigMask & bit) === 0n && t.state.kind !== "exited" && t.state.kind !== "stopped") {
      t.sigPending = true;
      // complete_signal: a fatal signal takes the whole group down at once.
      if (isFatal(t, info.signo)) {
        signalWakeUp(k, t, true);
      } else {
        signalWakeUp(k, t, false);
      }
      break;
    }
  }
  return 0;
}

/**
 * Sends a synchronous signal caused by `t`'s own execution (a fault,
 * SIGILL, SIGFPE, SIGTRAP). Like Linux's force_sig_info: a blocked or
 * ignored signal is unblocked and reset to the default action, so an
 * unhandled fault always kills.
 */
export function forceSignal(k: Kernel, t: Task, info: SigInfo): void {
  const sig = info.signo;
  const a = t.sighand.actions[sig]!;
  const blocked = (t.sigMask & sigBit(sig)) !== 0n;
  if (blocked || a.handler === SIG_IGN) {
    if (a.handler === SIG_IGN) a.handler = SIG_DFL;
    t.sigMask &= ~sigBit(sig);
  }
  // Queue even if an instance is already pending: a second fault while one
  // is pending must not be merged away (Linux dequeues synchronous signals
  // first); drop the older one.
  t.pending.discard(sigBit(sig));
  t.pending.enqueue(info);
  t.sigPending = true;
  void k;
}

/** Notifies `tg`'s parent of a stop or continue (SIGCHLD + wait queue). */
export function notifyParentJobControl(
  k: Kernel,
  tg: ThreadGroup,
  code: number,
  sig: number,
): void {
  const parent = tg.parent;
  if (parent === null) return;
  parent.childEvents.notifyAll();
  const leader = parent.leader;
  if (leader === null) return;
  const a = leader.sighand.actions[SIGCHLD]!;
  if ((a.flags & SA_NOCLDSTOP) !== 0) return;
  const info = newSigInfo(SIGCHLD, code, "chld");
  info.pid = tg.tgid;
  info.uid = tg.leader?.creds.uid ?? 0;
  info.status = sig;
  sendToGroup(k, parent, info);
}

/**
 * Called when `t` reaches a point where it would return to the application.
 * Handles, in order: group exit, group stop, one pending signal (default
 * action or a handler frame), then syscall restart when no handler runs.
 * Leaves `t` ready, stopped, or exiting.
 *
 * Preconditions: `t.state.kind === "ready"`; on behalf of `t`.
 */
export function deliverSignals(k: Kernel, t: Task): void {
  let handled = false;
  for (;;) {
    if (t.exiting || t.tg.exit.kind !== "alive") {
      t.exiting = true;
      return;
    }
    if (t.tg.groupStopPending) {
      restartIfNeeded(t);
      enterGroupStop(k, t);
      return;
    }
    let info = t.pending.dequeue(t.sigMask);
    if (info === null) info = t.tg.pending.dequeue(t.sigMask);
    if (info === null) break;
    const sig = info.signo;
    const a = t.sighand.actions[sig]!;
    if (a.handler === SIG_IGN) continue;
    if (a.handler === SIG_DFL) {
      const d = defaultAction(sig) ?? "term";
      if (d === "ignore" || d === "continue") continue;
      if (d === "stop") {
        t.tg.groupStopPending = true;
        t.tg.stopSignal = sig;
        for (const o of t.tg.tasks) if (o !== t) signalWakeUp(k, o, false);
        continue;
      }
      // term / core: the whole group dies with this signal.
      const core = d === "core" && t.tg.rlimits[4]!.cur > 0;
      groupExit(k, t.tg, sig | (core ? 0x80 : 0));
      t.exiting = true;
      return;
    }
    if (!setupFrame(k, t, info)) {
      // signal_setup_done → force_sigsegv: the handler's frame could not be
      // written; SIGSEGV with its default action kills.
      const seg = t.sighand.actions[SIGSEGV]!;
      if (sig === SIGSEGV) seg.handler = SIG_DFL;
      forceSignal(k, t, newSigInfo(SIGSEGV, 0x80 /* SI_KERNEL */, "kill"));
      continue;
    }
    // Like Linux's exit-to-user loop, keep delivering: each further
    // deliverable signal gets a frame on top (its handler runs first).
    t.syscallNr = -1;
    handled = true;
  }
  if (handled) return;
  restartIfNeeded(t);
  t.sigPending = false;
  if (t.savedSigMask !== null) {
    t.sigMask = t.savedSigMask;
    t.savedSigMask = null;
  }
}

/**
 * A thread leaving (exit, or blocking signals) hands process-wide pending
 * signals to another thread that can take them (retarget_shared_pending).
 */
export function retargetShared(k: Kernel, leaving: Task): void {
  const tg = leaving.tg;
  if (tg.pending.mask === 0n) return;
  for (const o of tg.tasks) {
    if (o === leaving || o.state.kind === "exited") continue;
    if ((tg.pending.mask & ~o.sigMask) !== 0n) {
      o.sigPending = true;
      signalWakeUp(k, o, false);
      return;
    }
  }
}

/** Puts `t` in the group stop; the last task to stop completes it. */
function enterGroupStop(k: Kernel, t: Task): void {
  t.state = STOPPED;
  const tg = t.tg;
  for (const o of tg.tasks) if (o.state.kind !== "stopped") return;
  tg.groupStopPending = false;
  tg.stopped = true;
  tg.jobEvent = { kind: "stopped", signo: tg.stopSignal };
  notifyParentJobControl(k, tg, CLD_STOPPED, tg.stopSignal);
}

// struct rt_sigframe layout (arch/x86/include/asm/sigframe.h):
//   pretcode (8) | struct ucontext uc (304) | siginfo_t info (128) | ... fpstate (64-aligned, separate)
const UC_OFF = 8;
const INFO_OFF = UC_OFF + 304;
const FRAME_SIZE = INFO_OFF + SIGINFO_SIZE;
// struct ucontext: uc_flags@0, uc_link@8, uc_stack@16 (ss_sp, ss_flags, ss_size), uc_mcontext@40, uc_sigmask@296.
const UC_STACK = 16;
const UC_MCONTEXT = 40;
const UC_SIGMASK = 296;
// struct sigcontext (64-bit) field offsets.
const SC_REGS: readonly (readonly [number, number])[] = [
  [0, REG_R8],
  [8, REG_R9],
  [16, REG_R10],
  [24, REG_R11],
  [32, REG_R12],
  [40, REG_R13],
  [48, REG_R14],
  [56, REG_R15],
  [64, REG_RDI],
  [72, REG_RSI],
  [80, REG_RBP],
  [88, REG_RBX],
  [96, REG_RDX],
  [104, REG_RAX],
  [112, REG_RCX],
  [120, REG_RSP],
  [128, REG_RIP],
];
const SC_EFLAGS = 136;
const SC_CS = 144;
const SC_SS = 150;
const SC_ERR = 152;
const SC_TRAPNO = 160;
const SC_OLDMASK = 168;
const SC_CR2 = 176;
const SC_FPSTATE = 184;
const UC_FP_XSTATE = 1;
const UC_SIGCONTEXT_SS = 2;
const UC_STRICT_RESTORE_SS = 4;
const FP_XSTATE_MAGIC1 = 0x46505853;
const FP_XSTATE_MAGIC2 = 0x46505845;
/** Flags a signal handler may change through sigreturn (FIX_EFLAGS). */
const FIX_EFLAGS = 0x50dd5;
const USER_CS = 0x33;
const USER_DS = 0x2b;

/** Whether `sp` is on `t`'s alternate signal stack. */
function onAltStack(t: Task, sp: number): boolean {
  const s = t.altStack;
  return s.size > 0 && (s.flags & SS_DISABLE) === 0 && sp > s.sp && sp - s.sp <= s.size;
}

/** sigaltstack's view of the current alternate stack flags. */
export function altStackFlags(t: Task): number {
  if ((t.altStack.flags & SS_DISABLE) !== 0) return SS_DISABLE;
  const sp = regU64(t.ctx.regs, REG_RSP);
  return (onAltStack(t, sp) ? SS_ONSTACK : 0) | (t.altStack.flags & SS_AUTODISARM);
}

/**
 * Builds the rt_sigframe for `info` on `t`'s stack (or alternate stack) and
 * points `t` at the handler. Returns false when the frame cannot be written
 * (bad stack, no SA_RESTORER), leaving registers untouched.
 */
function setupFrame(k: Kernel, t: Task, info: SigInfo): boolean {
  const sig = info.signo;
  const a = t.sighand.actions[sig]!;
  const regs = t.ctx.regs;
  restartForHandler(t, (a.flags & SA_RESTART) !== 0);
  if ((a.flags & SA_RESTORER) === 0) return false;
  const userSp = regU64(regs, REG_RSP);
  let sp = userSp - 128; // the red zone
  const altFlags = altStackFlags(t);
  if ((a.flags & SA_ONSTACK) !== 0 && (altFlags & (SS_DISABLE | SS_ONSTACK)) === 0) {
    sp = t.altStack.sp + t.altStack.size;
  }
  const fp = t.ctx.getFPState();
  const xsave = fp.length > 512;
  const fpSize = fp.length + (xsave ? 4 : 0);
  const fpAddr = Math.floor((sp - fpSize) / 64) * 64;
  // align_sigframe: ((sp + 8) & -16) - 8, so the handler sees a call frame.
  const frame = Math.floor((fpAddr - FRAME_SIZE + 8) / 16) * 16 - 8;

  const fpBuf = new Uint8Array(fpSize);
  fpBuf.set(fp);
  const fdv = new DataView(fpBuf.buffer);
  if (xsave) {
    // struct _fpx_sw_bytes in the FXSAVE area's software-reserved bytes (464).
    fdv.setUint32(464, FP_XSTATE_MAGIC1, true);
    fdv.setUint32(468, fpSize, true);
    fdv.setBigUint64(472, fdv.getBigUint64(512, true), true); // xfeatures: XSTATE_BV
    fdv.setUint32(480, fp.length, true);
    fdv.setUint32(fp.length, FP_XSTATE_MAGIC2, true);
  }

  const buf = new Uint8Array(FRAME_SIZE);
  const dv = new DataView(buf.buffer);
  const put = (off: number, v: number): void => dv.setBigUint64(off, BigInt(v), true);
  put(0, a.restorer);
  put(UC_OFF, UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS | (xsave ? UC_FP_XSTATE : 0));
  put(UC_OFF + 8, 0);
  put(UC_OFF + UC_STACK, t.altStack.sp);
  dv.setInt32(UC_OFF + UC_STACK + 8, altFlags, true);
  put(UC_OFF + UC_STACK + 16, t.altStack.size);
  const mc = UC_OFF + UC_MCONTEXT;
  for (const [off, reg] of SC_REGS) {
    dv.setUint32(mc + off, regs[2 * reg]!, true);
    dv.setUint32(mc + off + 4, regs[2 * reg + 1]!, true);
  }
  put(mc + SC_EFLAGS, regU64(regs, REG_EFLAGS));
  dv.setUint16(mc + SC_CS, USER_CS, true);
  dv.setUint16(mc + SC_SS, USER_DS, true);
  const pageFault = info.trapno === 14;
  put(mc + SC_ERR, pageFault ? faultErr(info) : 0);
  put(mc + SC_TRAPNO, info.trapno ?? 0);
  const oldMask = t.savedSigMask ?? t.sigMask;
  put(mc + SC_OLDMASK, Number(oldMask & 0xffffffffn));
  put(mc + SC_CR2, pageFault ? info.addr : 0);
  put(mc + SC_FPSTATE, fpAddr);
  dv.setBigUint64(UC_OFF + UC_SIGMASK, oldMask, true);
  encodeSigInfo(info, dv, INFO_OFF);

  if (t.mm.copyOut(fpAddr, fpBuf) < 0) return false;
  if (t.mm.copyOut(frame, buf) < 0) return false;

  if ((t.altStack.flags & SS_AUTODISARM) !== 0 && sp !== userSp - 128) {
    t.altStack = { sp: 0, size: 0, flags: SS_DISABLE };
  }
  setReg(regs, REG_RDI, sig);
  setReg(regs, REG_RSI, frame + INFO_OFF);
  setReg(regs, REG_RDX, frame + UC_OFF);
  setReg(regs, REG_RAX, 0);
  setReg(regs, REG_RSP, frame);
  setReg(regs, REG_RIP, a.handler);
  // Clear DF, TF and RF for the handler, as Linux does.
  setReg(regs, REG_EFLAGS, regU64(regs, REG_EFLAGS) & ~(0x400 | 0x100 | 0x10000));
  setReg(regs, REG_CS, USER_CS);
  setReg(regs, REG_SS, USER_DS);

  t.sigMask = (oldMask | a.mask | ((a.flags & SA_NODEFER) === 0 ? sigBit(sig) : 0n)) & ~UNBLOCKABLE;
  t.savedSigMask = null;
  // SA_RESETHAND: "Restore the signal action to the default upon entry to
  // the signal handler" (the flags themselves are left as they were).
  if ((a.flags & SA_RESETHAND) !== 0) a.handler = SIG_DFL;
  void k;
  return true;
}

/**
 * The page-fault error code a sigcontext reports for a fault: the user-mode
 * bit (4), plus write (2), plus present (1) when a page was mapped there.
 */
function faultErr(info: SigInfo): number {
  return 4 | (info.faultWrite ? 2 : 0) | (info.faultPresent ? 1 : 0);
}

/**
 * rt_sigreturn(2): restores the registers, signal mask, FP state and
 * alternate stack saved by {@link setupFrame}. The frame is at rsp - 8 (the
 * handler's `ret` popped pretcode). Returns the restored rax, or -1 after
 * forcing SIGSEGV when the frame is unreadable.
 */
export function sigreturn(k: Kernel, t: Task): number {
  const regs = t.ctx.regs;
  const frame = regU64(regs, REG_RSP) - 8;
  const buf = new Uint8Array(FRAME_SIZE);
  if (t.mm.copyIn(frame, buf) < 0) {
    forceSignal(k, t, newSigInfo(SIGSEGV, 0x80, "kill"));
    t.noRestart = true;
    t.raxRestored = true;
    return 0;
  }
  const dv = new DataView(buf.buffer);
  const get = (off: number): number => Number(dv.getBigUint64(off, true));
  const mc = UC_OFF + UC_MCONTEXT;
  const fpAddr = get(mc + SC_FPSTATE);
  if (fpAddr !== 0) {
    const fp = new Uint8Array(t.ctx.getFPState().length);
    if (t.mm.copyIn(fpAddr, fp) < 0) {
      forceSignal(k, t, newSigInfo(SIGSEGV, 0x80, "kill"));
      t.noRestart = true;
      t.raxRestored = true;
      return 0;
    }
    try {
      t.ctx.setFPState(fp);
    } catch {
      // A corrupt FP image (bad XSAVE header) is the program's fault.
      forceSignal(k, t, newSigInfo(SIGSEGV, 0x80, "kill"));
      t.noRestart = true;
      t.raxRestored = true;
      return 0;
    }
  }
  const oldFlags = regU64(regs, REG_EFLAGS);
  for (const [off, reg] of SC_REGS) {
    regs[2 * reg] = dv.getUint32(mc + off, true);
    regs[2 * reg + 1] = dv.getUint32(mc + off + 4, true);
  }
  const flags = (oldFlags & ~FIX_EFLAGS) | (get(mc + SC_EFLAGS) & FIX_EFLAGS);
  setReg(regs, REG_EFLAGS, flags);
  setReg(regs, REG_CS, USER_CS);
  setReg(regs, REG_SS, USER_DS);
  t.sigMask = dv.getBigUint64(UC_OFF + UC_SIGMASK, true) & ~UNBLOCKABLE;
  // restore_altstack: like sigaltstack(&uc_stack, NULL), errors ignored.
  const ssSp = get(UC_OFF + UC_STACK);
  const ssFlags = dv.getInt32(UC_OFF + UC_STACK + 8, true);
  const ssSize = get(UC_OFF + UC_STACK + 16);
  if (!onAltStack(t, regU64(regs, REG_RSP))) {
    if ((ssFlags & SS_DISABLE) !== 0) t.altStack = { sp: 0, size: 0, flags: SS_DISABLE };
    else t.altStack = { sp: ssSp, size: ssSize, flags: ssFlags & SS_AUTODISARM };
  }
  t.noRestart = true;
  t.raxRestored = true;
  return 0;
}
