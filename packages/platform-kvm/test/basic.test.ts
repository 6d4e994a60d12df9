import {
  type FaultTrap,
  PROT_READ,
  PROT_WRITE,
  REG_EFLAGS,
  REG_ORIG_RAX,
  REG_R8,
  REG_R9,
  REG_R10,
  REG_R11,
  REG_RAX,
  REG_RCX,
  REG_RDI,
  REG_RDX,
  REG_RIP,
  REG_RSI,
  regBig,
  regU64,
  setReg,
} from "@tsvisor/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KvmPlatform, provider } from "../src/platform.js";
import { assemble, CODE_ADDR, FileAlloc, load } from "./guest.js";
import { kvmAvailable, start, syscallEnd } from "./helpers.js";

describe.skipIf(!kvmAvailable)("kvm platform basics", () => {
  let p: KvmPlatform;
  let files: FileAlloc;
  beforeAll(() => {
    p = provider.create({ memoryFileSize: 256 * 1024 * 1024 }) as KvmPlatform;
    files = new FileAlloc(p);
  });
  afterAll(() => p?.release());

  it("traps a syscall with six arguments and the Linux register conventions", () => {
    const code = assemble(`
      mov $39, %eax
      mov $1, %rdi
      mov $2, %rsi
      mov $3, %rdx
      mov $4, %r10
      mov $5, %r8
      mov $6, %r9
      syscall
    after:
      mov %rax, %rdi
      mov $60, %eax
      syscall
      ud2
    `);
    const as = p.newAddressSpace();
    load(as, files, code);
    const c = p.newContext();
    start(c, CODE_ADDR);
    const t = c.switch(as);
    expect(t.kind).toBe("syscall");
    expect(regU64(c.regs, REG_ORIG_RAX)).toBe(39);
    expect(
      [REG_RDI, REG_RSI, REG_RDX, REG_R10, REG_R8, REG_R9].map((r) => regU64(c.regs, r)),
    ).toEqual([1, 2, 3, 4, 5, 6]);
    const rip = regU64(c.regs, REG_RIP);
    // rip is just after the first `syscall` (0f 05).
    expect(rip).toBe(CODE_ADDR + syscallEnd(code, 0));
    expect(regU64(c.regs, REG_RCX)).toBe(rip);
    expect(regU64(c.regs, REG_R11)).toBe(regU64(c.regs, REG_EFLAGS));
    setReg(c.regs, REG_RAX, 4242);
    const t2 = c.switch(as);
    expect(t2.kind).toBe("syscall");
    expect(regU64(c.regs, REG_ORIG_RAX)).toBe(60);
    expect(regU64(c.regs, REG_RDI)).toBe(4242);
    expect(regU64(c.regs, REG_RIP)).toBe(CODE_ADDR + syscallEnd(code, rip - CODE_ADDR));
    c.release();
    as.release();
  });

  it("reports a read of an unmapped page as a not-present read fault, and retries it once mapped", () => {
    const code = assemble(`
      movabs $0x10000000, %rbx
      mov (%rbx), %rax
      mov $1, %edi
      syscall
    `);
    const as = p.newAddressSpace();
    load(as, files, code);
    const c = p.newContext();
    start(c, CODE_ADDR);
    const t = c.switch(as) as FaultTrap;
    expect(t.kind).toBe("fault");
    expect(t.addr).toBe(0x10000000);
    expect(t.access).toBe("read");
    expect(t.present).toBe(false);
    expect(t.signo).toBe(11);
    expect(regU64(c.regs, REG_RIP)).toBe(CODE_ADDR + 10);
    const off = files.alloc(1);
    files.view(off, 8).setBigUint64(0, 0x1122334455667788n, true);
    expect(as.mapFile(0x10000000, 4096, off, PROT_READ)).toBe(0);
    const t2 = c.switch(as);
    expect(t2.kind).toBe("syscall");
    expect(regBig(c.regs, REG_RAX)).toBe(0x1122334455667788n);
    c.release();
    as.release();
  });

  it("reports a write to a read-only page as a present write fault", () => {
    const code = assemble(`
      movabs $0x10000000, %rbx
      movq $7, (%rbx)
      syscall
    `);
    const as = p.newAddressSpace();
    load(as, files, code);
    const off = files.alloc(1);
    as.mapFile(0x10000000, 4096, off, PROT_READ);
    const c = p.newContext();
    start(c, CODE_ADDR);
    const t = c.switch(as) as FaultTrap;
    expect(t.kind).toBe("fault");
    expect(t.addr).toBe(0x10000000);
    expect(t.access).toBe("write");
    expect(t.present).toBe(true);
    expect(as.protect(0x10000000, 4096, PROT_READ | PROT_WRITE)).toBe(0);
    expect(c.switch(as).kind).toBe("syscall");
    expect(files.view(off, 8).getBigUint64(0, true)).toBe(7n);
    c.release();
    as.release();
  });
});
