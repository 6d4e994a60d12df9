// Benchmark: one getppid round trip served by a trivial TypeScript handler
// under tsvisor's ptrace platform, against native getppid and the C floors
// of /work/shared/kvm-probe (ptrace_bench, seccomp_bench), plus proot and
// runsc when installed. Not a test: prints a table of medians.
//
// usage: node bench/platform-roundtrip/run.mjs [-n 200000] [-r 5] [--probe-dir DIR]
// Needs the packages built (pnpm --filter @tsvisor/platform-ptrace build) and gcc.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const N = Number(opt("-n", "200000"));
const RUNS = Number(opt("-r", "5"));
const probeDir = opt("--probe-dir", "/work/shared/kvm-probe");

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const which = (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;

const tmp = mkdtempSync(join(tmpdir(), "tsvisor-bench-"));
const rows = []; // { name, ns, note }

// --- native getppid (C, measured inside the program) -------------------------
const nativeSrc = `
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
  long n = atol(argv[1]);
  struct timespec a, b;
  long sink = 0;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i++) sink += syscall(SYS_getppid);
  clock_gettime(CLOCK_MONOTONIC, &b);
  double ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n;
  printf("%.1f\\n", ns + (sink == 42 ? 1e-9 : 0));
  return 0;
}`;
writeFileSync(join(tmp, "getppid.c"), nativeSrc);
execFileSync("gcc", ["-O2", "-static", "-o", join(tmp, "getppid"), join(tmp, "getppid.c")]);
const runC = (cmd, argv) =>
  Number(execFileSync(cmd, argv, { encoding: "utf8" }).trim().split("\n").pop());
const nativeRuns = [];
for (let r = 0; r < RUNS; r++) nativeRuns.push(runC(join(tmp, "getppid"), [String(N)]));
rows.push({ name: "native getppid", ns: median(nativeRuns), note: "" });

// --- tsvisor ptrace platform ---------------------------------------------------
const dist = join(root, "packages", "platform-ptrace", "dist", "index.js");
if (!existsSync(dist)) {
  console.error(`missing ${dist}: run pnpm --filter @tsvisor/platform-ptrace build`);
  process.exit(1);
}
const { default: provider, PtracePlatform } = await import(dist);
const probe = provider.probe();
if (!probe.ok) {
  console.error(`ptrace platform unavailable: ${probe.reason}; fix: ${probe.fix}`);
  process.exit(1);
}
/** Median ns per getppid round trip served by a trivial TS handler on platform `p`. */
function tsvisorRoundTrip(p) {
  // loop: mov $110,%eax (getppid); syscall; cmp $4242,%rax; jne bad; jmp loop; bad: ud2
  p.memoryFile
    .chunk(0)
    .set([
      0xb8, 0x6e, 0, 0, 0, 0x0f, 0x05, 0x48, 0x3d, 0x92, 0x10, 0, 0, 0x75, 0x02, 0xeb, 0xef, 0x0f,
      0x0b,
    ]);
  const as = p.newAddressSpace();
  if (as.mapFile(0x400000, 4096, 0, 5) !== 0) throw new Error("mapFile failed");
  const ctx = p.newContext();
  const regs = ctx.regs;
  regs[32] = 0x400000; // rip
  // The "handler": getppid returns 4242; anything else is a bug.
  const serve = () => {
    const t = ctx.switch(as);
    if (t.kind !== "syscall" || regs[30] !== 110) throw new Error(`unexpected trap ${t.kind}`);
    regs[20] = 4242; // rax
    regs[21] = 0;
  };
  for (let i = 0; i < 2000; i++) serve(); // warm up (JIT, CPU pinning)
  const runs = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) serve();
    runs.push(Number(process.hrtime.bigint() - t0) / N);
  }
  p.release();
  return median(runs);
}
for (const [name, opts] of [
  ["tsvisor ptrace systrap, spin 20us (default)", { mode: "systrap", spinMicros: 20 }],
  ["tsvisor ptrace systrap, spin 0, pinned", { mode: "systrap", spinMicros: 0, pinStubs: true }],
  ["tsvisor ptrace systrap, spin 0, unpinned", { mode: "systrap", spinMicros: 0, pinStubs: false }],
  ["tsvisor ptrace sysemu, pinned", { mode: "sysemu", pinStubs: true }],
  ["tsvisor ptrace sysemu, unpinned", { mode: "sysemu", pinStubs: false }],
]) {
  const ns = tsvisorRoundTrip(new PtracePlatform({ memoryFileSize: 2 ** 30, ...opts }));
  rows.push({ name, ns, note: "TS handler, Context.switch loop" });
}

// --- C floors from kvm-probe ------------------------------------------------------
if (existsSync(join(probeDir, "Makefile"))) {
  const out = join(tmp, "kvm-probe");
  execFileSync("make", [
    "-s",
    "-C",
    probeDir,
    `OUT=${out}`,
    `${out}/ptrace_bench`,
    `${out}/seccomp_bench`,
  ]);
  const c = (label, bin, argv) => {
    const text = execFileSync(
      join(out, bin),
      [...argv, "-n", String(Math.min(N, 100000)), "-r", String(RUNS)],
      {
        encoding: "utf8",
      },
    );
    const m = /median (\d+) ns/.exec(text);
    rows.push({ name: label, ns: m ? Number(m[1]) : Number.NaN, note: "C, kvm-probe" });
  };
  c("C ptrace SYSEMU floor, unpinned", "ptrace_bench", []);
  c("C ptrace SYSEMU floor, pinned to CPU 0", "ptrace_bench", ["-p", "0"]);
  c("C seccomp SIGSYS in-process", "seccomp_bench", ["-m", "sigsys"]);
  c("C seccomp SIGSYS + futex hand-off, one CPU", "seccomp_bench", ["-m", "futex", "-c", "0,0"]);
  c("C seccomp SIGSYS + futex hand-off, unpinned", "seccomp_bench", ["-m", "futex"]);
  c("C seccomp SIGSYS + spin hand-off, two CPUs", "seccomp_bench", ["-m", "spin", "-c", "0,1"]);
} else {
  console.error(`kvm-probe not found at ${probeDir}; C floors skipped`);
}

// --- peers ------------------------------------------------------------------------
if (which("proot")) {
  const runs = [];
  for (let r = 0; r < RUNS; r++)
    runs.push(runC("proot", [join(tmp, "getppid"), String(Math.min(N, 100000))]));
  rows.push({
    name: "proot getppid",
    ns: median(runs),
    note: "ptrace, measured inside the program",
  });
} else {
  rows.push({
    name: "proot getppid",
    ns: Number.NaN,
    note: "not installed (apt-get install proot)",
  });
}
if (which("runsc")) {
  // runsc do runs the host binary in a fresh sandbox (needs root); the
  // program measures its own loop, so sandbox start-up is not counted.
  const runs = [];
  try {
    for (let r = 0; r < RUNS; r++) {
      runs.push(
        runC("runsc", [
          "--platform=ptrace",
          "--network=none",
          "do",
          join(tmp, "getppid"),
          String(Math.min(N, 100000)),
        ]),
      );
    }
    rows.push({
      name: "runsc --platform=ptrace getppid",
      ns: median(runs),
      note: "gVisor, runsc do",
    });
  } catch (e) {
    rows.push({ name: "runsc", ns: Number.NaN, note: `failed: ${e.message.split("\n")[0]}` });
  }
} else {
  rows.push({ name: "runsc", ns: Number.NaN, note: "not installed (apt-get install runsc)" });
}

rmSync(tmp, { recursive: true, force: true });

const nativeNs = rows[0].ns;
const fmt = (ns) => (Number.isNaN(ns) ? "-" : (ns / 1000).toFixed(2));
console.log(
  `getppid round trip, N=${N}, median of ${RUNS} runs (load: ${execFileSync("cat", ["/proc/loadavg"], { encoding: "utf8" }).trim()})`,
);
console.log(`${"case".padEnd(48)} ${"us/call".padStart(9)} ${"x native".padStart(9)}  note`);
for (const r of rows) {
  const ratio = Number.isNaN(r.ns) ? "-" : (r.ns / nativeNs).toFixed(0);
  console.log(`${r.name.padEnd(48)} ${fmt(r.ns).padStart(9)} ${ratio.padStart(9)}  ${r.note}`);
}
