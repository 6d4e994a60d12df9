/**
 * The differential harness: compiles corpus programs with gcc, runs them
 * natively and under `tsvisor run` on a platform, and compares what they did.
 *
 * Linux is the oracle: a native run defines the expected stdout, stderr and
 * exit status; the sandboxed run must match it byte for byte.
 *
 * Invariants:
 * - Every run gets the same argv (absolute program path), environment
 *   (`RUN_ENV`) and a fresh, empty working directory with the same path, so a
 *   deterministic program prints the same bytes natively and in the sandbox.
 * - Every run starts through harness/launch.c, so it inherits nothing of
 *   the harness's own process state (CI's leaked fds, signal dispositions,
 *   umask, core and stack limits): see that file.
 * - A run killed by signal N reports status 128 + N, as the CLI does.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import { constants } from "node:os";
import { fileURLToPath } from "node:url";

export const PKG_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const REPO_ROOT = resolve(PKG_DIR, "../..");
export const PROGRAMS_DIR = join(PKG_DIR, "programs");
export const TMP_DIR = join(PKG_DIR, "tmp");
export const BIN_DIR = join(TMP_DIR, "bin");
export const CLI_BIN = join(REPO_ROOT, "packages/cli/dist/bin.js");
export const PASSING_JSON = join(PKG_DIR, "passing.json");
export const LAUNCH_SOURCE = join(PKG_DIR, "harness/launch.c");

/** The platforms the corpus runs on, in report order. */
export const PLATFORM_NAMES = ["ptrace", "kvm"] as const;
export type PlatformName = (typeof PLATFORM_NAMES)[number];

/** The fixed environment of every run (native and sandboxed). */
export const RUN_ENV: Readonly<Record<string, string>> = {
  PATH: "/usr/local/bin:/usr/bin:/bin",
  HOME: "/",
  LANG: "C",
  LC_ALL: "C",
  TZ: "UTC",
  DIFF_MARKER: "tsvisor-differential",
};

/** What one run of a program did. */
export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit status; 128 + N when killed by signal N; -1 when it timed out. */
  readonly status: number;
  readonly timedOut: boolean;
}

/** One corpus program and the metadata from its `// @key value` lines. */
export interface Program {
  /** Test id: the file name without `.c`, plus `.dyn` for the dynamic build. */
  readonly id: string;
  readonly source: string;
  readonly dynamic: boolean;
  /** Extra argv after the program path (`// @args`). */
  readonly args: readonly string[];
  /** Exit status Linux gives (`// @status`, default 0). */
  readonly status: number;
  readonly timeoutMs: number;
  /** Text fed on stdin (`// @stdin`, C escapes \n allowed); empty by default. */
  readonly stdin: string;
}

function meta(text: string, key: string): string | undefined {
  const m = new RegExp(`^// @${key}(?:[ \\t]+(.*))?$`, "m").exec(text);
  return m === null ? undefined : (m[1] ?? "").trim();
}

/** Lists the corpus: every `programs/*.c`, plus a `.dyn` entry for `// @dynamic` ones. */
export function listPrograms(): Program[] {
  const out: Program[] = [];
  for (const file of readdirSync(PROGRAMS_DIR).sort()) {
    if (!file.endsWith(".c")) continue;
    const source = join(PROGRAMS_DIR, file);
    const text = readFileSync(source, "utf8");
    const name = file.slice(0, -2);
    const args = meta(text, "args");
    const base = {
      source,
      args: args ? args.split(/\s+/) : [],
      status: Number(meta(text, "status") ?? 0),
      timeoutMs: Number(meta(text, "timeout") ?? 20_000),
      stdin: (meta(text, "stdin") ?? "").replace(/\\n/g, "\n"),
    };
    out.push({ ...base, id: name, dynamic: false });
    if (meta(text, "dynamic") !== undefined)
      out.push({ ...base, id: `${name}.dyn`, dynamic: true });
  }
  return out;
}

/** Result of compiling a program. */
export interface Compiled {
  readonly binary: string;
  /** gcc's diagnostics; the corpus must compile without any under -Wall. */
  readonly diagnostics: string;
}

/**
 * Compiles `p` with `gcc -static -O1 -Wall` (no `-static` for `.dyn`) into
 * tmp/bin, reusing the binary when the source and t.h are unchanged.
 */
export function compile(p: Program): Promise<Compiled> {
  mkdirSync(BIN_DIR, { recursive: true });
  const hash = createHash("sha256")
    .update(readFileSync(p.source))
    .update(readFileSync(join(PROGRAMS_DIR, "include/t.h")))
    .update(p.dynamic ? "dyn" : "static")
    .digest("hex")
    .slice(0, 16);
  const binary = join(BIN_DIR, p.id);
  const stamp = `${binary}.hash`;
  if (existsSync(binary) && existsSync(stamp) && readFileSync(stamp, "utf8") === hash) {
    return Promise.resolve({ binary, diagnostics: "" });
  }
  const args = [
    ...(p.dynamic ? [] : ["-static"]),
    "-O1",
    "-Wall",
    "-Wextra",
    "-Wno-unused-parameter",
    "-pthread",
    "-I",
    join(PROGRAMS_DIR, "include"),
    "-o",
    binary,
    p.source,
  ];
  return gcc(args, p.id).then((diagnostics) => {
    // A warning-free build is cached; one with warnings is rebuilt next time.
    if (diagnostics === "") writeFileSync(stamp, hash);
    return { binary, diagnostics };
  });
}

/** Runs gcc with `args`; resolves to its diagnostics, rejects when it fails. */
function gcc(args: readonly string[], what: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn("gcc", args, { stdio: ["ignore", "pipe", "pipe"] });
    let diagnostics = "";
    child.stdout.on("data", (d: Buffer) => {
      diagnostics += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      diagnostics += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`gcc failed for ${what}:\n${diagnostics}`));
      else resolvePromise(diagnostics);
    });
  });
}

let launcher: Promise<string> | undefined;

/**
 * The path of the compiled harness/launch.c (tmp/bin/launch-HASH), built
 * once per source version. Test files run in parallel worker processes, so
 * the binary is written under a private name and renamed into place: no
 * run ever sees a half-written launcher.
 */
export function launcherPath(): Promise<string> {
  launcher ??= (async () => {
    mkdirSync(BIN_DIR, { recursive: true });
    const hash = createHash("sha256")
      .update(readFileSync(LAUNCH_SOURCE))
      .digest("hex")
      .slice(0, 16);
    const binary = join(BIN_DIR, `launch-${hash}`);
    if (existsSync(binary)) return binary;
    const tmp = `${binary}.${process.pid}.tmp`;
    const diagnostics = await gcc(
      ["-O1", "-Wall", "-Wextra", "-o", tmp, LAUNCH_SOURCE],
      "launch.c",
    );
    if (diagnostics !== "") throw new Error(`launch.c must compile cleanly:\n${diagnostics}`);
    renameSync(tmp, binary);
    return binary;
  })();
  return launcher;
}

/** Runs async jobs with at most `limit` in flight (2 cores: keep it small). */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The fresh working directory of program `id` (same path native and sandboxed). */
export function freshCwd(id: string): string {
  const dir = join(TMP_DIR, "cwd", id);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Options of one run. */
export interface RunOptions {
  readonly cwd: string;
  readonly timeoutMs: number;
  readonly stdin?: string;
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Runs `argv` through the launcher (see launcherPath: only fds 0-2, default
 * signal dispositions, umask 022, ...), in a new session (`detached`:
 * setsid), so that `kill(0, ...)` and job-control signals stay inside the
 * run. Whatever is left of the session's process group afterwards (orphans,
 * a timed-out tree) is killed.
 *
 * Asynchronous on purpose: a synchronous spawn blocks the vitest worker's
 * event loop, and a long enough block makes its RPC to the main process time
 * out ("Timeout calling onTaskUpdate") even though every test passed.
 */
async function spawnRun(
  argv: readonly string[],
  o: RunOptions,
  timeoutMs: number,
): Promise<RunResult> {
  const launch = await launcherPath();
  return new Promise((resolve) => {
    const child = spawn(launch, argv, {
      cwd: o.cwd,
      env: { ...(o.env ?? RUN_ENV) },
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    const killGroup = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // The group is already empty: the usual case.
      }
    };
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    // A program that exits without reading its stdin makes this write fail.
    child.stdin.on("error", () => {});
    child.stdin.end(o.stdin ?? "");
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    let status = -1;
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code !== null) status = code;
      else if (signal !== null) status = 128 + (constants.signals[signal] ?? 0);
      // Orphans left in the session would keep the pipes open.
      killGroup();
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ stdout: "", stderr: `spawn failed: ${e.message}\n`, status: -1, timedOut: false });
    });
    child.on("close", () => {
      resolve({
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        status: timedOut ? -1 : status,
        timedOut,
      });
    });
  });
}

/** Runs `argv` natively. */
export function runNative(argv: readonly string[], o: RunOptions): Promise<RunResult> {
  return spawnRun(argv, o, o.timeoutMs);
}

/** Runs `argv` under `tsvisor run --platform P`. */
export function runTsvisor(
  platform: PlatformName,
  argv: readonly string[],
  o: RunOptions,
): Promise<RunResult> {
  if (!existsSync(CLI_BIN)) {
    return Promise.resolve({
      stdout: "",
      stderr: `tsvisor CLI not built: ${CLI_BIN} missing (pnpm --filter @tsvisor/cli... build)\n`,
      status: -1,
      timedOut: false,
    });
  }
  // Under tsvisor the timeout is longer: the Sentry's start-up and its
  // per-syscall cost come on top of the program's own time.
  return spawnRun(
    [process.execPath, CLI_BIN, "run", "--platform", platform, "--", ...argv],
    o,
    o.timeoutMs * 3,
  );
}

/** Runs program `p` natively (compiled at `binary`). */
export function runProgramNative(p: Program, binary: string): Promise<RunResult> {
  return runNative([binary, ...p.args], {
    cwd: freshCwd(p.id),
    timeoutMs: p.timeoutMs,
    stdin: p.stdin,
  });
}

/** Runs program `p` under tsvisor. */
export function runProgramTsvisor(
  p: Program,
  binary: string,
  platform: PlatformName,
): Promise<RunResult> {
  return runTsvisor(platform, [binary, ...p.args], {
    cwd: freshCwd(p.id),
    timeoutMs: p.timeoutMs,
    stdin: p.stdin,
  });
}

/** Lines of `stdout` that report a failed self-check. */
export function failLines(stdout: string): string[] {
  return stdout.split("\n").filter((l) => /: FAIL\b/.test(l));
}

/**
 * A readable description of how `got` differs from `want` ("" when equal):
 * the status and the first differing lines of stdout and stderr.
 */
export function describeDiff(want: RunResult, got: RunResult): string {
  const parts: string[] = [];
  if (got.timedOut) parts.push("sandboxed run timed out");
  if (want.status !== got.status) parts.push(`status: want ${want.status}, got ${got.status}`);
  for (const stream of ["stdout", "stderr"] as const) {
    if (want[stream] === got[stream]) continue;
    const w = want[stream].split("\n");
    const g = got[stream].split("\n");
    let i = 0;
    while (i < w.length && i < g.length && w[i] === g[i]) i++;
    parts.push(
      `${stream} differs at line ${i + 1}: want ${JSON.stringify(w[i] ?? "<eof>")}, got ${JSON.stringify(g[i] ?? "<eof>")}`,
    );
  }
  return parts.join("\n");
}

/** passing.json: per platform, the test ids known to pass under tsvisor. */
export type Passing = Record<PlatformName, string[]>;

export function readPassing(): Passing {
  const raw = JSON.parse(readFileSync(PASSING_JSON, "utf8")) as Partial<Passing>;
  return { ptrace: raw.ptrace ?? [], kvm: raw.kvm ?? [] };
}

/** A platform as seen from the host: usable, or skipped with a reason. */
export type PlatformStatus =
  | { readonly name: PlatformName; readonly ok: true }
  | { readonly name: PlatformName; readonly ok: false; readonly reason: string };

/**
 * Imports `@tsvisor/platform-NAME` and calls its default export's `probe()`.
 * Never throws: an unloadable or unprobeable platform is reported with why.
 */
export async function probePlatform(name: PlatformName): Promise<PlatformStatus> {
  try {
    const mod = (await importPlatform(name)) as {
      default?: { probe?: () => { ok: boolean; reason?: string; fix?: string } };
    };
    const probe = mod.default?.probe;
    if (typeof probe !== "function") {
      return { name, ok: false, reason: `@tsvisor/platform-${name} has no default provider yet` };
    }
    const r = probe.call(mod.default);
    if (r.ok) return { name, ok: true };
    return { name, ok: false, reason: `${r.reason ?? "probe failed"} (fix: ${r.fix ?? "?"})` };
  } catch (e) {
    return { name, ok: false, reason: `loading @tsvisor/platform-${name} failed: ${String(e)}` };
  }
}

function importPlatform(name: PlatformName): Promise<unknown> {
  // Literal specifiers so vitest's alias maps them to the workspace sources.
  switch (name) {
    case "ptrace":
      return import("@tsvisor/platform-ptrace");
    case "kvm":
      return import("@tsvisor/platform-kvm");
  }
}

/** True when `path` exists and is a regular file. */
export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * One differential case, as the tests and the report script see it: how to
 * prepare it (compile, generate files), run it natively, and run it under
 * tsvisor. `sandboxed` may add its own checks (e.g. the host was not
 * touched) and returns a failure description, "" when it matches native.
 */
export interface DiffCase {
  readonly id: string;
  prepare(): Promise<void>;
  native(): Promise<RunResult>;
  sandboxed(platform: PlatformName, want: RunResult): Promise<{ got: RunResult; diff: string }>;
}

/** The corpus programs as differential cases. */
export function programCases(): DiffCase[] {
  return listPrograms().map((p) => {
    let binary = "";
    return {
      id: p.id,
      async prepare() {
        binary = (await compile(p)).binary;
      },
      native: () => runProgramNative(p, binary),
      async sandboxed(platform, want) {
        const got = await runProgramTsvisor(p, binary, platform);
        return { got, diff: describeDiff(want, got) };
      },
    };
  });
}
