/**
 * The `tsvisor` command line. Thin over @tsvisor/kernel: parse argv, load a
 * platform, build a sandbox, run the program, map the result to an exit code.
 *
 * Every user error (missing program, bad flag, unreadable root, unknown
 * platform) is one line on stderr and a non-zero exit, never a stack trace.
 */
import { accessSync, constants as fsConstants, statSync } from "node:fs";
import { resolve } from "node:path";
import { errnoName, signalName, strerror } from "@tsvisor/abi";
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

interface RunFlags {
  platform: string;
  root?: string;
  volume: string[];
  env: string[];
  cwd?: string;
  strace?: boolean;
  hostname?: string;
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
    throw new UsageError(`platform "${flags.platform}": ${(e as Error).message.split("\n")[0]}`);
  }
  try {
    let root: ReturnType<typeof defaultRoot>;
    try {
      root = defaultRoot({ ...(hostRoot !== undefined ? { hostRoot } : {}), volumes });
    } catch (e) {
      throw new UsageError((e as Error).message.split("\n")[0]!);
    }
    const kernel = createSandbox({
      platform,
      root,
      ...(flags.hostname !== undefined ? { hostname: flags.hostname } : {}),
      ...(flags.strace ? { strace: (line: string) => io.stderr(`${line}\n`) } : {}),
    });
    const cwd = flags.cwd ?? (hostRoot === undefined && hostCwd !== null ? hostCwd : "/");
    // Terminal signals go to the sandbox's foreground process group, like
    // the tty driver sends them; SIGTERM (docker stop, timeout) to pid 2.
    const handlers: [NodeJS.Signals, () => void][] = [
      ["SIGINT", () => kernel.signalForeground(2)],
      ["SIGQUIT", () => kernel.signalForeground(3)],
      ["SIGHUP", () => kernel.signalForeground(1)],
      ["SIGTERM", () => kernel.signalInit(15)],
    ];
    for (const [s, h] of handlers) process.on(s, h);
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
        io.stderr(`tsvisor: ${e.path}: ${strerror(e.errno)}\n`);
        return e.errno === 2 || e.errno === 20 ? EXIT_NOT_FOUND : EXIT_CANNOT_EXECUTE;
      }
      if (e instanceof SentryPanic) {
        io.stderr(`tsvisor: ${e.message}\n`);
        return EXIT_SENTRY_BUG;
      }
      throw e;
    } finally {
      for (const [s, h] of handlers) process.off(s, h);
    }
  } finally {
    platform.release();
  }
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
  try {
    await program.parseAsync([...args], { from: "user" });
    return await result;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0;
      io.stderr(`tsvisor: ${e.message.replace(/^error: /, "")}\n`);
      return EXIT_TSVISOR_ERROR;
    }
    if (e instanceof UsageError) {
      io.stderr(`tsvisor: ${e.message}\n`);
      return EXIT_TSVISOR_ERROR;
    }
    const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
    io.stderr(`tsvisor: internal error: ${msg}\n`);
    return EXIT_SENTRY_BUG;
  }
}
