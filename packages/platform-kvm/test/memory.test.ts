import {
  type FaultTrap,
  PROT_READ,
  PROT_WRITE,
  REG_RAX,
  REG_RBX,
  REG_RIP,
  regU64,
  setReg,
} from "@tsvisor/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KvmPlatform, provider } from "../src/platform.js";
import { assemble, CODE_ADDR, FileAlloc, load } from "./guest.js";
import { kvmAvailable, start } from "./helpers.js";

const DATA = 0x10000000;

/**
 * A program that forever loads the word at `rbx` into rax and reports it
 * with a syscall, then stores rax+1 back to `rbx+8` and reports again.
 */
const PROBE = `
loop:
  mov (%rbx), %rax
  syscall
  mov %rax, 8(%rbx)
  syscall
  jmp loop
`;

describe.skipIf(!kvmAvailable)("kvm address spaces", () => {
  let p: KvmPlatform;
  let files: FileAlloc;
  beforeAll(() => {
    p = provider.create({ memoryFileSize: 256 * 1024 * 1024 }) as KvmPlatform;
    files = new FileAlloc(p);
  });
  afterAll(() => p?.release());

  it("makes unmap, remap and protect of a page the program has used visible to it", () => {
    const code = assemble(PROBE);
    const as = p.newAddressSpace();
    load(as, files, code);
    const a = files.alloc(1);
    const b = files.alloc(1);
    files.view(a, 8).setBigUint64(0, 111n, true);
    files.view(b, 8).setBigUint64(0, 222n, true);
    expect(as.mapFile(DATA, 4096, a, PROT_READ | PROT_WRITE)).toBe(0);
    const c = p.newContext();
    start(c, CODE_ADDR);
    setReg(c.regs, REG_RBX, DATA);
    const loopRip = CODE_ADDR;

    // Read and write through the mapping: the guest has used (and cached) it.
    expect(c.switch(as).kind).toBe("syscall");
    expect(regU64(c.regs, REG_RAX)).toBe(111);
    setReg(c.regs, REG_RAX, 5);
    expect(c.switch(as).kind).toBe("syscall");
    expect(files.view(a, 16).getBigUint64(8, true)).toBe(5n);

    // Retarget the page to another offset: the next load sees the new page
    // (the address space gets fresh page tables: no VM-wide flush).
    const flushes = p.flushes;
    const rebuilds = p.rebuilds;
    expect(as.mapFile(DATA, 4096, b, PROT_READ | PROT_WRITE)).toBe(0);
    setReg(c.regs, REG_RIP, loopRip);
    expect(c.switch(as).kind).toBe("syscall");
    expect(regU64(c.regs, REG_RAX)).toBe(222);
    expect(p.flushes).toBe(flushes);
    expect(p.rebuilds).toBe(rebuilds + 1);

    // Write-protect it: the store faults as a present write.
    expect(as.protect(DATA, 4096, PROT_READ)).toBe(0);
    setReg(c.regs, REG_RAX, 9);
    const t = c.switch(as) as FaultTrap;
    expect(t.kind).toBe("fault");
    expect(t.access).toBe("write");
    expect(t.present).toBe(true);
    expect(t.addr).toBe(DATA + 8);

    // Unmap it: the load faults as not present.
    expect(as.unmap(DATA, 4096)).toBe(0);
    setReg(c.regs, REG_RIP, loopRip);
    const t2 = c.switch(as) as FaultTrap;
    expect(t2.kind).toBe("fault");
    expect(t2.access).toBe("read");
    expect(t2.present).toBe(false);
    expect(t2.addr).toBe(DATA);

    // Map it back (a not-present -> present edit): the load succeeds.
    expect(as.mapFile(DATA, 4096, a, PROT_READ)).toBe(0);
    expect(c.switch(as).kind).toBe("syscall");
    expect(regU64(c.regs, REG_RAX)).toBe(111);
    c.release();
    as.release();
  });

  it("flushes (or rebuilds) only before running an address space with stale translations", () => {
    const code = assemble(PROBE);
    const as1 = p.newAddressSpace();
    const as2 = p.newAddressSpace();
    load(as1, files, code);
    load(as2, files, code);
    const a = files.alloc(1);
    files.view(a, 8).setBigUint64(0, 5n, true);
    as1.mapFile(DATA, 4096, a, PROT_READ | PROT_WRITE);
    as2.mapFile(DATA, 4096, a, PROT_READ | PROT_WRITE);
    const c = p.newContext();
    const run = (as: typeof as1) => {
      start(c, CODE_ADDR);
      setReg(c.regs, REG_RBX, DATA);
      return c.switch(as);
    };
    expect(run(as1).kind).toBe("syscall");
    expect(run(as2).kind).toBe("syscall");
    const f0 = p.flushes + p.rebuilds;
    expect(as1.unmap(DATA, 4096)).toBe(0);
    expect(run(as2).kind).toBe("syscall"); // as2 is not stale: no flush
    expect(p.flushes + p.rebuilds).toBe(f0);
    expect(run(as1).kind).toBe("fault"); // as1 is: flushed first, and the unmap is seen
    expect(p.flushes + p.rebuilds).toBe(f0 + 1);
    // An address space released while stale never causes a flush.
    expect(as2.unmap(DATA, 4096)).toBe(0);
    as2.release();
    expect(run(as1).kind).toBe("fault");
    expect(p.flushes + p.rebuilds).toBe(f0 + 1);
    c.release();
    as1.release();
  });

  it("rebuilt page tables are seen by every vCPU that ran the address space before", () => {
    const code = assemble(PROBE);
    const as = p.newAddressSpace();
    load(as, files, code);
    as.mapFile(DATA, 4096, files.alloc(1), PROT_READ | PROT_WRITE);
    const cs = [p.newContext(), p.newContext()];
    for (const c of cs) {
      start(c, CODE_ADDR);
      setReg(c.regs, REG_RBX, DATA);
      expect(c.switch(as).kind).toBe("syscall");
    }
    const r0 = p.rebuilds;
    expect(as.unmap(DATA, 4096)).toBe(0);
    for (const c of cs) {
      start(c, CODE_ADDR);
      setReg(c.regs, REG_RBX, DATA);
      expect(c.switch(as).kind).toBe("fault");
    }
    expect(p.rebuilds).toBe(r0 + 1);
    // The same through resume (the rebuild happens as the context starts).
    as.mapFile(DATA, 4096, files.alloc(1), PROT_READ);
    for (const c of cs) {
      start(c, CODE_ADDR);
      setReg(c.regs, REG_RBX, DATA);
      expect(c.switch(as).kind).toBe("syscall");
    }
    expect(as.unmap(DATA, 4096)).toBe(0);
    for (const c of cs) {
      start(c, CODE_ADDR);
      setReg(c.regs, REG_RBX, DATA);
      c.resume(as);
      expect(p.waitAny(5000)).toBe(c);
      expect(c.trap.kind).toBe("fault");
    }
    expect(p.rebuilds).toBe(r0 + 2);
    for (const c of cs) c.release();
    as.release();
  });

  it("falls back to a VM-wide flush for a large stale address space", () => {
    const code = assemble(PROBE);
    const as = p.newAddressSpace();
    load(as, files, code);
    const page = files.alloc(1);
    // 300 mappings 2 MiB apart: one page table each.
    for (let i = 0; i < 300; i++)
      as.mapFile(0x40000000 + i * 2 * 1024 * 1024, 4096, page, PROT_READ);
    const c = p.newContext();
    start(c, CODE_ADDR);
    setReg(c.regs, REG_RBX, 0x40000000);
    expect(c.switch(as).kind).toBe("syscall");
    const f0 = p.flushes;
    const r0 = p.rebuilds;
    expect(as.unmap(0x40000000, 4096)).toBe(0);
    start(c, CODE_ADDR);
    setReg(c.regs, REG_RBX, 0x40000000);
    expect(c.switch(as).kind).toBe("fault");
    expect(p.flushes).toBe(f0 + 1);
    expect(p.rebuilds).toBe(r0);
    c.release();
    as.release();
  });

  it("keeps two address spaces apart: the same address maps different pages", () => {
    const code = assemble(PROBE);
    const as1 = p.newAddressSpace();
    const as2 = p.newAddressSpace();
    const codeOff = files.alloc(1);
    files.write(codeOff, code);
    const a = files.alloc(1);
    const b = files.alloc(1);
    files.view(a, 8).setBigUint64(0, 1n, true);
    files.view(b, 8).setBigUint64(0, 2n, true);
    for (const [as, off] of [
      [as1, a],
      [as2, b],
    ] as const) {
      as.mapFile(CODE_ADDR, 4096, codeOff, PROT_READ | 4);
      as.mapFile(DATA, 4096, off, PROT_READ | PROT_WRITE);
    }
    const c = p.newContext();
    for (let i = 0; i < 4; i++) {
      for (const [as, want] of [
        [as1, 1],
        [as2, 2],
      ] as const) {
        start(c, CODE_ADDR);
        setReg(c.regs, REG_RBX, DATA);
        expect(c.switch(as).kind).toBe("syscall");
        expect(regU64(c.regs, REG_RAX)).toBe(want);
      }
    }
    // A page mapped only in as2 faults in as1.
    as2.mapFile(DATA + 4096, 4096, files.alloc(1), PROT_READ);
    start(c, CODE_ADDR);
    setReg(c.regs, REG_RBX, DATA + 4096);
    expect(c.switch(as1).kind).toBe("fault");
    start(c, CODE_ADDR);
    setReg(c.regs, REG_RBX, DATA + 4096);
    expect(c.switch(as2).kind).toBe("syscall");
    c.release();
    as1.release();
    as2.release();
  });

  it("maps large ranges across page-table boundaries, and release frees the tables", () => {
    const before = p.mem.pagesInUse;
    const as = p.newAddressSpace();
    const len = 8 * 1024 * 1024;
    const off = files.alloc(len / 4096);
    const base = 0x7f0000000000 - 3 * 4096; // straddles a 512 GiB (PML4) boundary
    expect(as.mapFile(base, len, off, PROT_READ)).toBe(0);
    expect(p.mem.pagesInUse).toBeGreaterThan(before + 4);
    const code = assemble("mov (%rbx), %rax\nsyscall");
    load(as, files, code);
    const c = p.newContext();
    for (const probe of [base, base + 4096 * 3, base + len - 8]) {
      const o = off + (probe - base);
      files.view(o - (o % 8), 8).setBigUint64(0, BigInt(probe), true);
      start(c, CODE_ADDR);
      setReg(c.regs, REG_RBX, probe - (probe % 8));
      expect(c.switch(as).kind).toBe("syscall");
      expect(regU64(c.regs, REG_RAX)).toBe(probe);
    }
    c.release();
    as.release();
    expect(p.mem.pagesInUse).toBe(before);
  });

  it("makes unmap and protect visible to a program running on another thread at that moment", () => {
    const code = assemble("1: mov (%rbx), %rax\nmovq $1, 8(%rbx)\njmp 1b");
    const as = p.newAddressSpace();
    load(as, files, code);
    as.mapFile(DATA, 4096, files.alloc(1), PROT_READ | PROT_WRITE);
    const c = p.newContext();
    start(c, CODE_ADDR);
    setReg(c.regs, REG_RBX, DATA);
    c.resume(as);
    expect(p.waitAny(30)).toBeNull(); // spinning on the page
    expect(as.protect(DATA, 4096, PROT_READ)).toBe(0);
    expect(p.waitAny(5000)).toBe(c);
    const t = c.trap as FaultTrap;
    expect(t.kind).toBe("fault");
    expect(t.access).toBe("write");
    expect(t.addr).toBe(DATA + 8);
    as.protect(DATA, 4096, PROT_READ | PROT_WRITE);
    c.resume(as);
    expect(p.waitAny(30)).toBeNull();
    expect(as.unmap(DATA, 4096)).toBe(0);
    expect(p.waitAny(5000)).toBe(c);
    const t2 = c.trap as FaultTrap;
    expect(t2.kind).toBe("fault");
    expect(t2.present).toBe(false);
    expect(t2.addr === DATA || t2.addr === DATA + 8).toBe(true);
    c.release();
    as.release();
  });

  it("reads decommitted memory-file pages as zeros", () => {
    const code = assemble("mov (%rbx), %rax\nsyscall\nmov (%rbx), %rax\nsyscall");
    const as = p.newAddressSpace();
    load(as, files, code);
    const off = files.alloc(1);
    files.view(off, 8).setBigUint64(0, 99n, true);
    as.mapFile(DATA, 4096, off, PROT_READ);
    const c = p.newContext();
    start(c, CODE_ADDR);
    setReg(c.regs, REG_RBX, DATA);
    expect(c.switch(as).kind).toBe("syscall");
    expect(regU64(c.regs, REG_RAX)).toBe(99);
    p.memoryFile.decommit(off, 4096);
    expect(files.view(off, 8).getBigUint64(0, true)).toBe(0n);
    expect(c.switch(as).kind).toBe("syscall");
    expect(regU64(c.regs, REG_RAX)).toBe(0);
    c.release();
    as.release();
  });

  it("gives each address space its own exception and IRET frame pages", () => {
    const userPercpu = (id: number, off: number) =>
      Number(0xffffff0000000000n + BigInt(id * 0x4000 + off));
    const code = assemble("movq $1, (%rbx)\nud2");
    const as1 = p.newAddressSpace();
    const as2 = p.newAddressSpace();
    load(as1, files, code);
    load(as2, files, code);
    const c1 = p.newContext();
    const c2 = p.newContext();
    // c1 takes an exception in as1: its IST page there holds the frame.
    start(c1, CODE_ADDR + 7);
    expect(c1.switch(as1).kind).toBe("signal");
    // c2 in as2 cannot write c1's IST page: as2 does not map it.
    start(c2, CODE_ADDR);
    setReg(c2.regs, REG_RBX, userPercpu(c1.vcpu.id, 0x1ff8));
    const t = c2.switch(as2) as FaultTrap;
    expect(t.kind).toBe("fault");
    expect(t.addr).toBe(userPercpu(c1.vcpu.id, 0x1ff8));
    // Its own IRET frame page is read-only to it.
    start(c2, CODE_ADDR);
    setReg(c2.regs, REG_RBX, userPercpu(c2.vcpu.id, 0x2000));
    const t2 = c2.switch(as2) as FaultTrap;
    expect(t2.kind).toBe("fault");
    expect(t2.access).toBe("write");
    c1.release();
    c2.release();
    as1.release();
    as2.release();
  });

  it("maps memory-file offsets beyond the first GiB, across the memslot boundary between chunks", () => {
    const q = provider.create({ memoryFileSize: 4 * 1024 * 1024 * 1024 }) as KvmPlatform;
    try {
      expect(q.memoryFile.chunkSize).toBe(1024 * 1024 * 1024);
      const qf = new FileAlloc(q);
      const as = q.newAddressSpace();
      load(as, qf, assemble("mov (%rbx), %rax\nsyscall\nmov 4096(%rbx), %rax\nsyscall"));
      // Two pages: the last of chunk 2 and the first of chunk 3.
      const off = 3 * 1024 * 1024 * 1024 - 4096;
      qf.view(off, 8).setBigUint64(0, 31n, true);
      qf.view(off + 4096, 8).setBigUint64(0, 32n, true);
      expect(as.mapFile(DATA, 8192, off, PROT_READ)).toBe(0);
      const c = q.newContext();
      start(c, CODE_ADDR);
      setReg(c.regs, REG_RBX, DATA);
      expect(c.switch(as).kind).toBe("syscall");
      expect(regU64(c.regs, REG_RAX)).toBe(31);
      expect(c.switch(as).kind).toBe("syscall");
      expect(regU64(c.regs, REG_RAX)).toBe(32);
    } finally {
      q.release();
    }
  });

  it("rejects ranges outside the user half as caller bugs", () => {
    const as = p.newAddressSpace();
    expect(() => as.mapFile(0x7ffffffff000, 8192, 0, PROT_READ)).toThrow(RangeError);
    expect(() => as.mapFile(0x1001, 4096, 0, PROT_READ)).toThrow(RangeError);
    expect(() => as.mapFile(0x10000, 4096, p.memoryFile.size, PROT_READ)).toThrow(RangeError);
    as.release();
  });
});
