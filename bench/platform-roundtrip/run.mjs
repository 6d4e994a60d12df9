// Benchmark: what one trap costs on each tsvisor platform, and what that
// means for whole programs. Three sections, each printed as a markdown
// table with ratios against native:
//
//   1. roundtrip: one getppid served by a trivial TypeScript handler
//      (Context.switch loop) on ptrace (systrap, sysemu) and KVM, native
//      getppid, and the C floors of /work/shared/kvm-probe.
//   2. programs: wall time of a page-fault-heavy program (touch 64 MiB of
//      fresh anonymous memory page by page), a compute-heavy program (a tight
//      arithmetic loop of ~1 s natively) and an immediately exiting program
//      (start-up cost), natively, under the tsvisor CLI (ptrace, ptrace
//      sysemu, kvm), proot and runsc.
//   3. e2e: busybox sh running /bin/true 20 times (fork + exec heavy).
//
// Not a test: nothing asserts on time (it only checks that every run exits 0).
//
// usage: node bench/platform-roundtrip/run.mjs [-n 200000] [-r 5]
//          [--only roundtrip,programs,e2e] [--probe-dir DIR] [--kvm-micro]
// Needs `pnpm build` (it imports packages/*/dist and runs packages/cli/dist),
// gcc and make; KVM cases need /dev/kvm, runsc cases need root.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

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
const only = new Set(opt("--only", "roundtrip,programs,e2e").split(","));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const which = (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const distOf = (pkg) => join(root, "packages", pkg, "dist", "index.js");
const importDist = async (pkg) => {
  const path = distOf(pkg);
  if (!existsSync(path)) throw new Error(`missing ${path}: run pnpm build`);
  return import(pathToFileURL(path).href);
};

const tmp = mkdtempSync(join(tmpdir(), "tsvisor-bench-"));
process.on("exit", () => rmSync(tmp, { recursive: true, force: true }));

/** Compiles C `src` into a static binary named `name` in the scratch dir. */
function cc(name, src) {
  writeFileSync(join(tmp, `${name}.c`), src);
  execFileSync("gcc", ["-O2", "-static", "-o", join(tmp, name), join(tmp, `${name}.c`)]);
  return join(tmp, name);
}

/**
 * Prints a markdown table; `rows` are { name, value, note, net? }, ratios vs
 * `base` (and vs the native row's `net` when rows carry one).
 */
function table(title, unit, rows, base, digits = 2) {
  const fix = (x) => (Number.isFinite(x) ? x.toFixed(digits) : "–");
  const ratio = (x, b) => (Number.isFinite(x) && b > 0 ? (x / b).toFixed(x / b < 10 ? 1 : 0) : "–");
  const hasNet = rows.some((r) => r.net !== undefined);
  const netBase = rows[0].net;
  console.log(`\n### ${title}\n`);
  console.log(`load average: ${loadavg()}\n`);
  const netHead = hasNet ? " minus start-up | × native |" : "";
  console.log(`| case | ${unit} | × native |${netHead} note |`);
  console.log(`| --- | ---: | ---: |${hasNet ? " ---: | ---: |" : ""} --- |`);
  for (const r of rows) {
    const net = hasNet ? ` ${fix(r.net)} | ${ratio(r.net, netBase)} |` : "";
    console.log(
      `| ${r.name} | ${fix(r.value)} | ${ratio(r.value, base)} |${net} ${r.note ?? ""} |`,
    );
  }
}

const started = new Date().toISOString();
console.log(`# tsvisor platform bench — ${started}`);
console.log(
  `host: ${execFileSync("uname", ["-sr"], { encoding: "utf8" }).trim()}, load ${loadavg()}`,
);
console.log(`N=${N}, median of ${RUNS} runs per case`);

// ---------------------------------------------------------------------------
// 1. getppid round trip
// ---------------------------------------------------------------------------

const getppidBin = cc(
  "getppid",
  `#define _GNU_SOURCE
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
}`,
);
/** Runs a program that prints one number (ns per call) on its last line. */
const runNs = (cmd, argv) =>
  Number(execFileSync(cmd, argv, { encoding: "utf8" }).trim().split("\n").pop());

/**
 * Median ns per getppid round trip served by a trivial TS handler on
 * platform `p` (then released). The stub loop is
 *   loop: mov $110,%eax; syscall; cmp $4242,%rax; jne bad; jmp loop; bad: ud2
 * so a wrong return value shows up as a non-syscall trap.
 */
function tsvisorRoundTrip(p, reg) {
  const { regU64: getReg, setReg, REG_RAX, REG_ORIG_RAX, REG_RIP, REG_RSP } = reg;
  p.memoryFile
    .chunk(0)
    .set([
      0xb8, 0x6e, 0, 0, 0, 0x0f, 0x05, 0x48, 0x3d, 0x92, 0x10, 0, 0, 0x75, 0x02, 0xeb, 0xef, 0x0f,
      0x0b,
    ]);
  const as = p.newAddressSpace();
  if (as.mapFile(0x400000, 4096, 0, 5) !== 0) throw new Error("mapFile(code) failed");
  if (as.mapFile(0x7f0000000000 - 4096, 4096, 4096, 3) !== 0) throw new Error("mapFile(stack)");
  const ctx = p.newContext();
  const regs = ctx.regs;
  setReg(regs, REG_RIP, 0x400000);
  setReg(regs, REG_RSP, 0x7f0000000000 - 64);
  const serve = () => {
    const t = ctx.switch(as);
    if (t.kind !== "syscall" || getReg(regs, REG_ORIG_RAX) !== 110) {
      throw new Error(`unexpected trap ${t.kind} (orig_rax ${getReg(regs, REG_ORIG_RAX)})`);
    }
    setReg(regs, REG_RAX, 4242);
  };
  for (let i = 0; i < 2000; i++) serve(); // warm up (JIT, stub CPU placement)
  const runs = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) serve();
    runs.push(Number(process.hrtime.bigint() - t0) / N);
  }
  ctx.release?.();
  as.release?.();
  p.release();
  return median(runs);
}

async function roundtrip() {
  const rows = [];
  const nativeRuns = [];
  for (let r = 0; r < RUNS; r++) nativeRuns.push(runNs(getppidBin, [String(N)]));
  rows.push({ name: "native getppid", value: median(nativeRuns) / 1000, note: "C loop" });

  const reg = await importDist("platform");
  const ptrace = await importDist("platform-ptrace");
  const probe = ptrace.default.probe();
  if (!probe.ok) {
    rows.push({ name: "tsvisor ptrace", value: Number.NaN, note: `unavailable: ${probe.reason}` });
  } else {
    for (const [name, opts] of [
      ["**tsvisor ptrace, systrap (default)**", { mode: "systrap" }],
      ["tsvisor ptrace, sysemu", { mode: "sysemu" }],
    ]) {
      const p = new ptrace.PtracePlatform({ memoryFileSize: 2 ** 30, ...opts });
      rows.push({ name, value: tsvisorRoundTrip(p, reg) / 1000, note: "TS handler" });
    }
  }
  const kvm = await importDist("platform-kvm");
  const kprobe = kvm.default.probe();
  if (!kprobe.ok) {
    rows.push({ name: "tsvisor kvm", value: Number.NaN, note: `unavailable: ${kprobe.reason}` });
  } else {
    const p = kvm.default.create({ memoryFileSize: 2 ** 30 });
    rows.push({
      name: "**tsvisor kvm**",
      value: tsvisorRoundTrip(p, reg) / 1000,
      note: "TS handler, vCPU on the Sentry thread",
    });
  }

  // C floors from kvm-probe, built outside the source tree.
  if (existsSync(join(probeDir, "Makefile"))) {
    const out = join(tmp, "kvm-probe");
    const bins = ["ptrace_bench", "seccomp_bench", "syscall"];
    execFileSync("make", ["-s", "-C", probeDir, `OUT=${out}`, ...bins.map((b) => `${out}/${b}`)]);
    const c = (name, bin, argv, note) => {
      const n = String(Math.min(N, 100000));
      let value = Number.NaN;
      try {
        const text = execFileSync(join(out, bin), ["-n", n, "-r", String(RUNS), ...argv], {
          encoding: "utf8",
          timeout: 300_000,
        });
        const m = /median\s+(\d+) ns/.exec(text);
        if (m) value = Number(m[1]) / 1000;
      } catch (e) {
        note = `failed: ${String(e.message).split("\n")[0]}`;
      }
      rows.push({ name, value, note });
    };
    c("C floor: ptrace SYSEMU + GETREGS/SETREGS", "ptrace_bench", [], "kvm-probe, unpinned");
    c("C floor: ptrace SYSEMU, pinned to CPU 0", "ptrace_bench", ["-p", "0"], "kvm-probe");
    c("C floor: seccomp SIGSYS in-process", "seccomp_bench", ["-m", "sigsys"], "kvm-probe");
    c(
      "C floor: SIGSYS + futex hand-off, one CPU",
      "seccomp_bench",
      ["-m", "futex", "-c", "0,0"],
      "kvm-probe (systrap shape)",
    );
    c(
      "C floor: KVM ring-3 OUT exit, sync regs",
      "syscall",
      ["r3pio-sync"],
      "kvm-probe `syscall r3pio-sync`",
    );
  } else {
    rows.push({ name: "C floors", value: Number.NaN, note: `no kvm-probe at ${probeDir}` });
  }

  // Peers: the same C loop, timed inside the program (sandbox start-up excluded).
  const peerN = String(Math.min(N, 100000));
  for (const [name, cmd, pre] of [
    ["proot getppid", "proot", []],
    ["runsc --platform=ptrace getppid", "runsc", ["--network=none", "--platform=ptrace", "do"]],
  ]) {
    if (!which(cmd)) {
      rows.push({ name, value: Number.NaN, note: `${cmd} not installed` });
      continue;
    }
    try {
      const runs = [];
      for (let r = 0; r < RUNS; r++) runs.push(runNs(cmd, [...pre, getppidBin, peerN]));
      rows.push({ name, value: median(runs) / 1000, note: "C loop inside the sandbox" });
    } catch (e) {
      rows.push({ name, value: Number.NaN, note: `failed: ${String(e.message).split("\n")[0]}` });
    }
  }
  table(`1. getppid round trip (N=${N})`, "µs/call", rows, rows[0].value);
}

// ---------------------------------------------------------------------------
// 2 and 3. whole programs, wall time per run
// ---------------------------------------------------------------------------

const cli = join(root, "packages", "cli", "dist", "bin.js");
/** Sandboxes that run `[prog, ...argv]`; `argv0` is the host command. */
function runners() {
  const list = [{ name: "native", wrap: (c) => c }];
  if (existsSync(cli)) {
    const ts = (platform, env) => ({
      name: `tsvisor ${platform}${env ? ", sysemu" : ""}`,
      wrap: (c) => [process.execPath, cli, "run", "--platform", platform, "--", ...c],
      env,
    });
    list.push(ts("ptrace"), ts("ptrace", { TSVISOR_PTRACE_MODE: "sysemu" }), ts("kvm"));
  } else {
    console.error(`missing ${cli}: run pnpm build; tsvisor CLI cases skipped`);
  }
  if (which("proot")) list.push({ name: "proot", wrap: (c) => ["proot", ...c] });
  if (which("runsc")) {
    list.push({
      name: "runsc --platform=ptrace do",
      wrap: (c) => ["runsc", "--network=none", "--platform=ptrace", "do", ...c],
    });
  }
  return list;
}

/** Wall seconds of one run of `cmd` under runner `rn`, or an error string. */
function once(rn, cmd) {
  const [file, ...argv] = rn.wrap(cmd);
  const t0 = process.hrtime.bigint();
  const res = spawnSync(file, argv, {
    env: { ...process.env, ...rn.env },
    stdio: ["ignore", "ignore", "pipe"],
    timeout: 600_000,
  });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (res.status === 0) return s;
  const why = res.error?.message ?? `exit ${res.status ?? res.signal}`;
  const err = String(res.stderr ?? "")
    .trim()
    .split("\n")
    .pop();
  return `failed: ${why} ${err ?? ""}`.trim();
}

/**
 * Median wall seconds of `cmd` under each runner (NaN + note when a run
 * fails). Runs are interleaved round by round, so a burst of load from the
 * machine's other users hits every runner alike rather than one of them.
 */
function measure(rs, cmd) {
  const times = rs.map(() => []);
  const fail = rs.map(() => undefined);
  for (let r = 0; r < RUNS; r++) {
    rs.forEach((rn, i) => {
      if (fail[i]) return;
      const t = once(rn, cmd);
      if (typeof t === "string") fail[i] = t;
      else times[i].push(t);
    });
  }
  return rs.map((rn, i) =>
    fail[i]
      ? { name: rn.name, value: Number.NaN, note: fail[i] }
      : {
          name: rn.name,
          value: median(times[i]),
          note: `min ${Math.min(...times[i]).toFixed(3)} s`,
        },
  );
}

function programs() {
  const pf = cc(
    "touch64m",
    `#include <sys/mman.h>
int main(void) {
  size_t n = 64UL << 20;
  volatile char *p = mmap(0, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 1;
  for (size_t i = 0; i < n; i += 4096) p[i] = 1;
  return p[n - 4096] == 1 ? 0 : 2;
}`,
  );
  const compute = cc(
    "compute",
    `#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  unsigned long n = strtoul(argv[1], 0, 10), x = 1;
  for (unsigned long i = 0; i < n; i++) x = x * 6364136223846793005UL + (i ^ 1442695040888963407UL);
  printf("%lu\\n", x); /* keeps the loop live */
  return 0;
}`,
  );
  const exit0 = cc("exit0", "int main(void) { return 0; }");
  // Calibrate the loop to ~1 s natively.
  const probeIters = 200_000_000;
  const t0 = process.hrtime.bigint();
  execFileSync(compute, [String(probeIters)]);
  const perIter = Number(process.hrtime.bigint() - t0) / 1e9 / probeIters;
  const iters = String(Math.round(1 / perIter));

  const rs = runners();
  startup = measure(rs, [exit0]);
  table(
    "2a. start-up: a static program that exits at once",
    "wall s",
    startup,
    startup[0].value,
    3,
  );
  for (const [title, cmd] of [
    ["2b. page faults: touch 64 MiB of fresh anonymous memory (16384 pages)", [pf]],
    [`2c. compute: tight arithmetic loop (${iters} iterations, ~1 s natively)`, [compute, iters]],
  ]) {
    const rows = measure(rs, cmd).map(withNet);
    table(title, "wall s", rows, rows[0].value, 3);
  }
}

/** Per-runner start-up medians (section 2a), subtracted in the later tables. */
let startup;
const withNet = (row, i) =>
  startup && Number.isFinite(startup[i]?.value)
    ? { ...row, net: row.value - startup[i].value }
    : row;

function e2e() {
  const loop = Array.from({ length: 20 }, (_, i) => i + 1).join(" ");
  const script = `for i in ${loop}; do /bin/true; done`;
  const rs = runners();
  const rows = measure(rs, ["/bin/busybox", "sh", "-c", script]).map(withNet);
  table("3. busybox sh: 20 × fork + exec /bin/true", "wall s", rows, rows[0].value, 3);
}

if (only.has("roundtrip")) await roundtrip();
if (only.has("programs")) programs();
if (only.has("e2e")) e2e();
if (args.includes("--kvm-micro")) await import(pathToFileURL(join(here, "kvm-micro.mjs")).href);
console.log(`\nfinished ${new Date().toISOString()}, load ${loadavg()}`);
