import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  FPE_FLTDIV,
  FPE_INTDIV,
  ILL_ILLOPN,
  SI_KERNEL,
  SIGFPE,
  SIGILL,
  SIGSEGV,
  SIGTRAP,
  TRAP_TRACE,
} from "@tsvisor/abi";
import {
  type FaultTrap,
  PROT_READ,
  PROT_WRITE,
  REG_RIP,
  regU64,
  type SignalTrap,
  setReg,
} from "@tsvisor/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KvmPlatform, provider } from "../src/platform.js";
import { assemble, CODE_ADDR, FileAlloc, load } from "./guest.js";
import { kvmAvailable, start } from "./helpers.js";

/** Signal, si_code and whether si_addr is the faulting rip, as the host's Linux reports them. */
interface Native {
  signo: number;
  code: number;
  addrIsRip: boolean;
  addrIsZero: boolean;
}

/** Each case: setup instructions, then the instruction that traps (labelled in both runs). */
const CASES: Record<string, [string, string]> = {
  int3: ["", "int3"],
  ud2: ["", "ud2"],
  div0: ["xor %ecx, %ecx; xor %edx, %edx; mov $1, %eax", "div %ecx"],
  hlt: ["", "hlt"],
  int81: ["", "int $0x81"],
  inport: ["", "in $0xe0, %al"],
  outport: ["", "out %al, $0xc3"],
  outdx: ["mov $0xe0, %edx", "out %al, (%dx)"],
  outsb: ["mov $0xe0, %edx; mov %rsp, %rsi", "outsb"],
  noncanonical: ["movabs $0x8000000000000000, %rax", "mov (%rax), %eax"],
  // TF set by popf: the single-step trap comes after the next instruction.
  singlestep: ["pushf; orq $0x100, (%rsp); popf", "nop"],
  // SSE divide by zero with ZM unmasked: #XM, SIGFPE FPE_FLTDIV (last: it leaves MXCSR changed).
  simd: [
    "sub $8, %rsp; stmxcsr (%rsp); andl $~0x200, (%rsp); ldmxcsr (%rsp); add $8, %rsp; xorps %xmm1, %xmm1; mov $1, %eax; cvtsi2ss %eax, %xmm0",
    "divss %xmm1, %xmm0",
  ],
};

/** Cases that trap after their instruction (one byte long here). */
const TRAPS_AFTER = new Set(["int3", "singlestep"]);

/** Runs each case natively (the oracle) under a SIGTRAP/SIGILL/... handler. */
function nativeOracle(): Record<string, Native> {
  const dir = mkdtempSync(join(tmpdir(), "tsvisor-kvm-native-"));
  try {
    const body = Object.entries(CASES)
      .map(
        ([name, [setup, insn]]) => `
      if (!sigsetjmp(jb, 1)) { __asm__ volatile("${setup.replaceAll("%", "%%")}\\n.globl at_${name}\\nat_${name}: ${insn.replaceAll("%", "%%")}" ::: "rax", "rcx", "rdx", "memory"); }
      { extern char at_${name}[]; printf("%s %d %d %d %d\\n", "${name}", g_sig, g_code, g_addr == (void *)at_${name}, g_addr == 0); }`,
      )
      .join("\n");
    const src = `#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
static sigjmp_buf jb; static int g_sig, g_code; static void *g_addr;
static void h(int s, siginfo_t *si, void *u) { g_sig = s; g_code = si->si_code; g_addr = si->si_addr; siglongjmp(jb, 1); }
int main(void) {
  struct sigaction sa = {0}; sa.sa_sigaction = h; sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  for (int s = 1; s < 32; s++) sigaction(s, &sa, 0);
  ${body}
  return 0;
}`;
    writeFileSync(join(dir, "t.c"), src);
    execFileSync("gcc", ["-O0", "-o", join(dir, "t"), join(dir, "t.c")]);
    const out = execFileSync(join(dir, "t")).toString();
    const r: Record<string, Native> = {};
    for (const line of out.trim().split("\n")) {
      const [name, sig, code, isRip, isZero] = line.split(" ");
      r[name!] = {
        signo: +sig!,
        code: +code!,
        addrIsRip: isRip === "1",
        addrIsZero: isZero === "1",
      };
    }
    return r;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!kvmAvailable)("kvm traps", () => {
  let p: KvmPlatform;
  let files: FileAlloc;
  let oracle: Record<string, Native>;
  beforeAll(() => {
    p = provider.create({ memoryFileSize: 256 * 1024 * 1024 }) as KvmPlatform;
    files = new FileAlloc(p);
    oracle = nativeOracle();
  });
  afterAll(() => p?.release());

  it("the oracle ran every case natively", () => {
    expect(Object.keys(oracle).sort()).toEqual(Object.keys(CASES).sort());
    expect(oracle.int3).toEqual({
      signo: SIGTRAP,
      code: SI_KERNEL,
      addrIsRip: false,
      addrIsZero: true,
    });
    expect(oracle.ud2).toMatchObject({ signo: SIGILL, code: ILL_ILLOPN, addrIsRip: true });
    expect(oracle.div0).toMatchObject({ signo: SIGFPE, code: FPE_INTDIV, addrIsRip: true });
    expect(oracle.hlt).toMatchObject({ signo: SIGSEGV, code: SI_KERNEL, addrIsZero: true });
    expect(oracle.simd).toMatchObject({ signo: SIGFPE, code: FPE_FLTDIV, addrIsRip: true });
    expect(oracle.singlestep).toMatchObject({ signo: SIGTRAP, code: TRAP_TRACE });
  });

  for (const name of Object.keys(CASES)) {
    it(`${name} gives the signal, si_code and si_addr Linux gives`, () => {
      const [setup, insn] = CASES[name]!;
      const at = CODE_ADDR + (setup === "" ? 0 : assemble(setup).length);
      const code = assemble(`${setup}\n${insn}\nud2`);
      const as = p.newAddressSpace();
      load(as, files, code);
      const c = p.newContext();
      start(c, CODE_ADDR);
      const t = c.switch(as) as SignalTrap;
      const want = oracle[name]!;
      expect(t.kind).toBe("signal");
      expect({ signo: t.signo, code: t.code }).toEqual({ signo: want.signo, code: want.code });
      if (want.addrIsRip) expect(t.addr).toBe(at);
      if (want.addrIsZero) expect(t.addr).toBe(0);
      // Faults leave rip at the instruction; int3 (a trap) leaves it after.
      expect(regU64(c.regs, REG_RIP)).toBe(TRAPS_AFTER.has(name) ? at + 1 : at);
      if (name === "singlestep") expect(t.addr).toBe(at + 1); // si_addr = rip after the step
      c.release();
      as.release();
    });
  }

  it("int $0x80 traps (PVM delivers it as #UD; bare metal as #GP) instead of reaching the host", () => {
    const code = assemble("mov $20, %eax\nint $0x80\nud2");
    const as = p.newAddressSpace();
    load(as, files, code);
    const c = p.newContext();
    start(c, CODE_ADDR);
    const t = c.switch(as) as SignalTrap;
    expect(t.kind).toBe("signal");
    expect([SIGILL, SIGSEGV]).toContain(t.signo);
    expect(regU64(c.regs, REG_RIP)).toBe(CODE_ADDR + 5);
    c.release();
    as.release();
  });

  it("a non-canonical rip set by the kernel gives SIGSEGV with the registers unchanged", () => {
    const as = p.newAddressSpace();
    load(as, files, assemble("ud2"));
    const c = p.newContext();
    start(c, CODE_ADDR);
    setReg(c.regs, REG_RIP, 0x800000000000);
    const t = c.switch(as) as SignalTrap;
    expect(t.kind).toBe("signal");
    expect(t.signo).toBe(SIGSEGV);
    expect(regU64(c.regs, REG_RIP)).toBe(0x800000000000);
    // And the context still works.
    start(c, CODE_ADDR);
    expect((c.switch(as) as SignalTrap).signo).toBe(SIGILL);
    c.release();
    as.release();
  });

  it("executing a non-executable page is an exec fault at that address", () => {
    const code = assemble("movabs $0x20000000, %rax\njmp *%rax");
    const as = p.newAddressSpace();
    load(as, files, code);
    const off = files.alloc(1);
    files.write(off, new Uint8Array([0x0f, 0x05]));
    as.mapFile(0x20000000, 4096, off, PROT_READ | PROT_WRITE);
    const c = p.newContext();
    start(c, CODE_ADDR);
    const t = c.switch(as) as FaultTrap;
    expect(t.kind).toBe("fault");
    expect(t.access).toBe("exec");
    expect(t.addr).toBe(0x20000000);
    expect(t.present).toBe(true);
    expect(regU64(c.regs, REG_RIP)).toBe(0x20000000);
    c.release();
    as.release();
  });

  it("a PROT_NONE page faults as present (mapped but forbidden), a kernel address as not present", () => {
    const code = assemble("movabs $0x30000000, %rax\nmov (%rax), %rax\nud2");
    const as = p.newAddressSpace();
    load(as, files, code);
    as.mapFile(0x30000000, 4096, files.alloc(1), 0);
    const c = p.newContext();
    start(c, CODE_ADDR);
    const t = c.switch(as) as FaultTrap;
    expect(t.kind).toBe("fault");
    expect(t.present).toBe(true);
    expect(t.access).toBe("read");
    c.release();
    as.release();

    const code2 = assemble("movabs $0xffffff8000001000, %rax\nmovq $1, (%rax)\nud2");
    const as2 = p.newAddressSpace();
    load(as2, files, code2);
    const c2 = p.newContext();
    start(c2, CODE_ADDR);
    const t2 = c2.switch(as2) as FaultTrap;
    expect(t2.kind).toBe("fault");
    expect(t2.access).toBe("write");
    expect(t2.present).toBe(false);
    expect(t2.addr).toBe(Number(0xffffff8000001000n));
    c2.release();
    as2.release();
  });
});
