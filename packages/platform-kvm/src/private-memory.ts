import { MemfdMemoryFile } from "@tsvisor/platform";
import type { KvmNative } from "./native.js";

const PAGE = 4096;

/**
 * Platform-private guest memory: page tables, the IDT, GDTs/TSSs, the
 * trampoline page, IST stacks and IRET frames. One sparse memfd mapped into
 * the Sentry (a one-chunk MemfdMemoryFile) and registered as one memslot at
 * `gpa`; the application's memory file never holds any of it.
 *
 * Pages are handed out by a bump allocator with a free list. A page that was
 * used as a page table may still be cached by KVM's shadow MMU, so a freed
 * page only becomes reusable after the next flush (`flushed()`).
 *
 * Owned by the Sentry thread.
 */
export class PrivateMemory {
  /** Host view of the whole area, as 32-bit words (PTE halves). */
  readonly words: Uint32Array;
  /** Host view of the whole area, as bytes. */
  readonly bytes: Uint8Array;
  /** Host address of the mapping (for the addon). */
  readonly hostAddr: number;
  readonly fd: number;
  private readonly file: MemfdMemoryFile;
  private next = 0;
  private readonly free: number[] = [];
  /** Freed since the last flush; reusable after it. */
  private readonly quarantine: number[] = [];

  constructor(
    native: KvmNative,
    /** Guest-physical address of the area. */
    readonly gpa: number,
    /** Bytes, a positive multiple of the page size (RangeError otherwise). */
    readonly size: number,
    /** Called when the area is full: flushes if that frees quarantined pages; true if it did. */
    private readonly reclaim: () => boolean,
  ) {
    this.file = new MemfdMemoryFile(native, size, size, "tsvisor-kvm-private");
    this.fd = this.file.fd;
    this.hostAddr = this.file.hostAddr;
    this.bytes = this.file.chunk(0);
    this.words = new Uint32Array(this.bytes.buffer);
  }

  /** Returns the GPA of a zeroed page, or -1 when the area is full. */
  allocPage(): number {
    let off: number;
    const f = this.free.pop();
    if (f !== undefined) {
      off = f;
      this.words.fill(0, off / 4, off / 4 + PAGE / 4);
    } else {
      if (this.next + PAGE > this.size) return this.reclaim() ? this.allocPage() : -1;
      off = this.next;
      this.next += PAGE;
    }
    return this.gpa + off;
  }

  /** Gives a page back; it is reused only after the next flush. */
  freePage(gpa: number): void {
    this.quarantine.push(gpa - this.gpa);
  }

  /** Pages in quarantine (a flush would make them reusable). */
  get quarantined(): number {
    return this.quarantine.length;
  }

  /** Called after a flush: quarantined pages become reusable. */
  flushed(): void {
    for (const p of this.quarantine) this.free.push(p);
    this.quarantine.length = 0;
  }

  /** Index in `words` of the 32-bit word at `gpa`. */
  wordIndex(gpa: number): number {
    return (gpa - this.gpa) / 4;
  }

  /** Host address of `gpa` (for the addon). */
  hostAddress(gpa: number): number {
    return this.hostAddr + (gpa - this.gpa);
  }

  /** Pages in use (allocated and not freed). */
  get pagesInUse(): number {
    return this.next / PAGE - this.free.length - this.quarantine.length;
  }

  /** Detaches `words`/`bytes`, unmaps the area and closes its memfd; idempotent. */
  release(): void {
    this.file.release();
  }
}
