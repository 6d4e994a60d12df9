/**
 * The `tsvisor` command line. Thin over @tsvisor/kernel: parse argv, load a
 * platform, build a sandbox, run the program, map the result to an exit code.
 *
 * Every user error (missing program, bad flag, unreadable root, unknown
 * platform) is one line on stderr starting with "tsvisor:" and a non-zero
 * exit, never a stack trace. Exit statuses, as `docker run`, `env` and
 * `timeout` use them:
 * - the program's own status, or 128+N when signal N killed it;
 * - 125: tsvisor itself failed (bad flags, platform, root, --cwd);
 * - 126: the program cannot be executed (EACCES, ENOEXEC, ENOTDIR, ...);
 * - 127: the program was not found (ENOENT);
 * - 137 (128+SIGKILL): the sandbox was killed after SIGTERM/SIGINT, see
 *   {@link SignalForwarder};
 * - 70: a Sentry bug.
 */
import { accessSync, constants as fsConstants, statSync } from "node:fs";
import { resolve } from "node:path";
import { ENOENT, errnoName, signalName, strerror } from "@tsvisor/abi";
import {
  createSandbox,
  ExecError,
  type Kernel,
  SentryPanic,
  type SyscallEntry,
  sandboxTable,
} from "@tsvisor/kernel";
import { loadPlatform, type Platform, PlatformUnavailableError } from "@tsvisor/platform";
import { defaultRoot, parseVolume, type VolumeSpec } from "@tsvisor/vfs";
import { Command, CommanderError, Option } from "commander";
import { SignalForwarder } from "./signals.js";

/** Where the CLI writes (injectable for tests). */
export interface CliIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const defaultIO: CliIO = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
};

/** A user error: printed as one line, exit status 125 (like docker/runsc for runtime errors). */
class UsageError extends Error {}

/** Exit status when tsvisor itself fails (bad flags, platform, root), as `docker run` uses. */
export const EXIT_TSVISOR_ERROR = 125;
/** Exit status when the program cannot be executed (permission, not executable). */
export const EXIT_CANNOT_EXECUTE = 126;
/** Exit status when the program is not found. */
export const EXIT_NOT_FOUND = 127;
/** Exit status after a Sentry bug. */
export const EXIT_SENTRY_BUG = 70;

/** Default of --kill-after: seconds between the forwarded SIGTERM/SIGINT and SIGKILL. */
export const DEFAULT_KILL_AFTER_SECONDS = 10;

interface RunFlags {
  platform: string;
  root?: string;
  volume: string[];
  env: string[];
  cwd?: string;
  strace?: boolean;
  hostname?: string;
  killAfter: string;
  memoryLimit?: string;
}

/** uname's nodename holds at most __NEW_UTS_LEN (64) bytes. */
const HOSTNAME_MAX = 64;

/** Parses --kill-after: non-negative seconds (a decimal fraction is allowed), in ms. */
function parseKillAfter(v: string): number {
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(v))
    throw new UsageError(`--kill-after ${v}: expected a number of seconds`);
  const ms = Math.round(Number(v) * 1000);
  // setTimeout's longest delay (about 24.8 days).
  if (ms > 0x7fffffff) throw new UsageError(`--kill-after ${v}: too long`);
  return ms;
}

/**
 * Parses --memory-limit: bytes with an optional k, m, g or t suffix (powers
 * of 1024, like `docker run --memory`); at least one page.
 */
function parseMemoryLimit(v: string): number {
  const m = /^(\d+)([kmgt]?)b?$/i.exec(v);
  const shift = { "": 0, k: 10, m: 20, g: 30, t: 40 }[m?.[2]?.toLowerCase() ?? ""];
  if (m === null || shift === undefined)
    throw new UsageError(`--memory-limit ${v}: expected a size such as 512m or 2g`);
  const bytes = Number(m[1]) * 2 ** shift;
  if (!Number.isSafeInteger(bytes)) throw new UsageError(`--memory-limit ${v}: too large`);
  if (bytes < 4096) throw new UsageError(`--memory-limit ${v}: less than one page (4k)`);
  return bytes;
}

function checkHostname(v: string): string {
  if (Buffer.byteLength(v) > HOSTNAME_MAX)
    throw new UsageError(`--hostname ${v.slice(0, 20)}...: longer than ${HOSTNAME_MAX} bytes`);
  return v;
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** Loads the platform provider, importing platform packages from next to this package. */
async function openPlatform(name: string): Promise<Platform> {
  const provider = await loadPlatform(name, (s) => import(s));
  return provider.create();
}

function checkRoot(dir: string): string {
  const abs = resolve(dir);
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(abs);
  } catch (e) {
    throw new UsageError(
      `--root ${dir}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such directory" : (e as Error).message}`,
    );
  }
  if (!st.isDirectory()) throw new UsageError(`--root ${dir}: not a directory`);
  try {
    accessSync(abs, fsConstants.R_OK | fsConstants.X_OK);
  } catch {
    throw new UsageError(`--root ${dir}: permission denied`);
  }
  return abs;
}

function parseEnv(list: readonly string[]): string[] {
  const env = new Map<string, string>();
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env.set(k, v);
  for (const kv of list) {
    const i = kv.indexOf("=");
    if (i <= 0) throw new UsageError(`--env ${kv}: expected KEY=VALUE`);
    env.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return [...env].map(([k, v]) => `${k}=${v}`);
}

/** Prints the summary of unimplemented syscalls (for --strace). */
function printUnimplemented(k: Kernel, io: CliIO): void {
  if (k.unimplementedCounts.size === 0) return;
  io.stderr("tsvisor: unimplemented syscalls:\n");
  for (const [name, n] of [...k.unimplementedCounts].sort((a, b) => b[1] - a[1])) {
    io.stderr(`  ${name}: ${n}\n`);
  }
}

async function run(argv: readonly string[], flags: RunFlags, io: CliIO): Promise<number> {
  if (argv.length === 0)
    throw new UsageError("run: missing PROGRAM (usage: tsvisor run [options] -- PROGRAM ARGS...)");
  // Every flag is checked before anything is loaded or started.
  const killAfterMs = parseKillAfter(flags.killAfter);
  const memoryLimitBytes =
    flags.memoryLimit === undefined ? undefined : parseMemoryLimit(flags.memoryLimit);
  const hostname = flags.hostname === undefined ? undefined : checkHostname(flags.hostname);
  if (flags.cwd !== undefined && !flags.cwd.startsWith("/"))
    throw new UsageError(`--cwd ${flags.cwd}: must be an absolute path`);
  const volumes: VolumeSpec[] = [];
  for (const v of flags.volume) {
    const spec = parseVolume(v);
    if (typeof spec === "string") throw new UsageError(spec);
    try {
      statSync(spec.hostPath);
    } catch {
      throw new UsageError(`--volume ${v}: host path ${spec.hostPath} does not exist`);
    }
    volumes.push(spec);
  }
  const hostRoot = flags.root === undefined ? undefined : checkRoot(flags.root);
  const env = parseEnv(flags.env);
  // The host working directory may be gone (deleted under us); module and
  // path resolution need one, so fall back to / for tsvisor itself.
  let hostCwd: string | null = null;
  try {
    hostCwd = process.cwd();
  } catch {
    process.chdir("/");
  }
  let platform: Platform;
  try {
    platform = await openPlatform(flags.platform);
  } catch (e) {
    if (e instanceof PlatformUnavailableError) throw new UsageError(e.message);
    throw new UsageError(`platform "${flags.platform}": ${(e as Error).message}`);
  }
  try {
    let root: ReturnType<typeof defaultRoot>;
    try {
      root = defaultRoot({ ...(hostRoot !== undefined ? { hostRoot } : {}), volumes });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const kernel = createSandbox({
      platform,
      root,
      ...(hostname !== undefined ? { hostname } : {}),
      ...(memoryLimitBytes !== undefined ? { memoryLimitBytes } : {}),
      ...(flags.strace ? { strace: (line: string) => io.stderr(`${line}\n`) } : {}),
    });
    const cwd = flags.cwd ?? (hostRoot === undefined && hostCwd !== null ? hostCwd : "/");
    const signals = new SignalForwarder(kernel, {
      killAfterMs,
      interactive: process.stdin.isTTY === true,
      onKill: (why) => io.stderr(`tsvisor: killing the sandbox: ${why}\n`),
    });
    signals.install();
    try {
      const r = await kernel.run(argv, { env, cwd, umask: process.umask() });
      if (flags.strace) printUnimplemented(kernel, io);
      if (r.signal !== null) {
        if (flags.strace) io.stderr(`+++ killed by ${signalName(r.signal) ?? r.signal} +++\n`);
        return 128 + r.signal;
      }
      if (flags.strace) io.stderr(`+++ exited with ${r.status} +++\n`);
      return r.status ?? 0;
    } catch (e) {
      if (e instanceof ExecError) {
        // The kernel names the working directory when it, not the
        // program, could not be entered.
        if (flags.cwd !== undefined && e.path === byteString(flags.cwd) && argv[0] !== flags.cwd)
          throw new UsageError(`--cwd ${flags.cwd}: ${strerror(e.errno)}`);
        io.stderr(`tsvisor: ${argv[0]}: ${strerror(e.errno)}\n`);
        // env(1) and timeout(1): 127 "if COMMAND cannot be found", 126 "if
        // COMMAND is found but cannot be invoked"; like them (and bash),
        // only ENOENT counts as not found (ENOTDIR is 126).
        return e.errno === ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXECUTE;
      }
      if (e instanceof SentryPanic) {
        io.stderr(`tsvisor: ${e.message}\n`);
        return EXIT_SENTRY_BUG;
      }
      throw e;
    } finally {
      signals.uninstall();
    }
  } finally {
    platform.release();
  }
}

/** A string as the sandbox sees it: UTF-8 bytes, one latin1 code unit each. */
function byteString(s: string): string {
  return Buffer.from(s, "utf8").toString("latin1");
}

/** Makes `msg` one line (messages from lower layers may span several). */
function oneLine(msg: string): string {
  return msg
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .join("; ");
}

/** `tsvisor syscalls`: the coverage table. */
function syscalls(io: CliIO): number {
  const table: SyscallEntry[] = sandboxTable();
  const counts = { supported: 0, partial: 0, unimplemented: 0 };
  for (const e of table) {
    counts[e.support]++;
    const err = e.fn === undefined ? ` (${errnoName(e.errno) ?? e.errno})` : "";
    io.stdout(
      `${String(e.nr).padStart(3)}  ${e.name.padEnd(24)} ${e.support.padEnd(14)}${e.note}${err}\n`,
    );
  }
  io.stdout(
    `\n${table.length} syscalls: ${counts.supported} supported, ${counts.partial} partial, ${counts.unimplemented} unimplemented\n`,
  );
  return 0;
}

/**
 * Runs the CLI with `args` (without `node` and the script). Resolves to the
 * process exit code.
 */
export async function main(args: readonly string[], io: CliIO = defaultIO): Promise<number> {
  const program = new Command("tsvisor");
  program
    .description("Run unmodified Linux x86-64 programs in a TypeScript application kernel")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: () => {} })
    .showHelpAfterError(false);
  let result: Promise<number> = Promise.resolve(0);
  program
    .command("run")
    .description("run PROGRAM in a sandbox")
    .addOption(
      new Option("--platform <name>", "execution platform (ptrace, kvm, or a module path)").default(
        "ptrace",
      ),
    )
    .option(
      "--root <dir>",
      "host directory used as the sandbox's / (read-only, under a tmpfs overlay)",
    )
    .option("--volume <host:path[:ro|rw]>", "mount a host directory (repeatable)", collect, [])
    .option("--env <key=value>", "set an environment variable (repeatable)", collect, [])
    .option("--cwd <dir>", "working directory inside the sandbox")
    .option("--hostname <name>", "the sandbox's host name")
    .option("--strace", "print each syscall to stderr, like strace")
    .option(
      "--kill-after <seconds>",
      "after forwarding SIGTERM/SIGINT, kill the sandbox if still running this long",
      String(DEFAULT_KILL_AFTER_SECONDS),
    )
    .option("--memory-limit <size>", "memory limit of the whole sandbox (e.g. 512m, 2g)")
    .argument("[program...]", "program and arguments (after --)")
    .action((argv: string[], flags: RunFlags) => {
      result = run(argv, flags, io);
    });
  program
    .command("syscalls")
    .description("print the syscall coverage table")
    .action(() => {
      result = Promise.resolve(syscalls(io));
    });
  if (args.length === 0) {
    io.stderr("tsvisor: missing command: run or syscalls (see tsvisor --help)\n");
    return EXIT_TSVISOR_ERROR;
  }
  try {
    await program.parseAsync([...args], { from: "user" });
    return await result;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0;
      io.stderr(`tsvisor: ${oneLine(e.message.replace(/^error: /, ""))}\n`);
      return EXIT_TSVISOR_ERROR;
    }
    if (e instanceof UsageError) {
      io.stderr(`tsvisor: ${oneLine(e.message)}\n`);
      return EXIT_TSVISOR_ERROR;
    }
    const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
    io.stderr(`tsvisor: internal error: ${oneLine(msg ?? "")}\n`);
    return EXIT_SENTRY_BUG;
  }
}
