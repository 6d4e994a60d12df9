import { BUS_ADRERR, SEGV_ACCERR, SEGV_MAPERR, SEGV_PKUERR, SIGBUS, SIGSEGV } from "@tsvisor/abi";
import type {
  AddressSpace,
  Context,
  FaultTrap,
  InterruptedTrap,
  SignalTrap,
  SyscallTrap,
  Trap,
} from "@tsvisor/platform";
import {
  newRegisters,
  PROT_EXEC,
  PROT_READ,
  PROT_WRITE,
  REG_CS,
  REG_DS,
  REG_EFLAGS,
  REG_ES,
  REG_FS,
  REG_GS,
  REG_RIP,
  REG_SS,
  regU64,
} from "@tsvisor/platform";
import { type PtraceAddressSpace, StubDiedError } from "./address-space.js";
import {
  type PtraceNative,
  STOP_EXITED,
  STOP_INTERRUPTED,
  STOP_SIGNAL,
  STOP_SYSCALL,
} from "./native.js";

/** What a PtraceContext needs from its platform. */
export interface ContextHost {
  readonly native: PtraceNative;
  readonly kickSignal: number;
  readonly fpStateSize: number;
  /** Selector/flag template (from the anchor stub). */
  readonly template: Uint32Array;
  markResumed(ctx: PtraceContext, tid: number): void;
  markCollected(ctx: PtraceContext, tid: number): void;
  forgetContext(ctx: PtraceContext): void;
}

/** Longest x86 instruction: an instruction fetch can fault up to this far past rip. */
const MAX_INSN = 15;

/**
 * Run states of a Context. `running`: resumed and not yet collected by
 * waitAny (or inside switch); `stopped`: its thread is at a ptrace stop.
 */
type RunState = "stopped" | "running";

/**
 * A Context of the ptrace platform: the application thread's registers and
 * FP state, run by one stub thread per address space it has entered
 * (created on first use, like gVisor's per-thread subprocess threads).
 *
 * Invariants:
 * - `regs` is the truth between switches; it is written to the stub thread
 *   before every resume and read back at every stop.
 * - The FP state lives in the host thread `fpTid` (0: in `fpBuf`); switching
 *   to another stub thread moves it there first.
 * - The Trap objects are preallocated; `trap` is one of them.
 */
export class PtraceContext implements Context {
  readonly regs: Uint32Array = newRegisters();
  private readonly out = new Float64Array(4);
  private readonly threads = new Map<PtraceAddressSpace, number>();
  private readonly fpBuf: Uint8Array;
  /** Thread holding the live FP state; 0 when `fpBuf` holds it. */
  private fpTid = 0;
  /** Whether `fpBuf` holds state that must be written to the next thread. */
  private fpDirty = false;
  private state: RunState = "stopped";
  private curAS: PtraceAddressSpace | null = null;
  private curTid = 0;
  private released = false;

  private readonly syscallTrap: SyscallTrap = { kind: "syscall" };
  private readonly faultTrap: FaultTrap = {
    kind: "fault",
    addr: 0,
    access: "read",
    present: false,
    signo: SIGSEGV,
  };
  private readonly signalTrap: SignalTrap = { kind: "signal", signo: 0, code: 0, addr: 0 };
  private readonly interruptedTrap: InterruptedTrap = { kind: "interrupted" };
  trap: Trap = this.interruptedTrap;

  constructor(private readonly host: ContextHost) {
    this.fpBuf = new Uint8Array(host.fpStateSize);
    const t = host.template;
    for (const i of [REG_CS, REG_SS, REG_DS, REG_ES, REG_FS, REG_GS]) {
      this.regs[2 * i] = t[2 * i]!;
      this.regs[2 * i + 1] = t[2 * i + 1]!;
    }
    this.regs[2 * REG_EFLAGS] = 0x202;
  }

  /** The tid of the stub thread for `as`, creating it and moving FP state to it. */
  private bind(as: PtraceAddressSpace): number {
    if (this.released) throw new Error("context released");
    if (as.isReleased) throw new Error("address space released");
    let tid = this.threads.get(as);
    if (tid === undefined) {
      tid = as.newThread();
      this.threads.set(as, tid);
    }
    if (tid !== this.fpTid) {
      if (this.fpTid !== 0) {
        this.host.native.getFP(this.fpTid, this.fpBuf);
        this.fpDirty = true;
      }
      if (this.fpDirty) this.host.native.setFP(tid, this.fpBuf, this.fpBuf.length);
      this.fpTid = tid;
      this.fpDirty = false;
    }
    this.curAS = as;
    this.curTid = tid;
    this.sanitize();
    return tid;
  }

  /** Forces segment selectors to the stub's: the application cannot leave 64-bit mode. */
  private sanitize(): void {
    const r = this.regs;
    const t = this.host.template;
    r[2 * REG_CS] = t[2 * REG_CS]!;
    r[2 * REG_CS + 1] = 0;
    r[2 * REG_SS] = t[2 * REG_SS]!;
    r[2 * REG_SS + 1] = 0;
  }

  getFPState(): Uint8Array {
    if (this.fpTid !== 0) this.host.native.getFP(this.fpTid, this.fpBuf);
    return this.fpBuf;
  }

  setFPState(state: Uint8Array): void {
    if (state !== this.fpBuf) this.fpBuf.set(state.subarray(0, this.fpBuf.length));
    if (this.fpTid !== 0) this.host.native.setFP(this.fpTid, this.fpBuf, this.fpBuf.length);
    else this.fpDirty = true;
  }

  switch(as: AddressSpace, timeoutMs = -1): Trap {
    if (this.state === "running") throw new Error("context is already running");
    const pas = as as PtraceAddressSpace;
    const tid = this.bind(pas);
    const kind = this.host.native.sysemu(pas.pid, tid, this.regs, timeoutMs, this.out, 1);
    return this.finish(kind);
  }

  resume(as: AddressSpace): void {
    if (this.state === "running") throw new Error("context is already running");
    const pas = as as PtraceAddressSpace;
    const tid = this.bind(pas);
    this.host.native.resume(tid, this.regs);
    this.state = "running";
    this.host.markResumed(this, tid);
  }

  /** Completes a resume with the wait status waitAny got for this context's thread. */
  collect(tid: number, status: number): void {
    this.state = "stopped";
    this.host.markCollected(this, tid);
    this.finish(this.host.native.decode(tid, status, this.regs, this.out));
  }

  /** Turns a stop into this context's Trap. */
  private finish(kind: number): Trap {
    this.state = "stopped";
    switch (kind) {
      case STOP_SYSCALL:
        this.trap = this.syscallTrap;
        break;
      case STOP_SIGNAL:
        this.trap = this.classify(this.out[0]!, this.out[1]!, this.out[2]!);
        break;
      case STOP_INTERRUPTED:
        this.trap = this.interruptedTrap;
        break;
      case STOP_EXITED: {
        const tid = this.curTid;
        throw new StubDiedError(tid, this.out[0]!);
      }
      default:
        throw new Error(`unexpected stop kind ${kind} of stub thread ${this.curTid}`);
    }
    return this.trap;
  }

  /**
   * Turns a synchronous host signal into a Trap.
   *
   * SIGSEGV with SEGV_MAPERR/SEGV_ACCERR/SEGV_PKUERR and SIGBUS with
   * BUS_ADRERR are memory faults: `present` is SEGV_ACCERR/PKUERR (or
   * BUS_ADRERR: the page is mapped). ptrace does not expose the x86 page-fault
   * error code, so the access kind is inferred:
   * - exec when the faulting address is rip, or is in the 15 bytes after rip
   *   on a page that is not mapped executable (an instruction crossing into it);
   * - write when the page is present and mapped readable (a read would not
   *   have faulted);
   * - read otherwise. A write to a not-present page is reported as a read;
   *   once mm maps the page, the retried write faults again as present and
   *   is then reported as a write (one extra round trip, same outcome).
   */
  private classify(signo: number, code: number, addr: number): Trap {
    const isFault =
      (signo === SIGSEGV &&
        (code === SEGV_MAPERR || code === SEGV_ACCERR || code === SEGV_PKUERR)) ||
      (signo === SIGBUS && code === BUS_ADRERR);
    if (!isFault) {
      const s = this.signalTrap;
      s.signo = signo;
      s.code = code;
      s.addr = addr;
      return s;
    }
    const f = this.faultTrap;
    f.addr = addr;
    f.signo = signo;
    f.present = signo === SIGBUS || code !== SEGV_MAPERR;
    const rip = regU64(this.regs, REG_RIP);
    const prot = this.curAS === null ? -1 : this.curAS.table.protAt(addr);
    if (
      addr === rip ||
      (addr > rip && addr - rip < MAX_INSN && (prot < 0 || (prot & PROT_EXEC) === 0))
    ) {
      f.access = "exec";
    } else if (f.present && prot >= 0 && (prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) !== 0) {
      // x86 pages are readable whenever they are mapped with any access.
      f.access = "write";
    } else {
      f.access = "read";
    }
    return f;
  }

  interrupt(): void {
    if (this.state !== "running" || this.curTid === 0 || this.curAS === null) return;
    this.host.native.tgkill(this.curAS.pid, this.curTid, this.host.kickSignal);
  }

  /** Drops this context's thread in `as` (the address space is going away). */
  forget(as: PtraceAddressSpace): void {
    const tid = this.threads.get(as);
    if (tid === undefined) return;
    this.threads.delete(as);
    if (this.fpTid === tid) this.fpTid = 0;
    if (this.curAS === as) {
      this.curAS = null;
      this.curTid = 0;
      this.state = "stopped";
    }
  }

  release(): void {
    if (this.released) return;
    if (this.state === "running" && this.curAS !== null) {
      // Stop it first so the thread can be told to exit.
      this.host.native.tgkill(this.curAS.pid, this.curTid, this.host.kickSignal);
      this.host.native.waitStop(this.curTid);
      this.host.markCollected(this, this.curTid);
      this.state = "stopped";
    }
    this.released = true;
    for (const [as, tid] of this.threads) as.endThread(tid);
    this.threads.clear();
    this.fpTid = 0;
    this.host.forgetContext(this);
  }
}
