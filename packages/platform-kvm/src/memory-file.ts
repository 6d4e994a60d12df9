import { MemfdMemoryFile } from "@tsvisor/platform";
import type { KvmNative } from "./native.js";

const GIB = 1024 * 1024 * 1024;
const MIB2 = 2 * 1024 * 1024;

/** `[size, chunkSize]` of a KVM memory file asked to hold `size` bytes. */
function geometry(size: number): [number, number] {
  let s = Math.ceil(size / MIB2) * MIB2;
  const chunkSize = Math.min(s, GIB);
  s = Math.ceil(s / chunkSize) * chunkSize;
  return [s, chunkSize];
}

/**
 * The memory file of the KVM platform: a MemfdMemoryFile handed to KVM one
 * chunk per memslot at guest-physical address = file offset. `decommit`
 * needs nothing more: KVM learns of the punched pages through its MMU
 * notifier.
 *
 * Precondition: `size > 0` (RangeError otherwise).
 *
 * Invariants (beyond MemfdMemoryFile's):
 * - `chunkSize` is 1 GiB, or the whole (2 MiB-rounded) file when smaller;
 *   `size` is the asked size rounded up to a multiple of it.
 * - Chunk `i` is a memslot exactly when `slotted[i]`; `ensureSlots` adds
 *   them before any page table points into them.
 */
export class KvmMemoryFile extends MemfdMemoryFile {
  private readonly slotted: boolean[] = [];

  constructor(
    native: KvmNative,
    size: number,
    /** Registers chunk `index` as a memslot. */
    private readonly addSlot: (index: number, gpa: number, size: number, hostAddr: number) => void,
  ) {
    super(native, ...geometry(size));
  }

  /** Makes sure every chunk overlapping `[offset, offset + length)` is a memslot. */
  ensureSlots(offset: number, length: number): void {
    const first = Math.floor(offset / this.chunkSize);
    const last = Math.floor((offset + length - 1) / this.chunkSize);
    for (let i = first; i <= last; i++) {
      if (this.slotted[i] === true) continue;
      const gpa = i * this.chunkSize;
      this.addSlot(i, gpa, this.chunkSize, this.hostAddr + gpa);
      this.slotted[i] = true;
    }
  }
}
