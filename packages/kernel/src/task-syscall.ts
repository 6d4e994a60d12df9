/**
 * Syscall dispatch: from a syscall trap to a result in `rax`, including
 * blocking, restart codes, hooks and strace.
 *
 * Inspired by gVisor's pkg/sentry/kernel/task_syscall.go.
 */
import {
  ERESTART_RESTARTBLOCK,
  ERESTARTNOHAND,
  ERESTARTNOINTR,
  ERESTARTSYS,
  ETIMEDOUT,
  SYS_restart_syscall,
} from "@tsvisor/abi";
import { REG_ORIG_RAX, REG_RAX, REG_RIP, regS64, regU64, setReg } from "@tsvisor/platform";
import { type Kernel, SentryPanic } from "./kernel.js";
import { formatSyscall } from "./strace.js";
import { type Block, isBlock, monotonicMs } from "./syscalls/syscall.js";
import { READY, type Task } from "./task.js";
import { hasDeliverableSignal } from "./task-signals.js";
import type { WakeReason } from "./waiter.js";

/** Whether `r` is one of the kernel-internal restart errnos. */
export function isRestartErrno(r: number): boolean {
  return (
    r === -ERESTARTSYS ||
    r === -ERESTARTNOINTR ||
    r === -ERESTARTNOHAND ||
    r === -ERESTART_RESTARTBLOCK
  );
}

/**
 * Runs the syscall `t` trapped on. Called by the run loop on behalf of `t`
 * right after its syscall trap. On return, `t` is ready (result in rax),
 * blocked, or exiting.
 */
export function dispatchSyscall(k: Kernel, t: Task): void {
  const regs = t.ctx.regs;
  // orig_rax is a 64-bit value; anything >= 2^32 is not a syscall number.
  const nr = regs[2 * REG_ORIG_RAX + 1] === 0 ? regs[2 * REG_ORIG_RAX]! : -1;
  t.syscallNr = nr;
  t.noRestart = false;
  t.raxRestored = false;
  k.current = t;
  let r: number | Block;
  try {
    r = invoke(k, t, nr);
  } catch (e) {
    sentryBug(k, t, nr, e);
    return;
  }
  completeSyscall(k, t, r);
}

/** Calls the hook and the handler for `nr`. */
function invoke(k: Kernel, t: Task, nr: number): number | Block {
  if (k.hook?.enter !== undefined) {
    const h = k.hook.enter(t, nr, t.args);
    if (h !== undefined) return h;
  }
  const e = nr >= 0 ? k.table[nr] : undefined;
  if (e === undefined) return k.countUnimplemented(nr >= 0 ? `syscall_${nr}` : "syscall_invalid");
  if (e.fn === undefined) return k.countUnimplemented(e.name, e.errno);
  return e.fn(t, t.args);
}

/**
 * Finishes the current syscall of `t` with handler result `r`: writes the
 * result, or parks the task on the Block.
 */
export function completeSyscall(k: Kernel, t: Task, r: number | Block): void {
  if (isBlock(r)) {
    blockTask(k, t, r);
    return;
  }
  if (t.raxRestored) r = regS64(t.ctx.regs, REG_RAX);
  else setReg(t.ctx.regs, REG_RAX, r);
  if (k.hook?.exit !== undefined) k.hook.exit(t, t.syscallNr, r);
  if (k.strace !== undefined) k.strace(formatSyscall(t, t.syscallNr, r));
  t.state = READY;
}

/** Reports a Sentry bug (a handler threw) and tears the sandbox down. */
export function sentryBug(k: Kernel, t: Task, nr: number, e: unknown): void {
  const name = (nr >= 0 ? k.table[nr]?.name : undefined) ?? `syscall ${nr}`;
  const detail = e instanceof Error ? (e.stack ?? e.message) : String(e);
  k.panic = new SentryPanic(`sentry bug in ${name} on behalf of ${t}: ${detail}`, e);
  k.kick();
}

/**
 * Parks `t` on Block `b`: subscribes to its waitables and arms its deadline.
 * A deadline already past or a deliverable signal ends the wait at once (via
 * the wake-up queue, never recursively).
 */
function blockTask(k: Kernel, t: Task, b: Block): void {
  t.state = { kind: "blocked", block: b, nr: t.syscallNr };
  t.waitingOn = b.on;
  for (const w of b.on) {
    w.subscribe(t);
    if (w.hostReady !== undefined) k.hostWaiters.add(t);
  }
  if (b.deadline !== Number.POSITIVE_INFINITY) {
    if (b.deadline <= monotonicMs()) {
      k.wake(t, "timeout");
      return;
    }
    t.blockTimer = k.timers.add(b.deadline, () => {
      t.blockTimer = null;
      k.wake(t, "timeout");
    });
  }
  if (b.interruptible && hasDeliverableSignal(t)) t.sigPending = true;
  if (
    t.exiting ||
    (b.interruptible ? t.sigPending && hasDeliverableSignal(t) : t.tg.exit.kind !== "alive")
  ) {
    k.wake(t, "interrupted");
  }
}

/**
 * Ends the wait of a blocked task and runs its continuation. Called by the
 * run loop for each queued wake-up.
 */
export function resumeBlocked(k: Kernel, t: Task, why: WakeReason): void {
  const st = t.state;
  if (st.kind !== "blocked") return;
  for (const w of t.waitingOn) w.unsubscribe(t);
  t.waitingOn = [];
  k.hostWaiters.delete(t);
  if (t.blockTimer !== null) {
    k.timers.cancel(t.blockTimer);
    t.blockTimer = null;
  }
  const b = st.block;
  k.current = t;
  let r: number | Block;
  try {
    if (b.resume !== undefined) {
      r = b.resume(t, why);
    } else if (why === "woken") {
      r = invoke(k, t, st.nr);
    } else if (why === "timeout") {
      r = -ETIMEDOUT;
    } else {
      r = -ERESTARTSYS;
    }
  } catch (e) {
    sentryBug(k, t, st.nr, e);
    return;
  }
  t.state = READY;
  completeSyscall(k, t, r);
}

/**
 * Applies Linux's restart rules to the syscall `t` just finished, when no
 * handler is about to run: every restart errno restarts the call
 * (ERESTART_RESTARTBLOCK through restart_syscall).
 */
export function restartIfNeeded(t: Task): void {
  if (t.noRestart || t.syscallNr < 0) return;
  const regs = t.ctx.regs;
  const rax = raxErrno(t);
  if (rax === ERESTARTSYS || rax === ERESTARTNOINTR || rax === ERESTARTNOHAND) {
    setReg(regs, REG_RAX, t.syscallNr);
    setReg(regs, REG_RIP, regU64(regs, REG_RIP) - 2);
  } else if (rax === ERESTART_RESTARTBLOCK) {
    setReg(regs, REG_RAX, SYS_restart_syscall);
    setReg(regs, REG_RIP, regU64(regs, REG_RIP) - 2);
  }
}

/**
 * The errno in `t`'s rax if it holds a negative errno in [-4095, -1], else 0.
 */
export function raxErrno(t: Task): number {
  const regs = t.ctx.regs;
  const hi = regs[2 * REG_RAX + 1]!;
  const lo = regs[2 * REG_RAX]!;
  if (hi !== 0xffffffff || lo < 0xfffff001) return 0;
  return 0x100000000 - lo;
}

/**
 * Applies Linux's restart rules when a signal handler is about to run for
 * `t`: ERESTARTSYS restarts only with SA_RESTART, ERESTARTNOINTR always,
 * ERESTARTNOHAND and ERESTART_RESTARTBLOCK become EINTR.
 */
export function restartForHandler(t: Task, saRestart: boolean): void {
  if (t.noRestart || t.syscallNr < 0) return;
  const e = raxErrno(t);
  const regs = t.ctx.regs;
  const EINTR = 4;
  if (e === ERESTARTNOHAND || e === ERESTART_RESTARTBLOCK || (e === ERESTARTSYS && !saRestart)) {
    setReg(regs, REG_RAX, -EINTR);
  } else if (e === ERESTARTNOINTR || (e === ERESTARTSYS && saRestart)) {
    setReg(regs, REG_RAX, t.syscallNr);
    setReg(regs, REG_RIP, regU64(regs, REG_RIP) - 2);
  }
}
