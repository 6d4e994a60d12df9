import {
  CLONE_FILES,
  CLONE_FS,
  CLONE_SIGHAND,
  CLONE_SYSVSEM,
  CLONE_THREAD,
  CLONE_VM,
  CLONE_CHILD_CLEARTID,
  CLONE_CHILD_SETTID,
  ESRCH,
  MAP_FIXED,
  MAP_SHARED,
  SYS_clone,
  SYS_exit,
  SYS_mmap,
  SYS_mprotect,
  SYS_munmap,
} from "@tsvisor/abi";
import type { AddressSpace } from "@tsvisor/platform";
import { HostError } from "@tsvisor/platform";
import {
  checkFileRange,
  checkUserRange,
  newRegisters,
  PROT_READ,
  PROT_WRITE,
  REG_R8,
  REG_R9,
  REG_R10,
  REG_R12,
  REG_RAX,
  REG_RBX,
  REG_RDI,
  REG_RDX,
  REG_RIP,
  REG_RSI,
  REG_RSP,
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
/** systrap threads also set/clear their slot's tid word (native/systrap.h). */
const SYSTRAP_THREAD_FLAGS = STUB_THREAD_FLAGS | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID;
/** Offset of `tid_word` in struct systrap_ctl. */
const CTL_TID_WORD = 64 + 27 * 8 + 8;
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

/** Lowest application address: Linux's default vm.mmap_min_addr. */
export const MIN_USER_ADDRESS = 0x10000;
/**
 * One past the highest application address. The stub's own image is linked
 * at this address (native/stub.c, binding.gyp) and it unmaps everything
 * else, so `[MIN_USER_ADDRESS, MAX_USER_ADDRESS)` is entirely the Sentry's.
 */
export const MAX_USER_ADDRESS = 0x7fffc0000000;

/** How application threads trap to the Sentry. */
export type PtraceMode = "sysemu" | "systrap";

/** systrap control file layout (native/systrap.h). */
export const SYSTRAP_SLOT_SIZE = 0x10000;
export const SYSTRAP_CTL_BASE = 0x7fffd0000000;
/** Control-file fd inside a stub. */
const STUB_CTLFD = 4;

/**
 * A stub thread running one Context in one address space. `slot` is its
 * systrap control slot (-1 under sysemu) and `ctl` that slot's address in
 * the Sentry.
 */
export interface StubThread {
  /** The stub process (address space) it belongs to. */
  readonly pid: number;
  readonly tid: number;
  readonly slot: number;
  readonly ctl: number;
}

/** What the platform shares with its address spaces. */
export interface StubHost {
  readonly native: PtraceNative;
  readonly mode: PtraceMode;
  readonly memfd: number;
  /** Size in bytes of the memory file behind `memfd`. */
  readonly memoryFileSize: number;
  /** Control file fd (systrap), or -1. */
  readonly ctlfd: number;
  /** Allocates a systrap control slot: its index and its address in the Sentry. */
  allocSlot(): { slot: number; ctl: number };
  /** Returns a slot whose thread has exited and which no stub maps any more. */
  freeSlot(slot: number): void;
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
  /** systrap control slots mapped into this stub (freed when their thread ends or the stub dies). */
  private readonly slots = new Set<number>();
  private released = false;

  constructor(
    private readonly host: StubHost,
    pgid = host.pgid,
  ) {
    this.pid = host.native.spawnStub(
      stubPath,
      host.memfd,
      host.ctlfd,
      pgid,
      host.mode,
      this.template,
    );
    this.gadget = regS64(this.template, REG_RIP);
    this.threadEntry = regS64(this.template, REG_RBX);
    this.threadExit = regS64(this.template, REG_R12);
    if (host.mode === "systrap") {
      // The globals page (slot 0) is shared by every stub.
      const r = this.inject(SYS_mmap, [
        SYSTRAP_CTL_BASE,
        4096,
        PROT_READ | PROT_WRITE,
        MAP_SHARED | MAP_FIXED,
        STUB_CTLFD,
        0,
      ]);
      if (r !== SYSTRAP_CTL_BASE) {
        this.release();
        throw new Error(`mapping the systrap globals into stub ${this.pid} failed: ${r}`);
      }
    }
  }
  /** Where a new systrap thread starts / how it exits (stub addresses). */
  private readonly threadEntry: number;
  readonly threadExit: number;

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
      this.freeSlots();
      this.host.forgetAddressSpace(this);
      throw new StubDiedError(this.pid, this.out[0]!);
    }
    if (kind !== STOP_SIGNAL) throw new Error(`unexpected stop ${kind} of stub ${this.pid}`);
    return regS64(r, REG_RAX);
  }

  mapFile(addr: number, length: number, offset: number, prot: number): number {
    this.checkRange(addr, length);
    checkFileRange("ptrace", offset, length, this.host.memoryFileSize);
    const r = this.inject(SYS_mmap, [
      addr,
      length,
      prot,
      MAP_SHARED | MAP_FIXED,
      STUB_MEMFD,
      offset,
    ]);
    if (r < 0 && r > -4096) return r;
    this.table.set(addr, addr + length, prot, offset);
    return 0;
  }

  unmap(addr: number, length: number): number {
    this.checkRange(addr, length);
    const r = this.inject(SYS_munmap, [addr, length]);
    if (r < 0) return r;
    this.table.set(addr, addr + length, null);
    return 0;
  }

  protect(addr: number, length: number, prot: number): number {
    this.checkRange(addr, length);
    const r = this.inject(SYS_mprotect, [addr, length, prot]);
    if (r < 0) return r;
    this.table.protect(addr, addr + length, prot);
    return 0;
  }

  /**
   * The AddressSpace range precondition: the stub's own image and control
   * slots lie above MAX_USER_ADDRESS, and a mapping there would destroy the
   * stub.
   */
  private checkRange(addr: number, length: number): void {
    checkUserRange("ptrace", addr, length, MIN_USER_ADDRESS, MAX_USER_ADDRESS);
  }

  /**
   * Creates a new stub thread (for one Context). Under sysemu it is left in
   * its initial SIGSTOP stop (its first resume suppresses it and sets all
   * registers). Under systrap it gets a control slot mapped at
   * SYSTRAP_CTL_BASE + slot * SYSTRAP_SLOT_SIZE, starts at the stub's thread
   * entry, is detached, and parks in its signal handler (first trap).
   */
  newThread(): StubThread {
    let slot = -1;
    let ctl = 0;
    if (this.host.mode === "systrap") {
      ({ slot, ctl } = this.host.allocSlot());
      const at = SYSTRAP_CTL_BASE + slot * SYSTRAP_SLOT_SIZE;
      const m = this.inject(SYS_mmap, [
        at,
        SYSTRAP_SLOT_SIZE,
        PROT_READ | PROT_WRITE,
        MAP_SHARED | MAP_FIXED,
        STUB_CTLFD,
        slot * SYSTRAP_SLOT_SIZE,
      ]);
      if (m !== at) throw new Error(`mapping a systrap slot failed: ${m}`);
    }
    let tid = 0;
    const flags = slot >= 0 ? SYSTRAP_THREAD_FLAGS : STUB_THREAD_FLAGS;
    const ctid = slot >= 0 ? SYSTRAP_CTL_BASE + slot * SYSTRAP_SLOT_SIZE + CTL_TID_WORD : 0;
    const r = this.inject(SYS_clone, [flags, 0, 0, ctid, 0], (t) => {
      tid = t;
    });
    if (r < 0 || tid === 0) throw new Error(`stub clone failed: ${r}`);
    const st = this.host.native.waitStop(tid);
    if ((st & 0xff) !== 0x7f) throw new StubDiedError(tid, st);
    if (slot < 0) {
      this.threads.add(tid);
      return { pid: this.pid, tid, slot, ctl };
    }
    const at = SYSTRAP_CTL_BASE + slot * SYSTRAP_SLOT_SIZE;
    const regs = this.scratch;
    regs.set(this.template);
    setReg(regs, REG_RIP, this.threadEntry);
    setReg(regs, REG_RDI, at);
    setReg(regs, REG_RSP, at + SYSTRAP_SLOT_SIZE - 64);
    this.host.native.detachThread(tid, regs);
    if (!this.host.native.trapWaitReady(ctl, 10_000)) {
      throw new Error(`systrap stub thread ${tid} did not start`);
    }
    this.slots.add(slot);
    return { pid: this.pid, tid, slot, ctl };
  }

  /** Forgets stub thread `t`, which has died. */
  threadDied(t: StubThread): void {
    this.threads.delete(t.tid);
  }

  /**
   * Ends stub thread `t`: a traced (sysemu) thread calls exit(0) through the
   * gadget; a systrap thread is told to return into the stub's thread exit.
   */
  endThread(t: StubThread): void {
    if (this.released) return;
    if (t.slot >= 0) {
      if (!this.slots.has(t.slot)) return;
      const r = this.scratch;
      r.set(this.template);
      setReg(r, REG_RIP, this.threadExit);
      this.host.native.trapResume(t.ctl, r);
      // Reuse the slot once the thread is gone and this stub no longer maps
      // it; a thread that does not exit keeps its slot (leaked, never shared).
      if (this.host.native.trapWaitExit(t.ctl, 5_000)) {
        const at = SYSTRAP_CTL_BASE + t.slot * SYSTRAP_SLOT_SIZE;
        if (this.inject(SYS_munmap, [at, SYSTRAP_SLOT_SIZE]) === 0) {
          this.slots.delete(t.slot);
          this.host.freeSlot(t.slot);
        }
      }
      return;
    }
    const tid = t.tid;
    if (!this.threads.delete(tid)) return;
    try {
      this.exitTraced(tid);
    } catch (e) {
      // ESRCH: the thread (or its whole stub) is already gone.
      if (!(e instanceof HostError && e.errno === ESRCH)) throw e;
    }
  }

  private exitTraced(tid: number): void {
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
    this.freeSlots();
  }

  /** The stub is dead and reaped: none of its slots is mapped anywhere. */
  private freeSlots(): void {
    for (const slot of this.slots) this.host.freeSlot(slot);
    this.slots.clear();
  }
}
