import type {
  AddressSpace,
  Context,
  FaultTrap,
  InterruptedTrap,
  Registers,
  SignalTrap,
  SyscallTrap,
  Trap,
} from "@tsvisor/platform";
import {
  newRegisters,
  REG_CS,
  REG_EFLAGS,
  REG_RIP,
  REG_SS,
  regU64,
  setReg,
} from "@tsvisor/platform";
import type { KvmAddressSpace } from "./address-space.js";
import {
  exceptionSignal,
  isSoftwareInterrupt,
  pageFault,
  pioInstructionStart,
  X86_GP,
  X86_PF,
  X86_UD,
} from "./exceptions.js";
import { USER_CS, USER_DS } from "./layout.js";
import {
  RUN_BAD_IO,
  RUN_EXCEPTION,
  RUN_INTERRUPTED,
  RUN_SYSCALL,
  RUN_TIMEOUT,
  X_CR2,
  X_DETAIL,
  X_DETAIL2,
  X_ERROR_CODE,
  X_EXIT_REASON,
  X_NUM,
  X_PORT,
  X_VECTOR,
} from "./native.js";
import type { KvmPlatform, Vcpu } from "./platform.js";

/** Where a context is in its life. */
export type ContextState =
  | { kind: "idle" }
  /** resume()d: running on its vCPU's worker thread until `waitAny` collects its trap. */
  | { kind: "running"; as: KvmAddressSpace }
  | { kind: "released" };

/**
 * One application thread: a vCPU of the platform's VM, with the thread's
 * registers in `regs` (user_regs_struct order, shared with the addon) and its
 * FP state kept by KVM in the vCPU (read and written as an XSAVE image).
 *
 * Owned by the Sentry thread, except `interrupt()`.
 */
export class KvmContext implements Context {
  readonly regs: Registers = newRegisters();
  /** Exit details written by the addon (native.ts X_*). */
  readonly xinfo = new Float64Array(X_NUM);
  /** Owned by the platform (see ContextState). */
  state: ContextState = { kind: "idle" };
  trap: Trap;
  private readonly syscallTrap: SyscallTrap = { kind: "syscall" };
  private readonly faultTrap: FaultTrap = {
    kind: "fault",
    addr: 0,
    access: "read",
    present: false,
    signo: 0,
  };
  private readonly signalTrap: SignalTrap = { kind: "signal", signo: 0, code: 0, addr: 0 };
  private readonly interruptedTrap: InterruptedTrap = { kind: "interrupted" };
  private readonly fp: Uint8Array;

  constructor(
    private readonly platform: KvmPlatform,
    /** The vCPU this context owns until release. */
    readonly vcpu: Vcpu,
  ) {
    this.trap = this.interruptedTrap;
    setReg(this.regs, REG_CS, USER_CS);
    setReg(this.regs, REG_SS, USER_DS);
    setReg(this.regs, REG_EFLAGS, 0x202);
    this.fp = new Uint8Array(platform.capabilities.fpStateSize);
  }

  switch(as: AddressSpace, timeoutMs = -1): Trap {
    const kas = this.platform.checkSwitch(this, as);
    const pages = kas.vcpuPages(this.vcpu.id);
    const r = this.platform.native.vcpuRun(
      this.vcpu.handle,
      kas.cr3,
      timeoutMs < 0 ? -1 : timeoutMs,
      pages.ist,
      pages.frame,
    );
    return this.complete(r, kas);
  }

  resume(as: AddressSpace): void {
    this.platform.resumeContext(this, as);
  }

  interrupt(): void {
    if (this.state.kind === "released") return;
    this.platform.native.vcpuInterrupt(this.vcpu.handle);
  }

  getFPState(): Uint8Array {
    this.platform.native.vcpuGetXsave(this.vcpu.handle, this.fp);
    return this.fp;
  }

  setFPState(state: Uint8Array): void {
    if (state.length < this.fp.length) throw new RangeError("kvm: FP state image too short");
    this.platform.native.vcpuSetXsave(this.vcpu.handle, state.subarray(0, this.fp.length));
  }

  release(): void {
    this.platform.releaseContext(this);
  }

  /**
   * Turns the addon's result of a run in `as` into this context's trap.
   * Called on the Sentry thread once the run is over.
   */
  complete(r: number, as: KvmAddressSpace): Trap {
    const x = this.xinfo;
    this.platform.exits[r & 7]!++;
    switch (r) {
      case RUN_SYSCALL:
        this.trap = this.syscallTrap;
        break;
      case RUN_EXCEPTION: {
        const vector = x[X_VECTOR]!;
        if (vector === X86_PF) {
          this.trap = pageFault(this.faultTrap, x[X_CR2]!, x[X_ERROR_CODE]!, (a) => as.isMapped(a));
        } else {
          const rip = regU64(this.regs, REG_RIP);
          const v =
            vector === X86_UD && isSoftwareInterrupt((a) => as.fetchByte(a), rip) ? X86_GP : vector;
          this.trap = exceptionSignal(this.signalTrap, v, rip, () => this.getFPState());
        }
        break;
      }
      case RUN_BAD_IO: {
        // IN/OUT from ring 3 without I/O permission: #GP on Linux, with rip
        // at the instruction.
        const rip = pioInstructionStart(
          (a) => as.fetchByte(a),
          regU64(this.regs, REG_RIP),
          x[X_PORT]!,
        );
        setReg(this.regs, REG_RIP, rip);
        this.trap = exceptionSignal(this.signalTrap, X86_GP, rip, () => this.fp);
        break;
      }
      case RUN_INTERRUPTED:
      case RUN_TIMEOUT:
        this.trap = this.interruptedTrap;
        break;
      default:
        throw new Error(
          `kvm: vCPU ${this.vcpu.id} stopped unexpectedly: exit reason ${x[X_EXIT_REASON]}, ` +
            `detail ${x[X_DETAIL]} / ${x[X_DETAIL2]}, rip ${x[X_VECTOR]!.toString(16)}`,
        );
    }
    return this.trap;
  }
}
