/**
 * The run loop: the one place application threads run.
 *
 * DESIGN.md's execution model, as a state machine over {@link LoopState}:
 * - `single`: exactly one runnable task and nothing resumed on the platform.
 *   The loop calls `ctx.switch(as, timeout)` synchronously, handles the trap
 *   and switches again: no Promise, no allocation per syscall. The timeout is
 *   the nearest kernel timer, so sleepers wake on time and a task computing
 *   without trapping is preempted (interrupted) for them.
 * - `multi`: several runnable tasks (or some already resumed). Every ready
 *   task is resumed and `platform.waitAny(timeout)` returns the next trap.
 * - `idle`: nothing runnable. The loop awaits the nearest timer, a host fd
 *   becoming ready (`Waitable.hostReady`), or a kick (e.g. a host signal
 *   forwarded by the CLI). Only here does the loop yield to the event loop.
 * - `done`: no task left, or the Sentry panicked.
 *
 * Inspired by gVisor's pkg/sentry/kernel/task_run.go and its run states.
 */
import { SIGKILL } from "@tsvisor/abi";
import type { Trap } from "@tsvisor/platform";
import type { Kernel } from "./kernel.js";
import { newSigInfo } from "./signals.js";
import { monotonicMs } from "./syscalls/syscall.js";
import { READY, RUNNING, type Task } from "./task.js";
import { exitTask, groupExit } from "./task-exit.js";
import { deliverSignals, forceSignal } from "./task-signals.js";
import { checkCpuTimers, cpuTimerRemaining } from "./syscalls/sys-time.js";
import { dispatchSyscall, restartIfNeeded, resumeBlocked } from "./task-syscall.js";

/** What the loop does next. */
export type LoopState =
  | { readonly kind: "single"; readonly task: Task }
  | { readonly kind: "multi" }
  | { readonly kind: "idle" }
  | { readonly kind: "done" };

/** How often (ms) to give the event loop a turn while tasks wait on host fds. */
const HOST_POLL_MS = 10;
/**
 * Longest stretch (ms) the loop runs application code without giving the
 * event loop a turn, so host signals (Ctrl-C forwarded by the CLI) and
 * embedders' callbacks are not starved by a program that computes forever.
 */
const HOST_TICK_MS = 100;

/** Decides the next loop state. */
function nextState(k: Kernel): LoopState {
  if (k.panic !== null) return { kind: "done" };
  if (k.runningByCtx.size === 0 && k.ready.length === 1)
    return { kind: "single", task: k.ready.pop()! };
  if (k.ready.length > 0 || k.runningByCtx.size > 0) return { kind: "multi" };
  if (k.liveTasks === 0) return { kind: "done" };
  return { kind: "idle" };
}

/**
 * Runs until every task has exited or the Sentry panicked. On the Sentry
 * thread; resolves when done.
 */
export async function runLoop(k: Kernel): Promise<void> {
  let lastYield = monotonicMs();
  const maybeYield = async (): Promise<void> => {
    const now = monotonicMs();
    if (k.hostWaiters.size > 0 || now - lastYield >= HOST_TICK_MS) {
      await yieldToEventLoop();
      lastYield = monotonicMs();
    }
  };
  for (;;) {
    processEvents(k);
    const s = nextState(k);
    switch (s.kind) {
      case "single":
        runSingle(k, s.task);
        await maybeYield();
        break;
      case "multi":
        runMulti(k);
        await maybeYield();
        break;
      case "idle":
        await idle(k);
        lastYield = monotonicMs();
        break;
      case "done":
        teardown(k);
        return;
      default:
        assertNever(s);
    }
  }
}

function assertNever(x: never): never {
  throw new Error(`unexpected loop state ${JSON.stringify(x)}`);
}

/** Fires due timers and processes queued wake-ups until none are left. */
function processEvents(k: Kernel): void {
  for (;;) {
    k.timers.fire(monotonicMs());
    if (k.wakeups.length === 0) return;
    const batch = k.wakeups.splice(0);
    for (const w of batch) {
      resumeBlocked(k, w.task, w.why);
      afterHandling(k, w.task);
    }
  }
}

/** Milliseconds until the next timer (for a platform timeout), or -1 for none. */
function waitTimeout(k: Kernel): number {
  let t = HOST_TICK_MS;
  const d = k.timers.nextDeadline();
  if (d !== Number.POSITIVE_INFINITY) t = Math.min(t, Math.max(0, Math.ceil(d - monotonicMs())));
  if (k.hostWaiters.size > 0 && t > HOST_POLL_MS) t = HOST_POLL_MS;
  return t;
}

/**
 * The synchronous fast path: switch to `t` until something else needs the
 * loop's attention (another task became ready, a timer fired, `t` blocked,
 * stopped or exited).
 */
function runSingle(k: Kernel, t: Task): void {
  if (!prepareToRun(k, t)) return;
  const start = monotonicMs();
  for (let n = 1; ; n++) {
    t.state = RUNNING;
    const t0 = performance.now();
    let trap: Trap;
    try {
      const tmo = waitTimeout(k);
      trap = t.ctx.switch(
        t.mm.addressSpace,
        t.tg.cpuTimersArmed ? Math.min(tmo, Math.ceil(cpuTimerRemaining(t))) : tmo,
      );
    } catch (e) {
      // The host thread running the task died under us (killed from
      // outside the Sentry): the process dies as if by SIGKILL.
      if (!(e instanceof Error) || e.name !== "StubDiedError") throw e;
      t.state = READY;
      groupExit(k, t.tg, SIGKILL);
      afterHandling(k, t, true);
      return;
    }
    t.cpuMs += performance.now() - t0;
    if (t.tg.cpuTimersArmed) checkCpuTimers(t);
    t.state = READY;
    handleTrap(k, t, trap);
    afterHandling(k, t, true);
    if (t.state.kind !== "ready") return;
    if (
      k.ready.length > 0 ||
      k.wakeups.length > 0 ||
      k.panic !== null ||
      trap.kind === "interrupted" ||
      ((n & 255) === 0 && monotonicMs() - start >= HOST_TICK_MS)
    ) {
      k.ready.push(t);
      return;
    }
  }
}

/** Resumes every ready task and handles the next trap. */
function runMulti(k: Kernel): void {
  while (k.ready.length > 0) {
    const t = k.ready.shift()!;
    if (t.state.kind !== "ready" || !prepareToRun(k, t)) continue;
    t.state = RUNNING;
    t.resumedAt = performance.now();
    k.runningByCtx.set(t.ctx, t);
    t.ctx.resume(t.mm.addressSpace);
  }
  if (k.runningByCtx.size === 0) return;
  const ctx = k.platform.waitAny(waitTimeout(k));
  if (ctx === null) return;
  const t = k.runningByCtx.get(ctx);
  if (t === undefined) return;
  k.runningByCtx.delete(ctx);
  t.cpuMs += performance.now() - t.resumedAt;
  if (t.tg.cpuTimersArmed) checkCpuTimers(t);
  t.state = READY;
  handleTrap(k, t, ctx.trap);
  afterHandling(k, t);
}

/**
 * Last check before `t` goes back to the application: a task made ready by
 * something other than its own trap (SIGCONT, a new clone, a wake-up that
 * queued it) may have signals to take first. Returns whether it may run.
 */
function prepareToRun(k: Kernel, t: Task): boolean {
  if (t.exiting || t.mayHaveSignals) {
    afterHandling(k, t, true);
    return t.state.kind === "ready";
  }
  return true;
}

/** Dispatches one trap of `t`. */
function handleTrap(k: Kernel, t: Task, trap: Trap): void {
  switch (trap.kind) {
    case "syscall":
      dispatchSyscall(k, t);
      return;
    case "fault": {
      t.syscallNr = -1;
      const r = t.mm.handleFault(trap.addr, trap.access);
      if (r === 0) return;
      if (r.kind === "oom") {
        // Out of sandbox memory: what Linux's OOM killer does (SIGKILL).
        groupExit(k, t.tg, SIGKILL);
        return;
      }
      const info = newSigInfo(r.signo, r.code, "fault");
      info.addr = trap.addr;
      info.faultWrite = trap.access === "write";
      info.faultPresent = trap.present;
      info.trapno = 14;
      forceSignal(k, t, info);
      return;
    }
    case "signal": {
      t.syscallNr = -1;
      const info = newSigInfo(trap.signo, trap.code, "fault");
      info.addr = trap.addr;
      // The vector the sigcontext reports: #DE for SIGFPE, #UD for SIGILL,
      // #BP/#DB for SIGTRAP, #GP for other SIGSEGV/SIGBUS.
      info.trapno =
        trap.signo === 8
          ? 0
          : trap.signo === 4
            ? 6
            : trap.signo === 5
              ? trap.code === 2 /* TRAP_TRACE */
                ? 1
                : 3
              : 13;
      forceSignal(k, t, info);
      return;
    }
    case "interrupted":
      t.syscallNr = -1;
      return;
  }
}

/**
 * After a trap or wake-up was handled: deliver signals, finish exits, and
 * queue the task if it is runnable. With `inline`, a runnable task is left
 * to the caller (runSingle) instead of being queued.
 */
function afterHandling(k: Kernel, t: Task, inline = false): void {
  if (t.state.kind === "ready") {
    if (t.exiting || t.mayHaveSignals || t.savedSigMask !== null) deliverSignals(k, t);
    else restartIfNeeded(t);
  }
  if (t.exiting && t.state.kind !== "running" && t.state.kind !== "exited") {
    if (t.state.kind === "blocked") {
      k.wake(t, "interrupted");
      return;
    }
    exitTask(k, t);
    return;
  }
  if (t.state.kind === "ready" && !inline && !k.ready.includes(t)) k.ready.push(t);
}

/** Lets pending promise callbacks (host fd readiness) run. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** Waits, off the Sentry's hot path, until a timer is due, a host fd may be ready, or a kick. */
async function idle(k: Kernel): Promise<void> {
  const waits: Promise<void>[] = [];
  let timer: NodeJS.Timeout | undefined;
  const d = k.timers.nextDeadline();
  // Always keep a timer so Node does not exit while tasks sleep forever.
  const ms = d === Number.POSITIVE_INFINITY ? 2 ** 30 : Math.max(0, d - monotonicMs());
  waits.push(
    new Promise((r) => {
      timer = setTimeout(r, Math.ceil(ms));
    }),
  );
  waits.push(
    new Promise((r) => {
      k.kick = () => r();
    }),
  );
  for (const t of k.hostWaiters) {
    for (const w of t.waitingOn) {
      if (w.hostReady !== undefined) {
        waits.push(
          w.hostReady().then(
            () => t.notify(),
            () => t.notify(),
          ),
        );
      }
    }
  }
  await Promise.race(waits);
  if (timer !== undefined) clearTimeout(timer);
  k.kick = () => {};
}

/** Releases every remaining task and context (after init died or a panic). */
function teardown(k: Kernel): void {
  for (const t of [...k.pidns.tasks.values()]) {
    if (t.state.kind === "exited") continue;
    t.exiting = true;
    if (t.state.kind === "running") {
      k.runningByCtx.delete(t.ctx);
    }
    try {
      exitTask(k, t);
    } catch {
      // Tearing down after a panic: release what can be released.
    }
  }
}
