/**
 * The platform's own record of what is mapped in one address space: for
 * each range its protection and memory-file offset, kept in step with the
 * stub's real mappings. Used only to classify faults and to read the
 * instruction bytes before a syscall stop (see context.ts), never to decide
 * what the application may do: that is mm's job.
 *
 * Invariants: `starts`, `ends`, `prots`, `offs` have equal length; ranges
 * are sorted, non-empty and disjoint; `offs[i]` is the file offset of
 * `starts[i]`.
 */
export class MappingTable {
  private starts: number[] = [];
  private ends: number[] = [];
  private prots: number[] = [];
  private offs: number[] = [];

  /**
   * Sets `[start, end)` to `prot` at file offset `off`, or to unmapped when
   * `prot` is null.
   */
  set(start: number, end: number, prot: number | null, off = 0): void {
    const s: number[] = [];
    const e: number[] = [];
    const p: number[] = [];
    const o: number[] = [];
    let inserted = false;
    const insert = () => {
      if (!inserted && prot !== null) {
        s.push(start);
        e.push(end);
        p.push(prot);
        o.push(off);
      }
      inserted = true;
    };
    for (let i = 0; i < this.starts.length; i++) {
      const a = this.starts[i]!;
      const b = this.ends[i]!;
      const q = this.prots[i]!;
      const f = this.offs[i]!;
      if (b <= start) {
        s.push(a);
        e.push(b);
        p.push(q);
        o.push(f);
        continue;
      }
      if (a >= end) {
        insert();
        s.push(a);
        e.push(b);
        p.push(q);
        o.push(f);
        continue;
      }
      if (a < start) {
        s.push(a);
        e.push(start);
        p.push(q);
        o.push(f);
      }
      insert();
      if (b > end) {
        s.push(end);
        e.push(b);
        p.push(q);
        o.push(f + (end - a));
      }
    }
    insert();
    this.starts = s;
    this.ends = e;
    this.prots = p;
    this.offs = o;
  }

  /** Changes the protection of the mapped parts of `[start, end)`, keeping their offsets. */
  protect(start: number, end: number, prot: number): void {
    const parts: [number, number, number][] = [];
    for (let i = 0; i < this.starts.length; i++) {
      const a = Math.max(this.starts[i]!, start);
      const b = Math.min(this.ends[i]!, end);
      if (a < b) parts.push([a, b, this.offs[i]! + (a - this.starts[i]!)]);
    }
    for (const [a, b, f] of parts) this.set(a, b, prot, f);
  }

  private find(addr: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (addr < this.starts[mid]!) hi = mid - 1;
      else if (addr >= this.ends[mid]!) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  /** The protection at `addr`, or -1 when nothing is mapped there. */
  protAt(addr: number): number {
    const i = this.find(addr);
    return i < 0 ? -1 : this.prots[i]!;
  }

  /** The memory-file offset backing `addr`, or -1 when nothing is mapped there. */
  offsetAt(addr: number): number {
    const i = this.find(addr);
    return i < 0 ? -1 : this.offs[i]! + (addr - this.starts[i]!);
  }
}
