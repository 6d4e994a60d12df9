/**
 * The platform's own record of what is mapped in one address space and with
 * which protection, kept in step with the stub's real mappings. Used only to
 * classify faults (see context.ts), never to decide what the application may
 * do: that is mm's job.
 *
 * Invariants: `starts`, `ends`, `prots` have equal length; ranges are sorted,
 * non-empty and disjoint.
 */
export class MappingTable {
  private starts: number[] = [];
  private ends: number[] = [];
  private prots: number[] = [];

  /** Sets `[start, end)` to `prot`, or to unmapped when `prot` is null. */
  set(start: number, end: number, prot: number | null): void {
    const s: number[] = [];
    const e: number[] = [];
    const p: number[] = [];
    let inserted = false;
    for (let i = 0; i < this.starts.length; i++) {
      const a = this.starts[i]!;
      const b = this.ends[i]!;
      const q = this.prots[i]!;
      if (b <= start || a >= end) {
        if (!inserted && a >= end && prot !== null) {
          s.push(start);
          e.push(end);
          p.push(prot);
          inserted = true;
        }
        s.push(a);
        e.push(b);
        p.push(q);
        continue;
      }
      if (a < start) {
        s.push(a);
        e.push(start);
        p.push(q);
      }
      if (!inserted && prot !== null) {
        s.push(start);
        e.push(end);
        p.push(prot);
        inserted = true;
      }
      if (b > end) {
        s.push(end);
        e.push(b);
        p.push(q);
      }
    }
    if (!inserted && prot !== null) {
      s.push(start);
      e.push(end);
      p.push(prot);
    }
    this.starts = s;
    this.ends = e;
    this.prots = p;
  }

  /** Changes the protection of the mapped parts of `[start, end)`. */
  protect(start: number, end: number, prot: number): void {
    const parts: [number, number][] = [];
    for (let i = 0; i < this.starts.length; i++) {
      const a = Math.max(this.starts[i]!, start);
      const b = Math.min(this.ends[i]!, end);
      if (a < b) parts.push([a, b]);
    }
    for (const [a, b] of parts) this.set(a, b, prot);
  }

  /** The protection at `addr`, or -1 when nothing is mapped there. */
  protAt(addr: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (addr < this.starts[mid]!) hi = mid - 1;
      else if (addr >= this.ends[mid]!) lo = mid + 1;
      else return this.prots[mid]!;
    }
    return -1;
  }
}
