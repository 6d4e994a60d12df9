/**
 * Signal state: dispositions (shared by CLONE_SIGHAND), pending queues (per
 * task and per thread group), and siginfo values.
 *
 * Signal sets are 64-bit masks held as BigInt (bit `sig - 1`): they are
 * touched only when signals are sent, masked or delivered, never on the
 * plain syscall path (which tests one boolean, see `Task.mayHaveSignals`).
 *
 * Inspired by gVisor's pkg/sentry/kernel/{signal_handlers.go,pending_signals.go}.
 */

/** Kernel value of SIGRTMIN (glibc reserves 32 and 33 for itself). */
export const SIGRTMIN_KERNEL = 32;
/** Highest signal number. */
export const NSIG = 64;

/** The bit of signal `sig` in a signal set. Precondition: 1 <= sig <= 64. */
export function sigBit(sig: number): bigint {
  return 1n << BigInt(sig - 1);
}

/** SIGKILL and SIGSTOP can be neither caught, blocked nor ignored. */
export const UNBLOCKABLE = (1n << 8n) | (1n << 18n); // bits of SIGKILL (9), SIGSTOP (19)

/** All 64 bits. */
export const FULL_SET = (1n << 64n) - 1n;

/** A signal's disposition as `rt_sigaction` sees it (kernel layout fields). */
export interface SigAction {
  /** SIG_DFL (0), SIG_IGN (1) or the handler's address. */
  handler: number;
  flags: number;
  restorer: number;
  mask: bigint;
}

export const SIG_DFL = 0;
export const SIG_IGN = 1;

/** A fresh default disposition. */
export function defaultSigAction(): SigAction {
  return { handler: SIG_DFL, flags: 0, restorer: 0, mask: 0n };
}

/**
 * The dispositions of all signals, shared by the tasks cloned with
 * CLONE_SIGHAND (and so by all threads of a thread group).
 *
 * Invariant: `actions[sig]` exists for 1 <= sig <= 64 (index 0 unused).
 */
export class SignalHandlers {
  readonly actions: SigAction[];

  constructor(actions?: SigAction[]) {
    this.actions = actions ?? Array.from({ length: NSIG + 1 }, defaultSigAction);
  }

  /** A deep copy (fork without CLONE_SIGHAND). */
  copy(): SignalHandlers {
    return new SignalHandlers(this.actions.map((a) => ({ ...a })));
  }

  /**
   * The copy execve installs: caught signals reset to SIG_DFL, ignored ones
   * stay ignored (execve(2): "the dispositions of any signals that are being
   * caught are reset to the default; ... ignored signals remain ignored").
   */
  forExec(): SignalHandlers {
    return new SignalHandlers(
      this.actions.map((a) =>
        a.handler === SIG_IGN ? { ...a, flags: 0, restorer: 0, mask: 0n } : defaultSigAction(),
      ),
    );
  }
}

/** What a `siginfo_t` carries; encoded to the 128-byte Linux layout on delivery. */
export interface SigInfo {
  signo: number;
  errno: number;
  code: number;
  /** `_kill`, `_rt`, `_sigchld`: sender / child pid and uid. */
  pid: number;
  uid: number;
  /** `_sigchld`: exit status or signal. */
  status: number;
  /** `_sigfault`: the faulting address. */
  addr: number;
  /** `_rt` / `_timer`: the sigval (as an unsigned 64-bit number). */
  value: number;
  /** `_timer`: timer id and overrun count. */
  timerId: number;
  overrun: number;
  /** Which union member is meaningful. */
  layout: "kill" | "rt" | "chld" | "fault" | "timer";
  /** For faults: the access was a write (sigcontext's error code bit 1). */
  faultWrite?: boolean;
  /** For faults: a page was present (a protection fault; error code bit 0). */
  faultPresent?: boolean;
  /** For hardware traps: the x86 vector (14 page fault, 0 #DE, 6 #UD, 3 #BP, 13 #GP). */
  trapno?: number;
}

/** A siginfo with every field zero. */
export function newSigInfo(
  signo: number,
  code: number,
  layout: SigInfo["layout"] = "kill",
): SigInfo {
  return {
    signo,
    errno: 0,
    code,
    pid: 0,
    uid: 0,
    status: 0,
    addr: 0,
    value: 0,
    timerId: 0,
    overrun: 0,
    layout,
  };
}

/** sizeof(siginfo_t) on x86-64. */
export const SIGINFO_SIZE = 128;

/**
 * Encodes `info` into `buf[off, off+128)` in the x86-64 layout:
 * si_signo@0, si_errno@4, si_code@8, then the union at 16: `_kill` {pid@16,
 * uid@20}, `_rt` {pid, uid, sigval@24}, `_sigchld` {pid, uid, status@24,
 * utime@32, stime@40}, `_sigfault` {addr@16}, `_timer` {tid@16,
 * overrun@20, sigval@24}.
 */
export function encodeSigInfo(info: SigInfo, dv: DataView, off: number): void {
  for (let i = 0; i < SIGINFO_SIZE; i += 4) dv.setUint32(off + i, 0, true);
  dv.setInt32(off, info.signo, true);
  dv.setInt32(off + 4, info.errno, true);
  dv.setInt32(off + 8, info.code, true);
  switch (info.layout) {
    case "kill":
      dv.setInt32(off + 16, info.pid, true);
      dv.setUint32(off + 20, info.uid, true);
      break;
    case "rt":
      dv.setInt32(off + 16, info.pid, true);
      dv.setUint32(off + 20, info.uid, true);
      dv.setBigUint64(off + 24, BigInt(info.value), true);
      break;
    case "chld":
      dv.setInt32(off + 16, info.pid, true);
      dv.setUint32(off + 20, info.uid, true);
      dv.setInt32(off + 24, info.status, true);
      break;
    case "fault":
      dv.setBigUint64(off + 16, BigInt(info.addr), true);
      break;
    case "timer":
      dv.setInt32(off + 16, info.timerId, true);
      dv.setInt32(off + 20, info.overrun, true);
      dv.setBigUint64(off + 24, BigInt(info.value), true);
      break;
  }
}

/** Decodes the fields `rt_sigqueueinfo` lets a program set. */
export function decodeSigInfo(dv: DataView, off: number): SigInfo {
  const info = newSigInfo(dv.getInt32(off, true), dv.getInt32(off + 8, true), "rt");
  info.errno = dv.getInt32(off + 4, true);
  info.pid = dv.getInt32(off + 16, true);
  info.uid = dv.getUint32(off + 20, true);
  info.value = Number(dv.getBigUint64(off + 24, true));
  return info;
}

/**
 * Pending signals of one task or one thread group.
 *
 * Invariants: a standard signal (< SIGRTMIN) is queued at most once (later
 * ones are merged, as Linux does); real-time signals queue in order, up to
 * `limit` in total. `mask` has bit `sig-1` set iff a signal `sig` is queued.
 */
export class PendingSignals {
  /** Queued entries per signal number. */
  private readonly queues = new Map<number, SigInfo[]>();
  mask = 0n;
  private count = 0;

  constructor(private readonly limit = 4096) {}

  /** Queues `info`; returns false if it was dropped (merged or over the limit). */
  enqueue(info: SigInfo): boolean {
    const sig = info.signo;
    if (sig < SIGRTMIN_KERNEL && (this.mask & sigBit(sig)) !== 0n) return false;
    if (this.count >= this.limit && sig >= SIGRTMIN_KERNEL) return false;
    let q = this.queues.get(sig);
    if (q === undefined) {
      q = [];
      this.queues.set(sig, q);
    }
    q.push(info);
    this.count++;
    this.mask |= sigBit(sig);
    return true;
  }

  /** Removes and returns the first queued instance of `sig`, or null. */
  dequeueSignal(sig: number): SigInfo | null {
    const q = this.queues.get(sig);
    if (q === undefined || q.length === 0) return null;
    const info = q.shift()!;
    this.count--;
    if (q.length === 0) {
      this.queues.delete(sig);
      this.mask &= ~sigBit(sig);
    }
    return info;
  }

  /**
   * Removes and returns the lowest-numbered pending signal not in `blocked`
   * (Linux delivers synchronous/standard signals first by number), or null.
   */
  dequeue(blocked: bigint): SigInfo | null {
    const ready = this.mask & ~blocked;
    if (ready === 0n) return null;
    return this.dequeueSignal(lowestSignal(ready));
  }

  /** Whether this exact siginfo is still queued (POSIX timer overruns). */
  has(info: SigInfo): boolean {
    return this.queues.get(info.signo)?.includes(info) ?? false;
  }

  /** Drops every queued instance of the signals in `set`. */
  discard(set: bigint): void {
    let m = this.mask & set;
    while (m !== 0n) {
      const sig = lowestSignal(m);
      const q = this.queues.get(sig);
      if (q !== undefined) this.count -= q.length;
      this.queues.delete(sig);
      this.mask &= ~sigBit(sig);
      m &= ~sigBit(sig);
    }
  }
}

/** The lowest signal number whose bit is set. Precondition: set !== 0n. */
export function lowestSignal(set: bigint): number {
  let sig = 1;
  let s = set;
  while ((s & 0xffffffffn) === 0n) {
    s >>= 32n;
    sig += 32;
  }
  let lo = Number(s & 0xffffffffn);
  while ((lo & 1) === 0) {
    lo >>>= 1;
    sig++;
  }
  return sig;
}
