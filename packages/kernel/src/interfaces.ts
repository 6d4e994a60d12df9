/**
 * The types the kernel core takes from the layers below it, in one place:
 * a task's memory is @tsvisor/mm's MemoryManager, its files @tsvisor/vfs's
 * FdTable and FsContext.
 */
export type { MemoryManager as TaskMemory } from "@tsvisor/mm";
export type { FdTable, FsContext } from "@tsvisor/vfs";
