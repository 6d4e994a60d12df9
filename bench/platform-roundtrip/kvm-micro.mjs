// KVM platform round-trip benchmark: a getppid-like syscall loop, a
// page-fault-heavy program (demand paging by the Sentry), a compute-heavy
// program (no traps; compared with the same code run natively), and the
// cost of a translation flush (munmap of a used page).
//
// Usage (after pnpm build): node bench/platform-roundtrip/kvm-micro.mjs [N],
// or node bench/platform-roundtrip/run.mjs --kvm-micro [-n N], or
// pnpm --filter @tsvisor/platform-kvm bench [N] (a shim that imports this).
// Needs gcc/objcopy (programs are assembled at run time) and /dev/kvm.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const packages = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "packages");
const dist = (pkg) => pathToFileURL(join(packages, pkg, "dist", "index.js")).href;
const { PROT_EXEC, PROT_READ, PROT_WRITE, REG_RAX, REG_RIP, REG_RSP, setReg } = await import(
  dist("platform")
);
const { default: provider } = await import(dist("platform-kvm"));

// N: a bare number argument, or `-n N` (as run.mjs takes it); capped at
// 100000 like the original (the 2-thread cases run N/10).
const argv = process.argv.slice(2);
const nAt = argv.indexOf("-n");
const N = Math.min(
  Number(nAt >= 0 ? argv[nAt + 1] : (argv.find((a) => /^\d+$/.test(a)) ?? 100000)),
  100000,
);
const CODE = 0x400000;
const STACK_TOP = 0x7ff000000000;
const dir = mkdtempSync(join(tmpdir(), "tsvisor-kvm-bench-"));

function assemble(asm) {
  const src = join(dir, "p.S");
  writeFileSync(src, `.text\n.globl _start\n_start:\n${asm}\n`);
  execFileSync("gcc", [
    "-nostdlib",
    "-static",
    "-no-pie",
    `-Wl,-Ttext=${CODE.toString(16)}`,
    "-o",
    join(dir, "p.elf"),
    src,
  ]);
  execFileSync("objcopy", ["-O", "binary", "-j", ".text", join(dir, "p.elf"), join(dir, "p.bin")]);
  return new Uint8Array(readFileSync(join(dir, "p.bin")));
}

/** Runs `body` natively as a C function (the baseline); returns seconds. */
function native(body, arg) {
  const src = join(dir, "n.c");
  writeFileSync(
    src,
    `#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
extern void f(long);
__asm__(".text\\nf:\\n mov %rdi, %rcx\\n${body.replaceAll("\n", "\\n")}\\n ret\\n");
int main(int c, char **v) {
  long n = atol(v[1]); struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  if (c > 2) { for (long i = 0; i < n; i++) syscall(SYS_getppid); } else f(n);
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%.9f\\n", (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
  return 0;
}`,
  );
  execFileSync("gcc", ["-O2", "-o", join(dir, "n"), src]);
  const extra = arg === "syscall" ? ["x"] : [];
  return Number(execFileSync(join(dir, "n"), [String(N), ...extra]).toString());
}

const p = provider.create({ memoryFileSize: 4 * 1024 * 1024 * 1024 });
let next = 0;
const alloc = (pages) => {
  const o = next;
  next += pages * 4096;
  return o;
};
const file = p.memoryFile;
function load(as, code) {
  const off = alloc(Math.ceil(code.length / 4096));
  file.chunk(0).set(code, off);
  as.mapFile(CODE, Math.ceil(code.length / 4096) * 4096, off, PROT_READ | PROT_EXEC);
  as.mapFile(STACK_TOP - 16 * 4096, 16 * 4096, alloc(16), PROT_READ | PROT_WRITE);
}
const start = (c) => {
  setReg(c.regs, REG_RIP, CODE);
  setReg(c.regs, REG_RSP, STACK_TOP - 64);
};
const results = [];
const report = (name, total, n, unit, extra = "") => {
  const per = (total / n) * 1e6;
  results.push({ name, per });
  console.log(
    `${name.padEnd(44)} ${per.toFixed(2).padStart(10)} us/${unit}  (${n} in ${total.toFixed(3)} s)${extra}`,
  );
};

// 1. getppid-like round trip: every syscall goes to the Sentry and back.
{
  const as = p.newAddressSpace();
  load(as, assemble("1: mov $110, %eax\n syscall\n jmp 1b"));
  const c = p.newContext();
  start(c);
  for (let i = 0; i < 1000; i++) c.switch(as); // warm up
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    c.switch(as);
    setReg(c.regs, REG_RAX, 1);
  }
  const t = (performance.now() - t0) / 1000;
  const nat = native("", "syscall");
  report(
    "syscall round trip (switch)",
    t,
    N,
    "syscall",
    `; native getppid ${((nat / N) * 1e6).toFixed(3)} us`,
  );
  // Same through resume/waitAny with one runnable context (runs inline).
  const t1 = performance.now();
  for (let i = 0; i < N / 10; i++) {
    c.resume(as);
    p.waitAny(-1);
  }
  report(
    "syscall round trip (resume+waitAny, 1 ctx)",
    (performance.now() - t1) / 1000,
    N / 10,
    "syscall",
  );
  // Two contexts on their own threads.
  const c2 = p.newContext();
  start(c2);
  const n2 = N / 10;
  let done = 0;
  const t2 = performance.now();
  c.resume(as);
  c2.resume(as);
  while (done < n2) {
    const x = p.waitAny(-1);
    done++;
    x.resume(as);
  }
  c.interrupt();
  c2.interrupt();
  p.waitAny(-1);
  p.waitAny(-1);
  report("syscall round trip (2 ctx on threads)", (performance.now() - t2) / 1000, n2, "syscall");
  c.release();
  c2.release();
  as.release();
}

// 1b. The same two threads, with waitAny spinning up to 200 us before it sleeps.
{
  const q = provider.create({ memoryFileSize: 64 * 1024 * 1024, waitSpinUs: 200 });
  const as = q.newAddressSpace();
  const code = assemble("1: mov $110, %eax\n syscall\n jmp 1b");
  q.memoryFile.chunk(0).set(code, 0);
  as.mapFile(CODE, 4096, 0, PROT_READ | PROT_EXEC);
  const cs = [q.newContext(), q.newContext()];
  for (const c of cs) {
    start(c);
    c.resume(as);
  }
  const n2 = N / 10;
  const t2 = performance.now();
  for (let done = 0; done < n2; done++) q.waitAny(-1).resume(as);
  report(
    "syscall round trip (2 ctx, waitAny spins)",
    (performance.now() - t2) / 1000,
    n2,
    "syscall",
  );
  for (const c of cs) c.interrupt();
  q.waitAny(-1);
  q.waitAny(-1);
  q.release();
}

// 2. Page-fault heavy: touch N/10 fresh pages; the Sentry maps each on its fault.
{
  const pages = Math.min(N / 10, 20000);
  const as = p.newAddressSpace();
  load(
    as,
    assemble(`
    movabs $0x200000000, %rbx
    mov $${pages}, %rcx
  1: movq %rcx, (%rbx)
    add $4096, %rbx
    dec %rcx
    jnz 1b
    mov $60, %eax
    syscall`),
  );
  const c = p.newContext();
  start(c);
  const base = alloc(pages);
  let faults = 0;
  const t0 = performance.now();
  for (;;) {
    const t = c.switch(as);
    if (t.kind !== "fault") break;
    faults++;
    as.mapFile(
      t.addr - (t.addr % 4096),
      4096,
      base + (t.addr - 0x200000000),
      PROT_READ | PROT_WRITE,
    );
  }
  report("page fault + mapFile (demand paging)", (performance.now() - t0) / 1000, faults, "fault");
  c.release();
  as.release();
}

// 3. Compute heavy: no traps at all; same loop natively.
{
  const loop = "1: imul %rcx, %rax\n add $7, %rax\n dec %rcx\n jnz 1b";
  const iters = 2e9;
  const as = p.newAddressSpace();
  load(as, assemble(`movabs $${iters}, %rcx\n${loop}\n mov $60, %eax\n syscall`));
  const c = p.newContext();
  start(c);
  const t0 = performance.now();
  const t = c.switch(as);
  const kvm = (performance.now() - t0) / 1000;
  if (t.kind !== "syscall") throw new Error(`compute: ${t.kind}`);
  const saved = N;
  const nat = (() => {
    const src = join(dir, "c.c");
    writeFileSync(
      src,
      `#include <stdio.h>
#include <time.h>
extern void f(long);
__asm__(".text\\nf:\\n mov %rdi, %rcx\\n xor %eax, %eax\\n${loop.replaceAll("\n", "\\n")}\\n ret\\n");
int main(void) { struct timespec a, b; clock_gettime(CLOCK_MONOTONIC, &a); f(${iters}L); clock_gettime(CLOCK_MONOTONIC, &b);
printf("%.9f\\n", (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9); return 0; }`,
    );
    execFileSync("gcc", ["-O2", "-o", join(dir, "c"), src]);
    return Number(execFileSync(join(dir, "c")).toString());
  })();
  void saved;
  console.log(
    `${"compute loop (2e9 iterations, no traps)".padEnd(44)} kvm ${kvm.toFixed(3)} s, native ${nat.toFixed(3)} s, ratio ${(kvm / nat).toFixed(3)}`,
  );
  c.release();
  as.release();
}

// 4. Translation flush: munmap of a page the program used, then the next switch.
{
  const as = p.newAddressSpace();
  load(as, assemble("1: mov (%rbx), %rax\n syscall\n jmp 1b"));
  const c = p.newContext();
  start(c);
  setReg(c.regs, 5 /* rbx */, 0x300000000);
  const off = alloc(1);
  const n = 2000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    as.mapFile(0x300000000, 4096, off, PROT_READ);
    c.switch(as);
    as.unmap(0x300000000, 4096);
  }
  report(
    "map + use + unmap (stale: rebuild each)",
    (performance.now() - t0) / 1000,
    n,
    "cycle",
    ` flushes=${p.flushes} rebuilds=${p.rebuilds}`,
  );
  // Control: the same switches with no unmap (no flush).
  as.mapFile(0x300000000, 4096, off, PROT_READ);
  const t1 = performance.now();
  for (let i = 0; i < n; i++) {
    setReg(c.regs, REG_RIP, CODE);
    c.switch(as);
  }
  report("  control: use only (no flush)", (performance.now() - t1) / 1000, n, "cycle");
  c.release();
  as.release();
}

p.release();
rmSync(dir, { recursive: true, force: true });
