/**
 * Host signals sent to `tsvisor run`, forwarded into the sandbox.
 *
 * Forwarding, as a terminal and a container runtime do it:
 * - SIGINT, SIGQUIT and SIGHUP go to the sandbox's foreground process group
 *   (what the tty driver does for Ctrl-C, Ctrl-\ and a hang-up);
 * - SIGTERM goes to the program, pid 2 (what `docker stop` and `timeout`
 *   send).
 *
 * Escalation, like `timeout --kill-after` and `docker stop --time`: a
 * termination request (SIGTERM, or SIGINT when stdin is not a terminal) is
 * forwarded and starts a grace period. If the program is still running when
 * the grace period ends, or a second SIGTERM or SIGINT arrives before that,
 * the whole sandbox is killed: SIGKILL to the program, which takes every
 * other task down with it (the sandbox ends with its first process), and the
 * platform's stubs or vCPUs are released when the run ends. The program then
 * died of SIGKILL, so tsvisor exits 128+9 = 137, the status `timeout -k` and
 * `docker stop` give for a killed program.
 *
 * SIGINT while stdin is a terminal is the user's Ctrl-C to an interactive
 * program (a shell, a REPL) that may well catch it and carry on, so on its
 * own it never starts the grace period; it still counts as the second
 * request after a SIGTERM.
 */
import { SIGHUP, SIGINT, SIGKILL, SIGQUIT, SIGTERM } from "@tsvisor/abi";

/** What the forwarder needs from the kernel (a `Kernel` has both). */
export interface SignalTarget {
  /** kill(2) of the program (pid 2) from outside. */
  signalInit(sig: number): void;
  /** kill(2) of the program's foreground process group, as a tty does. */
  signalForeground(sig: number): void;
}

/** Options of {@link SignalForwarder}. */
export interface SignalForwarderOptions {
  /** Grace period between the first termination request and SIGKILL, in ms. */
  killAfterMs: number;
  /** Whether stdin is a terminal (SIGINT is then an interactive Ctrl-C). */
  interactive: boolean;
  /** Called once, just before the sandbox is killed, with the reason. */
  onKill?: (why: string) => void;
}

/**
 * The forwarder's state:
 * - `forwarding`: no termination request yet; signals are passed on.
 * - `terminating`: a request was forwarded; `timer` kills at the deadline.
 * - `killed`: SIGKILL was sent; later signals are ignored.
 */
type ForwarderState =
  | { readonly kind: "forwarding" }
  | { readonly kind: "terminating"; readonly timer: NodeJS.Timeout }
  | { readonly kind: "killed" };

/** The host signals `tsvisor run` handles, with their Linux numbers. */
const HANDLED: readonly (readonly [NodeJS.Signals, number])[] = [
  ["SIGINT", SIGINT],
  ["SIGQUIT", SIGQUIT],
  ["SIGHUP", SIGHUP],
  ["SIGTERM", SIGTERM],
];

/**
 * Forwards host signals to one sandbox and escalates termination requests.
 * Lives on the Sentry's (the only JavaScript) thread, for one `kernel.run`.
 *
 * Invariant: `state` is `terminating` exactly while its timer is pending.
 */
export class SignalForwarder {
  private state: ForwarderState = { kind: "forwarding" };
  private readonly listeners = new Map<NodeJS.Signals, () => void>();

  constructor(
    private readonly target: SignalTarget,
    private readonly opts: SignalForwarderOptions,
  ) {}

  /** Whether the sandbox was killed by escalation. */
  get killed(): boolean {
    return this.state.kind === "killed";
  }

  /** Handles host signal `sig` (a Linux number) as described in the file comment. */
  handle(sig: number): void {
    const st = this.state;
    if (st.kind === "killed") return;
    const terminationRequest = sig === SIGTERM || sig === SIGINT;
    if (st.kind === "terminating" && terminationRequest) {
      this.kill(`second ${sig === SIGTERM ? "SIGTERM" : "SIGINT"}`);
      return;
    }
    if (sig === SIGTERM) this.target.signalInit(sig);
    else this.target.signalForeground(sig);
    if (st.kind !== "forwarding") return;
    if (sig === SIGTERM || (sig === SIGINT && !this.opts.interactive)) {
      const secs = this.opts.killAfterMs / 1000;
      const name = sig === SIGTERM ? "SIGTERM" : "SIGINT";
      const timer = setTimeout(
        () => this.kill(`still running ${secs}s after ${name}`),
        this.opts.killAfterMs,
      );
      this.state = { kind: "terminating", timer };
    }
  }

  /** SIGKILL to the program; every other task goes with it. */
  private kill(why: string): void {
    if (this.state.kind === "terminating") clearTimeout(this.state.timer);
    this.state = { kind: "killed" };
    this.opts.onKill?.(why);
    this.target.signalInit(SIGKILL);
  }

  /** Starts handling the host signals (replacing Node's default of dying). */
  install(): void {
    for (const [name, sig] of HANDLED) {
      const l = (): void => this.handle(sig);
      this.listeners.set(name, l);
      process.on(name, l);
    }
  }

  /** Stops handling host signals and cancels a pending kill. */
  uninstall(): void {
    for (const [name, l] of this.listeners) process.off(name, l);
    this.listeners.clear();
    if (this.state.kind === "terminating") {
      clearTimeout(this.state.timer);
      this.state = { kind: "forwarding" };
    }
  }
}
