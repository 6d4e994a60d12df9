import {
  PROT_READ,
  PROT_WRITE,
  REG_FS_BASE,
  REG_RAX,
  REG_RCX,
  REG_RIP,
  regBig,
  regU64,
  setReg,
} from "@tsvisor/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KvmContext } from "../src/context.js";
import { type KvmPlatform, provider } from "../src/platform.js";
import { assemble, CODE_ADDR, FileAlloc, load } from "./guest.js";
import { kvmAvailable, start } from "./helpers.js";

const DATA = 0x10000000;
const FX_XMM0 = 160;

describe.skipIf(!kvmAvailable)("kvm contexts", () => {
  let p: KvmPlatform;
  let files: FileAlloc;
  beforeAll(() => {
    p = provider.create({ memoryFileSize: 256 * 1024 * 1024 }) as KvmPlatform;
    files = new FileAlloc(p);
  });
  afterAll(() => p?.release());

  it("round-trips FP/SSE/AVX state through XSAVE images, per context", () => {
    const code = assemble(`
      movq %xmm0, %rax
      syscall
      mov $0x5555, %rcx
      movq %rcx, %xmm1
      vpcmpeqd %ymm2, %ymm2, %ymm2
      syscall
    `);
    const as = p.newAddressSpace();
    load(as, files, code);
    const size = p.capabilities.fpStateSize;
    expect(size).toBeGreaterThanOrEqual(832); // x87 + SSE + AVX here
    const cs: KvmContext[] = [p.newContext(), p.newContext()];
    for (const [i, c] of cs.entries()) {
      const fp = c.getFPState();
      expect(fp.length).toBe(size);
      const img = fp.slice();
      const dv = new DataView(img.buffer);
      dv.setBigUint64(FX_XMM0, BigInt(0x1234 + i), true);
      // XSTATE_BV must say the SSE component is live, or XRSTOR loads its init state.
      dv.setBigUint64(512, dv.getBigUint64(512, true) | 2n, true);
      c.setFPState(img);
    }
    for (const [i, c] of cs.entries()) {
      start(c, CODE_ADDR);
      expect(c.switch(as).kind).toBe("syscall");
      expect(regU64(c.regs, REG_RAX)).toBe(0x1234 + i);
    }
    const c = cs[0]!;
    expect(c.switch(as).kind).toBe("syscall");
    const fp = c.getFPState();
    const dv = new DataView(fp.buffer, fp.byteOffset, fp.length);
    expect(dv.getBigUint64(FX_XMM0 + 16, true)).toBe(0x5555n);
    // XSTATE_BV has the AVX bit, and YMM2's upper half (component 2 at 576) is all ones.
    expect(dv.getBigUint64(512, true) & 4n).toBe(4n);
    expect(dv.getBigUint64(576 + 2 * 16, true)).toBe(0xffffffffffffffffn);
    // The other context's registers are its own.
    const other = cs[1]!.getFPState();
    expect(new DataView(other.buffer, other.byteOffset).getBigUint64(FX_XMM0 + 16, true)).toBe(0n);
    for (const x of cs) x.release();
    as.release();
  });

  it("sets fs_base from regs (reads through %fs see it, and changes to it)", () => {
    const code = assemble("mov %fs:0, %rax\nsyscall\nmov %fs:0, %rax\nsyscall");
    const as = p.newAddressSpace();
    load(as, files, code);
    const off = files.alloc(1);
    files.view(off, 16).setBigUint64(0, 77n, true);
    files.view(off, 16).setBigUint64(8, 88n, true);
    as.mapFile(DATA, 4096, off, PROT_READ | PROT_WRITE);
    const c = p.newContext();
    start(c, CODE_ADDR);
    setReg(c.regs, REG_FS_BASE, DATA);
    expect(c.switch(as).kind).toBe("syscall");
    expect(regU64(c.regs, REG_RAX)).toBe(77);
    expect(regU64(c.regs, REG_FS_BASE)).toBe(DATA);
    setReg(c.regs, REG_FS_BASE, DATA + 8);
    expect(c.switch(as).kind).toBe("syscall");
    expect(regU64(c.regs, REG_RAX)).toBe(88);
    c.release();
    as.release();
  });

  it("interrupts a spinning program after switch's timeout, with its state intact", () => {
    const code = assemble("1: dec %rcx\njnz 1b\nsyscall");
    const as = p.newAddressSpace();
    load(as, files, code);
    const c = p.newContext();
    start(c, CODE_ADDR);
    setReg(c.regs, REG_RCX, 2 ** 52);
    const t0 = performance.now();
    expect(c.switch(as, 50).kind).toBe("interrupted");
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
    const left = regU64(c.regs, REG_RCX);
    expect(left).toBeLessThan(2 ** 52);
    expect(left).toBeGreaterThan(0);
    expect(regU64(c.regs, REG_RIP)).toBeLessThan(CODE_ADDR + 5);
    setReg(c.regs, REG_RCX, 3);
    expect(c.switch(as).kind).toBe("syscall");
    expect(regU64(c.regs, REG_RCX)).toBe(regU64(c.regs, REG_RIP)); // rcx = rip after syscall
    // An interrupt while the context is idle is a no-op.
    c.interrupt();
    setReg(c.regs, REG_RIP, CODE_ADDR + 5);
    expect(c.switch(as).kind).toBe("syscall");
    c.release();
    as.release();
  });

  it("waitAny times out while contexts spin, and interrupt() stops each", () => {
    const code = assemble("1: jmp 1b");
    const as = p.newAddressSpace();
    load(as, files, code);
    // One resumed context runs on the calling thread.
    const solo = p.newContext();
    start(solo, CODE_ADDR);
    solo.resume(as);
    expect(p.waitAny(30)).toBeNull();
    solo.interrupt(); // resumed, not running: taken by its next run
    expect(p.waitAny(-1)).toBe(solo);
    expect(solo.trap.kind).toBe("interrupted");
    // Two run on their own threads.
    const cs = [p.newContext(), p.newContext()];
    for (const c of cs) {
      start(c, CODE_ADDR);
      c.resume(as);
    }
    expect(p.waitAny(50)).toBeNull();
    for (const c of cs) c.interrupt();
    const got = new Set([p.waitAny(2000), p.waitAny(2000)]);
    expect(got).toEqual(new Set(cs));
    for (const c of cs) expect(c.trap.kind).toBe("interrupted");
    expect(() => p.waitAny(0)).toThrow();
    for (const c of [solo, ...cs]) c.release();
    as.release();
  });

  it("runs contexts in parallel on their own threads, each with its own registers", () => {
    // Each program counts its syscalls in r12 and expects rax = r12 + 1 back.
    const code = assemble(`
      xor %r12d, %r12d
    1:
      mov %r12, %rax
      syscall
      lea 1(%r12), %rdx
      cmp %rdx, %rax
      jne 2f
      mov %rax, %r12
      jmp 1b
    2:
      ud2
    `);
    const as = p.newAddressSpace();
    load(as, files, code);
    const n = 4;
    const per = 200;
    const cs = Array.from({ length: n }, () => p.newContext());
    const count = new Map<KvmContext, number>();
    for (const c of cs) {
      start(c, CODE_ADDR);
      count.set(c, 0);
      c.resume(as);
    }
    let live = n;
    while (live > 0) {
      const c = p.waitAny(5000);
      expect(c).not.toBeNull();
      if (c === null) break;
      expect(c.trap.kind).toBe("syscall");
      const k = count.get(c)! + 1;
      count.set(c, k);
      expect(regU64(c.regs, REG_RAX)).toBe(k - 1);
      setReg(c.regs, REG_RAX, k);
      if (k < per) c.resume(as);
      else live--;
    }
    for (const c of cs) expect(count.get(c)).toBe(per);
    for (const c of cs) c.release();
    as.release();
  });

  it("never loses or invents traps when interrupts race with syscalls and timeouts", () => {
    // r12 counts syscalls; the Sentry answers each with rax = r12 + 1 and checks it.
    const code = assemble(`
      xor %r12d, %r12d
    1:
      mov %r12, %rax
      syscall
      lea 1(%r12), %rdx
      cmp %rdx, %rax
      jne 2f
      mov %rax, %r12
      mov $200, %ecx
    3: dec %ecx
      jnz 3b
      jmp 1b
    2:
      ud2
    `);
    const as = p.newAddressSpace();
    load(as, files, code);
    const c = p.newContext();
    start(c, CODE_ADDR);
    let calls = 0;
    let interrupts = 0;
    const answer = () => {
      expect(regU64(c.regs, REG_RAX)).toBe(calls);
      calls++;
      setReg(c.regs, REG_RAX, calls);
    };
    // switch with 0 and 1 ms timeouts, back to back.
    for (let i = 0; i < 300; i++) {
      const t = c.switch(as, i % 3 === 0 ? 0 : 1);
      if (t.kind === "syscall") answer();
      else {
        expect(t.kind).toBe("interrupted");
        interrupts++;
      }
    }
    // resume + interrupt() at once, racing the next syscall.
    for (let i = 0; i < 100; i++) {
      c.resume(as);
      if (i % 2 === 0) c.interrupt();
      const got = p.waitAny(5000);
      expect(got).toBe(c);
      if (c.trap.kind === "syscall") answer();
      else {
        expect(c.trap.kind).toBe("interrupted");
        interrupts++;
      }
    }
    expect(calls).toBeGreaterThan(0);
    expect(interrupts).toBeGreaterThan(0);
    c.release();
    as.release();
  });

  it("creates many contexts and reuses released vCPUs", () => {
    const code = assemble("mov %rdi, %rax\nsyscall");
    const as = p.newAddressSpace();
    load(as, files, code);
    const n = 100;
    const counts: number[] = [];
    for (let round = 0; round < 2; round++) {
      const cs = Array.from({ length: n }, () => p.newContext());
      for (const [i, c] of cs.entries()) {
        start(c, CODE_ADDR);
        setReg(c.regs, 14 /* rdi */, i * 3 + round);
        expect(c.switch(as).kind).toBe("syscall");
      }
      for (const [i, c] of cs.entries())
        expect(regBig(c.regs, REG_RAX)).toBe(BigInt(i * 3 + round));
      for (const c of cs) c.release();
      counts.push(p.vcpuCount);
    }
    expect(counts[0]).toBeGreaterThanOrEqual(n);
    expect(counts[1]).toBe(counts[0]); // the second round took only pooled vCPUs
    // A reused vCPU starts with fresh FP state.
    const c = p.newContext();
    const fp = c.getFPState();
    expect(new DataView(fp.buffer, fp.byteOffset).getUint32(24, true)).toBe(0x1f80); // MXCSR reset value
    c.release();
    as.release();
  });

  it("refuses to switch, resume or release a context that is running on its thread", () => {
    const as = p.newAddressSpace();
    load(as, files, assemble("1: jmp 1b"));
    const c = p.newContext();
    start(c, CODE_ADDR);
    c.resume(as);
    expect(() => c.switch(as)).toThrow(/running/);
    expect(() => c.resume(as)).toThrow(/running/);
    expect(() => c.release()).toThrow(/running/);
    c.interrupt();
    expect(p.waitAny(5000)).toBe(c);
    c.release();
    as.release();
  });

  it("refuses use after release", () => {
    const q = provider.create({ memoryFileSize: 64 * 1024 * 1024 });
    const as = q.newAddressSpace();
    const c = q.newContext();
    q.release();
    expect(() => q.newContext()).toThrow();
    expect(() => c.switch(as)).toThrow();
    q.release(); // idempotent
  });
});
