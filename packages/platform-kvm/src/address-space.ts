import { ENOMEM } from "@tsvisor/abi";
import {
  type AddressSpace,
  checkFileRange,
  checkUserRange,
  PAGE_SIZE,
  PROT_EXEC,
  PROT_WRITE,
} from "@tsvisor/platform";
import {
  MAX_USER_ADDRESS,
  MIN_USER_ADDRESS,
  PTE_P,
  USER_PERCPU_FRAME,
  USER_PERCPU_IST,
  USER_PERCPU_PML4_INDEX,
  USER_PERCPU_SIZE,
} from "./layout.js";
import type { KvmMemoryFile } from "./memory-file.js";
import { EDIT_NARROWED, entryAddress, leafWords, nextTable, writeLeaf } from "./page-tables.js";
import type { PrivateMemory } from "./private-memory.js";

/**
 * Software bit (ignored by the CPU) of a leaf entry that is mapped
 * `PROT_NONE`: not present, but it keeps its file offset so that a later
 * `protect` can bring the page back.
 */
const SW_PROT_NONE = 0x200;
const SPAN_PT = 2 ** 21;

/** What an address space needs from its platform. */
export interface AddressSpaceHost {
  readonly mem: PrivateMemory;
  readonly memoryFile: KvmMemoryFile;
  /** Allocates a root table mapping the platform area; -1 when out of memory. */
  newRoot(): number;
  /**
   * Present translations of `as` were narrowed or removed: cached ones must
   * go before any program code runs in `as` again (now, if a context is
   * running in it).
   */
  staleTranslations(as: KvmAddressSpace): void;
  /** `as` is released: it will never run again. */
  forget(as: KvmAddressSpace): void;
}

/**
 * An address space: one 4-level page table (its root is CR3) in
 * platform-private memory, whose leaves point into the memory file.
 *
 * Shadow-paging rule (DESIGN.md, measured by kvm-probe/pagefault.c): a host
 * edit of a page-table entry that the guest has already used stays invisible
 * until KVM drops its shadow copy; only not-present → present edits are seen
 * at once. So every edit that removes, moves or narrows a present entry calls
 * `host.staleTranslations(this)`. If a context is running in this address
 * space, the platform flushes the VM at once (it moves a one-page memslot:
 * KVM then drops every shadow entry and flushes every guest TLB; on
 * bare-metal KVM with EPT/NPT the same ioctl flushes the guest TLB).
 * Otherwise, just before a context next runs in it, the platform `rebuild`s
 * it (fresh tables, new CR3) or, for a large tree, flushes. A burst of
 * munmap/mprotect calls costs one of those, and an address space torn down
 * before it runs again (exit, exec) costs nothing. Stale translations of an
 * address space are harmless while no vCPU runs it: shadow pages are keyed by
 * the guest page-table pages, which no two address spaces share (the
 * platform area is never edited), and a vCPU switching CR3 reloads its MMU
 * context.
 *
 * Owned by the Sentry thread. All methods take page-aligned arguments inside
 * `[MIN_USER_ADDRESS, MAX_USER_ADDRESS)` (a violation is a caller bug and
 * throws) and return 0 or -ENOMEM.
 */
export class KvmAddressSpace implements AddressSpace {
  /** GPA of the root table (CR3); -1 once released. */
  private root: number;
  /**
   * Per-vCPU pages of this address space, by vCPU id: host addresses of the
   * IST stack top and of the IRET frame page, and their GPAs (for release).
   */
  private readonly vcpuPagesById = new Map<
    number,
    { ist: number; frame: number; gpas: [number, number] }
  >();

  constructor(private readonly host: AddressSpaceHost) {
    const r = host.newRoot();
    if (r < 0) throw new Error("kvm: platform-private memory exhausted (address space root)");
    this.root = r;
  }

  /**
   * This address space's IST stack and IRET frame pages for vCPU `id`,
   * mapped (not-present -> present: no flush) on first use. Returns their
   * host addresses: the IST stack top and the frame page.
   */
  vcpuPages(id: number): { ist: number; frame: number } {
    const known = this.vcpuPagesById.get(id);
    if (known !== undefined) return known;
    const mem = this.host.mem;
    const ist = mem.allocPage();
    const frame = mem.allocPage();
    if (ist < 0 || frame < 0)
      throw new Error("kvm: platform-private memory exhausted (vCPU pages)");
    const base = id * USER_PERCPU_SIZE;
    this.mapPrivate(base + USER_PERCPU_IST, ist, true);
    this.mapPrivate(base + USER_PERCPU_FRAME, frame, false);
    const pages = {
      ist: mem.hostAddress(ist) + PAGE_SIZE,
      frame: mem.hostAddress(frame),
      gpas: [ist, frame] as [number, number],
    };
    this.vcpuPagesById.set(id, pages);
    return pages;
  }

  /** Maps a user page of private memory at `offset` in the per-vCPU region (PML4 slot 510). */
  private mapPrivate(offset: number, gpa: number, write: boolean): void {
    const mem = this.host.mem;
    const pdpt = nextTable(mem, this.cr3, USER_PERCPU_PML4_INDEX, true);
    const pd = pdpt > 0 ? nextTable(mem, pdpt, Math.floor(offset / 2 ** 30) & 511, true) : -1;
    const pt = pd > 0 ? nextTable(mem, pd, Math.floor(offset / SPAN_PT) & 511, true) : -1;
    if (pt <= 0) throw new Error("kvm: platform-private memory exhausted (vCPU pages)");
    const [lo, hi] = leafWords(gpa, true, write, false);
    writeLeaf(mem, mem.wordIndex(pt) + (Math.floor(offset / PAGE_SIZE) & 511) * 2, lo, hi);
  }

  /** The CR3 value of this address space. Precondition: not released. */
  get cr3(): number {
    if (this.root < 0) throw new Error("kvm: address space used after release");
    return this.root;
  }

  mapFile(addr: number, length: number, offset: number, prot: number): number {
    this.checkRange(addr, length);
    const file = this.host.memoryFile;
    checkFileRange("kvm", offset, length, file.size);
    file.ensureSlots(offset, length);
    const mem = this.host.mem;
    const write = (prot & PROT_WRITE) !== 0;
    const exec = (prot & PROT_EXEC) !== 0;
    const none = prot === 0;
    let narrowed = false;
    let va = addr;
    const end = addr + length;
    while (va < end) {
      const pt = this.walk(va, true);
      if (pt < 0) {
        if (narrowed) this.host.staleTranslations(this);
        return -ENOMEM;
      }
      const regionEnd = Math.min(end, (Math.floor(va / SPAN_PT) + 1) * SPAN_PT);
      let i = mem.wordIndex(pt) + (Math.floor(va / PAGE_SIZE) & 511) * 2;
      for (; va < regionEnd; va += PAGE_SIZE, i += 2) {
        const gpa = offset + (va - addr);
        let [lo, hi] = leafWords(gpa, true, write, exec);
        if (none) lo = (lo & ~PTE_P) | SW_PROT_NONE;
        if (writeLeaf(mem, i, lo, hi) === EDIT_NARROWED) narrowed = true;
      }
    }
    if (narrowed) this.host.staleTranslations(this);
    return 0;
  }

  unmap(addr: number, length: number): number {
    this.checkRange(addr, length);
    const mem = this.host.mem;
    const w = mem.words;
    let narrowed = false;
    let va = addr;
    const end = addr + length;
    while (va < end) {
      const regionEnd = Math.min(end, (Math.floor(va / SPAN_PT) + 1) * SPAN_PT);
      const pt = this.walk(va, false);
      if (pt > 0) {
        let i = mem.wordIndex(pt) + (Math.floor(va / PAGE_SIZE) & 511) * 2;
        for (let a = va; a < regionEnd; a += PAGE_SIZE, i += 2) {
          if ((w[i]! & PTE_P) !== 0) narrowed = true;
          w[i] = 0;
          w[i + 1] = 0;
        }
      }
      va = regionEnd;
    }
    if (narrowed) this.host.staleTranslations(this);
    return 0;
  }

  protect(addr: number, length: number, prot: number): number {
    this.checkRange(addr, length);
    const mem = this.host.mem;
    const w = mem.words;
    const write = (prot & PROT_WRITE) !== 0;
    const exec = (prot & PROT_EXEC) !== 0;
    const none = prot === 0;
    let narrowed = false;
    let va = addr;
    const end = addr + length;
    while (va < end) {
      const regionEnd = Math.min(end, (Math.floor(va / SPAN_PT) + 1) * SPAN_PT);
      const pt = this.walk(va, false);
      if (pt > 0) {
        let i = mem.wordIndex(pt) + (Math.floor(va / PAGE_SIZE) & 511) * 2;
        for (let a = va; a < regionEnd; a += PAGE_SIZE, i += 2) {
          const oldLo = w[i]!;
          if ((oldLo & (PTE_P | SW_PROT_NONE)) === 0) continue; // not mapped
          let [lo, hi] = leafWords(entryAddress(oldLo, w[i + 1]!), true, write, exec);
          if (none) lo = (lo & ~PTE_P) | SW_PROT_NONE;
          if (writeLeaf(mem, i, lo, hi) === EDIT_NARROWED) narrowed = true;
        }
      }
      va = regionEnd;
    }
    if (narrowed) this.host.staleTranslations(this);
    return 0;
  }

  /**
   * True when `addr` is mapped (possibly PROT_NONE) in this address space:
   * a fault there is a protection fault in Linux's terms.
   */
  isMapped(addr: number): boolean {
    if (!(addr >= MIN_USER_ADDRESS && addr < MAX_USER_ADDRESS)) return false;
    const pt = this.walk(addr, false);
    if (pt <= 0) return false;
    const lo =
      this.host.mem.words[this.host.mem.wordIndex(pt) + (Math.floor(addr / PAGE_SIZE) & 511) * 2]!;
    return (lo & (PTE_P | SW_PROT_NONE)) !== 0;
  }

  /**
   * The byte at user address `addr` if a readable page maps it, else -1 (for
   * decoding the instruction at a trap; not a hot path).
   */
  fetchByte(addr: number): number {
    if (!(addr >= MIN_USER_ADDRESS && addr < MAX_USER_ADDRESS)) return -1;
    const e = this.leaf(addr);
    if (e === null || (e[0] & PTE_P) === 0) return -1;
    const off = entryAddress(e[0], e[1]) + (addr % PAGE_SIZE);
    const file = this.host.memoryFile;
    if (off >= file.size) return -1;
    return file.chunk(Math.floor(off / file.chunkSize))[off % file.chunkSize]!;
  }

  /** Leaf entry of `addr` as [lo, hi] words, or null (for tests). */
  leaf(addr: number): [number, number] | null {
    const pt = this.walk(addr, false);
    if (pt <= 0) return null;
    const i = this.host.mem.wordIndex(pt) + (Math.floor(addr / PAGE_SIZE) & 511) * 2;
    return [this.host.mem.words[i]!, this.host.mem.words[i + 1]!];
  }

  release(): void {
    if (this.root < 0) return;
    const mem = this.host.mem;
    for (const p of this.vcpuPagesById.values()) for (const g of p.gpas) mem.freePage(g);
    this.vcpuPagesById.clear();
    this.forEachOwnTable(this.root, (t) => mem.freePage(t));
    this.root = -1;
    this.host.forget(this);
  }

  /**
   * Replaces this address space's page tables by a fresh copy with a new
   * root, and frees the old tables (reusable after the next flush). KVM has
   * no shadow pages for the fresh tables, and a vCPU loading the new CR3
   * reloads its MMU context (and, with EPT/NPT, flushes its TLB), so no
   * translation cached from the old tables is used again: a flush of this
   * address space alone, without a VM-wide zap.
   *
   * Preconditions: no context is running in this address space; freshly
   * allocated private pages were never page tables since the last flush
   * (PrivateMemory's quarantine).
   *
   * Returns false, changing nothing, when the tree has more than `maxTables`
   * tables or private memory runs out: the caller flushes instead.
   */
  rebuild(maxTables: number): boolean {
    const mem = this.host.mem;
    let n = 0;
    this.forEachOwnTable(this.root, () => n++);
    if (n > maxTables) return false;
    const fresh: number[] = [];
    const w = mem.words;
    // Copies `table` (a level-`level` table; 1 = PT) and its own subtables.
    const copy = (table: number, level: number, topLevel: boolean): number => {
      const t = mem.allocPage();
      if (t < 0) return -1;
      fresh.push(t);
      const from = mem.wordIndex(table);
      const to = mem.wordIndex(t);
      w.copyWithin(to, from, from + 1024);
      if (level === 1) return t;
      for (let slot = 0; slot < 512; slot++) {
        if (topLevel && slot >= 256 && slot !== USER_PERCPU_PML4_INDEX) continue; // shared platform area
        const lo = w[to + slot * 2]!;
        if ((lo & PTE_P) === 0) continue;
        const child = copy(entryAddress(lo, w[to + slot * 2 + 1]!), level - 1, false);
        if (child < 0) return -1;
        w[to + slot * 2] = ((child % 2 ** 32) & 0xfffff000) | (lo & 0xfff);
        w[to + slot * 2 + 1] = Math.floor(child / 2 ** 32) | (w[to + slot * 2 + 1]! & 0xfff00000);
      }
      return t;
    };
    const root = copy(this.root, 4, true);
    if (root < 0) {
      for (const t of fresh) mem.freePage(t);
      return false;
    }
    this.forEachOwnTable(this.root, (t) => mem.freePage(t));
    this.root = root;
    return true;
  }

  /** Calls `f` on every table this address space owns under `root` (not the shared platform area), root last. */
  private forEachOwnTable(root: number, f: (table: number) => void): void {
    for (let l4 = 0; l4 < 512; l4++) {
      if (l4 >= 256 && l4 !== USER_PERCPU_PML4_INDEX) continue;
      const pdpt = this.child(root, l4);
      if (pdpt === 0) continue;
      for (let l3 = 0; l3 < 512; l3++) {
        const pd = this.child(pdpt, l3);
        if (pd === 0) continue;
        for (let l2 = 0; l2 < 512; l2++) {
          const pt = this.child(pd, l2);
          if (pt !== 0) f(pt);
        }
        f(pd);
      }
      f(pdpt);
    }
    f(root);
  }

  /** Next-level table of entry `slot` in `table`, or 0. */
  private child(table: number, slot: number): number {
    const mem = this.host.mem;
    const i = mem.wordIndex(table) + slot * 2;
    const lo = mem.words[i]!;
    return (lo & PTE_P) === 0 ? 0 : entryAddress(lo, mem.words[i + 1]!);
  }

  /** GPA of the last-level table covering `va`; 0 if absent (and not created), -1 when out of memory. */
  private walk(va: number, create: boolean): number {
    const mem = this.host.mem;
    const pdpt = nextTable(mem, this.cr3, Math.floor(va / 2 ** 39) & 511, create);
    if (pdpt <= 0) return pdpt;
    const pd = nextTable(mem, pdpt, Math.floor(va / 2 ** 30) & 511, create);
    if (pd <= 0) return pd;
    return nextTable(mem, pd, Math.floor(va / SPAN_PT) & 511, create);
  }

  private checkRange(addr: number, length: number): void {
    checkUserRange("kvm", addr, length, MIN_USER_ADDRESS, MAX_USER_ADDRESS);
  }
}
