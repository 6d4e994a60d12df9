/**
 * @tsvisor/platform/testing: the conformance suite every platform runs.
 *
 * `runConformance(provider)` registers vitest `describe`/`it` blocks that
 * drive a platform only through the public interfaces (Platform,
 * AddressSpace, Context, MemoryFile) with small x86-64 programs assembled at
 * test time (gcc, objcopy and nm must be installed). A platform's test file
 * is just:
 *
 * ```ts
 * import { runConformance } from "@tsvisor/platform/testing";
 * import provider from "../src/index.js";
 * runConformance(provider);
 * ```
 *
 * @packageDocumentation
 */
import { readdirSync, readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AddressSpace, Context, Platform, PlatformProvider } from "../platform.js";
import type { FaultTrap, SignalTrap } from "../trap.js";
import { PAGE_SIZE, PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE } from "../platform.js";
import {
  REG_FS_BASE,
  REG_GS_BASE,
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
  REG_RSP,
  REG_EFLAGS,
  regBig,
  regU64,
  setReg,
  setRegBig,
} from "../registers.js";
import {
  assemblePrograms,
  NR_COUNT,
  NR_EXEC_OK,
  NR_FP_CHECK,
  NR_FP_DONE,
  NR_FS,
  NR_GETPID,
  NR_REPORT,
  NR_STORED,
  type Programs,
} from "./programs.js";

export { assemblePrograms, PROGRAMS_S } from "./programs.js";
export type { Programs } from "./programs.js";

/** Options of the conformance suite. */
export interface ConformanceOptions {
  /** Memory file size for the platform under test (default 1 GiB). */
  memoryFileSize?: number;
  /** Number of contexts run at once in the parallel test (default 64). */
  parallelContexts?: number;
}

/** Where the suite maps things (inside any platform's user range). */
export const CODE_ADDR = 0x400000;
export const DATA_ADDR = 0x10000000;
export const STACK_ADDR = 0x20000000;
export const HOLE_ADDR = 0x30000000;

const SIGILL = 4;
const SIGTRAP = 5;
const SIGFPE = 8;
const SIGSEGV = 11;
const ILL_ILLOPN = 2;
const FPE_INTDIV = 1;
const SI_KERNEL = 0x80;

/**
 * A test's view of one platform: an allocator of memory-file offsets and
 * helpers to map, read and write application memory through the memory file.
 */
export class Harness {
  private next = 0;
  private readonly owned: { release(): void }[] = [];

  constructor(
    readonly platform: Platform,
    readonly programs: Programs,
  ) {}

  /** Allocates `length` bytes (page multiple) of the memory file; returns the offset. */
  alloc(length: number): number {
    const off = this.next;
    this.next += Math.ceil(length / PAGE_SIZE) * PAGE_SIZE;
    if (this.next > this.platform.memoryFile.size) throw new Error("test memory file exhausted");
    return off;
  }

  write(offset: number, bytes: Uint8Array): void {
    const mf = this.platform.memoryFile;
    for (let i = 0; i < bytes.length; ) {
      const c = Math.floor((offset + i) / mf.chunkSize);
      const at = (offset + i) % mf.chunkSize;
      const n = Math.min(bytes.length - i, mf.chunkSize - at);
      mf.chunk(c).set(bytes.subarray(i, i + n), at);
      i += n;
    }
  }

  read(offset: number, length: number): Uint8Array {
    const mf = this.platform.memoryFile;
    const out = new Uint8Array(length);
    for (let i = 0; i < length; ) {
      const c = Math.floor((offset + i) / mf.chunkSize);
      const at = (offset + i) % mf.chunkSize;
      const n = Math.min(length - i, mf.chunkSize - at);
      out.set(mf.chunk(c).subarray(at, at + n), i);
      i += n;
    }
    return out;
  }

  writeU64(offset: number, v: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, true);
    this.write(offset, b);
  }

  readU64(offset: number): bigint {
    return new DataView(this.read(offset, 8).buffer).getBigUint64(0, true);
  }

  /** A new address space (released after the test) with the programs mapped at CODE_ADDR. */
  newAddressSpace(): AddressSpace {
    const as = this.platform.newAddressSpace();
    this.owned.push(as);
    if (this.codeOffset < 0) {
      this.codeOffset = this.alloc(this.programs.code.length);
      this.write(this.codeOffset, this.programs.code);
    }
    const len = Math.ceil(this.programs.code.length / PAGE_SIZE) * PAGE_SIZE;
    expect(as.mapFile(CODE_ADDR, len, this.codeOffset, PROT_READ | PROT_EXEC)).toBe(0);
    return as;
  }
  private codeOffset = -1;

  /** Maps `length` fresh bytes at `addr`; returns their memory-file offset. */
  mapNew(as: AddressSpace, addr: number, length: number, prot: number): number {
    const off = this.alloc(length);
    expect(as.mapFile(addr, length, off, prot)).toBe(0);
    return off;
  }

  /** A new context (released after the test) about to run program `name`. */
  newContext(name?: string): Context {
    const ctx = this.platform.newContext();
    this.owned.push(ctx);
    if (name !== undefined) this.start(ctx, name);
    return ctx;
  }

  /** Points `ctx` at program `name` with a stack at STACK_ADDR (mapped by the caller if used). */
  start(ctx: Context, name: string): void {
    setReg(ctx.regs, REG_RIP, this.entry(name));
    setReg(ctx.regs, REG_RSP, STACK_ADDR + PAGE_SIZE);
  }

  entry(name: string): number {
    const off = this.programs.sym[name];
    if (off === undefined) throw new Error(`no program ${name}`);
    return CODE_ADDR + off;
  }

  /** Releases everything the test created (contexts first). */
  releaseAll(): void {
    const items = this.owned.splice(0);
    for (const x of items.filter((x) => "switch" in x)) x.release();
    for (const x of items.filter((x) => !("switch" in x))) x.release();
  }
}

/** Children of this process and their threads, and this process's open fds. */
function hostResources(): { children: number; tasks: number; fds: number } {
  let children = 0;
  let tasks = 0;
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue;
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (ppid !== process.pid) continue;
    children++;
    try {
      tasks += readdirSync(`/proc/${name}/task`).length;
    } catch {
      // exited meanwhile
    }
  }
  return { children, tasks, fds: readdirSync("/proc/self/fd").length };
}

function hasCpuFlag(flag: string): boolean {
  try {
    return new RegExp(`^flags\\s*:.*\\b${flag}\\b`, "m").test(
      readFileSync("/proc/cpuinfo", "utf8"),
    );
  } catch {
    return false;
  }
}

function expectFault(ctx: Context, t: ReturnType<Context["switch"]>): FaultTrap {
  expect(t.kind, `trap at rip 0x${regU64(ctx.regs, REG_RIP).toString(16)}`).toBe("fault");
  return t as FaultTrap;
}

function expectSyscall(ctx: Context, t: ReturnType<Context["switch"]>, nr: number): void {
  expect(
    t.kind,
    `trap ${JSON.stringify(t)} at rip 0x${regU64(ctx.regs, REG_RIP).toString(16)}`,
  ).toBe("syscall");
  expect(regU64(ctx.regs, REG_ORIG_RAX)).toBe(nr);
}

/**
 * Registers the conformance suite for `provider` with vitest. Every case
 * must pass on every platform.
 */
export function runConformance(provider: PlatformProvider, opts: ConformanceOptions = {}): void {
  describe(`platform conformance: ${provider.name}`, () => {
    let platform: Platform;
    let programs: Programs;
    let h: Harness;

    beforeAll(() => {
      const probe = provider.probe();
      if (!probe.ok) throw new Error(`probe failed: ${probe.reason}; fix: ${probe.fix}`);
      programs = assemblePrograms();
      platform = provider.create({ memoryFileSize: opts.memoryFileSize ?? 2 ** 30 });
    });
    afterAll(() => {
      platform?.release();
    });
    const harness = (): Harness => {
      h = new Harness(platform, programs);
      return h;
    };
    afterEach(() => {
      h?.releaseAll();
    });

    it("probes ok and advertises sane capabilities", () => {
      expect(provider.probe()).toEqual({ ok: true });
      const c = platform.capabilities;
      expect(c.minUserAddress).toBeLessThanOrEqual(CODE_ADDR);
      expect(c.maxUserAddress).toBeGreaterThan(HOLE_ADDR);
      expect(c.maxUserAddress % PAGE_SIZE).toBe(0);
      expect(c.fpStateSize).toBeGreaterThanOrEqual(512 + 64);
      expect(platform.memoryFile.size % platform.memoryFile.chunkSize).toBe(0);
    });

    it("traps a syscall with its number and six arguments, and returns the result written back", () => {
      const h = harness();
      const as = h.newAddressSpace();
      const ctx = h.newContext("syscall_args");
      let t = ctx.switch(as);
      expectSyscall(ctx, t, NR_GETPID);
      const r = ctx.regs;
      expect(regBig(r, REG_RDI)).toBe(0x1122334455667701n);
      expect(regBig(r, REG_RSI)).toBe(0x1122334455667702n);
      expect(regBig(r, REG_RDX)).toBe(0x1122334455667703n);
      expect(regBig(r, REG_R10)).toBe(0x1122334455667704n);
      expect(regBig(r, REG_R8)).toBe(0x1122334455667705n);
      expect(regBig(r, REG_R9)).toBe(0xfedcba9876543206n);
      const after = h.entry("sa_after");
      expect(regU64(r, REG_RIP)).toBe(after);
      expect(regU64(r, REG_RCX)).toBe(after);
      expect(regBig(r, REG_R11)).toBe(regBig(r, REG_EFLAGS));
      // A negative errno is seen by the program as a 64-bit value.
      setReg(r, REG_RAX, -38);
      t = ctx.switch(as);
      expectSyscall(ctx, t, NR_REPORT);
      expect(regBig(ctx.regs, REG_RDI)).toBe(2n ** 64n - 38n);
      // Restart convention: rip -= 2, rax = orig_rax re-executes the syscall.
      setReg(ctx.regs, REG_RIP, regU64(ctx.regs, REG_RIP) - 2);
      setReg(ctx.regs, REG_RAX, NR_REPORT);
      t = ctx.switch(as);
      expectSyscall(ctx, t, NR_REPORT);
      expect(regBig(ctx.regs, REG_RDI)).toBe(2n ** 64n - 38n);
    });

    it("reports a read of an unmapped address as a not-present read fault, and retries it", () => {
      const h = harness();
      const as = h.newAddressSpace();
      const ctx = h.newContext("load_rdi");
      setReg(ctx.regs, REG_RDI, HOLE_ADDR + 0x128);
      const f = expectFault(ctx, ctx.switch(as));
      expect(f.addr).toBe(HOLE_ADDR + 0x128);
      expect(f.access).toBe("read");
      expect(f.present).toBe(false);
      expect(f.signo).toBe(SIGSEGV);
      expect(regU64(ctx.regs, REG_RIP)).toBe(h.entry("load_rdi"));
      // The kernel resolves the fault; the same instruction then succeeds.
      const off = h.mapNew(as, HOLE_ADDR, PAGE_SIZE, PROT_READ);
      h.writeU64(off + 0x128, 0x0123456789abcdefn);
      expectSyscall(ctx, ctx.switch(as), NR_REPORT);
      expect(regBig(ctx.regs, REG_RDI)).toBe(0x0123456789abcdefn);
    });

    it("reports a write to a read-only mapping as a present write fault", () => {
      const h = harness();
      const as = h.newAddressSpace();
      const off = h.mapNew(as, DATA_ADDR, PAGE_SIZE, PROT_READ);
      const ctx = h.newContext("store_rdi");
      setReg(ctx.regs, REG_RDI, DATA_ADDR + 0x40);
      setRegBig(ctx.regs, REG_RSI, 0xfeedfacecafebeefn);
      const f = expectFault(ctx, ctx.switch(as));
      expect(f.addr).toBe(DATA_ADDR + 0x40);
      expect(f.access).toBe("write");
      expect(f.present).toBe(true);
      expect(f.signo).toBe(SIGSEGV);
      expect(h.readU64(off + 0x40)).toBe(0n);
      expect(as.protect(DATA_ADDR, PAGE_SIZE, PROT_READ | PROT_WRITE)).toBe(0);
      expectSyscall(ctx, ctx.switch(as), NR_STORED);
      expect(h.readU64(off + 0x40)).toBe(0xfeedfacecafebeefn);
    });

    it("reports executing a non-executable mapping as a present exec fault", () => {
      const h = harness();
      const as = h.newAddressSpace();
      const off = h.mapNew(as, DATA_ADDR, PAGE_SIZE, PROT_READ | PROT_WRITE);
      // mov $NR_EXEC_OK, %eax; syscall
      h.write(
        off + 0x10,
        new Uint8Array([0xb8, NR_EXEC_OK & 0xff, NR_EXEC_OK >> 8, 0, 0, 0x0f, 0x05]),
      );
      const ctx = h.newContext("jump_rdi");
      setReg(ctx.regs, REG_RDI, DATA_ADDR + 0x10);
      const f = expectFault(ctx, ctx.switch(as));
      expect(f.addr).toBe(DATA_ADDR + 0x10);
      expect(f.access).toBe("exec");
      expect(f.present).toBe(true);
      expect(regU64(ctx.regs, REG_RIP)).toBe(DATA_ADDR + 0x10);
      expect(as.protect(DATA_ADDR, PAGE_SIZE, PROT_READ | PROT_EXEC)).toBe(0);
      expectSyscall(ctx, ctx.switch(as), NR_EXEC_OK);
    });

    it("reports executing an unmapped address as a not-present exec fault", () => {
      const h = harness();
      const as = h.newAddressSpace();
      const ctx = h.newContext("jump_rdi");
      setReg(ctx.regs, REG_RDI, HOLE_ADDR + 0x200);
      const f = expectFault(ctx, ctx.switch(as));
      expect(f.addr).toBe(HOLE_ADDR + 0x200);
      expect(f.access).toBe("exec");
      expect(f.present).toBe(false);
    });

    it("makes map, unmap, remap and protect visible to running code", () => {
      const h = harness();
      const as = h.newAddressSpace();
      const a = h.alloc(PAGE_SIZE);
      const b = h.alloc(PAGE_SIZE);
      h.writeU64(a, 0xaaaan);
      h.writeU64(b, 0xbbbbn);
      const ctx = h.newContext("load_rdi");
      const run = () => {
        h.start(ctx, "load_rdi");
        setReg(ctx.regs, REG_RDI, DATA_ADDR);
        return ctx.switch(as);
      };
      expect(as.mapFile(DATA_ADDR, PAGE_SIZE, a, PROT_READ)).toBe(0);
      expectSyscall(ctx, run(), NR_REPORT);
      expect(regBig(ctx.regs, REG_RDI)).toBe(0xaaaan);
      // A write through the memory file is seen at once.
      h.writeU64(a, 0xa1a1n);
      expectSyscall(ctx, run(), NR_REPORT);
      expect(regBig(ctx.regs, REG_RDI)).toBe(0xa1a1n);
      expect(as.unmap(DATA_ADDR, PAGE_SIZE)).toBe(0);
      let f = expectFault(ctx, run());
      expect(f.present).toBe(false);
      expect(f.addr).toBe(DATA_ADDR);
      expect(as.mapFile(DATA_ADDR, PAGE_SIZE, b, PROT_READ)).toBe(0);
      expectSyscall(ctx, run(), NR_REPORT);
      expect(regBig(ctx.regs, REG_RDI)).toBe(0xbbbbn);
      // MAP_FIXED semantics: mapping over a mapping replaces it.
      expect(as.mapFile(DATA_ADDR, PAGE_SIZE, a, PROT_READ)).toBe(0);
      expectSyscall(ctx, run(), NR_REPORT);
      expect(regBig(ctx.regs, REG_RDI)).toBe(0xa1a1n);
      expect(as.protect(DATA_ADDR, PAGE_SIZE, PROT_NONE)).toBe(0);
      f = expectFault(ctx, run());
      expect(f.present).toBe(true);
      expect(f.addr).toBe(DATA_ADDR);
      expect(as.protect(DATA_ADDR, PAGE_SIZE, PROT_READ)).toBe(0);
      expectSyscall(ctx, run(), NR_REPORT);
      // Unmapping a range with holes ignores the holes.
      expect(as.unmap(DATA_ADDR - PAGE_SIZE, 3 * PAGE_SIZE)).toBe(0);
      expect(run().kind).toBe("fault");
    });

    it("throws RangeError for address-space calls outside the preconditions, changing nothing", () => {
      const h = harness();
      const as = h.newAddressSpace();
      const { minUserAddress: lo, maxUserAddress: hi } = platform.capabilities;
      const P = PAGE_SIZE;
      const bad: [number, number][] = [
        [lo - P, P], // below the user range
        [hi - P, 2 * P], // across its end
        [hi, P], // above it (where a platform keeps its own pages)
        [DATA_ADDR + 1, P], // unaligned address
        [DATA_ADDR, P + 1], // unaligned length
        [DATA_ADDR, 0], // empty
      ];
      for (const [addr, length] of bad) {
        expect(() => as.mapFile(addr, length, 0, PROT_READ)).toThrow(RangeError);
        expect(() => as.unmap(addr, length)).toThrow(RangeError);
        expect(() => as.protect(addr, length, PROT_READ)).toThrow(RangeError);
      }
      const size = platform.memoryFile.size;
      expect(() => as.mapFile(DATA_ADDR, P, P / 2, PROT_READ)).toThrow(RangeError);
      expect(() => as.mapFile(DATA_ADDR, P, -P, PROT_READ)).toThrow(RangeError);
      expect(() => as.mapFile(DATA_ADDR, 2 * P, size - P, PROT_READ)).toThrow(RangeError);
      // The address space still runs a program.
      const ctx = h.newContext("syscall_args");
      expectSyscall(ctx, ctx.switch(as), NR_GETPID);
    });

    it("isolates address spaces: the same address maps different memory", () => {
      const h = harness();
      const as1 = h.newAddressSpace();
      const as2 = h.newAddressSpace();
      const o1 = h.mapNew(as1, DATA_ADDR, PAGE_SIZE, PROT_READ | PROT_WRITE);
      const o2 = h.mapNew(as2, DATA_ADDR, PAGE_SIZE, PROT_READ | PROT_WRITE);
      h.writeU64(o1, 1111n);
      h.writeU64(o2, 2222n);
      const ctx = h.newContext();
      for (const [as, want] of [
        [as1, 1111n],
        [as2, 2222n],
        [as1, 1111n],
      ] as const) {
        h.start(ctx, "load_rdi");
        setReg(ctx.regs, REG_RDI, DATA_ADDR);
        expectSyscall(ctx, ctx.switch(as), NR_REPORT);
        expect(regBig(ctx.regs, REG_RDI)).toBe(want);
      }
      // A store in one is invisible in the other.
      h.start(ctx, "store_rdi");
      setReg(ctx.regs, REG_RDI, DATA_ADDR + 8);
      setReg(ctx.regs, REG_RSI, 77);
      expectSyscall(ctx, ctx.switch(as2), NR_STORED);
      expect(h.readU64(o2 + 8)).toBe(77n);
      expect(h.readU64(o1 + 8)).toBe(0n);
      // Unmapping in one leaves the other mapped.
      expect(as1.unmap(DATA_ADDR, PAGE_SIZE)).toBe(0);
      h.start(ctx, "load_rdi");
      setReg(ctx.regs, REG_RDI, DATA_ADDR);
      expectSyscall(ctx, ctx.switch(as2), NR_REPORT);
      h.start(ctx, "load_rdi");
      setReg(ctx.regs, REG_RDI, DATA_ADDR);
      expect(ctx.switch(as1).kind).toBe("fault");
    });

    const fpTest = (avx: boolean) => () => {
      const h = harness();
      const as = h.newAddressSpace();
      const width = avx ? 32 : 16;
      const inOff = h.mapNew(as, DATA_ADDR, PAGE_SIZE, PROT_READ | PROT_WRITE);
      const outOff = h.mapNew(as, DATA_ADDR + PAGE_SIZE, PAGE_SIZE, PROT_READ | PROT_WRITE);
      const input = new Uint8Array(16 * width);
      for (let i = 0; i < input.length; i++) input[i] = (i * 7 + 3) & 0xff;
      h.write(inOff, input);
      const ctx = h.newContext(avx ? "fp_avx" : "fp_sse");
      setReg(ctx.regs, REG_RDI, DATA_ADDR);
      setReg(ctx.regs, REG_RSI, DATA_ADDR + PAGE_SIZE);
      expectSyscall(ctx, ctx.switch(as), NR_FP_CHECK);
      // Switch into another address space and back: state must survive.
      const other = h.newAddressSpace();
      const saved = new Uint32Array(ctx.regs);
      h.start(ctx, "syscall_args");
      expectSyscall(ctx, ctx.switch(other), NR_GETPID);
      ctx.regs.set(saved);
      const fp = ctx.getFPState();
      expect(fp.length).toBe(platform.capabilities.fpStateSize);
      for (let i = 0; i < 16; i++) {
        // FXSAVE area: XMM i at 160 + 16 i.
        expect(Array.from(fp.subarray(160 + 16 * i, 176 + 16 * i))).toEqual(
          Array.from(input.subarray(width * i, width * i + 16)),
        );
        if (avx) {
          // XSAVE standard format: YMM_Hi128 (component 2) at 576 + 16 i.
          expect(Array.from(fp.subarray(576 + 16 * i, 592 + 16 * i))).toEqual(
            Array.from(input.subarray(width * i + 16, width * i + 32)),
          );
        }
      }
      const img = new Uint8Array(fp);
      img.fill(0x5a, 160 + 16 * 3, 176 + 16 * 3); // xmm3
      if (avx) img.fill(0xa5, 576 + 16 * 5, 592 + 16 * 5); // ymm5 high half
      ctx.setFPState(img);
      expectSyscall(ctx, ctx.switch(as), NR_FP_DONE);
      const out = h.read(outOff, 16 * width);
      const want = new Uint8Array(input);
      want.fill(0x5a, width * 3, width * 3 + 16);
      if (avx) want.fill(0xa5, width * 5 + 16, width * 5 + 32);
      expect(Array.from(out)).toEqual(Array.from(want));
    };
    it("round-trips SSE registers across switches and through get/setFPState", fpTest(false));
    it.skipIf(!hasCpuFlag("avx"))(
      "round-trips AVX registers across switches and through get/setFPState",
      fpTest(true),
    );

    it("uses fs_base and gs_base set through the registers for %fs/%gs-relative loads", () => {
      const h = harness();
      const as = h.newAddressSpace();
      const off = h.mapNew(as, DATA_ADDR, PAGE_SIZE, PROT_READ);
      h.writeU64(off + 0x100, 0x1234567887654321n);
      h.writeU64(off + 0x108, 42n);
      h.writeU64(off + 0x200, 0x600dn);
      const ctx = h.newContext("fs_load");
      setReg(ctx.regs, REG_FS_BASE, DATA_ADDR + 0x100);
      setReg(ctx.regs, REG_GS_BASE, DATA_ADDR + 0x200);
      expectSyscall(ctx, ctx.switch(as), NR_FS);
      expect(regBig(ctx.regs, REG_RDI)).toBe(0x1234567887654321n);
      expect(regBig(ctx.regs, REG_RSI)).toBe(42n);
      expect(regBig(ctx.regs, REG_RDX)).toBe(0x600dn);
      expect(regU64(ctx.regs, REG_FS_BASE)).toBe(DATA_ADDR + 0x100);
      expect(regU64(ctx.regs, REG_GS_BASE)).toBe(DATA_ADDR + 0x200);
      // Changing fs_base between switches takes effect.
      setReg(ctx.regs, REG_FS_BASE, DATA_ADDR + 0x108);
      expectSyscall(ctx, ctx.switch(as), NR_FS);
      expect(regBig(ctx.regs, REG_RDI)).toBe(42n);
    });

    it("reports ud2, int3 and a division by zero as Linux's SIGILL, SIGTRAP and SIGFPE", () => {
      const h = harness();
      const as = h.newAddressSpace();
      const ctx = h.newContext("ud2_prog");
      let t = ctx.switch(as);
      expect(t.kind).toBe("signal");
      let s = t as SignalTrap;
      expect([s.signo, s.code, s.addr]).toEqual([SIGILL, ILL_ILLOPN, h.entry("ud2_prog")]);
      expect(regU64(ctx.regs, REG_RIP)).toBe(h.entry("ud2_prog"));
      h.start(ctx, "int3_prog");
      t = ctx.switch(as);
      expect(t.kind).toBe("signal");
      s = t as SignalTrap;
      expect([s.signo, s.code]).toEqual([SIGTRAP, SI_KERNEL]);
      expect(regU64(ctx.regs, REG_RIP)).toBe(h.entry("int3_after"));
      h.start(ctx, "div0_prog");
      t = ctx.switch(as);
      expect(t.kind).toBe("signal");
      s = t as SignalTrap;
      expect([s.signo, s.code, s.addr]).toEqual([SIGFPE, FPE_INTDIV, h.entry("div0_insn")]);
    });

    it("interrupt() stops a context spinning in a tight loop; switch times out as interrupted", async () => {
      const h = harness();
      const as = h.newAddressSpace();
      const ctx = h.newContext("spin");
      setReg(ctx.regs, REG_RAX, 0);
      ctx.resume(as);
      await new Promise((r) => setTimeout(r, 30));
      ctx.interrupt();
      const got = platform.waitAny(10_000);
      expect(got).toBe(ctx);
      expect(ctx.trap.kind).toBe("interrupted");
      const rip = regU64(ctx.regs, REG_RIP);
      expect(rip).toBeGreaterThanOrEqual(h.entry("spin"));
      expect(rip).toBeLessThan(h.entry("spin_end"));
      expect(regU64(ctx.regs, REG_RAX)).toBeGreaterThan(1000); // it really ran
      // A switch with a timeout comes back interrupted after about that long.
      const t0 = performance.now();
      expect(ctx.switch(as, 100).kind).toBe("interrupted");
      const dt = performance.now() - t0;
      expect(dt).toBeGreaterThanOrEqual(90);
      expect(dt).toBeLessThan(5_000);
      // State is intact: it continues from where it stopped.
      const before = regU64(ctx.regs, REG_RAX);
      expect(ctx.switch(as, 20).kind).toBe("interrupted");
      expect(regU64(ctx.regs, REG_RAX)).toBeGreaterThan(before);
      h.start(ctx, "syscall_args");
      expectSyscall(ctx, ctx.switch(as, 10_000), NR_GETPID);
    });

    it("waitAny returns null after its timeout, and throws with nothing resumed", () => {
      const h = harness();
      const as = h.newAddressSpace();
      const ctx = h.newContext("spin");
      expect(() => platform.waitAny(0)).toThrow();
      ctx.resume(as);
      const t0 = performance.now();
      expect(platform.waitAny(100)).toBeNull();
      expect(performance.now() - t0).toBeGreaterThanOrEqual(90);
      expect(platform.waitAny(0)).toBeNull();
      ctx.interrupt();
      expect(platform.waitAny(10_000)).toBe(ctx);
      expect(ctx.trap.kind).toBe("interrupted");
    });

    it("runs many contexts at once (resume all, then waitAny)", () => {
      const n = opts.parallelContexts ?? 64;
      const h = harness();
      const as = h.newAddressSpace();
      const ctxs: Context[] = [];
      for (let i = 0; i < n; i++) {
        const ctx = h.newContext("count_loop");
        setReg(ctx.regs, REG_RDI, 10_000 + i);
        ctxs.push(ctx);
      }
      for (const ctx of ctxs) ctx.resume(as);
      const seen = new Set<Context>();
      while (seen.size < n) {
        const ctx = platform.waitAny(30_000);
        expect(ctx).not.toBeNull();
        expect(seen.has(ctx!)).toBe(false);
        seen.add(ctx!);
        expectSyscall(ctx!, ctx!.trap, NR_COUNT);
      }
      for (let i = 0; i < n; i++) {
        expect(regU64(ctxs[i]!.regs, REG_RDI)).toBe(3 * (10_000 + i));
      }
      // And again, through switch, each in turn.
      for (let i = 0; i < n; i += 7) {
        h.start(ctxs[i]!, "count_loop");
        setReg(ctxs[i]!.regs, REG_RDI, i + 1);
        expectSyscall(ctxs[i]!, ctxs[i]!.switch(as), NR_COUNT);
        expect(regU64(ctxs[i]!.regs, REG_RDI)).toBe(3 * (i + 1));
      }
    });

    it("release frees host resources (child processes, threads, fds)", () => {
      const before = hostResources();
      const p = provider.create({ memoryFileSize: 2 ** 30 });
      const h2 = new Harness(p, programs);
      const as1 = h2.newAddressSpace();
      const as2 = h2.newAddressSpace();
      const ctxs = [h2.newContext(), h2.newContext(), h2.newContext()];
      for (const ctx of ctxs) {
        for (const as of [as1, as2]) {
          h2.start(ctx, "syscall_args");
          expectSyscall(ctx, ctx.switch(as), NR_GETPID);
        }
      }
      const during = hostResources();
      // Releasing one context frees its threads; one address space, its process.
      ctxs[0]!.release();
      const afterCtx = hostResources();
      expect(afterCtx.tasks).toBeLessThanOrEqual(during.tasks);
      as2.release();
      const afterAs = hostResources();
      expect(afterAs.children).toBeLessThanOrEqual(afterCtx.children);
      if (during.children > before.children) {
        expect(afterCtx.tasks).toBeLessThan(during.tasks);
        expect(afterAs.children).toBeLessThan(afterCtx.children);
      }
      h2.releaseAll();
      p.release();
      expect(hostResources()).toEqual(before);
    });
  });
}
