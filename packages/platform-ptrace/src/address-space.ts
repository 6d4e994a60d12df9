import {
  CLONE_FILES,
  CLONE_FS,
  CLONE_SIGHAND,
  CLONE_SYSVSEM,
  CLONE_THREAD,
  CLONE_VM,
  MAP_FIXED,
  MAP_SHARED,
  SYS_clone,
  SYS_exit,
  SYS_mmap,
  SYS_mprotect,
  SYS_munmap,
} from "@tsvisor/abi";
import type { AddressSpace } from "@tsvisor/platform";
import {
  newRegisters,
  REG_R8,
  REG_R9,
  REG_R10,
  REG_RAX,
  REG_RDI,
  REG_RDX,
  REG_RIP,
  REG_RSI,
  regS64,
  setReg,
} from "@tsvisor/platform";
import { MappingTable } from "./mapping-table.js";
import { type PtraceNative, STOP_EVENT, STOP_EXITED, STOP_SIGNAL, stubPath } from "./native.js";

/** The fd number of the memory file inside every stub (see native/stub.c). */
const STUB_MEMFD = 3;
/** Flags of the injected clone that makes a stub thread (allowed by the stub's seccomp filter). */
const STUB_THREAD_FLAGS =
  CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
/** PTRACE_EVENT_CLONE. */
const PTRACE_EVENT_CLONE = 3;

/** A stub process or thread died under the platform (killed, or its seccomp filter fired). */
export class StubDiedError extends Error {
  constructor(
    readonly tid: number,
    readonly waitStatus: number,
  ) {
    super(`stub thread ${tid} died (wait status 0x${waitStatus.toString(16)})`);
    this.name = "StubDiedError";
  }
}

/** What the platform shares with its address spaces. */
export interface StubHost {
  readonly native: PtraceNative;
  readonly memfd: number;
  /** Process group of every stub (led by the platform's anchor stub). */
  readonly pgid: number;
  /** Called when an address space is released, so contexts drop their threads in it. */
  forgetAddressSpace(as: PtraceAddressSpace): void;
}

/**
 * An address space of the ptrace platform: one stub process, whose main
 * thread is kept parked at the injection gadget, plus one stub thread per
 * Context that has run in it. Mappings are made by injecting
 * `mmap(addr, len, prot, MAP_SHARED|MAP_FIXED, 3, offset)` (fd 3 is the
 * memory file), `munmap` and `mprotect` into the main thread.
 *
 * Invariants:
 * - The main thread is stopped at a SIGTRAP stop, except inside `inject`.
 * - `threads` holds every live stub thread of this process but the main one.
 * - `table` mirrors the stub's mappings inside the application range.
 */
export class PtraceAddressSpace implements AddressSpace {
  /** The stub's pid (and main thread's tid). */
  readonly pid: number;
  /** Template registers: the stub's state at its ready stop (segment selectors, gadget rip). */
  readonly template: Uint32Array = newRegisters();
  readonly table = new MappingTable();
  private readonly scratch: Uint32Array = newRegisters();
  private readonly out = new Float64Array(4);
  private readonly gadget: number;
  private readonly threads = new Set<number>();
  private released = false;

  constructor(
    private readonly host: StubHost,
    pgid = host.pgid,
  ) {
    this.pid = host.native.spawnStub(stubPath, host.memfd, pgid, this.template);
    this.gadget = regS64(this.template, REG_RIP);
  }

  /**
   * Runs syscall `nr` with `args` in the stub's main thread through the
   * `syscall; int3` gadget, and returns its raw result (a value or -errno).
   * The stub's seccomp filter kills the whole stub for anything but the
   * calls the platform needs; that surfaces here as StubDiedError.
   * Exposed for tests of that filter.
   */
  inject(nr: number, args: readonly number[], onClone?: (tid: number) => void): number {
    if (this.released) throw new Error("address space released");
    const r = this.scratch;
    r.set(this.template);
    setReg(r, REG_RIP, this.gadget);
    setReg(r, REG_RAX, nr);
    const regs = [REG_RDI, REG_RSI, REG_RDX, REG_R10, REG_R8, REG_R9];
    for (let i = 0; i < 6; i++) setReg(r, regs[i]!, args[i] ?? 0);
    let kind = this.host.native.cont(this.pid, r, this.out);
    while (kind === STOP_EVENT) {
      if (this.out[0] === PTRACE_EVENT_CLONE && onClone !== undefined) onClone(this.out[1]!);
      kind = this.host.native.cont(this.pid, r, this.out);
    }
    if (kind === STOP_EXITED) {
      this.released = true;
      this.host.native.killReap(this.pid, Int32Array.from(this.threads));
      this.threads.clear();
      this.host.forgetAddressSpace(this);
      throw new StubDiedError(this.pid, this.out[0]!);
    }
    if (kind !== STOP_SIGNAL) throw new Error(`unexpected stop ${kind} of stub ${this.pid}`);
    return regS64(r, REG_RAX);
  }

  mapFile(addr: number, length: number, offset: number, prot: number): number {
    const r = this.inject(SYS_mmap, [
      addr,
      length,
      prot,
      MAP_SHARED | MAP_FIXED,
      STUB_MEMFD,
      offset,
    ]);
    if (r < 0 && r > -4096) return r;
    this.table.set(addr, addr + length, prot);
    return 0;
  }

  unmap(addr: number, length: number): number {
    const r = this.inject(SYS_munmap, [addr, length]);
    if (r < 0) return r;
    this.table.set(addr, addr + length, null);
    return 0;
  }

  protect(addr: number, length: number, prot: number): number {
    const r = this.inject(SYS_mprotect, [addr, length, prot]);
    if (r < 0) return r;
    this.table.protect(addr, addr + length, prot);
    return 0;
  }

  /**
   * Creates a new stub thread (for one Context) and returns its tid. The
   * thread is left in its initial SIGSTOP stop; its first resume suppresses
   * that signal and sets all registers.
   */
  newThread(): number {
    let tid = 0;
    const r = this.inject(SYS_clone, [STUB_THREAD_FLAGS, 0, 0, 0, 0], (t) => {
      tid = t;
    });
    if (r < 0 || tid === 0) throw new Error(`stub clone failed: ${r}`);
    this.threads.add(tid);
    const st = this.host.native.waitStop(tid);
    if ((st & 0xff) !== 0x7f) {
      this.threads.delete(tid);
      throw new StubDiedError(tid, st);
    }
    return tid;
  }

  /** Ends stub thread `tid` by making it call exit(0) through the gadget. */
  endThread(tid: number): void {
    if (!this.threads.delete(tid) || this.released) return;
    const r = this.scratch;
    r.set(this.template);
    setReg(r, REG_RIP, this.gadget);
    setReg(r, REG_RAX, SYS_exit);
    setReg(r, REG_RDI, 0);
    let kind = this.host.native.cont(tid, r, this.out);
    while (kind !== STOP_EXITED) kind = this.host.native.cont(tid, r, this.out);
  }

  /** True once released (or once its stub died). */
  get isReleased(): boolean {
    return this.released;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.host.forgetAddressSpace(this);
    this.host.native.killReap(this.pid, Int32Array.from(this.threads));
    this.threads.clear();
  }
}
