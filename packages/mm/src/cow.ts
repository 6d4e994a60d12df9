import { ENOMEM, PROT_WRITE } from "@tsvisor/abi";
import { PAGE_SIZE } from "@tsvisor/platform";
import { MemoryManager, PTE_FLAGS, PTE_MAPPED, PTE_PRIVATE, readOnly } from "./mm.js";
import { VMA_DONTFORK, VMA_WIPEONFORK, newAnonVma } from "./vma.js";

/**
 * Copies `mm` for fork(2) (Linux's dup_mmap): a new MM with a new
 * AddressSpace and the same VMAs, where
 * - private pages become copy-on-write: parent and child share each page
 *   (refcount + 1) and the parent's writable mirrors lose PROT_WRITE, so the
 *   first write by either side faults and copies (`MemoryManager.breakCow`);
 * - shared mappings (anonymous or file) keep sharing their object;
 * - MADV_DONTFORK VMAs are left out; MADV_WIPEONFORK VMAs start empty (zeros)
 *   in the child.
 * Nothing is mapped in the child's AddressSpace: its pages fault in on first
 * use (cheap for the common fork-then-exec).
 *
 * Returns the child, or -ENOMEM when the child's commit charge would pass
 * the sandbox limit (fork(2): "ENOMEM: fork() failed to allocate the
 * necessary kernel structures because memory is tight").
 *
 * Runs on behalf of the forking task.
 */
export function fork(mm: MemoryManager): MemoryManager | number {
  let charge = 0;
  for (const v of mm.vmas.a) if ((v.flags & VMA_DONTFORK) === 0) charge += v.charge;
  if (!mm.mayCommit(charge)) return -ENOMEM;

  const child = new MemoryManager(
    { ...mm.options, limits: { ...mm.limits }, mmapBase: mm.mmapBase },
    mm.platform.newAddressSpace(),
  );
  child.brkStart = mm.brkStart;
  child.brkCur = mm.brkCur;
  child.stackStart = mm.stackStart;
  child.argStart = mm.argStart;
  child.argEnd = mm.argEnd;
  child.envStart = mm.envStart;
  child.envEnd = mm.envEnd;

  const allocator = mm.allocator;
  let runStart = -1;
  let runEnd = -1;
  let runProt = 0;
  const flush = () => {
    if (runStart >= 0) {
      mm.addressSpace.protect(runStart * PAGE_SIZE, (runEnd - runStart) * PAGE_SIZE, runProt);
    }
    runStart = -1;
  };
  for (const v of mm.vmas.a) {
    if ((v.flags & VMA_DONTFORK) !== 0) continue;
    const c = v.cloneRange(v.start, v.end);
    // anon_vma_fork: each child VMA gets an anon_vma of its own.
    if (c.anonVma !== 0) {
      c.anonVma = newAnonVma();
      c.anonForked = true;
    }
    child.vmas.a.push(c);
    child.account(c, 1);
    if ((v.flags & VMA_WIPEONFORK) !== 0 || v.shared) continue;
    const writable = (v.prot & PROT_WRITE) !== 0;
    for (const vpn of mm.ptesIn(v.start, v.end)) {
      const e = mm.ptes.get(vpn);
      // Page-cache pages of private file mappings: the child refaults them.
      if ((e & PTE_PRIVATE) === 0) continue;
      const off = e - (e & PTE_FLAGS);
      allocator.incRef(off, 1);
      child.ptes.set(vpn, off + PTE_PRIVATE);
      if (!writable || (e & PTE_MAPPED) === 0) continue;
      const prot = readOnly(v.prot);
      if (vpn === runEnd && prot === runProt) {
        runEnd++;
        continue;
      }
      flush();
      runStart = vpn;
      runEnd = vpn + 1;
      runProt = prot;
    }
  }
  flush();
  return child;
}
