/**
 * What the kernel needs from @tsvisor/mm and @tsvisor/vfs, as structural
 * interfaces. Those packages are written at the same time as this one; their
 * classes satisfy these interfaces (TypeScript checks it where they are
 * wired in), and handlers that need more than this import the concrete
 * types from the packages themselves.
 */
import type { AddressSpace } from "@tsvisor/platform";

/** Result of a fault the memory manager could not resolve (see @tsvisor/mm). */
export type FaultOutcome =
  | 0
  | { readonly kind: "signal"; readonly signo: number; readonly code: number }
  | { readonly kind: "oom" };

/**
 * The application's memory as the kernel core uses it (see @tsvisor/mm's
 * MemoryManager). Every method returns a value or a negative errno.
 */
export interface TaskMemory {
  readonly addressSpace: AddressSpace;
  mmap(req: {
    addr: number;
    length: number;
    prot: number;
    flags: number;
    // biome-ignore lint/suspicious/noExplicitAny: the Mappable type belongs to mm.
    file?: any;
    offset?: number;
    fileReadable?: boolean;
    fileWritable?: boolean;
    name?: string;
  }): number;
  munmap(addr: number, length: number): number;
  mprotect(addr: number, length: number, prot: number): number;
  mremap(oldAddr: number, oldSize: number, newSize: number, flags: number, newAddr: number): number;
  brk(addr: number): number;
  madvise(addr: number, length: number, advice: number): number;
  msync(addr: number, length: number, flags: number): number;
  mincore(addr: number, length: number, vec: Uint8Array): number;
  handleFault(addr: number, access: "read" | "write" | "exec"): FaultOutcome;
  copyIn(addr: number, dst: Uint8Array): number;
  copyOut(addr: number, src: Uint8Array): number;
  copyInString(addr: number, maxLen: number): string | number;
  /** A copy-on-write copy, or -ENOMEM. */
  fork(): TaskMemory | number;
  /** Where the heap starts (the loader calls it once). */
  setBrkBase(start: number): void;
  /** `mm->start_stack`, and the argv/envp areas of the initial stack. */
  stackStart: number;
  argStart: number;
  argEnd: number;
  envStart: number;
  envEnd: number;
  /** /proc/PID/maps text. */
  mapsText(): string;
  release(): void;
}

/**
 * The fd table as the kernel core uses it (fork/exec/exit). Placeholder for
 * @tsvisor/vfs's FdTable until that package publishes it.
 */
export interface FdTable {
  /** A copy sharing the same open file descriptions (fork without CLONE_FILES). */
  fork(): FdTable;
  /** Closes every fd marked close-on-exec. */
  closeOnExec(): void;
  /** Closes every fd (last user gone). */
  release(): void;
}

/**
 * Root, cwd and umask as the kernel core uses them. Placeholder for
 * @tsvisor/vfs's FsContext until that package publishes it.
 */
export interface FsContext {
  /** A copy (fork without CLONE_FS). */
  fork(): FsContext;
  umask: number;
  release(): void;
}
