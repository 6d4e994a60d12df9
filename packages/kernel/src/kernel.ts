/**
 * The Kernel: one sandbox. Owns the PID namespace, the syscall table, the
 * timers and the run loop's queues, and composes the platform with memory
 * and file-system services.
 *
 * Everything is owned by the one JavaScript thread that calls `run`; see
 * task-run.ts for the loop and DESIGN.md for the execution model.
 *
 * Inspired by gVisor's pkg/sentry/kernel/kernel.go.
 */
import { ENOENT, ENOSYS, strerror } from "@tsvisor/abi";
import type { Mappable } from "@tsvisor/mm";
import type { Platform } from "@tsvisor/platform";
import { Credentials } from "./credentials.js";
import type { FdTable, FsContext, TaskMemory } from "./interfaces.js";
import type { ExecFile } from "./loader/elf.js";
import { FutexTable } from "./futex.js";
import { PidNamespace } from "./pid-namespace.js";
import { createSandbox, type SandboxOptions } from "./sandbox.js";
import type { SyscallArgs, SyscallEntry } from "./syscalls/syscall.js";
import { ProcessGroup, Session } from "./session.js";
import { newSigInfo, SignalHandlers } from "./signals.js";
import { READY, Task } from "./task.js";
import { execve } from "./task-exec.js";
import { addUser } from "./task-exit.js";
import { runLoop } from "./task-run.js";
import { sendToGroup } from "./task-signals.js";
import { hostRlimits, ThreadGroup } from "./thread-group.js";
import { TimerQueue } from "./timer.js";
import type { WakeReason } from "./waiter.js";

/** An executable opened by exec through the file system. */
export interface OpenedExecutable extends ExecFile {
  /** The path as resolved (for /proc/PID/exe and AT_EXECFN's source). */
  readonly path: string;
  /** Releases the open file. */
  close(): void;
}

/**
 * What the kernel needs from the memory and file-system layers, injected so
 * the kernel core does not care how mm and vfs are configured.
 */
export interface KernelServices {
  /** A fresh, empty address space's memory manager. */
  newMemory(): TaskMemory;
  /**
   * Opens `path` (resolved against `t`'s root and `dirfd` or cwd, with
   * execveat's AT_EMPTY_PATH / AT_SYMLINK_NOFOLLOW `flags`) for execution:
   * negative ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG from path resolution;
   * EACCES when it is not a regular file or not executable by `t`.
   */
  openExecutable(t: Task, dirfd: number, path: string, flags: number): OpenedExecutable | number;
  /**
   * The fd table and fs context of the first process: stdio on fds 0-2 and
   * `cwd` (resolved in the sandbox root; a negative errno if it is missing).
   */
  initialFiles(opts: RunOptions): { fdTable: FdTable; fs: FsContext } | number;
  /**
   * The file of a file mapping for mmap(2): its mappable and access mode, or
   * -EBADF (bad fd), -EACCES (not opened for reading), -ENODEV (cannot be
   * mapped). Absent: file mappings fail with EBADF.
   */
  fileForMmap?(
    t: Task,
    fd: number,
  ): { mappable: Mappable; readable: boolean; writable: boolean } | number;
}

/** How to start the first process. */
export interface RunOptions {
  /** Environment strings `K=V`. */
  env: readonly string[];
  /** Working directory inside the sandbox. Default "/". */
  cwd?: string;
  /** Host fds for the program's stdin, stdout, stderr. Default 0, 1, 2. */
  stdio?: readonly [number, number, number];
  /** File mode creation mask of the first process. Default 022. */
  umask?: number;
  /** Credentials of the first process. Default root. */
  uid?: number;
  gid?: number;
}

/** The program could not be started (before any of it ran). */
export class ExecError extends Error {
  constructor(
    readonly path: string,
    /** Positive errno. */
    readonly errno: number,
  ) {
    super(`${path}: ${strerror(errno)}`);
    this.name = "ExecError";
  }
}

/**
 * An observer/replacement hook on every syscall (the TypeScript equivalent of
 * a seccomp user-notify supervisor).
 *
 * - `enter` runs before the kernel's handler. Return `undefined` to let the
 *   kernel handle the call, or a number (result or negative errno) to replace
 *   it: the kernel's handler is then not called.
 * - `exit` sees every completed call and its result (after blocking).
 *
 * Both run on the Sentry thread on behalf of `t`; they must not throw (a
 * throw is a Sentry bug like any other).
 */
export interface SyscallHook {
  enter?(t: Task, nr: number, a: SyscallArgs): number | undefined;
  exit?(t: Task, nr: number, result: number): void;
}

/** Options of {@link Kernel}. */
export interface KernelOptions {
  platform: Platform;
  services: KernelServices;
  table: readonly SyscallEntry[];
  /** uname's nodename. Default "tsvisor". */
  hostname?: string;
  /** uname's release. Default "6.1.0". */
  release?: string;
  /** Receives one strace line per completed syscall; off when absent. */
  strace?: (line: string) => void;
  onSyscall?: SyscallHook;
}

/** The result of a sandbox run, like a shell sees a process end. */
export interface ExitResult {
  /** Exit code when the program exited; null when a signal killed it. */
  status: number | null;
  /** The killing signal, or null. */
  signal: number | null;
  /** Whether a core dump would have been written (wait status bit 0x80). */
  coreDumped: boolean;
}

/** A bug in the Sentry (a handler threw); the sandbox was killed. */
export class SentryPanic extends Error {
  constructor(
    message: string,
    readonly causeError: unknown,
  ) {
    super(message);
    this.name = "SentryPanic";
  }
}

/** A queued wake-up, processed by the run loop outside any handler. */
interface Wakeup {
  task: Task;
  why: WakeReason;
}

/**
 * One sandbox.
 *
 * Invariants:
 * - Every task whose state is "ready" is either in `ready` or is the task the
 *   run loop is currently running synchronously.
 * - `running` equals the number of tasks in state "running".
 * - `wakeups` holds only tasks in state "blocked".
 */
export class Kernel {
  readonly platform: Platform;
  readonly services: KernelServices;
  readonly pidns = new PidNamespace();
  readonly timers = new TimerQueue();
  readonly futexes = new FutexTable();
  /** Indexed by syscall number; holes are unknown numbers (ENOSYS). */
  readonly table: readonly (SyscallEntry | undefined)[];
  /** Calls of unimplemented syscalls, by name. */
  readonly unimplementedCounts = new Map<string, number>();
  hostname: string;
  domainname = "(none)";
  readonly release: string;
  readonly strace: ((line: string) => void) | undefined;
  readonly hook: SyscallHook | undefined;

  /** Runnable tasks not currently being run. */
  readonly ready: Task[] = [];
  /** Tasks resumed on the platform, by their context. */
  readonly runningByCtx = new Map<unknown, Task>();
  readonly wakeups: Wakeup[] = [];
  /** Tasks blocked on something with `hostReady`. */
  readonly hostWaiters = new Set<Task>();
  /** Set when a handler threw: the sandbox is being torn down. */
  panic: SentryPanic | null = null;
  /** The program's exit status, once the first process (`main`) died; ends the run. */
  initResult: ExitResult | null = null;
  /** pid 1: the kernel-internal init that adopts and reaps orphans. */
  reaper: ThreadGroup | null = null;
  /** The first process run by `run` (pid 2); when it dies the sandbox ends. */
  main: ThreadGroup | null = null;
  /**
   * The task whose syscall (or wake-up continuation) is running, for code
   * that has no task argument (procfs's "self"). Null between traps.
   */
  current: Task | null = null;
  /** Called by anything that makes work for an idle run loop. */
  kick: () => void = () => {};
  /** Boot time on the monotonic clock, for sysinfo's uptime. */
  readonly bootTime = performance.now();

  /**
   * A ready-to-run sandbox over `opts.platform`: the default file system
   * (or `opts.root`), procfs, and the full syscall table. Same as
   * {@link createSandbox}.
   */
  static create(opts: SandboxOptions): Kernel {
    return createSandbox(opts);
  }

  constructor(opts: KernelOptions) {
    this.platform = opts.platform;
    this.services = opts.services;
    const table: (SyscallEntry | undefined)[] = [];
    for (const e of opts.table) table[e.nr] = e;
    this.table = table;
    this.hostname = opts.hostname ?? "tsvisor";
    this.release = opts.release ?? "6.1.0";
    this.strace = opts.strace;
    this.hook = opts.onSyscall;
  }

  /**
   * Queues `t` to resume from its Block for reason `why`. Safe to call from
   * inside any handler (the wake-up is processed after it returns).
   */
  wake(t: Task, why: WakeReason): void {
    if (t.state.kind !== "blocked") return;
    for (const w of this.wakeups) if (w.task === t) return;
    this.wakeups.push({ task: t, why });
    this.kick();
  }

  /** Makes a stopped or new task runnable. */
  makeReady(t: Task): void {
    t.state = READY;
    if (!this.ready.includes(t)) this.ready.push(t);
    this.kick();
  }

  /** Counts a call to an unimplemented syscall; returns its (negative) errno. */
  countUnimplemented(name: string, errno: number = ENOSYS): number {
    this.unimplementedCounts.set(name, (this.unimplementedCounts.get(name) ?? 0) + 1);
    return -errno;
  }

  /**
   * Runs `argv` as the sandbox's first process (pid 1) and resolves when it
   * exits. A program without a `/` is looked up in the PATH of `opts.env`.
   *
   * @throws ExecError when the program cannot be started (nothing ran).
   * @throws SentryPanic when a syscall handler threw (a Sentry bug).
   */
  async run(argv: readonly string[], opts: RunOptions): Promise<ExitResult> {
    if (argv.length === 0) throw new ExecError("", ENOENT);
    // Inside the sandbox, strings are byte strings (one latin1 code unit per byte).
    const bytes = (s: string): string => Buffer.from(s, "utf8").toString("latin1");
    argv = argv.map(bytes);
    opts = {
      ...opts,
      env: opts.env.map(bytes),
      ...(opts.cwd !== undefined ? { cwd: bytes(opts.cwd) } : {}),
    };
    const files = this.services.initialFiles(opts);
    if (typeof files === "number") throw new ExecError(opts.cwd ?? "/", -files);
    // pid 1 is the sandbox's reaper: a kernel-internal init with no tasks
    // that adopts and reaps orphans (as the host's init does for a native
    // program). The program runs as pid 2, a session and process group
    // leader whose parent is pid 1.
    const reaperId = this.pidns.allocate();
    const reaperSession = new Session(reaperId, null);
    const reaperPg = new ProcessGroup(reaperId, reaperSession);
    const reaper = new ThreadGroup(reaperId, null, null, reaperPg);
    reaperSession.leader = reaper;
    this.pidns.sessions.set(reaperId, reaperSession);
    this.pidns.processGroups.set(reaperId, reaperPg);
    this.pidns.threadGroups.set(reaperId, reaper);
    this.reaper = reaper;
    const tgid = this.pidns.allocate();
    const session = new Session(tgid, null);
    const pg = new ProcessGroup(tgid, session);
    const tg = new ThreadGroup(tgid, null, reaper, pg, hostRlimits());
    files.fdTable.nofile = Math.min(tg.rlimits[7]!.cur, 1 << 20);
    reaper.children.add(tg);
    session.leader = tg;
    this.pidns.sessions.set(tgid, session);
    this.pidns.processGroups.set(tgid, pg);
    this.pidns.threadGroups.set(tgid, tg);
    this.main = tg;
    const creds = Credentials.of(opts.uid ?? 0, opts.gid ?? 0);
    const mm = this.services.newMemory();
    const ctx = this.platform.newContext();
    const t = new Task(
      this,
      tgid,
      tg,
      ctx,
      mm,
      files.fdTable,
      files.fs,
      creds,
      new SignalHandlers(),
      "init",
    );
    tg.leader = t;
    tg.tasks.add(t);
    this.pidns.tasks.set(tgid, t);
    addUser(mm);
    addUser(files.fdTable);
    addUser(files.fs);
    const env = [...opts.env];
    const path = this.resolveProgram(t, argv[0]!, env);
    const r = execve(this, t, -100, path, [...argv], env, 0);
    if (typeof r !== "number" || r < 0) {
      const errno = typeof r === "number" ? -r : ENOSYS;
      tg.tasks.delete(t);
      this.pidns.tasks.delete(tgid);
      this.pidns.threadGroups.delete(tgid);
      reaper.children.delete(tg);
      ctx.release();
      throw new ExecError(argv[0]!, errno);
    }
    t.noRestart = false;
    t.syscallNr = -1;
    this.makeReady(t);
    await runLoop(this);
    if (this.panic !== null) throw this.panic;
    return this.initResult ?? { status: null, signal: 9, coreDumped: false };
  }

  /** execvp-style lookup of `name` in PATH (inside the sandbox). */
  private resolveProgram(t: Task, name: string, env: readonly string[]): string {
    if (name.includes("/")) return name;
    const pathVar =
      env.find((e) => e.startsWith("PATH="))?.slice(5) ??
      "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (const dir of pathVar.split(":")) {
      if (dir === "") continue;
      const candidate = `${dir.replace(/\/$/, "")}/${name}`;
      const f = this.services.openExecutable(t, -100, candidate, 0);
      if (typeof f !== "number") {
        f.close();
        return candidate;
      }
    }
    return name;
  }

  /**
   * Sends `sig` to the sandbox's first process, as if by kill(2) from
   * outside (the CLI forwards SIGINT/SIGTERM/SIGHUP it receives).
   */
  signalInit(sig: number): void {
    const init = this.main;
    if (init === null || init.exit.kind !== "alive") return;
    sendToGroup(this, init, newSigInfo(sig, 0 /* SI_USER */, "kill"));
    this.kick();
  }

  /**
   * Sends `sig` to every process in the first process's current process
   * group, as a terminal does for Ctrl-C / Ctrl-\ (the CLI forwards SIGINT
   * and SIGQUIT this way).
   */
  signalForeground(sig: number): void {
    const init = this.main;
    if (init === null || init.exit.kind !== "alive") return;
    for (const tg of [...init.processGroup.members]) {
      if (tg.exit.kind === "alive")
        sendToGroup(this, tg, newSigInfo(sig, 0x80 /* SI_KERNEL */, "kill"));
    }
    this.kick();
  }

  /** Number of tasks alive (not exited) in the sandbox. */
  get liveTasks(): number {
    let n = 0;
    for (const t of this.pidns.tasks.values()) if (t.state.kind !== "exited") n++;
    return n;
  }
}
