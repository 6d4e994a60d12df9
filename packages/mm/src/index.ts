/**
 * @tsvisor/mm — the application's memory, owned by the Sentry.
 *
 * A {@link MemoryManager} is one process's memory (Linux's `mm_struct`): VMAs
 * in a sorted array, the memory-file pages behind them, and the platform
 * AddressSpace that mirrors them. It implements mmap / munmap / mprotect /
 * mremap / brk / madvise / msync / mincore with Linux's semantics and
 * errnos, demand paging (`handleFault`), copy-on-write across `fork()`,
 * copy-in/copy-out with EFAULT, and /proc/PID/maps text.
 *
 * Typical use by the kernel:
 * ```ts
 * const allocator = new MemoryFileAllocator(platform.memoryFile, { limitBytes });
 * const mm = MemoryManager.create({ platform, allocator, limits: { addressSpaceBytes } });
 * const addr = mm.mmap({ addr: 0, length, prot, flags, file, offset }); // address or -errno
 * // on a FaultTrap:
 * const r = mm.handleFault(trap.addr, trap.access);
 * if (r !== 0) r.kind === "signal" ? forceSig(r.signo, r.code, trap.addr) : oomKill();
 * const child = mm.fork(); // MemoryManager or -ENOMEM
 * ```
 *
 * File mappings: see {@link Mappable}. For read(2)/write(2) to see and be
 * seen by mappings, the kernel calls `allocator.syncFile(m)` before reading a
 * regular file and `allocator.fileWritten(m, offset, data)` after writing one.
 *
 * Conventions: addresses and lengths are numbers (< 2^53; syscall arguments
 * above TASK_SIZE are rejected like Linux does); methods return a value or a
 * negative errno and never throw for the program's bad input (a throw is an
 * mm bug). Everything runs on the Sentry thread.
 */
export { MemoryFileAllocator } from "./allocator.js";
export type { AllocatorOptions } from "./allocator.js";
export { MemoryManager, MAX_MAP_COUNT, STACK_GUARD_GAP } from "./mm.js";
export type { MemoryManagerOptions, MmLimits, MmPlatform } from "./mm.js";
export type { Mappable } from "./mappable.js";
export type { MmapRequest } from "./syscalls.js";
export { TASK_SIZE } from "./syscalls.js";
export type { FaultOom, FaultResult, FaultSignal } from "./fault.js";
export { FAULT_ACCERR, FAULT_BUS, FAULT_MAPERR, FAULT_OOM } from "./fault.js";
export type { Iovec } from "./io.js";
export { MAX_RW_COUNT, UIO_MAXIOV } from "./io.js";
export { CHECK_INVARIANTS } from "./invariants.js";
