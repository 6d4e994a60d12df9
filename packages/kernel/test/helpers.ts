/**
 * Test helpers: compiling C programs at test time, the available platforms,
 * and running a program natively and under tsvisor.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSandbox } from "@tsvisor/kernel";
import type { PlatformProvider } from "@tsvisor/platform";
import { defaultRoot, type SandboxRoot } from "@tsvisor/vfs";

const dir = mkdtempSync(join(tmpdir(), "tsvisor-kernel-test-"));

/** Compiles `source` with gcc (static by default) and returns the binary's path. */
export function compileC(
  name: string,
  source: string,
  flags: readonly string[] = ["-static", "-O1"],
): string {
  const src = join(dir, `${name}.c`);
  const out = join(dir, name);
  writeFileSync(src, source);
  execFileSync("gcc", [...flags, "-o", out, src, "-lpthread"], { stdio: "pipe" });
  return out;
}

/** A scratch directory for this test run. */
export function scratchDir(): string {
  return dir;
}

/** Runs `argv` natively; returns stdout, stderr and the shell-style status. */
export function runNative(
  argv: readonly string[],
  env: Record<string, string> = {},
): {
  stdout: string;
  stderr: string;
  status: number;
} {
  const r = spawnSync(argv[0]!, argv.slice(1), { env, encoding: "utf8", timeout: 30_000 });
  const status = r.status ?? 128 + (r.signal ? signalNumber(r.signal) : 0);
  return { stdout: r.stdout, stderr: r.stderr, status };
}

function signalNumber(name: string): number {
  const table: Record<string, number> = {
    SIGSEGV: 11,
    SIGABRT: 6,
    SIGKILL: 9,
    SIGTERM: 15,
    SIGBUS: 7,
    SIGFPE: 8,
    SIGILL: 4,
    SIGPIPE: 13,
    SIGINT: 2,
    SIGQUIT: 3,
    SIGALRM: 14,
    SIGUSR1: 10,
    SIGUSR2: 12,
    SIGTRAP: 5,
    SIGSYS: 31,
  };
  return table[name] ?? 0;
}

/** Platform providers that can run on this host (ptrace, kvm). */
export async function availablePlatforms(): Promise<PlatformProvider[]> {
  const out: PlatformProvider[] = [];
  for (const spec of ["@tsvisor/platform-ptrace", "@tsvisor/platform-kvm"]) {
    try {
      const mod = (await import(/* @vite-ignore */ spec)) as { default?: PlatformProvider };
      const p = mod.default;
      if (p && typeof p.probe === "function" && p.probe().ok) out.push(p);
    } catch {
      // Not built or not loadable here: not a target.
    }
  }
  return out;
}

/**
 * The default sandbox root plus this run's scratch directory mounted
 * read-only at the same path (the sandbox's /tmp is its own tmpfs).
 */
export function testRoot(): SandboxRoot {
  return defaultRoot({ volumes: [{ hostPath: dir, sandboxPath: dir, readOnly: true }] });
}

/**
 * Runs argv in a fresh sandbox on a new platform instance from `p` (released
 * after), stdout/stderr captured through files. stdin: a string is fed from
 * a file; undefined passes this process's fd 0.
 */
export async function runInSandbox(
  p: PlatformProvider,
  argv: string[],
  opts: { env?: string[]; stdin?: string } = {},
): Promise<{ stdout: string; stderr: string; status: number }> {
  const dir = mkdtempSync(join(tmpdir(), "tsvisor-run-"));
  const outPath = join(dir, "out");
  const errPath = join(dir, "err");
  let inp = 0;
  if (opts.stdin !== undefined) {
    writeFileSync(join(dir, "in"), opts.stdin);
    inp = openSync(join(dir, "in"), "r");
  }
  const out = openSync(outPath, "w");
  const err = openSync(errPath, "w");
  const platform = p.create();
  try {
    const k = createSandbox({ platform, root: testRoot() });
    const r = await k.run(argv, { env: opts.env ?? [], stdio: [inp, out, err] });
    return {
      stdout: readFileSync(outPath, "latin1"),
      stderr: readFileSync(errPath, "latin1"),
      status: r.status ?? 128 + (r.signal ?? 0),
    };
  } finally {
    if (inp !== 0) closeSync(inp);
    closeSync(out);
    closeSync(err);
    platform.release();
    rmSync(dir, { recursive: true, force: true });
  }
}
