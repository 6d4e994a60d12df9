import { PTE_A, PTE_D, PTE_HI_NX, PTE_P, PTE_U, PTE_W } from "./layout.js";
import type { PrivateMemory } from "./private-memory.js";

const TWO32 = 4294967296;
/** Low-word address bits of an entry (bits 12..31). */
const ADDR_LO = 0xfffff000;
/** High-word address bits of an entry (bits 32..51). */
const ADDR_HI = 0x000fffff;
/** Bits that the CPU (or KVM) sets on its own and that never need a flush. */
const AD = PTE_A | PTE_D;

/** Physical address held by the entry whose words are `lo`, `hi`. */
export function entryAddress(lo: number, hi: number): number {
  return (hi & ADDR_HI) * TWO32 + ((lo & ADDR_LO) >>> 0);
}

/** What a leaf edit did to the live translation. */
export const EDIT_NONE = 0;
/** A not-present entry became present: no flush needed. */
export const EDIT_ADDED = 1;
/** A present entry lost rights, moved, or vanished: stale TLB/shadow entries must be flushed. */
export const EDIT_NARROWED = 2;

/**
 * Writes leaf entry `index` (a word index into `mem.words` of the entry's low
 * half) and says what that does to cached translations.
 *
 * Widening a present entry's rights (read-only → writable, NX → executable)
 * needs no flush: a stale stricter translation only causes a fault that KVM's
 * shadow MMU resolves by re-walking (PVM), or that the CPU retries after it
 * drops the entry (bare metal; Linux relies on the same rule).
 */
export function writeLeaf(mem: PrivateMemory, index: number, lo: number, hi: number): number {
  const w = mem.words;
  const oldLo = w[index]!;
  const oldHi = w[index + 1]!;
  w[index] = lo;
  w[index + 1] = hi;
  if ((oldLo & PTE_P) === 0) return (lo & PTE_P) === 0 ? EDIT_NONE : EDIT_ADDED;
  if ((lo & PTE_P) === 0) return EDIT_NARROWED;
  if (((oldLo ^ lo) & ADDR_LO) !== 0 || ((oldHi ^ hi) & ADDR_HI) !== 0) return EDIT_NARROWED;
  if ((oldLo & PTE_W) !== 0 && (lo & PTE_W) === 0) return EDIT_NARROWED;
  if ((oldLo & PTE_U) !== 0 && (lo & PTE_U) === 0) return EDIT_NARROWED;
  if ((oldHi & PTE_HI_NX) === 0 && (hi & PTE_HI_NX) !== 0) return EDIT_NARROWED;
  return ((oldLo ^ lo) & ~AD) !== 0 || oldHi !== hi ? EDIT_ADDED : EDIT_NONE;
}

/**
 * Returns the word index of the entry in the table at `tableGpa` for `slot`
 * (0..511), following the entry to the next-level table: the GPA of that
 * table, allocating (and linking with P|W|U, so that the leaf decides) when
 * `create` is set. Returns 0 when absent and not created, -1 when out of
 * private memory.
 */
export function nextTable(
  mem: PrivateMemory,
  tableGpa: number,
  slot: number,
  create: boolean,
): number {
  const i = mem.wordIndex(tableGpa) + slot * 2;
  const w = mem.words;
  const lo = w[i]!;
  if ((lo & PTE_P) !== 0) return entryAddress(lo, w[i + 1]!);
  if (!create) return 0;
  const page = mem.allocPage();
  if (page < 0) return -1;
  w[i] = ((page % TWO32) & ADDR_LO) | PTE_P | PTE_W | PTE_U;
  w[i + 1] = Math.floor(page / TWO32);
  return page;
}

/** Builds the words of a leaf entry for `gpa` with rights P|U plus `W`/`NX` as asked. */
export function leafWords(
  gpa: number,
  user: boolean,
  write: boolean,
  exec: boolean,
): [number, number] {
  let lo = ((gpa % TWO32) & ADDR_LO) | PTE_P;
  if (user) lo |= PTE_U;
  if (write) lo |= PTE_W;
  let hi = Math.floor(gpa / TWO32);
  if (!exec) hi |= PTE_HI_NX;
  return [lo >>> 0, hi >>> 0];
}
