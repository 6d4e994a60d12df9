import type { AddressSpace, MemoryFile, PlatformCapabilities } from "@tsvisor/platform";
import { PAGE_SIZE } from "@tsvisor/platform";
import {
  type Mappable,
  MemoryFileAllocator,
  MemoryManager,
  type MemoryManagerOptions,
  type MmPlatform,
} from "../src/index.js";

/** A MemoryFile over plain ArrayBuffers (a test double of the platform's memfd). */
export class TestMemoryFile implements MemoryFile {
  readonly chunks: Uint8Array[] = [];
  readonly fd = -1;
  decommitted = 0;
  constructor(
    readonly size: number,
    readonly chunkSize = 1 << 20,
  ) {}
  chunk(index: number): Uint8Array {
    if (!(index >= 0 && index < this.size / this.chunkSize)) throw new Error(`bad chunk ${index}`);
    let c = this.chunks[index];
    if (c === undefined) {
      c = new Uint8Array(this.chunkSize);
      this.chunks[index] = c;
    }
    return c;
  }
  decommit(offset: number, length: number): void {
    if (offset % PAGE_SIZE !== 0 || length % PAGE_SIZE !== 0 || offset + length > this.size) {
      throw new Error("bad decommit");
    }
    for (let o = offset; o < offset + length; o += PAGE_SIZE) {
      const c = this.chunks[Math.floor(o / this.chunkSize)];
      c?.fill(0, o % this.chunkSize, (o % this.chunkSize) + PAGE_SIZE);
    }
    this.decommitted += length;
  }
  /** Byte at file offset `off`. */
  byte(off: number): number {
    return this.chunk(Math.floor(off / this.chunkSize))[off % this.chunkSize]!;
  }
}

export interface Mirror {
  offset: number;
  prot: number;
}

/**
 * An AddressSpace that records the mirrored mappings page by page, checks
 * every argument as the interface demands, and can emulate the hardware:
 * `access(addr, kind)` says whether the mirror allows an access.
 */
export class TestAddressSpace implements AddressSpace {
  readonly pages = new Map<number, Mirror>();
  readonly calls: string[] = [];
  released = false;
  failNext = 0;
  constructor(readonly caps: Pick<PlatformCapabilities, "minUserAddress" | "maxUserAddress">) {}
  private check(addr: number, length: number): void {
    if (this.released) throw new Error("AddressSpace used after release");
    if (addr % PAGE_SIZE !== 0 || length % PAGE_SIZE !== 0 || length <= 0) {
      throw new Error(`unaligned ${addr.toString(16)} ${length}`);
    }
    if (addr < this.caps.minUserAddress || addr + length > this.caps.maxUserAddress) {
      throw new Error(`out of range ${addr.toString(16)}+${length}`);
    }
  }
  mapFile(addr: number, length: number, offset: number, prot: number): number {
    this.check(addr, length);
    if (offset % PAGE_SIZE !== 0) throw new Error("unaligned offset");
    this.calls.push(
      `map ${addr.toString(16)} ${length / PAGE_SIZE} ${offset.toString(16)} ${prot}`,
    );
    if (this.failNext > 0) {
      this.failNext--;
      return -12;
    }
    for (let i = 0; i < length / PAGE_SIZE; i++) {
      this.pages.set(addr / PAGE_SIZE + i, { offset: offset + i * PAGE_SIZE, prot });
    }
    return 0;
  }
  unmap(addr: number, length: number): number {
    this.check(addr, length);
    this.calls.push(`unmap ${addr.toString(16)} ${length / PAGE_SIZE}`);
    this.forRange(addr, length, (vpn) => this.pages.delete(vpn));
    return 0;
  }
  protect(addr: number, length: number, prot: number): number {
    this.check(addr, length);
    this.calls.push(`protect ${addr.toString(16)} ${length / PAGE_SIZE} ${prot}`);
    this.forRange(addr, length, (vpn) => {
      const m = this.pages.get(vpn);
      if (m !== undefined) m.prot = prot;
    });
    return 0;
  }
  release(): void {
    this.released = true;
  }
  /** Calls `fn` for each mapped page in the range (walking whichever is smaller). */
  private forRange(addr: number, length: number, fn: (vpn: number) => void): void {
    const first = addr / PAGE_SIZE;
    const n = length / PAGE_SIZE;
    if (n <= this.pages.size) {
      for (let i = 0; i < n; i++) if (this.pages.has(first + i)) fn(first + i);
    } else {
      for (const vpn of [...this.pages.keys()]) if (vpn >= first && vpn < first + n) fn(vpn);
    }
  }
  /** The mirror of the page holding `addr`, if any. */
  at(addr: number): Mirror | undefined {
    return this.pages.get(Math.floor(addr / PAGE_SIZE));
  }
}

export class TestPlatform implements MmPlatform {
  readonly capabilities = { minUserAddress: 0x1000, maxUserAddress: 0x7ffffffff000 };
  readonly spaces: TestAddressSpace[] = [];
  constructor(readonly memoryFile: TestMemoryFile) {}
  newAddressSpace(): TestAddressSpace {
    const as = new TestAddressSpace(this.capabilities);
    this.spaces.push(as);
    return as;
  }
}

/** An in-memory Mappable. */
export class TestFile implements Mappable {
  data: Uint8Array;
  writes = 0;
  constructor(
    readonly name: string,
    size: number,
    readonly ino = 42,
    readonly dev = 0x801,
  ) {
    this.data = new Uint8Array(size);
    for (let i = 0; i < size; i++) this.data[i] = (i * 7 + 3) & 0xff;
  }
  size(): number {
    return this.data.length;
  }
  read(offset: number, dst: Uint8Array): number {
    if (offset >= this.data.length) return 0;
    const n = Math.min(dst.length, this.data.length - offset);
    dst.set(this.data.subarray(offset, offset + n));
    return n;
  }
  write(offset: number, src: Uint8Array): number {
    this.writes++;
    if (offset + src.length > this.data.length) {
      const d = new Uint8Array(offset + src.length);
      d.set(this.data);
      this.data = d;
    }
    this.data.set(src, offset);
    return src.length;
  }
}

export interface Env {
  file: TestMemoryFile;
  platform: TestPlatform;
  allocator: MemoryFileAllocator;
  mm: MemoryManager;
  as: TestAddressSpace;
  newMM(opts?: Partial<MemoryManagerOptions>): MemoryManager;
}

export function newEnv(
  opts: { fileSize?: number; limitBytes?: number } & Partial<MemoryManagerOptions> = {},
): Env {
  const file = new TestMemoryFile(opts.fileSize ?? 64 << 20);
  const platform = new TestPlatform(file);
  const allocator = new MemoryFileAllocator(
    file,
    opts.limitBytes === undefined ? {} : { limitBytes: opts.limitBytes },
  );
  const newMM = (o: Partial<MemoryManagerOptions> = {}) =>
    MemoryManager.create({ platform, allocator, ...opts, ...o });
  const mm = newMM();
  return { file, platform, allocator, mm, as: mm.addressSpace as TestAddressSpace, newMM };
}

/**
 * Recomputes the expected refcount of every page from the MMs' page tables
 * and the shared objects, and checks the allocator and each MM against it.
 */
export function checkAll(allocator: MemoryFileAllocator, mms: MemoryManager[]): void {
  const expected = new Map<number, number>();
  const objects = new Set<{ pages: Map<number, number> }>();
  for (const mm of mms) {
    if ((mm as unknown as { released: boolean }).released) continue;
    mm.checkInvariants();
    for (const e of mm.ptes.values()) {
      if ((e & 1) !== 0) {
        const off = e - (e & 0xfff);
        expected.set(off, (expected.get(off) ?? 0) + 1);
      }
    }
    for (const v of mm.vmas.a) if (v.obj !== null) objects.add(v.obj);
    checkMirror(mm);
  }
  for (const o of objects) {
    for (const e of o.pages.values()) {
      const off = e - (e & 0xfff);
      expected.set(off, (expected.get(off) ?? 0) + 1);
    }
  }
  allocator.checkInvariants(expected);
}

/** The AddressSpace mirrors exactly the PTE_MAPPED entries, within VMA protections. */
export function checkMirror(mm: MemoryManager): void {
  const as = mm.addressSpace as TestAddressSpace;
  for (const [vpn, m] of as.pages) {
    const e = mm.ptes.get(vpn);
    if (e < 0 || (e & 2) === 0) throw new Error(`AS maps ${vpn.toString(16)} without a mapped pte`);
    if (m.offset !== e - (e & 0xfff))
      throw new Error(`AS maps ${vpn.toString(16)} to the wrong page`);
    const v = mm.vmas.find(vpn * PAGE_SIZE)!;
    // A write-only VMA may be mirrored read-only (x86: writable implies readable).
    const allowed = v.prot & 2 ? v.prot | 1 : v.prot;
    if ((m.prot & ~allowed) !== 0) throw new Error(`AS prot ${m.prot} exceeds VMA ${v.prot}`);
    if ((e & 1) !== 0 && mm.allocator.refCount(m.offset) > 1 && (m.prot & 2) !== 0) {
      throw new Error(`COW page ${vpn.toString(16)} mapped writable`);
    }
  }
  for (const [vpn, e] of mm.ptes) {
    if ((e & 2) !== 0 && !as.pages.has(vpn))
      throw new Error(`pte ${vpn.toString(16)} mapped but not in AS`);
  }
}

/**
 * Emulates the CPU touching `addr`: if the mirror forbids the access, asks
 * mm to handle the fault (as the kernel would on a FaultTrap) and retries
 * once. Returns 0 or the fault result.
 */
export function touch(
  mm: MemoryManager,
  addr: number,
  access: "read" | "write" | "exec",
): ReturnType<MemoryManager["handleFault"]> {
  const as = mm.addressSpace as TestAddressSpace;
  const ok = () => {
    const m = as.at(addr);
    if (m === undefined) return false;
    if (access === "write") return (m.prot & 2) !== 0;
    if (access === "exec") return (m.prot & 4) !== 0;
    return m.prot !== 0;
  };
  for (let i = 0; i < 3; i++) {
    if (ok()) return 0;
    const r = mm.handleFault(addr, access);
    if (r !== 0) return r;
  }
  throw new Error(`fault at ${addr.toString(16)} resolved but the mirror still forbids ${access}`);
}

/** Emulates an application store of one byte at `addr`. */
export function poke(mm: MemoryManager, addr: number, value: number): void {
  const r = touch(mm, addr, "write");
  if (r !== 0) throw new Error(`poke ${addr.toString(16)}: ${JSON.stringify(r)}`);
  const m = (mm.addressSpace as TestAddressSpace).at(addr)!;
  const file = mm.allocator.file as TestMemoryFile;
  const off = m.offset + (addr % PAGE_SIZE);
  file.chunk(Math.floor(off / file.chunkSize))[off % file.chunkSize] = value;
}

/** Emulates an application load of one byte at `addr`. */
export function peek(mm: MemoryManager, addr: number): number {
  const r = touch(mm, addr, "read");
  if (r !== 0) throw new Error(`peek ${addr.toString(16)}: ${JSON.stringify(r)}`);
  const m = (mm.addressSpace as TestAddressSpace).at(addr)!;
  return (mm.allocator.file as TestMemoryFile).byte(m.offset + (addr % PAGE_SIZE));
}
