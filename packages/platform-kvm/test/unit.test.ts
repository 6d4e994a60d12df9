import {
  EACCES,
  EINVAL,
  ENOENT,
  FPE_FLTDIV,
  FPE_FLTINV,
  FPE_FLTRES,
  SI_KERNEL,
  SIGBUS,
  SIGSEGV,
  SIGTRAP,
  TRAP_TRACE,
} from "@tsvisor/abi";
import type { FaultTrap, SignalTrap } from "@tsvisor/platform";
import { describe, expect, it } from "vitest";
import {
  exceptionSignal,
  fpExceptionCode,
  isSoftwareInterrupt,
  pageFault,
  pioInstructionStart,
  X86_AC,
  X86_BP,
  X86_DB,
  X86_GP,
  X86_MF,
  X86_SS,
  X86_XM,
} from "../src/exceptions.js";
import { PTE_HI_NX, PTE_P, PTE_U, PTE_W } from "../src/layout.js";
import {
  EDIT_ADDED,
  EDIT_NARROWED,
  EDIT_NONE,
  entryAddress,
  leafWords,
  writeLeaf,
} from "../src/page-tables.js";
import { probeKvm } from "../src/platform.js";
import type { PrivateMemory } from "../src/private-memory.js";

describe("probe reasons", () => {
  const probe = (stage: number, err: number) => probeKvm({ probe: () => [stage, err] });
  it("is ok when the addon's probe passes", () => {
    expect(probe(0, 0)).toEqual({ ok: true });
  });
  it("says what to do when /dev/kvm is missing or not accessible", () => {
    const missing = probe(1, ENOENT);
    expect(missing.ok).toBe(false);
    if (!missing.ok) {
      expect(missing.reason).toMatch(/does not exist/);
      expect(missing.fix).toMatch(/kvm_intel or kvm_amd/);
      expect(missing.fix).toMatch(/nested virtualisation/);
    }
    const denied = probe(1, EACCES);
    expect(denied.ok).toBe(false);
    if (!denied.ok) expect(denied.fix).toMatch(/group kvm/);
  });
  it("reports KVM_CREATE_VM failures and missing capabilities", () => {
    const vm = probe(3, EINVAL);
    expect(!vm.ok && vm.reason.includes("KVM_CREATE_VM")).toBe(true);
    const cap = probe(4, 40);
    expect(!cap.ok && cap.reason.includes("capability 40")).toBe(true);
  });
});

describe("page-table edits", () => {
  const mem = { words: new Uint32Array(16) } as unknown as PrivateMemory;
  it("builds leaves with the asked rights and reads their address back", () => {
    const [lo, hi] = leafWords(0x123456789000, true, true, false);
    expect(lo & (PTE_P | PTE_U | PTE_W)).toBe(PTE_P | PTE_U | PTE_W);
    expect((hi & PTE_HI_NX) >>> 0).toBe(PTE_HI_NX);
    expect(entryAddress(lo, hi)).toBe(0x123456789000);
  });
  it("classifies edits: adding is free, narrowing or moving needs a flush, widening does not", () => {
    const rw = leafWords(0x5000, true, true, false);
    const ro = leafWords(0x5000, true, false, false);
    const rx = leafWords(0x5000, true, false, true);
    const moved = leafWords(0x6000, true, true, false);
    expect(writeLeaf(mem, 0, ro[0], ro[1])).toBe(EDIT_ADDED);
    expect(writeLeaf(mem, 0, ro[0], ro[1])).toBe(EDIT_NONE);
    expect(writeLeaf(mem, 0, rw[0], rw[1])).toBe(EDIT_ADDED); // RO -> RW: widening
    expect(writeLeaf(mem, 0, ro[0], ro[1])).toBe(EDIT_NARROWED); // RW -> RO
    expect(writeLeaf(mem, 0, rx[0], rx[1])).toBe(EDIT_ADDED); // NX -> X: widening
    expect(writeLeaf(mem, 0, ro[0], ro[1])).toBe(EDIT_NARROWED); // X -> NX
    expect(writeLeaf(mem, 0, moved[0], moved[1])).toBe(EDIT_NARROWED);
    expect(writeLeaf(mem, 0, 0, 0)).toBe(EDIT_NARROWED);
    expect(writeLeaf(mem, 0, 0, 0)).toBe(EDIT_NONE);
  });
});

describe("exception decoding", () => {
  const sig = (): SignalTrap => ({ kind: "signal", signo: 0, code: 0, addr: 0 });
  const fxsave = (cwd: number, swd: number, mxcsr: number) => {
    const b = new Uint8Array(512);
    const dv = new DataView(b.buffer);
    dv.setUint16(0, cwd, true);
    dv.setUint16(2, swd, true);
    dv.setUint32(24, mxcsr, true);
    return b;
  };
  it("maps vectors to Linux's signals", () => {
    expect(exceptionSignal(sig(), X86_BP, 0x1000, () => new Uint8Array(512))).toMatchObject({
      signo: SIGTRAP,
      code: SI_KERNEL,
      addr: 0,
    });
    expect(exceptionSignal(sig(), X86_DB, 0x1000, () => new Uint8Array(512))).toMatchObject({
      signo: SIGTRAP,
      code: TRAP_TRACE,
    });
    expect(exceptionSignal(sig(), X86_GP, 0x1000, () => new Uint8Array(512))).toMatchObject({
      signo: SIGSEGV,
      code: SI_KERNEL,
      addr: 0,
    });
    expect(exceptionSignal(sig(), X86_SS, 0x1000, () => new Uint8Array(512)).signo).toBe(SIGBUS);
    expect(exceptionSignal(sig(), X86_AC, 0x1000, () => new Uint8Array(512)).signo).toBe(SIGBUS);
  });
  it("derives #MF/#XM si_code from the unmasked exception flags, as fpu__exception_code does", () => {
    // x87: divide-by-zero flagged and unmasked (ZM clear in the control word).
    expect(fpExceptionCode(X86_MF, fxsave(0x37f & ~0x4, 0x4, 0x1f80))).toBe(FPE_FLTDIV);
    // SSE: invalid flagged (IE), unmasked (IM clear).
    expect(fpExceptionCode(X86_XM, fxsave(0x37f, 0, (0x1f80 & ~0x80) | 0x1))).toBe(FPE_FLTINV);
    // SSE: precision flagged with only PM clear.
    expect(fpExceptionCode(X86_XM, fxsave(0x37f, 0, (0x1f80 & ~0x1000) | 0x20))).toBe(FPE_FLTRES);
  });
  it("treats `int n` that PVM delivers as #UD as a software interrupt", () => {
    const code = [0xcd, 0x81];
    expect(isSoftwareInterrupt((a) => code[a] ?? -1, 0)).toBe(true);
    expect(isSoftwareInterrupt((a) => [0x0f, 0x0b][a] ?? -1, 0)).toBe(false);
  });
  it("finds the IN/OUT instruction whether KVM reported rip at or after it", () => {
    const code = [0x90, 0xe6, 0xc3, 0x90, 0x66, 0xef, 0x90, 0xee];
    const f = (a: number) => code[a] ?? -1;
    expect(pioInstructionStart(f, 1, 0xc3)).toBe(1); // at
    expect(pioInstructionStart(f, 3, 0xc3)).toBe(1); // after out imm8
    expect(pioInstructionStart(f, 6, 0xe0)).toBe(4); // after 66 out %eax/%ax, (%dx)
    expect(pioInstructionStart(f, 8, 0xe0)).toBe(7); // after out %al, (%dx)
  });
  it("reports a kernel-half fault as not present and a PROT_NONE page as present", () => {
    const t: FaultTrap = { kind: "fault", addr: 0, access: "read", present: false, signo: 0 };
    expect(pageFault(t, Number(0xffffff8000001000n), 0x7, () => true).present).toBe(false);
    expect(pageFault(t, 0x10000, 0x4, () => true).present).toBe(true);
    expect(pageFault(t, 0x10000, 0x14, () => false)).toMatchObject({
      present: false,
      access: "exec",
      signo: SIGSEGV,
    });
  });
});
