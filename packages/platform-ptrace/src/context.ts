import { BUS_ADRERR, SEGV_ACCERR, SEGV_MAPERR, SEGV_PKUERR, SIGBUS, SIGSEGV } from "@tsvisor/abi";
import type {
  AddressSpace,
  Context,
  MemoryFile,
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
  REG_ORIG_RAX,
  REG_RIP,
  REG_SS,
  regU64,
  setReg,
} from "@tsvisor/platform";
import { type PtraceAddressSpace, StubDiedError, type StubThread } from "./address-space.js";
import type { MappingTable } from "./mapping-table.js";
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
  readonly mode: "sysemu" | "systrap";
  /** systrap: how long the Sentry spins for a trap before sleeping (ns). */
  readonly spinNs: number;
  /** 1: pin the stub thread to the Sentry's current CPU at every switch. */
  readonly pin: number;
  /** systrap: the Sentry's view of the control file (for FP state in signal frames). */
  readonly controlView: DataView | null;
  /** systrap: the control file's address in the Sentry (its globals page first). */
  readonly controlBase: number;
  readonly kickSignal: number;
  readonly memoryFile: MemoryFile;
  readonly fpStateSize: number;
  /** Selector/flag template (from the anchor stub). */
  readonly template: Uint32Array;
  markResumed(ctx: PtraceContext, t: StubThread): void;
  markCollected(ctx: PtraceContext, t: StubThread): void;
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
 * - The FP state lives in the stub thread `fpThread` (null: in `fpBuf`); switching
 *   to another stub thread moves it there first.
 * - The Trap objects are preallocated; `trap` is one of them.
 */
export class PtraceContext implements Context {
  readonly regs: Uint32Array = newRegisters();
  private readonly out = new Float64Array(4);
  /** Native switch record id, or -1 before the first systrap switch. */
  private prepared = -1;
  private readonly threads = new Map<PtraceAddressSpace, StubThread>();
  private readonly fpBuf: Uint8Array;
  /** Thread holding the live FP state; null when `fpBuf` holds it. */
  private fpThread: StubThread | null = null;
  /** Whether `fpBuf` holds state that must be written to the next thread. */
  private fpDirty = false;
  private state: RunState = "stopped";
  private curAS: PtraceAddressSpace | null = null;
  private cur: StubThread | null = null;
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

  /** This context's native switch record (see PtraceNative.trapPrepare), made on first use. */
  private preparedId(): number {
    if (this.prepared < 0) {
      this.prepared = this.host.native.trapPrepare(
        this.regs,
        this.out,
        this.host.spinNs,
        this.host.pin,
        this.host.controlBase,
      );
    }
    return this.prepared;
  }

  /** The stub thread for `as`, created on first use; the FP state is moved to it. */
  private bind(as: PtraceAddressSpace): StubThread {
    if (this.released) throw new Error("context released");
    if (as.isReleased) throw new Error("address space released");
    let t = this.threads.get(as);
    if (t === undefined) {
      t = as.newThread();
      this.threads.set(as, t);
    }
    if (t !== this.fpThread) {
      if (this.fpThread !== null) {
        this.readFP(this.fpThread);
        this.fpDirty = true;
      }
      if (this.fpDirty) this.writeFP(t);
      this.fpThread = t;
      this.fpDirty = false;
    }
    this.curAS = as;
    this.cur = t;
    this.sanitize();
    return t;
  }

  /**
   * Copies thread `t`'s FP state into `fpBuf`: over ptrace (sysemu), or from
   * the XSAVE area of its pending signal frame in its control slot (systrap).
   */
  private readFP(t: StubThread): void {
    if (t.slot < 0) {
      this.host.native.getFP(t.tid, this.fpBuf);
      return;
    }
    const off = this.frameFP(t);
    const view = this.host.controlView!;
    this.fpBuf.set(new Uint8Array(view.buffer, view.byteOffset + off, this.fpBuf.length));
  }

  /** Writes `fpBuf` into thread `t` (the inverse of readFP). */
  private writeFP(t: StubThread): void {
    if (t.slot < 0) {
      this.host.native.setFP(t.tid, this.fpBuf, this.fpBuf.length);
      return;
    }
    const off = this.frameFP(t);
    const view = this.host.controlView!;
    const frame = new Uint8Array(view.buffer, view.byteOffset + off, this.fpBuf.length);
    // Keep the frame's own software-reserved bytes (464..511: the xstate
    // magic and size rt_sigreturn checks); copy everything else.
    frame.set(this.fpBuf.subarray(0, 464), 0);
    frame.set(this.fpBuf.subarray(512), 512);
  }

  /** Offset in the control view of `t`'s signal-frame XSAVE area. */
  private frameFP(t: StubThread): number {
    const base = t.ctl - this.host.controlBase;
    const fpOff = Number(this.host.controlView!.getBigUint64(base + 48, true));
    return base + fpOff;
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
    if (this.fpThread !== null) this.readFP(this.fpThread);
    return this.fpBuf;
  }

  setFPState(state: Uint8Array): void {
    if (state !== this.fpBuf) this.fpBuf.set(state.subarray(0, this.fpBuf.length));
    if (this.fpThread !== null) this.writeFP(this.fpThread);
    else this.fpDirty = true;
  }

  switch(as: AddressSpace, timeoutMs = -1): Trap {
    if (this.state === "running") throw new Error("context is already running");
    const pas = as as PtraceAddressSpace;
    const t = this.bind(pas);
    const kind =
      t.slot >= 0
        ? this.host.native.trapSwitchPrepared(this.preparedId(), t.ctl, pas.pid, t.tid, timeoutMs)
        : this.host.native.sysemu(pas.pid, t.tid, this.regs, timeoutMs, this.out, this.host.pin);
    return this.finish(kind);
  }

  resume(as: AddressSpace): void {
    if (this.state === "running") throw new Error("context is already running");
    const pas = as as PtraceAddressSpace;
    const t = this.bind(pas);
    if (t.slot >= 0) this.host.native.trapResume(t.ctl, this.regs);
    else this.host.native.resume(t.tid, this.regs);
    this.state = "running";
    this.host.markResumed(this, t);
  }

  /**
   * Completes a resume once waitAny saw this context's thread stop: with its
   * wait status (sysemu), or with its slot trapped (systrap).
   */
  collect(status: number): void {
    const t = this.cur!;
    this.state = "stopped";
    this.host.markCollected(this, t);
    this.finish(
      t.slot >= 0
        ? this.host.native.trapCollect(t.ctl, this.regs, this.out)
        : this.host.native.decode(t.tid, status, this.regs, this.out),
    );
  }

  /** Turns a stop into this context's Trap. */
  private finish(kind: number): Trap {
    this.state = "stopped";
    switch (kind) {
      case STOP_SYSCALL:
        this.trap =
          this.cur !== null && this.cur.slot < 0 && this.isInt80()
            ? this.int80()
            : this.syscallTrap;
        break;
      case STOP_SIGNAL:
        this.trap = this.classify(this.out[0]!, this.out[1]!, this.out[2]!, this.out[3]!);
        break;
      case STOP_INTERRUPTED:
        this.trap = this.interruptedTrap;
        break;
      case STOP_EXITED: {
        // The stub thread is gone (killed, or its stub killed by seccomp):
        // forget it, so a later switch into that address space makes a new
        // one (or fails cleanly if the whole stub died).
        const t = this.cur;
        if (t !== null && this.curAS !== null) {
          this.threads.delete(this.curAS);
          this.curAS.threadDied(t);
          if (this.fpThread === t) this.fpThread = null;
        }
        this.cur = null;
        this.curAS = null;
        throw new StubDiedError(t?.tid ?? 0, this.out[0]!);
      }
      default:
        throw new Error(`unexpected stop kind ${kind} of stub thread ${this.cur?.tid}`);
    }
    return this.trap;
  }

  /**
   * Whether the PTRACE_SYSEMU stop came from `int $0x80` (cd 80) rather than
   * `syscall` (0f 05): both stop the same way, so read the two bytes before
   * rip through the memory file. (Under systrap, seccomp tells by the arch.)
   */
  private isInt80(): boolean {
    const rip = regU64(this.regs, REG_RIP);
    const table = this.curAS?.table;
    if (table === undefined || rip < 2) return false;
    return this.codeByte(table, rip - 2) === 0xcd && this.codeByte(table, rip - 1) === 0x80;
  }

  private codeByte(table: MappingTable, addr: number): number {
    const off = table.offsetAt(addr);
    if (off < 0) return -1;
    const mf = this.host.memoryFile;
    return mf.chunk(Math.floor(off / mf.chunkSize))[off % mf.chunkSize]!;
  }

  /**
   * `int $0x80` is a 32-bit syscall; tsvisor has no ia32 emulation, and
   * Linux built without it raises SIGSEGV with si_code SI_KERNEL.
   */
  private int80(): Trap {
    const s = this.signalTrap;
    s.signo = SIGSEGV;
    s.code = 0x80; // SI_KERNEL
    s.addr = 0;
    setReg(this.regs, REG_ORIG_RAX, -1);
    return s;
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
   * Under systrap the stub's handler sees the real page-fault error code in
   * its signal frame (`err`, when `trapno` is 14), which is used instead.
   */
  private classify(signo: number, code: number, addr: number, pfErr: number): Trap {
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
    if (pfErr >= 0 && signo === SIGSEGV) {
      // x86 #PF error code: bit 1 write, bit 4 instruction fetch. (Its bit 0,
      // "PTE present", is not `present`: a never-touched page of a read-only
      // mapping has no PTE yet; si_code says whether the mapping forbade it.)
      f.access = (pfErr & 0x10) !== 0 ? "exec" : (pfErr & 2) !== 0 ? "write" : "read";
      return f;
    }
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
    if (this.state !== "running" || this.cur === null || this.curAS === null) return;
    this.host.native.tgkill(this.curAS.pid, this.cur.tid, this.host.kickSignal);
  }

  /** Drops this context's thread in `as` (the address space is going away). */
  forget(as: PtraceAddressSpace): void {
    const t = this.threads.get(as);
    if (t === undefined) return;
    this.threads.delete(as);
    if (this.fpThread === t) this.fpThread = null;
    if (this.curAS === as) {
      if (this.state === "running") this.host.markCollected(this, t);
      this.curAS = null;
      this.cur = null;
      this.state = "stopped";
    }
  }

  release(): void {
    if (this.released) return;
    if (this.state === "running" && this.curAS !== null && this.cur !== null) {
      // Stop it first so the thread can be told to exit.
      const t = this.cur;
      this.host.native.tgkill(this.curAS.pid, t.tid, this.host.kickSignal);
      if (t.slot >= 0) this.host.native.trapWaitReady(t.ctl, 10_000);
      else this.host.native.waitStop(t.tid);
      this.host.markCollected(this, t);
      this.state = "stopped";
    }
    this.released = true;
    if (this.prepared >= 0) this.host.native.trapUnprepare(this.prepared);
    this.prepared = -1;
    for (const [as, t] of this.threads) as.endThread(t);
    this.threads.clear();
    this.fpThread = null;
    this.host.forgetContext(this);
  }
}
