import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SYS_getpid, SYS_mmap } from "@tsvisor/abi";
import { PROT_READ, REG_RAX, REG_RDI, regBig, regU64, setReg } from "@tsvisor/platform";
import { assemblePrograms, CODE_ADDR, Harness } from "@tsvisor/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PtraceAddressSpace, PtracePlatform, StubDiedError } from "../src/index.js";

const SIGSYS = 31;
const MARKER = `/tmp/tsvisor-ptrace-marker-${process.pid}`;

const PROGRAMS = `
  .text
  .globl getpid_prog, exit_prog, open_prog, path, gadget_prog, int80_prog, int80_after
int80_prog:
  mov $20, %eax
  int $0x80
int80_after:
  ud2
gadget_prog:
  mov $9, %eax
  mov $0x10000000, %edi
  mov $4096, %esi
  mov $1, %edx
  mov $0x11, %r10d
  mov $3, %r8d
  xor %r9d, %r9d
  jmp *%rbx
getpid_prog:
  mov $39, %eax
  syscall
  mov %rax, %rdi
  mov $500, %eax
  syscall
exit_prog:
  mov $231, %eax
  mov $7, %edi
  syscall
  mov $500, %eax
  mov $0x5eed, %edi
  syscall
open_prog:
  lea path(%rip), %rdi
  mov $0x241, %esi
  mov $0644, %edx
  mov $2, %eax
  syscall
  mov %rax, %rdi
  mov $500, %eax
  syscall
path:
  .asciz "${MARKER}"
`;

/** State letter of /proc/PID/stat, or null when the process is gone. */
function procState(pid: number): string | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    return s.slice(s.lastIndexOf(")") + 2, s.lastIndexOf(")") + 3);
  } catch {
    return null;
  }
}

/** True while `pid` runs (exists and is not a zombie). */
function alive(pid: number): boolean {
  const s = procState(pid);
  return s !== null && s !== "Z";
}

describe.each(["systrap", "sysemu"] as const)("ptrace stubs (%s mode)", (mode) => {
  let platform: PtracePlatform;
  let h: Harness;
  beforeAll(() => {
    platform = new PtracePlatform({ memoryFileSize: 2 ** 30, mode });
    h = new Harness(platform, assemblePrograms(PROGRAMS));
  });
  afterAll(() => {
    h.releaseAll();
    platform.release();
  });

  it("kills a stub that makes a syscall outside its seccomp allow-list", () => {
    const as = platform.newAddressSpace() as PtraceAddressSpace;
    expect(alive(as.pid)).toBe(true);
    // The injection path runs real host syscalls through seccomp: getpid is not allowed.
    let err: unknown;
    try {
      as.inject(SYS_getpid, []);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StubDiedError);
    const status = (err as StubDiedError).waitStatus;
    expect(status & 0x7f).toBe(SIGSYS); // WTERMSIG: SECCOMP_RET_KILL_PROCESS
    expect(procState(as.pid)).toBeNull(); // reaped
    expect(as.isReleased).toBe(true);
  });

  it("kills a stub that maps anything but the memory file", () => {
    const as = platform.newAddressSpace() as PtraceAddressSpace;
    // mmap(0x10000000, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0)
    expect(() => as.inject(SYS_mmap, [0x10000000, 4096, PROT_READ, 0x32, -1, 0])).toThrow(
      StubDiedError,
    );
    const as2 = platform.newAddressSpace() as PtraceAddressSpace;
    // MAP_SHARED|MAP_FIXED of fd 0 (not the memory file).
    expect(() => as2.inject(SYS_mmap, [0x10000000, 4096, PROT_READ, 0x11, 0, 0])).toThrow(
      StubDiedError,
    );
    // The allowed form works: MAP_SHARED|MAP_FIXED of fd 3.
    const as3 = platform.newAddressSpace() as PtraceAddressSpace;
    expect(as3.inject(SYS_mmap, [0x10000000, 4096, PROT_READ, 0x11, 3, 0])).toBe(0x10000000);
    as3.release();
  });

  it("stubs hold only the memory file and nothing mapped below the application limit", () => {
    const as = platform.newAddressSpace() as PtraceAddressSpace;
    expect(as.mapFile(0x10000000, 4096, 0, PROT_READ)).toBe(0);
    const fds = readFileSync(`/proc/${as.pid}/status`, "utf8");
    expect(fds).toMatch(/^Seccomp:\s+2$/m);
    expect(fds).toMatch(/^NoNewPrivs:\s+1$/m);
    const maps = readFileSync(`/proc/${as.pid}/maps`, "utf8").trim().split("\n");
    const low = maps.filter(
      (l) => Number.parseInt(l.split("-")[0]!, 16) < platform.capabilities.maxUserAddress,
    );
    expect(low).toHaveLength(1);
    expect(low[0]).toMatch(/^10000000-10001000 r--s 00000000 .*tsvisor-memory/);
    as.release();
  });

  it("never runs an application syscall on the host: getpid returns what the handler chose", () => {
    const as = h.newAddressSpace();
    const ctx = h.newContext("getpid_prog");
    let t = ctx.switch(as);
    expect(t.kind).toBe("syscall");
    setReg(ctx.regs, REG_RAX, 123456);
    t = ctx.switch(as);
    expect(t.kind).toBe("syscall");
    expect(regU64(ctx.regs, REG_RDI)).toBe(123456);
  });

  it("never runs an application syscall on the host: open(O_CREAT) creates nothing", () => {
    const as = h.newAddressSpace();
    const ctx = h.newContext("open_prog");
    expect(ctx.switch(as).kind).toBe("syscall");
    expect(regU64(ctx.regs, REG_RAX)).not.toBe(0); // untouched by the host: -ENOSYS as SYSEMU left it
    setReg(ctx.regs, REG_RAX, -13);
    expect(ctx.switch(as).kind).toBe("syscall");
    expect(regBig(ctx.regs, REG_RDI)).toBe(2n ** 64n - 13n);
    expect(existsSync(MARKER)).toBe(false);
  });

  it("an exit_group through raw syscall exits only when the Sentry says so", () => {
    const as = h.newAddressSpace() as PtraceAddressSpace;
    const ctx = h.newContext("exit_prog");
    expect(ctx.switch(as).kind).toBe("syscall");
    expect(regU64(ctx.regs, 15 /* orig_rax */)).toBe(231);
    expect(regU64(ctx.regs, REG_RDI)).toBe(7);
    expect(alive(as.pid)).toBe(true);
    // The handler returns instead of exiting: the next instruction runs.
    setReg(ctx.regs, REG_RAX, 0);
    expect(ctx.switch(as).kind).toBe("syscall");
    expect(regU64(ctx.regs, REG_RDI)).toBe(0x5eed);
    expect(alive(as.pid)).toBe(true);
    expect(regU64(ctx.regs, 16 /* rip */)).toBeGreaterThan(CODE_ADDR);
  });

  it("an application jumping to the stub's injection gadget cannot map memory", () => {
    const as = h.newAddressSpace() as PtraceAddressSpace;
    const ctx = h.newContext("gadget_prog");
    setReg(ctx.regs, 5 /* rbx */, regU64(as.template, 16 /* rip: the gadget */));
    const t = ctx.switch(as);
    const maps = readFileSync(`/proc/${as.pid}/maps`, "utf8");
    expect(maps).not.toMatch(/^10000000-/m);
    if (mode === "sysemu") {
      // Under PTRACE_SYSEMU it is just another emulated syscall.
      expect(t.kind).toBe("syscall");
      expect(regU64(ctx.regs, 15 /* orig_rax */)).toBe(9);
    } else {
      // SECCOMP_RET_TRACE without a tracer: not executed, ENOSYS; then the int3.
      expect(t.kind).toBe("signal");
      expect(regBig(ctx.regs, REG_RAX)).toBe(2n ** 64n - 38n);
    }
    expect(alive(as.pid)).toBe(true);
  });

  it("reports int $0x80 (a 32-bit syscall) as SIGSEGV/SI_KERNEL, not as a syscall", () => {
    const as = h.newAddressSpace() as PtraceAddressSpace;
    const ctx = h.newContext("int80_prog");
    const t = ctx.switch(as);
    expect(t.kind).toBe("signal");
    expect(t.kind === "signal" && [t.signo, t.code]).toEqual([11, 0x80]);
    expect(alive(as.pid)).toBe(true);
    // A 64-bit syscall right after still works.
    h.start(ctx, "getpid_prog");
    expect(ctx.switch(as).kind).toBe("syscall");
  });

  it("leaves no stub process behind when the Node process is killed with SIGKILL", async () => {
    const dist = join(import.meta.dirname, "..", "dist", "index.js");
    expect(existsSync(dist), "needs the package built (pnpm build)").toBe(true);
    const script = `
      import { PtracePlatform } from ${JSON.stringify(dist)};
      const p = new PtracePlatform({ memoryFileSize: 2 ** 30, mode: ${JSON.stringify(mode)} });
      const pids = [];
      p.memoryFile.chunk(0).set([0x0f, 0x05, 0xeb, 0xfc]); // syscall; jmp back
      for (let i = 0; i < 3; i++) {
        const as = p.newAddressSpace();
        as.mapFile(0x400000, 4096, 0, 5);
        pids.push(as.pid);
        for (let j = 0; j < 2; j++) {
          const ctx = p.newContext();
          ctx.regs[32] = 0x400000;
          ctx.switch(as);
          ctx.resume(as);
        }
      }
      pids.push(p.pgid);
      console.log(JSON.stringify(pids));
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const pids: number[] = await new Promise((resolve, reject) => {
      let buf = "";
      child.stdout.on("data", (d) => {
        buf += d;
        if (buf.includes("\n")) resolve(JSON.parse(buf.split("\n")[0]!));
      });
      child.on("exit", (c) => reject(new Error(`child exited early: ${c}`)));
    });
    expect(pids).toHaveLength(4);
    for (const pid of pids) expect(alive(pid), `stub ${pid} before`).toBe(true);
    const exited = new Promise((r) => child.on("exit", r));
    child.kill("SIGKILL");
    await exited;
    const deadline = Date.now() + 5000;
    while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const pid of pids) expect(alive(pid), `stub ${pid} after`).toBe(false);
  });
});

describe.each(["systrap", "sysemu"] as const)("dead stubs (%s mode)", (mode) => {
  it("a stub killed from outside surfaces as StubDiedError, not a hang", async () => {
    const platform = new PtracePlatform({ memoryFileSize: 2 ** 30, mode });
    try {
      platform.memoryFile.chunk(0).set([0xeb, 0xfe]); // jmp .
      const as = platform.newAddressSpace() as PtraceAddressSpace;
      expect(as.mapFile(0x400000, 4096, 0, 5)).toBe(0);
      const ctx = platform.newContext();
      ctx.regs[32] = 0x400000;
      ctx.resume(as);
      setTimeout(() => process.kill(as.pid, "SIGKILL"), 50);
      await new Promise((r) => setTimeout(r, 100));
      const t0 = performance.now();
      expect(() => platform.waitAny(5_000)).toThrow(StubDiedError);
      expect(performance.now() - t0).toBeLessThan(2_000);
      const as2 = platform.newAddressSpace() as PtraceAddressSpace;
      expect(as2.mapFile(0x400000, 4096, 0, 5)).toBe(0);
      const ctx2 = platform.newContext();
      ctx2.regs[32] = 0x400000;
      // switch blocks this thread: the killer must be another process.
      spawn("sh", ["-c", `sleep 0.05; kill -9 ${as2.pid}`], { stdio: "ignore" });
      expect(() => ctx2.switch(as2)).toThrow(StubDiedError);
    } finally {
      platform.release();
    }
  });
});

describe("systrap control slots", () => {
  it("are reused after a context or an address space is released", () => {
    const platform = new PtracePlatform({ memoryFileSize: 2 ** 30, mode: "systrap" });
    try {
      // mov $39, %eax; syscall; jmp back
      platform.memoryFile.chunk(0).set([0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xf7]);
      const as = platform.newAddressSpace() as PtraceAddressSpace;
      expect(as.mapFile(0x400000, 4096, 0, 5)).toBe(0);
      for (let i = 0; i < 40; i++) {
        const ctx = platform.newContext();
        ctx.regs[32] = 0x400000;
        expect(ctx.switch(as).kind).toBe("syscall");
        ctx.release();
        expect(platform.slotsAllocated).toBe(0);
      }
      const ctxs = [platform.newContext(), platform.newContext()];
      for (const ctx of ctxs) {
        ctx.regs[32] = 0x400000;
        expect(ctx.switch(as).kind).toBe("syscall");
      }
      expect(platform.slotsAllocated).toBe(2);
      // The slot of a released thread is no longer mapped in its stub.
      const maps = readFileSync(`/proc/${as.pid}/maps`, "utf8");
      let bytes = 0;
      for (const m of maps.matchAll(/^(7fffd[0-9a-f]+)-([0-9a-f]+) /gm)) {
        bytes += Number.parseInt(m[2]!, 16) - Number.parseInt(m[1]!, 16);
      }
      expect(bytes).toBe(4096 + 2 * 0x10000); // the globals page + 2 slots
      as.release();
      expect(platform.slotsAllocated).toBe(0);
    } finally {
      platform.release();
    }
  });
});
