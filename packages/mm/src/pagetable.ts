const LEAF_BITS = 9;
const LEAF = 1 << LEAF_BITS;

/**
 * The page table of one MM: virtual page number → page-table entry (a
 * memory-file offset plus PTE_* flag bits, see mm.ts), like a radix page
 * table: leaves of 512 entries (2 MiB of address space) in a Float64Array,
 * found by a Map keyed by `vpn / 512`.
 *
 * Why not one `Map<vpn, entry>`: virtual page numbers reach 2^35, beyond
 * V8's small integers, so every lookup would box a heap number (allocation
 * on the fault and copy paths) and hash a double. Leaf keys stay below 2^26.
 *
 * Invariants: an entry is a non-negative integer below 2^53; a leaf slot
 * holds `entry + 1`, 0 meaning absent; `size` counts present entries; a leaf
 * with no present entry is deleted.
 *
 * Owned by its MemoryManager (Sentry thread).
 */
export class PageTable {
  /** Leaves by `vpn / LEAF`; slot LEAF of a leaf counts its present entries. */
  private readonly leaves = new Map<number, Float64Array>();
  private n = 0;
  /** One-entry lookup cache: consecutive accesses mostly hit one leaf. */
  private lastHi = -1;
  private lastLeaf: Float64Array | undefined;

  /** Number of present entries. */
  get size(): number {
    return this.n;
  }

  private leaf(hi: number): Float64Array | undefined {
    if (hi === this.lastHi) return this.lastLeaf;
    const leaf = this.leaves.get(hi);
    if (leaf !== undefined) {
      this.lastHi = hi;
      this.lastLeaf = leaf;
    }
    return leaf;
  }

  /** The entry of page `vpn`, or -1 when absent. Never allocates. */
  get(vpn: number): number {
    const hi = Math.floor(vpn / LEAF);
    const leaf = this.leaf(hi);
    if (leaf === undefined) return -1;
    return leaf[vpn - hi * LEAF]! - 1;
  }

  has(vpn: number): boolean {
    return this.get(vpn) >= 0;
  }

  /** Sets the entry of page `vpn`. Precondition: `e` is a non-negative integer. */
  set(vpn: number, e: number): void {
    const hi = Math.floor(vpn / LEAF);
    let leaf = this.leaf(hi);
    if (leaf === undefined) {
      leaf = new Float64Array(LEAF + 1);
      this.leaves.set(hi, leaf);
      this.lastHi = hi;
      this.lastLeaf = leaf;
    }
    const i = vpn - hi * LEAF;
    if (leaf[i] === 0) {
      this.n++;
      leaf[LEAF]!++;
    }
    leaf[i] = e + 1;
  }

  /** Removes the entry of page `vpn`, if any. */
  delete(vpn: number): void {
    const hi = Math.floor(vpn / LEAF);
    const leaf = this.leaf(hi);
    if (leaf === undefined) return;
    const i = vpn - hi * LEAF;
    if (leaf[i] === 0) return;
    leaf[i] = 0;
    this.n--;
    if (--leaf[LEAF]! === 0) {
      this.leaves.delete(hi);
      this.lastHi = -1;
      this.lastLeaf = undefined;
    }
  }

  clear(): void {
    this.leaves.clear();
    this.n = 0;
    this.lastHi = -1;
    this.lastLeaf = undefined;
  }

  /**
   * The page numbers with an entry in `[first, last)`, ascending. Walks the
   * leaves of the range or every leaf, whichever is fewer.
   */
  keysIn(first: number, last: number): number[] {
    const out: number[] = [];
    if (this.n === 0 || last <= first) return out;
    const hiFirst = Math.floor(first / LEAF);
    const hiLast = Math.floor((last - 1) / LEAF);
    let his: number[];
    if (hiLast - hiFirst + 1 <= this.leaves.size) {
      his = [];
      for (let hi = hiFirst; hi <= hiLast; hi++) if (this.leaves.has(hi)) his.push(hi);
    } else {
      his = [];
      for (const hi of this.leaves.keys()) if (hi >= hiFirst && hi <= hiLast) his.push(hi);
      his.sort((x, y) => x - y);
    }
    for (const hi of his) {
      const leaf = this.leaves.get(hi)!;
      const base = hi * LEAF;
      const from = Math.max(first - base, 0);
      const to = Math.min(last - base, LEAF);
      for (let i = from; i < to; i++) if (leaf[i] !== 0) out.push(base + i);
    }
    return out;
  }

  /** Every `[vpn, entry]`, in no particular order (slow paths and tests). */
  *[Symbol.iterator](): IterableIterator<[number, number]> {
    for (const [hi, leaf] of this.leaves) {
      for (let i = 0; i < LEAF; i++) if (leaf[i] !== 0) yield [hi * LEAF + i, leaf[i]! - 1];
    }
  }

  /** Every entry, in no particular order. */
  *values(): IterableIterator<number> {
    for (const [, e] of this) yield e;
  }
}
