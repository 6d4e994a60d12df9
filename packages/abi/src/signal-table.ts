/**
 * Signal names and default actions (signal(7)), and the kernel's signal
 * range. The signal numbers themselves are generated into signal.ts.
 *
 * @module
 */

import {
  SIGABRT,
  SIGALRM,
  SIGBUS,
  SIGCHLD,
  SIGCONT,
  SIGFPE,
  SIGHUP,
  SIGILL,
  SIGINT,
  SIGIO,
  SIGKILL,
  SIGPIPE,
  SIGPROF,
  SIGPWR,
  SIGQUIT,
  SIGRTMIN,
  SIGSEGV,
  SIGSTKFLT,
  SIGSTOP,
  SIGSYS,
  SIGTERM,
  SIGTRAP,
  SIGTSTP,
  SIGTTIN,
  SIGTTOU,
  SIGURG,
  SIGUSR1,
  SIGUSR2,
  SIGVTALRM,
  SIGWINCH,
  SIGXCPU,
  SIGXFSZ,
} from "./signal.js";

/**
 * The kernel's number of signals (`_NSIG` in include/uapi/asm-generic/signal.h
 * for the kernel, not glibc's NSIG = 65): valid signals are 1..64.
 */
export const _NSIG = 64;

/**
 * Highest real-time signal as the kernel numbers it. The kernel's real-time
 * range is SIGRTMIN (32)..SIGRTMAX (64); glibc reserves 32 and 33 for NPTL and
 * reports SIGRTMIN() as 34 to programs, but the Sentry sees kernel numbers.
 * (<asm/signal.h> defines SIGRTMAX as the kernel-only _NSIG, so it is not
 * checkable against userspace headers.)
 */
export const SIGRTMAX = 64;

/** `sa_handler` value for the default action (SIG_DFL), as an address. */
export const SIG_DFL = 0;
/** `sa_handler` value to ignore the signal (SIG_IGN), as an address. */
export const SIG_IGN = 1;
/** signal(2)'s error return (SIG_ERR), as a signed value. */
export const SIG_ERR = -1;

/**
 * The default disposition of a signal, from signal(7)'s table:
 * - `term`: terminate the process;
 * - `core`: terminate the process and dump core;
 * - `ignore`: ignore the signal;
 * - `stop`: stop the process;
 * - `continue`: continue the process if it is stopped.
 */
export type SignalDefaultAction = "term" | "core" | "ignore" | "stop" | "continue";

/** A standard (non-real-time) signal's names and default action. */
export interface SignalInfo {
  readonly number: number;
  readonly name: string;
  readonly action: SignalDefaultAction;
}

/** The 31 standard signals with their default actions (signal(7), "Standard signals"). */
export const STANDARD_SIGNALS: readonly SignalInfo[] = [
  { number: SIGHUP, name: "SIGHUP", action: "term" },
  { number: SIGINT, name: "SIGINT", action: "term" },
  { number: SIGQUIT, name: "SIGQUIT", action: "core" },
  { number: SIGILL, name: "SIGILL", action: "core" },
  { number: SIGTRAP, name: "SIGTRAP", action: "core" },
  { number: SIGABRT, name: "SIGABRT", action: "core" },
  { number: SIGBUS, name: "SIGBUS", action: "core" },
  { number: SIGFPE, name: "SIGFPE", action: "core" },
  { number: SIGKILL, name: "SIGKILL", action: "term" },
  { number: SIGUSR1, name: "SIGUSR1", action: "term" },
  { number: SIGSEGV, name: "SIGSEGV", action: "core" },
  { number: SIGUSR2, name: "SIGUSR2", action: "term" },
  { number: SIGPIPE, name: "SIGPIPE", action: "term" },
  { number: SIGALRM, name: "SIGALRM", action: "term" },
  { number: SIGTERM, name: "SIGTERM", action: "term" },
  { number: SIGSTKFLT, name: "SIGSTKFLT", action: "term" },
  { number: SIGCHLD, name: "SIGCHLD", action: "ignore" },
  { number: SIGCONT, name: "SIGCONT", action: "continue" },
  { number: SIGSTOP, name: "SIGSTOP", action: "stop" },
  { number: SIGTSTP, name: "SIGTSTP", action: "stop" },
  { number: SIGTTIN, name: "SIGTTIN", action: "stop" },
  { number: SIGTTOU, name: "SIGTTOU", action: "stop" },
  { number: SIGURG, name: "SIGURG", action: "ignore" },
  { number: SIGXCPU, name: "SIGXCPU", action: "core" },
  { number: SIGXFSZ, name: "SIGXFSZ", action: "core" },
  { number: SIGVTALRM, name: "SIGVTALRM", action: "term" },
  { number: SIGPROF, name: "SIGPROF", action: "term" },
  { number: SIGWINCH, name: "SIGWINCH", action: "ignore" },
  { number: SIGIO, name: "SIGIO", action: "term" },
  { number: SIGPWR, name: "SIGPWR", action: "term" },
  { number: SIGSYS, name: "SIGSYS", action: "core" },
];

const standardByNumber: readonly (SignalInfo | undefined)[] = (() => {
  const t: (SignalInfo | undefined)[] = [];
  for (const s of STANDARD_SIGNALS) t[s.number] = s;
  return t;
})();

/**
 * Signal names indexed by number, 1..64. Real-time signals are named as
 * the kernel numbers them: `SIGRTMIN`, `SIGRTMIN+1`, ..., `SIGRTMAX`.
 */
export const SIGNAL_NAMES: readonly (string | undefined)[] = (() => {
  const t: (string | undefined)[] = [undefined];
  for (let sig = 1; sig <= _NSIG; sig++) t[sig] = signalNameOf(sig);
  return t;
})();

function signalNameOf(sig: number): string | undefined {
  if (sig >= 1 && sig < SIGRTMIN) return standardByNumber[sig]?.name;
  if (sig === SIGRTMIN) return "SIGRTMIN";
  if (sig === SIGRTMAX) return "SIGRTMAX";
  if (sig > SIGRTMIN && sig < SIGRTMAX) return `SIGRTMIN+${sig - SIGRTMIN}`;
  return undefined;
}

/** Returns true if `sig` is a valid signal number (1..64). */
export function isValidSignal(sig: number): boolean {
  return Number.isInteger(sig) && sig >= 1 && sig <= _NSIG;
}

/** Returns true if `sig` is a real-time signal (32..64, kernel numbering). */
export function isRealtimeSignal(sig: number): boolean {
  return Number.isInteger(sig) && sig >= SIGRTMIN && sig <= SIGRTMAX;
}

/** Returns the name of signal `sig` (`"SIGSEGV"`, `"SIGRTMIN+3"`), or `undefined`. */
export function signalName(sig: number): string | undefined {
  return SIGNAL_NAMES[sig];
}

/**
 * Returns the number of the signal called `name` (`"SIGSEGV"`, `"SEGV"`,
 * `"SIGRTMIN+3"`, aliases SIGIOT/SIGPOLL too), or `undefined`.
 */
export function signalNumber(name: string): number | undefined {
  const n = name.startsWith("SIG") ? name : `SIG${name}`;
  if (n === "SIGIOT") return SIGABRT;
  if (n === "SIGPOLL") return SIGIO;
  const i = SIGNAL_NAMES.indexOf(n);
  if (i > 0) return i;
  const rt = /^SIGRT(MIN|MAX)([+-]\d+)$/.exec(n);
  if (rt) {
    const sig = (rt[1] === "MIN" ? SIGRTMIN : SIGRTMAX) + Number(rt[2]);
    return isRealtimeSignal(sig) ? sig : undefined;
  }
  return undefined;
}

/**
 * Returns the default action of `sig`. signal(7): "The default action for an
 * unhandled real-time signal is to terminate the receiving process."
 *
 * Preconditions:
 * - `isValidSignal(sig)`; an invalid signal has no action and yields `undefined`.
 */
export function defaultAction(sig: number): SignalDefaultAction | undefined {
  if (sig >= 1 && sig < SIGRTMIN) return standardByNumber[sig]?.action;
  if (isRealtimeSignal(sig)) return "term";
  return undefined;
}
