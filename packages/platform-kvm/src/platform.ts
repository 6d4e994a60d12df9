import { EACCES, ENOENT, EPERM } from "@tsvisor/abi";
import type {
  AddressSpace,
  Platform,
  PlatformCapabilities,
  PlatformOptions,
  PlatformProvider,
  ProbeResult,
} from "@tsvisor/platform";
import { KvmAddressSpace } from "./address-space.js";
import { KvmContext } from "./context.js";
import { GuestImage, type VcpuArea } from "./guest-image.js";
import {
  FILE_SLOT_BASE,
  FLUSH_GPA,
  FLUSH_SLOT,
  MAX_USER_ADDRESS,
  MAX_VCPUS,
  MIN_USER_ADDRESS,
  PRIVATE_GPA,
  PRIVATE_SIZE,
  PRIVATE_SLOT,
} from "./layout.js";
import { KvmMemoryFile } from "./memory-file.js";
import { type KvmNative, loadNative } from "./native.js";
import { PrivateMemory } from "./private-memory.js";

/** Default size of the memory file (sparse; memslots are added per GiB as used). */
export const DEFAULT_MEMORY_FILE_SIZE = 64 * 1024 * 1024 * 1024;

/** Options of the KVM platform. */
export interface KvmPlatformOptions extends PlatformOptions {
  /** Bytes of platform-private memory (page tables etc.; sparse). */
  privateMemorySize?: number;
  /**
   * Microseconds `waitAny` spins before it sleeps when contexts run on other
   * threads (a cross-CPU wake-up costs ~80-100 us on nested hosts).
   */
  waitSpinUs?: number;
}

/** Freed private pages that make the next run flush (so they can be reused). */
const QUARANTINE_FLUSH_PAGES = 4096;
/**
 * Largest page-table tree (in tables) that a stale address space gets copied
 * (`KvmAddressSpace.rebuild`) instead of a VM-wide flush: 256 tables map at
 * least 512 MiB, and copying 1 MiB costs less than a flush.
 */
const REBUILD_MAX_TABLES = 256;

/** A vCPU of the VM, pooled: KVM cannot destroy one vCPU, so released contexts give theirs back. */
export interface Vcpu {
  readonly handle: number;
  readonly id: number;
  readonly area: VcpuArea;
  /** The FP state a fresh vCPU starts with (restored when the vCPU is reused). */
  readonly initialFp: Uint8Array;
}

/** CPUID leaf 7 EBX bit 0: FSGSBASE. Hidden: CR4.FSGSBASE stays off so fs_base only changes through regs. */
const CPUID7_EBX_FSGSBASE = 1;
const bits = (...b: number[]) => b.reduce((m, i) => (m | (1 << i)) >>> 0, 0);
/** Leaf 1 ECX: SSE3 PCLMULQDQ SSSE3 FMA CX16 SSE4.1 SSE4.2 MOVBE POPCNT AES XSAVE AVX F16C RDRAND. */
const CPUID1_ECX_USER = bits(0, 1, 9, 12, 13, 19, 20, 22, 23, 25, 26, 28, 29, 30);
/** Leaf 7 EBX: BMI1 AVX2 BMI2 ERMS AVX512F/DQ RDSEED ADX AVX512IFMA CLFLUSHOPT CLWB AVX512CD SHA AVX512BW/VL. */
const CPUID7_EBX_USER = bits(3, 5, 8, 9, 16, 17, 18, 19, 21, 23, 24, 28, 29, 30, 31);
/** Leaf 7 ECX: AVX512VBMI/VBMI2 GFNI VAES VPCLMULQDQ AVX512VNNI/BITALG/VPOPCNTDQ RDPID. */
const CPUID7_ECX_USER = bits(1, 6, 8, 9, 10, 11, 12, 14, 22);

/**
 * The KVM platform: one VM per platform; application threads are vCPUs whose
 * ring-3 code runs in the guest; every syscall and exception exits to the
 * Sentry through the trampoline page (guest-image.ts).
 *
 * Owned by the Sentry thread.
 */
export class KvmPlatform implements Platform {
  readonly name = "kvm";
  readonly capabilities: PlatformCapabilities;
  readonly memoryFile: KvmMemoryFile;
  readonly mem: PrivateMemory;
  readonly image: GuestImage;
  /** VM-wide flushes done so far (for tests and benchmarks). */
  flushes = 0;
  /** Stale address spaces given fresh page tables instead of a flush (for tests and benchmarks). */
  rebuilds = 0;
  /** Exits by kind so far: index = RUN_* code (for benchmarks and tuning). */
  readonly exits = new Float64Array(8);
  private readonly vm: number;
  private readonly cpuid: Uint32Array;
  private readonly xcr0: bigint | null;
  private readonly baseRoot: number;
  private readonly freeVcpus: Vcpu[] = [];
  private nextVcpuId = 0;
  private readonly contexts = new Set<KvmContext>();
  /** Running on worker threads, by vCPU handle. */
  private readonly running = new Map<number, KvmContext>();
  /** Address spaces with stale cached translations: flushed before they run. */
  private readonly staleSpaces = new Set<KvmAddressSpace>();
  private released = false;
  private readonly waitSpinUs: number;

  constructor(
    readonly native: KvmNative,
    options: KvmPlatformOptions = {},
  ) {
    this.waitSpinUs = options.waitSpinUs ?? 0;
    this.vm = native.vmCreate();
    try {
      const privSize = options.privateMemorySize ?? PRIVATE_SIZE;
      this.mem = new PrivateMemory(native, PRIVATE_GPA, privSize, () => this.reclaim());
      native.vmSetSlot(this.vm, PRIVATE_SLOT, PRIVATE_GPA, privSize, this.mem.hostAddr);
      native.vmFlush(this.vm, FLUSH_SLOT, FLUSH_GPA);
      const size = options.memoryFileSize ?? DEFAULT_MEMORY_FILE_SIZE;
      if (size > PRIVATE_GPA)
        throw new RangeError(`kvm: memory file larger than ${PRIVATE_GPA} bytes`);
      this.memoryFile = new KvmMemoryFile(native, size, (i, gpa, sz, host) =>
        native.vmSetSlot(this.vm, FILE_SLOT_BASE + i, gpa, sz, host),
      );
      this.image = new GuestImage(this.mem);
      this.baseRoot = this.image.newRoot();
      this.cpuid = native.vmSupportedCpuid(this.vm);
      this.shapeCpuid();
      this.xcr0 = this.guestXcr0();
      this.capabilities = {
        minUserAddress: MIN_USER_ADDRESS,
        maxUserAddress: MAX_USER_ADDRESS,
        fpStateSize: this.fpStateSize(),
        parallelContexts: true,
      };
    } catch (e) {
      native.vmDestroy(this.vm);
      // Whatever was made before the failure (fields not reached are unset).
      const made = this as unknown as { memoryFile?: KvmMemoryFile; mem?: PrivateMemory };
      made.memoryFile?.release();
      made.mem?.release();
      throw e;
    }
  }

  /** vCPUs created so far (live contexts plus the pool). */
  get vcpuCount(): number {
    return this.nextVcpuId;
  }

  newAddressSpace(): AddressSpace {
    this.checkLive();
    return new KvmAddressSpace(this);
  }

  newContext(): KvmContext {
    this.checkLive();
    const pooled = this.freeVcpus.pop();
    const v = pooled ?? this.createVcpu();
    const c = new KvmContext(this, v);
    if (pooled !== undefined) this.native.vcpuSetXsave(v.handle, v.initialFp);
    this.native.vcpuBind(v.handle, c.regs, c.xinfo);
    this.contexts.add(c);
    return c;
  }

  waitAny(timeoutMs: number): KvmContext | null {
    this.checkLive();
    if (this.running.size === 0) throw new Error("kvm: waitAny with no resumed context");
    const v = this.native.vmWaitAny(this.vm, timeoutMs < 0 ? -1 : timeoutMs, this.waitSpinUs);
    if (v < 0) return null;
    const handle = Math.floor(v / 16);
    const c = this.running.get(handle);
    if (c === undefined) throw new Error(`kvm: completion of unknown vCPU ${handle}`);
    this.running.delete(handle);
    const as = (c.state as { as: KvmAddressSpace }).as;
    c.state = { kind: "idle" };
    c.complete(v % 16, as);
    return c;
  }

  release(): void {
    if (this.released) return;
    for (const c of this.running.values()) this.native.vcpuInterrupt(c.vcpu.handle);
    // vmDestroy joins the worker threads (each finishes its run first).
    this.native.vmDestroy(this.vm);
    this.released = true;
    for (const c of this.contexts) c.state = { kind: "released" };
    this.contexts.clear();
    this.running.clear();
    this.memoryFile.release();
    this.mem.release();
  }

  // ---- for address spaces -------------------------------------------------

  newRoot(): number {
    return this.image.newRoot();
  }

  staleTranslations(as: KvmAddressSpace): void {
    for (const c of this.running.values()) {
      if ((c.state as { as?: KvmAddressSpace }).as === as) {
        this.flush();
        return;
      }
    }
    this.staleSpaces.add(as);
  }

  forget(as: KvmAddressSpace): void {
    this.staleSpaces.delete(as);
  }

  /** Drops every cached translation of the VM now. */
  flush(): void {
    this.native.vmFlush(this.vm, FLUSH_SLOT, FLUSH_GPA);
    this.mem.flushed();
    this.staleSpaces.clear();
    this.flushes++;
  }

  // ---- for contexts ---------------------------------------------------------

  /** Checks a switch's preconditions, flushes if needed; returns the address space. */
  checkSwitch(c: KvmContext, as: AddressSpace): KvmAddressSpace {
    if (c.state.kind !== "idle") throw new Error(`kvm: switch of a ${c.state.kind} context`);
    if (!(as instanceof KvmAddressSpace)) throw new TypeError("kvm: foreign address space");
    this.beforeRun(as);
    return as;
  }

  /**
   * Starts `c` on its vCPU's own host thread; `waitAny` collects its trap.
   * (A single runnable thread is faster through `switch`, which runs on the
   * calling thread: a cross-CPU wake-up costs tens of microseconds on nested
   * hosts.)
   */
  resumeContext(c: KvmContext, as: AddressSpace): void {
    if (c.state.kind !== "idle") throw new Error(`kvm: resume of a ${c.state.kind} context`);
    if (!(as instanceof KvmAddressSpace)) throw new TypeError("kvm: foreign address space");
    void as.cr3; // throws if released
    this.beforeRun(as); // may give `as` a new root: read cr3 after it
    const pages = as.vcpuPages(c.vcpu.id);
    const cr3 = as.cr3;
    c.state = { kind: "running", as };
    this.running.set(c.vcpu.handle, c);
    this.native.vcpuStart(c.vcpu.handle, cr3, pages.ist, pages.frame);
  }

  releaseContext(c: KvmContext): void {
    switch (c.state.kind) {
      case "released":
        return;
      case "running":
        throw new Error("kvm: release of a running context (wait for its trap first)");
      case "idle":
        break;
    }
    c.state = { kind: "released" };
    this.contexts.delete(c);
    if (!this.released) this.freeVcpus.push(c.vcpu);
  }

  /**
   * Flushes before a run in `as` if `as` has stale translations, or if many
   * freed page-table pages wait for a flush to be reused.
   */
  private beforeRun(as: KvmAddressSpace): void {
    if (this.staleSpaces.has(as)) {
      // Not running anywhere (else it was flushed at once): give it fresh
      // page tables rather than zapping the whole VM.
      if (as.rebuild(REBUILD_MAX_TABLES)) {
        this.staleSpaces.delete(as);
        this.rebuilds++;
      } else {
        this.flush();
      }
    }
    if (this.mem.quarantined >= QUARANTINE_FLUSH_PAGES) this.flush();
  }

  /** Out of private memory: a flush may free quarantined pages. */
  private reclaim(): boolean {
    if (this.mem.quarantined === 0) return false;
    this.flush();
    return true;
  }

  private checkLive(): void {
    if (this.released) throw new Error("kvm: platform used after release");
  }

  private createVcpu(): Vcpu {
    const id = this.nextVcpuId;
    if (id >= MAX_VCPUS) throw new Error(`kvm: more than ${MAX_VCPUS} live contexts`);
    const n = this.native;
    const handle = n.vcpuCreate(this.vm, id);
    this.nextVcpuId++;
    const area = this.image.setupVcpu(id);
    n.vcpuSetCpuid(handle, this.cpuid);
    n.vcpuSetSregs(handle, this.image.sregs(area, this.baseRoot, this.xcr0 !== null));
    const [idx, val] = this.image.msrs();
    n.vcpuSetMsrs(handle, idx, val);
    if (this.xcr0 !== null) n.vcpuSetXcr0(handle, this.xcr0);
    n.vcpuConfigure(handle, this.image.runConfig(area));
    const initialFp = new Uint8Array(this.capabilities.fpStateSize);
    n.vcpuGetXsave(handle, initialFp);
    return { handle, id, area, initialFp };
  }

  /** Entry `(fn, index)` of the CPUID table as a word offset, or -1. */
  private cpuidEntry(fn: number, index: number): number {
    for (let i = 0; i < this.cpuid.length; i += 8) {
      if (this.cpuid[i] === fn && (this.cpuid[i + 1] === index || (this.cpuid[i + 2]! & 1) === 0))
        return i;
    }
    return -1;
  }

  /**
   * Shapes the guest's CPUID table (what bare-metal KVM answers a CPUID
   * with; PVM does not intercept ring-3 CPUID, so the program sees the host's
   * values there):
   * - adds the host's user-mode ISA extensions (SSE3..AVX-512, XSAVE) that
   *   KVM did not list: PVM lists almost none, yet runs them natively in ring
   *   3, and KVM only lets the guest enable XSAVE state (CR4.OSXSAVE, XCR0)
   *   that its CPUID table offers;
   * - hides FSGSBASE: CR4.FSGSBASE stays off, so fs_base changes only
   *   through `regs`.
   */
  private shapeCpuid(): void {
    const merge = (fn: number, word: number, leafReg: number, mask: number) => {
      const e = this.cpuidEntry(fn, 0);
      if (e < 0) return;
      const host = this.native.hostCpuid(fn, 0)[leafReg]!;
      this.cpuid[e + word] = (this.cpuid[e + word]! | (host & mask)) >>> 0;
    };
    merge(1, 5, 2, CPUID1_ECX_USER);
    merge(7, 4, 1, CPUID7_EBX_USER);
    merge(7, 5, 2, CPUID7_ECX_USER);
    const e = this.cpuidEntry(7, 0);
    if (e >= 0) this.cpuid[e + 4] = this.cpuid[e + 4]! & ~CPUID7_EBX_FSGSBASE;
  }

  /** XCR0 for the guest: what KVM supports and the host enabled; null without XSAVE. */
  private guestXcr0(): bigint | null {
    const l1 = this.cpuidEntry(1, 0);
    if (l1 < 0 || (this.cpuid[l1 + 5]! & (1 << 26)) === 0) return null;
    const d = this.cpuidEntry(0xd, 0);
    if (d < 0) return null;
    const supported = BigInt(this.cpuid[d + 3]!) | (BigInt(this.cpuid[d + 6]!) << 32n);
    return supported & this.native.hostXcr0();
  }

  /** Bytes of the XSAVE image for the guest's XCR0 (standard format). */
  private fpStateSize(): number {
    if (this.xcr0 === null) return 512;
    let size = 576;
    for (let bit = 2; bit < 63; bit++) {
      if (((this.xcr0 >> BigInt(bit)) & 1n) === 0n) continue;
      const e = this.cpuidEntry(0xd, bit);
      if (e < 0) continue;
      size = Math.max(size, this.cpuid[e + 4]! + this.cpuid[e + 3]!);
    }
    if (size > 4096) throw new Error(`kvm: XSAVE image of ${size} bytes needs KVM_GET_XSAVE2`);
    return size;
  }
}

/** Turns the addon's probe result into a reason and a fix. */
export function probeKvm(native: Pick<KvmNative, "probe">): ProbeResult {
  const [stage, err] = native.probe();
  switch (stage) {
    case 0:
      return { ok: true };
    case 1:
      if (err === ENOENT) {
        return {
          ok: false,
          reason: "/dev/kvm does not exist: KVM is not available on this host",
          fix: "load the KVM module (modprobe kvm_intel or kvm_amd) with virtualisation enabled in the firmware, or run on a host with nested virtualisation",
        };
      }
      if (err === EACCES || err === EPERM) {
        return {
          ok: false,
          reason: `/dev/kvm is not accessible to this user (errno ${err})`,
          fix: "add the user to group kvm (sudo usermod -aG kvm $USER, then log in again), or run as root",
        };
      }
      return {
        ok: false,
        reason: `cannot open /dev/kvm (errno ${err})`,
        fix: "check /dev/kvm's permissions",
      };
    case 2:
      return {
        ok: false,
        reason: `unexpected KVM API version (${err})`,
        fix: "use a Linux kernel with the stable KVM API (version 12)",
      };
    case 3:
      return {
        ok: false,
        reason: `KVM_CREATE_VM failed (errno ${err})`,
        fix: "make sure no other hypervisor holds the CPU's virtualisation extensions, and that the host has memory; in a VM, enable nested virtualisation",
      };
    default:
      return {
        ok: false,
        reason: `KVM lacks capability ${err} (SYNC_REGS, IMMEDIATE_EXIT, XSAVE, XCRS, EXT_CPUID are needed)`,
        fix: "use a newer Linux kernel on the host",
      };
  }
}

/** The KVM platform provider (`--platform kvm`). */
export const provider: PlatformProvider = {
  name: "kvm",
  probe(): ProbeResult {
    let native: KvmNative;
    try {
      native = loadNative();
    } catch (e) {
      return {
        ok: false,
        reason: `the KVM platform's native addon does not load: ${(e as Error).message.split("\n")[0]}`,
        fix: "build it: pnpm --filter @tsvisor/platform-kvm build (needs python3, make, g++ and Node's headers)",
      };
    }
    return probeKvm(native);
  },
  create(options?: PlatformOptions): KvmPlatform {
    return new KvmPlatform(loadNative(), options);
  },
};
