/**
 * Bad input never crashes the Sentry.
 *
 * - A seeded syscall fuzzer (programs/fuzz.c) calls every syscall 0..461
 *   with hostile arguments under tsvisor on each platform; the run must end
 *   with the program's own status 0, "survived N calls", and no Sentry panic
 *   or JS stack on stderr. It is never run natively (it is root with junk).
 * - An errno differential (programs/errno_diff.c) over safe file and memory
 *   syscalls, natively and under tsvisor, line for line.
 *
 * Known failures are listed in known-failures.json with a reason; a failure
 * not listed fails the suite, and a listed case that passes fails it too
 * (so the list shrinks as the kernel is fixed).
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, "..");
const repo = join(pkg, "..", "..");
const bin = join(repo, "packages", "cli", "dist", "bin.js");
const PLATFORMS = ["ptrace", "kvm"] as const;
type PlatformName = (typeof PLATFORMS)[number];

interface Known {
  kind: "fuzz" | "errno";
  platform: PlatformName | "*";
  /** Syscall number (fuzz) or name (errno). */
  syscall: number | string;
  reason: string;
}
const known: Known[] = JSON.parse(readFileSync(join(pkg, "known-failures.json"), "utf8"));
const knownFor = (kind: Known["kind"], p: PlatformName) =>
  known.filter((k) => k.kind === kind && (k.platform === "*" || k.platform === p));

interface Run {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Runs a command asynchronously (never spawnSync: it blocks vitest's worker). */
function run(file: string, args: readonly string[], cwd: string, timeout: number): Promise<Run> {
  return new Promise((res) => {
    const child = execFile(
      file,
      args,
      { cwd, timeout, killSignal: "SIGKILL", maxBuffer: 64 << 20, encoding: "utf8" },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: unknown; signal?: string }) | null;
        res({
          code: e === null ? 0 : typeof e.code === "number" ? e.code : null,
          signal: e?.signal ?? null,
          stdout,
          stderr,
        });
      },
    );
    child.stdin?.end();
  });
}

function tsvisor(p: PlatformName, prog: string, args: string[], cwd: string, timeout = 120_000) {
  return run(process.execPath, [bin, "run", "--platform", p, "--", prog, ...args], cwd, timeout);
}

/** Why a sandboxed run shows a Sentry problem, or "" when it looks clean. */
function sentryTrouble(r: Run): string {
  if (r.code === 70) return "tsvisor exit 70 (Sentry bug)";
  if (r.signal !== null) return `tsvisor killed by ${r.signal} (hang or crash)`;
  if (/SentryPanic/.test(r.stderr)) return "SentryPanic on stderr";
  if (/^\s+at .+[:(]/m.test(r.stderr)) return "JS stack trace on stderr";
  return "";
}

let work = "";
const prog = (name: string) => join(work, name);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "tsvisor-robust-"));
  for (const name of ["fuzz", "errno_diff"]) {
    const c = join(pkg, "programs", `${name}.c`);
    const flags = name === "fuzz" ? ["-fno-stack-protector"] : [];
    const r = await run("gcc", ["-static", "-O1", ...flags, "-o", prog(name), c], pkg, 120_000);
    if (r.code !== 0) throw new Error(`gcc ${name}: ${r.stderr}`);
  }
}, 180_000);

const SEED = "1";
const ITERS = "16";
const LAST = 461;
const CHUNK = 64;

/** One fuzzer run over syscalls lo..hi; "" when it survived, else why not. */
async function fuzz(
  p: PlatformName,
  lo: number,
  hi: number,
  skip: number[],
  timeout: number,
): Promise<string> {
  const args = [SEED, ITERS, String(lo), String(hi), skip.length ? skip.join(",") : "9999"];
  const r = await tsvisor(p, prog("fuzz"), args, work, timeout);
  const why = sentryTrouble(r);
  if (why) return `${why}; stderr: ${r.stderr.slice(0, 400)}`;
  if (r.code !== 0 || !/^survived \d+ calls$/m.test(r.stdout))
    return `exit ${r.code}: ${r.stdout.trim()} ${r.stderr.slice(0, 400)}`;
  return "";
}

describe.each(PLATFORMS)("syscall fuzzer under tsvisor on %s", (p) => {
  const listed = knownFor("fuzz", p).map((k) => Number(k.syscall));
  const chunks: [number, number][] = [];
  for (let lo = 0; lo <= LAST; lo += CHUNK) chunks.push([lo, Math.min(LAST, lo + CHUNK - 1)]);

  it.each(chunks)("syscalls %i..%i survive", async (lo, hi) => {
    const why = await fuzz(p, lo, hi, listed, 120_000);
    if (why === "") return;
    // Name the culprits one syscall at a time.
    const culprits: string[] = [];
    for (let nr = lo; nr <= hi; nr++) {
      if (listed.includes(nr)) continue;
      const w = await fuzz(p, nr, nr, [], 15_000);
      if (w) culprits.push(`syscall ${nr}: ${w}`);
    }
    expect.fail(`fuzz ${lo}..${hi}: ${why}\nculprits:\n${culprits.join("\n")}`);
  });

  if (listed.length > 0) {
    it.each(listed)(
      "known failure: syscall %i still fails (else remove it from the list)",
      async (nr) => {
        const why = await fuzz(p, nr, nr, [], 15_000);
        expect(
          why,
          `syscall ${nr} now survives the fuzzer: remove it from known-failures.json`,
        ).not.toBe("");
      },
    );
  }
});

/** "name(args) = result" lines keyed by call. */
function calls(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of out.split("\n")) {
    const i = line.lastIndexOf(" = ");
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 3));
  }
  return m;
}

describe("errno differential with Linux", () => {
  let native: Map<string, string>;

  beforeAll(async () => {
    // Both sides work in a fresh directory on tmpfs: the sandbox's writes land
    // in its tmpfs overlay, so Linux's tmpfs is the fair oracle.
    const shm = "/dev/shm";
    const dir = mkdtempSync(join(shm, "tsvisor-robust-"));
    const r = await run(prog("errno_diff"), [], dir, 120_000);
    expect(r.code, r.stderr).toBe(0);
    native = calls(r.stdout);
    expect(native.size).toBeGreaterThan(10_000);
  }, 180_000);

  it.each(PLATFORMS)("tsvisor on %s gives Linux's result for every call", async (p) => {
    // Same path length as the native directory, so getcwd agrees.
    const dir = join(work, `errno-${p}`.padEnd(12, "x"));
    mkdirSync(dir);
    const r = await tsvisor(p, prog("errno_diff"), [], dir, 240_000);
    expect(sentryTrouble(r), r.stderr.slice(0, 400)).toBe("");
    expect(r.code, r.stderr.slice(0, 400)).toBe(0);
    const got = calls(r.stdout);
    const listed = new Set(knownFor("errno", p).map((k) => String(k.syscall)));
    const mismatchBySyscall = new Map<string, string[]>();
    for (const [call, want] of native) {
      const have = got.get(call) ?? "(missing)";
      if (have === want) continue;
      const name = call.slice(0, call.indexOf("("));
      const list = mismatchBySyscall.get(name) ?? [];
      list.push(`${call}: Linux ${want}, tsvisor ${have}`);
      mismatchBySyscall.set(name, list);
    }
    const unexpected = [...mismatchBySyscall].filter(([n]) => !listed.has(n));
    const fixed = [...listed].filter((n) => !mismatchBySyscall.has(n));
    const report = unexpected
      .map(([n, l]) => `${n}: ${l.length} mismatches, e.g.\n  ${l.slice(0, 5).join("\n  ")}`)
      .join("\n");
    expect(unexpected.length, `unlisted errno mismatches:\n${report}`).toBe(0);
    expect(fixed, "listed in known-failures.json but now matching Linux: remove them").toEqual([]);
  });
});
