/**
 * The syscall handler contract.
 *
 * A handler runs on the Sentry thread on behalf of the calling task `t`, and
 * returns either
 * - a number: the result (>= 0) or a negative errno, exactly what the Linux
 *   syscall returns in `rax` (restart codes such as `-ERESTARTSYS` included);
 * - a {@link Block}: the task must sleep; the run loop parks it and later
 *   re-runs the handler (or the Block's continuation).
 *
 * Handlers never throw for bad program input: a thrown exception is a Sentry
 * bug, reported with the syscall and task, and the sandbox is killed.
 *
 * Inspired by gVisor's pkg/sentry/kernel/syscalls.go and task_syscall.go.
 */
import {
  REG_RAX,
  type Registers,
  regBig,
  regI32,
  regS64,
  regU32,
  regU64,
  SYSCALL_ARG_REGS,
  setRegBig,
} from "@tsvisor/platform";
import type { Task } from "../task.js";
import type { Waitable, WakeReason } from "../waiter.js";

/**
 * The six syscall arguments of the calling task, read lazily from its
 * registers (no copy, no allocation per syscall).
 *
 * Invariant: reads the registers of the task's current trap; valid only
 * during the handler call.
 */
export class SyscallArgs {
  constructor(
    /** The task's register file (aliases `t.ctx.regs`). */
    readonly regs: Registers,
  ) {}

  /** Argument `i` as a C `int` (low 32 bits, signed). */
  int(i: number): number {
    return regI32(this.regs, SYSCALL_ARG_REGS[i]!);
  }

  /** Argument `i` as a C `unsigned int`. */
  uint(i: number): number {
    return regU32(this.regs, SYSCALL_ARG_REGS[i]!);
  }

  /** Argument `i` as an unsigned 64-bit value (exact below 2^53). */
  u64(i: number): number {
    return regU64(this.regs, SYSCALL_ARG_REGS[i]!);
  }

  /** Argument `i` as a signed 64-bit value (exact within ±2^53). */
  s64(i: number): number {
    return regS64(this.regs, SYSCALL_ARG_REGS[i]!);
  }

  /** Argument `i` as a user address (unsigned 64-bit). */
  ptr(i: number): number {
    return regU64(this.regs, SYSCALL_ARG_REGS[i]!);
  }

  /** Argument `i` exactly, as a BigInt (slow paths only). */
  big(i: number): bigint {
    return regBig(this.regs, SYSCALL_ARG_REGS[i]!);
  }
}

/**
 * A syscall that must wait. Returned by a handler; the run loop subscribes
 * the task to `on`, sleeps until a notification, the deadline, or an
 * interrupting signal, then calls the matching continuation.
 *
 * Defaults: on wake, the handler runs again with the same arguments (most
 * blocking calls are "retry until ready", like gVisor's ErrWouldBlock loop);
 * on timeout, `-ETIMEDOUT`; on a signal, `-ERESTARTSYS` (which signal
 * delivery turns into EINTR or a restart per SA_RESTART).
 */
export interface Block {
  readonly kind: "block";
  /** What the task waits on; may be empty (a pure sleep with a deadline). */
  readonly on: readonly Waitable[];
  /**
   * Absolute deadline on the kernel monotonic clock in milliseconds
   * ({@link monotonicMs}), or `Infinity`.
   */
  readonly deadline: number;
  /** Whether a signal interrupts the wait (false: only SIGKILL does). */
  readonly interruptible: boolean;
  /** Called after the wait ends; returns the result or another Block. */
  readonly resume: ((t: Task, why: WakeReason) => number | Block) | undefined;
}

/** Options of {@link block}. */
export interface BlockOptions {
  /** Absolute deadline in ms on {@link monotonicMs}; default none. */
  deadline?: number;
  /** Default true. */
  interruptible?: boolean;
  /** Custom continuation; default: retry on wake, ETIMEDOUT, ERESTARTSYS. */
  resume?: (t: Task, why: WakeReason) => number | Block;
}

/** Builds a {@link Block}. Preconditions: called from a handler on behalf of `t`. */
export function block(on: Waitable | readonly Waitable[], opts: BlockOptions = {}): Block {
  return {
    kind: "block",
    on: Array.isArray(on) ? (on as readonly Waitable[]) : [on as Waitable],
    deadline: opts.deadline ?? Number.POSITIVE_INFINITY,
    interruptible: opts.interruptible ?? true,
    resume: opts.resume,
  };
}

/**
 * Finishes a syscall of `t` whose result a double cannot hold exactly
 * (above 2^53, e.g. an lseek(2) offset near MAX_LFS_FILESIZE): writes `v`
 * to rax itself and marks rax as set, so the dispatcher leaves it alone.
 * Returns `v` rounded to a number, for the handler to return.
 *
 * Preconditions: called from a handler on behalf of `t`, as its last act.
 */
export function resultU64(t: Task, v: bigint): number {
  setRegBig(t.ctx.regs, REG_RAX, BigInt.asUintN(64, v));
  t.raxRestored = true;
  return Number(v);
}

/** True when a handler result is a Block rather than a number. */
export function isBlock(r: number | Block): r is Block {
  return typeof r !== "number";
}

/** A syscall handler. See the module comment for the contract. */
export type SyscallFn = (t: Task, a: SyscallArgs) => number | Block;

/** How completely a syscall is implemented; coverage is data. */
export type SupportLevel = "supported" | "partial" | "unimplemented";

/** One row of a syscall table. */
export interface SyscallEntry {
  readonly nr: number;
  readonly name: string;
  readonly support: SupportLevel;
  /** Absent for unimplemented calls: they return `-errno` (ENOSYS by default). */
  readonly fn: SyscallFn | undefined;
  /** Errno returned (positive) when `fn` is absent. */
  readonly errno: number;
  readonly note: string;
}

/** A fully implemented syscall. */
export function supported(nr: number, name: string, fn: SyscallFn, note = ""): SyscallEntry {
  return { nr, name, support: "supported", fn, errno: 0, note };
}

/** A syscall implemented with known gaps, described in `note`. */
export function partial(nr: number, name: string, fn: SyscallFn, note: string): SyscallEntry {
  return { nr, name, support: "partial", fn, errno: 0, note };
}

/** A syscall that fails with `errno` (positive, e.g. ENOSYS) and is counted. */
export function unimplemented(nr: number, name: string, errno: number, note = ""): SyscallEntry {
  return { nr, name, support: "unimplemented", fn: undefined, errno, note };
}

/** Milliseconds on the kernel's monotonic clock (the host's, via `performance.now`). */
export function monotonicMs(): number {
  return performance.now();
}
