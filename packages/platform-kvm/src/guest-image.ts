import {
  CODE_VA,
  CR0_AM,
  CR0_ET,
  CR0_MP,
  CR0_NE,
  CR0_PE,
  CR0_PG,
  CR0_WP,
  CR4_OSFXSR,
  CR4_OSXMMEXCPT,
  CR4_OSXSAVE,
  CR4_PAE,
  EFER_LMA,
  EFER_LME,
  EFER_NXE,
  EFER_SCE,
  EXC_PORT0,
  EXC_STUB,
  EXC_STUB_STRIDE,
  EXC_VECTORS,
  GDT_ENTRIES,
  IDT_VA,
  KERNEL_CS,
  MAX_VCPUS,
  MSR_CSTAR,
  MSR_FS_BASE,
  MSR_GS_BASE,
  MSR_KERNEL_GS_BASE,
  MSR_LSTAR,
  MSR_SFMASK,
  MSR_STAR,
  PERCPU_GDT,
  PERCPU_SIZE,
  PERCPU_TSS,
  PERCPU_VA,
  PLATFORM_PML4_INDEX,
  PLATFORM_VA,
  SYSCALL_PORT,
  SYSCALL_RFLAGS_MASK,
  SYSCALL_STUB,
  TSS_IOMAP,
  TSS_LIMIT,
  TSS_SEL,
  USER_CS,
  USER_DS,
  USER_PERCPU_FRAME,
  USER_PERCPU_IST,
  USER_PERCPU_SIZE,
  USER_PERCPU_VA,
  USER_RFLAGS_MASK,
} from "./layout.js";
import { SREGS_WORDS } from "./native.js";
import { leafWords, nextTable } from "./page-tables.js";
import type { PrivateMemory } from "./private-memory.js";

/** x86 instruction bytes of the trampoline. */
const OUT_AL_IMM8 = 0xe6;
const IRETQ = [0x48, 0xcf];
const UD2 = [0x0f, 0x0b];

/** Vectors whose exception pushes an error code. */
export function hasErrorCode(vector: number): boolean {
  return (
    vector === 8 ||
    (vector >= 10 && vector <= 14) ||
    vector === 17 ||
    vector === 21 ||
    vector === 29 ||
    vector === 30
  );
}

/** What guest-image.ts set up for one vCPU. */
export interface VcpuArea {
  readonly gdtVa: bigint;
  readonly tssVa: bigint;
  /** Top of the IST stack (16-byte aligned); the page is per address space. */
  readonly istTopVa: bigint;
  /** The IRET frame (5 words, read-only to the guest); the page is per address space. */
  readonly frameVa: bigint;
}

/**
 * The platform area every address space shares: the IDT, the trampoline
 * page, and per-vCPU GDT/TSS pages, all mapped under PML4 slot 511 through
 * one PDPT that each address space's root links. (Each address space maps its
 * own IST stack and IRET frame pages per vCPU: see address-space.ts.)
 *
 * The trampoline runs in whichever ring SYSCALL leaves it in (ring 3 on PVM,
 * ring 0 on bare-metal KVM): `out %al, $port` is legal in both (the TSS I/O
 * bitmap opens the port to ring 3), and the IRETQ after it returns to the
 * program in ring 3 from either. Exception gates target the user code
 * segment with IST 1, so their stubs run in ring 3 on every host.
 *
 * Invariant: the platform area's pages are never unmapped or changed once
 * mapped, so they never need a flush.
 */
export class GuestImage {
  /** GPA of the PDPT that PML4[511] of every root points to. */
  readonly pdpt: number;

  constructor(private readonly mem: PrivateMemory) {
    this.pdpt = this.page();
    const idt = this.page();
    const code = this.page();
    this.writeIdt(idt);
    this.writeCode(code);
    this.map(IDT_VA, idt, false, false, false);
    this.map(CODE_VA, code, true, false, true);
  }

  /** Allocates a new root (PML4) that maps only the platform area. Returns -1 when out of memory. */
  newRoot(): number {
    const root = this.mem.allocPage();
    if (root < 0) return -1;
    const i = this.mem.wordIndex(root) + PLATFORM_PML4_INDEX * 2;
    const [lo, hi] = leafWords(this.pdpt, true, true, true);
    this.mem.words[i] = lo;
    this.mem.words[i + 1] = hi & 0x7fffffff;
    return root;
  }

  /** Sets up vCPU `id`'s GDT and TSS page; says where its per-address-space pages go. */
  setupVcpu(id: number): VcpuArea {
    if (id < 0 || id >= MAX_VCPUS) throw new RangeError(`vCPU id ${id} out of range`);
    const base = PERCPU_VA + BigInt(id * PERCPU_SIZE);
    const gdtPage = this.page();
    const gdtVa = base + BigInt(PERCPU_GDT);
    const tssVa = base + BigInt(PERCPU_TSS);
    const user = USER_PERCPU_VA + BigInt(id * USER_PERCPU_SIZE);
    const istTopVa = user + BigInt(USER_PERCPU_IST + 0x1000);
    const frameVa = user + BigInt(USER_PERCPU_FRAME);
    this.writeGdtTss(gdtPage, tssVa, istTopVa);
    this.map(gdtVa, gdtPage, false, true, false);
    return { gdtVa, tssVa, istTopVa, frameVa };
  }

  /** The sregs image (native.ts SREGS_WORDS) of a vCPU in ring 3 in address space `cr3`. */
  sregs(area: VcpuArea, cr3: number, xsave: boolean): BigUint64Array {
    const s = new BigUint64Array(SREGS_WORDS);
    const code = 0xbn | (1n << 4n) | (3n << 5n) | (1n << 7n) | (1n << 9n) | (1n << 11n);
    const data = 0x3n | (1n << 4n) | (3n << 5n) | (1n << 7n) | (1n << 10n) | (1n << 11n);
    const seg = (i: number, base: bigint, limit: bigint, sel: number, attrs: bigint) => {
      s[4 * i] = base;
      s[4 * i + 1] = limit;
      s[4 * i + 2] = BigInt(sel);
      s[4 * i + 3] = attrs;
    };
    // cs ds es fs gs ss tr ldt
    seg(0, 0n, 0xffffffffn, USER_CS, code);
    seg(1, 0n, 0xffffffffn, USER_DS, data);
    seg(2, 0n, 0xffffffffn, USER_DS, data);
    seg(3, 0n, 0xffffffffn, 0, data);
    seg(4, 0n, 0xffffffffn, 0, data);
    seg(5, 0n, 0xffffffffn, USER_DS, data);
    seg(6, area.tssVa, BigInt(TSS_LIMIT), TSS_SEL, 0xbn | (1n << 7n));
    seg(7, 0n, 0n, 0, 1n << 16n);
    s[32] = area.gdtVa;
    s[33] = BigInt(GDT_ENTRIES * 8 - 1);
    s[34] = IDT_VA;
    s[35] = 4095n;
    s[36] = BigInt((CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG) >>> 0);
    s[37] = 0n;
    s[38] = BigInt(cr3);
    s[39] = BigInt(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT | (xsave ? CR4_OSXSAVE : 0));
    s[40] = 0n;
    s[41] = BigInt(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE);
    s[42] = 0n;
    return s;
  }

  /** MSR indices and values every vCPU starts with. */
  msrs(): [Uint32Array, BigUint64Array] {
    const idx = [
      MSR_STAR,
      MSR_LSTAR,
      MSR_CSTAR,
      MSR_SFMASK,
      MSR_KERNEL_GS_BASE,
      MSR_FS_BASE,
      MSR_GS_BASE,
    ];
    const lstar = CODE_VA + BigInt(SYSCALL_STUB);
    // STAR: SYSCALL loads CS = 0x10, SS = 0x18 (bare metal); SYSRET is never used.
    const star = (0x23n << 48n) | (BigInt(KERNEL_CS) << 32n);
    const val = [star, lstar, lstar, BigInt(SYSCALL_RFLAGS_MASK), 0n, 0n, 0n];
    return [Uint32Array.from(idx), BigUint64Array.from(val)];
  }

  /** The run-loop configuration of the addon (native/kvm.cc VcpuConfigure). */
  runConfig(area: VcpuArea): BigUint64Array {
    return BigUint64Array.from([
      BigInt(SYSCALL_PORT),
      BigInt(EXC_PORT0),
      BigInt(EXC_VECTORS),
      CODE_VA + BigInt(SYSCALL_STUB),
      CODE_VA + BigInt(EXC_STUB),
      BigInt(EXC_STUB_STRIDE),
      area.frameVa,
      BigInt(USER_CS),
      BigInt(USER_DS),
      BigInt(USER_RFLAGS_MASK),
      CODE_VA + BigInt(SYSCALL_STUB + 2),
    ]);
  }

  private page(): number {
    const p = this.mem.allocPage();
    if (p < 0) throw new Error("kvm: platform-private memory exhausted");
    return p;
  }

  /** Maps one platform-area page (never changed afterwards: no flush needed). */
  private map(va: bigint, gpa: number, user: boolean, write: boolean, exec: boolean): void {
    const off = Number(va - PLATFORM_VA);
    const pd = nextTable(this.mem, this.pdpt, Math.floor(off / 2 ** 30) & 511, true);
    if (pd < 0) throw new Error("kvm: platform-private memory exhausted");
    const pt = nextTable(this.mem, pd, Math.floor(off / 2 ** 21) & 511, true);
    if (pt < 0) throw new Error("kvm: platform-private memory exhausted");
    const i = this.mem.wordIndex(pt) + (Math.floor(off / 4096) & 511) * 2;
    const [lo, hi] = leafWords(gpa, user, write, exec);
    this.mem.words[i] = lo;
    this.mem.words[i + 1] = hi;
  }

  private writeIdt(gpa: number): void {
    const b = this.mem.bytes;
    const o = gpa - this.mem.gpa;
    const dv = new DataView(b.buffer, b.byteOffset + o, 4096);
    for (let v = 0; v < EXC_VECTORS; v++) {
      const target = CODE_VA + BigInt(EXC_STUB + v * EXC_STUB_STRIDE);
      const g = v * 16;
      const dpl = v === 3 || v === 4 ? 3 : 0;
      dv.setUint16(g, Number(target & 0xffffn), true);
      dv.setUint16(g + 2, USER_CS, true);
      dv.setUint8(g + 4, 1); // IST 1
      dv.setUint8(g + 5, 0x80 | (dpl << 5) | 0xf); // present 64-bit trap gate
      dv.setUint16(g + 6, Number((target >> 16n) & 0xffffn), true);
      dv.setUint32(g + 8, Number((target >> 32n) & 0xffffffffn), true);
      dv.setUint32(g + 12, 0, true);
    }
  }

  private writeCode(gpa: number): void {
    const o = gpa - this.mem.gpa;
    const b = this.mem.bytes.subarray(o, o + 4096);
    b.fill(0xcc);
    b.set([OUT_AL_IMM8, SYSCALL_PORT, ...IRETQ, ...UD2], SYSCALL_STUB);
    for (let v = 0; v < EXC_VECTORS; v++) {
      b.set([OUT_AL_IMM8, EXC_PORT0 + v, ...IRETQ, ...UD2], EXC_STUB + v * EXC_STUB_STRIDE);
    }
  }

  private writeGdtTss(gpa: number, tssVa: bigint, istTop: bigint): void {
    const o = gpa - this.mem.gpa;
    const dv = new DataView(this.mem.bytes.buffer, this.mem.bytes.byteOffset + o, 4096);
    const put = (i: number, v: bigint) => dv.setBigUint64(PERCPU_GDT + i * 8, v, true);
    put(2, 0x00af9b000000ffffn); // 0x10 kernel CS, L=1 (SYSCALL on bare metal)
    put(3, 0x00cf93000000ffffn); // 0x18 kernel DS
    put(5, 0x00cff3000000ffffn); // 0x28 user DS (selector 0x2b)
    put(6, 0x00affb000000ffffn); // 0x30 user CS, L=1 (selector 0x33)
    const limit = BigInt(TSS_LIMIT);
    put(
      8,
      (limit & 0xffffn) |
        ((tssVa & 0xffffffn) << 16n) |
        (0x8bn << 40n) |
        (((limit >> 16n) & 0xfn) << 48n) |
        (((tssVa >> 24n) & 0xffn) << 56n),
    );
    put(9, (tssVa >> 32n) & 0xffffffffn);
    const t = PERCPU_TSS;
    dv.setBigUint64(t + 4, istTop, true); // RSP0 (unused: no gate targets ring 0)
    dv.setBigUint64(t + 36, istTop, true); // IST1
    dv.setUint16(t + 102, TSS_IOMAP, true);
    // I/O bitmap, ports 0..255: closed except the stub ports; then the terminator.
    for (let p = 0; p < 32; p++) dv.setUint8(t + TSS_IOMAP + p, 0xff);
    const open = (port: number) => {
      const a = t + TSS_IOMAP + (port >> 3);
      dv.setUint8(a, dv.getUint8(a) & ~(1 << (port & 7)));
    };
    open(SYSCALL_PORT);
    for (let v = 0; v < EXC_VECTORS; v++) open(EXC_PORT0 + v);
    dv.setUint8(t + TSS_IOMAP + 32, 0xff);
  }
}
