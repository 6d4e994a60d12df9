import type { Registers } from "./registers.js";
import type { Trap } from "./trap.js";

/** Page size of every platform: x86-64 small pages. */
export const PAGE_SIZE = 4096;

/** Protection bits, as Linux's PROT_READ / PROT_WRITE / PROT_EXEC. */
export const PROT_NONE = 0;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;

/**
 * The memory file: one host `memfd` holding every byte of application memory,
 * mapped `MAP_SHARED` into the Sentry's own process. mm hands out offsets in
 * it; platforms only mirror mm's mappings of it into real address spaces.
 *
 * Invariants:
 * - `size` is a multiple of `chunkSize`, and `chunkSize` of PAGE_SIZE.
 * - A byte written through `chunk()` is the byte the application sees at any
 *   address mapped to that offset, and vice versa (same host pages).
 * - The file starts sparse: untouched pages read as zero and cost nothing.
 */
export interface MemoryFile {
  /** Bytes addressable in the file (offsets `[0, size)`). Fixed. */
  readonly size: number;
  /** Bytes per chunk; one JS buffer cannot span the file, so it is chunked. */
  readonly chunkSize: number;
  /**
   * The Sentry's view of chunk `index`, covering file offsets
   * `[index * chunkSize, (index + 1) * chunkSize)`. The same object is
   * returned every time. Precondition: `0 <= index < size / chunkSize`.
   */
  chunk(index: number): Uint8Array;
  /**
   * Gives the host pages of `[offset, offset + length)` back (hole punch); the
   * range then reads as zeros. Preconditions: page-aligned, inside the file.
   */
  decommit(offset: number, length: number): void;
  /** The host fd of the memfd (for platforms that map it elsewhere). */
  readonly fd: number;
}

/**
 * An application address space: the mirror of one mm's mappings in a real
 * (host process or guest) address space. Owned by the Sentry thread.
 *
 * Preconditions: all addresses and lengths are page-aligned, with
 * `minUserAddress <= addr < addr + length <= maxUserAddress`, and `mapFile`'s
 * file range lies inside the memory file. A call outside them is a caller
 * (mm) bug: it throws RangeError and changes nothing.
 * Methods return 0 or a negative errno (e.g. `-ENOMEM` when the host is out
 * of memory); anything else going wrong is a platform bug and throws.
 */
export interface AddressSpace {
  /**
   * Maps `[addr, addr + length)` to memory-file offsets
   * `[offset, offset + length)` with `prot` (PROT_* bits), replacing whatever
   * was mapped there (MAP_FIXED semantics).
   */
  mapFile(addr: number, length: number, offset: number, prot: number): number;
  /** Removes every mapping in `[addr, addr + length)`; unmapped parts are ignored. */
  unmap(addr: number, length: number): number;
  /** Changes the protection of mapped pages in `[addr, addr + length)`. */
  protect(addr: number, length: number, prot: number): number;
  /** Frees host resources. The address space must not be in use by a running Context. */
  release(): void;
}

/**
 * One application thread's CPU state and the host thing that runs it (a stub
 * thread under ptrace, a vCPU under KVM). Owned by the Sentry thread, except
 * `interrupt()`, which any thread may call.
 */
export interface Context {
  /**
   * General-purpose registers (see registers.ts), read and written by the
   * kernel between switches. Includes `fs_base`/`gs_base`.
   */
  readonly regs: Registers;
  /**
   * Returns the thread's FP/SSE/AVX state as an XSAVE image (the 512-byte
   * FXSAVE legacy area first, then the XSAVE header and components), of
   * `Platform.fpStateSize` bytes. The buffer is owned by the Context and
   * valid until the next switch.
   */
  getFPState(): Uint8Array;
  /** Replaces the FP/SSE/AVX state with an image in `getFPState()`'s format. */
  setFPState(state: Uint8Array): void;
  /**
   * Runs the thread in `as` until it traps, and returns why. Synchronous: the
   * calling (Sentry) thread blocks, with no event-loop turn. With
   * `timeoutMs >= 0`, the thread is interrupted after that long and the trap is
   * `interrupted`.
   */
  switch(as: AddressSpace, timeoutMs?: number): Trap;
  /**
   * Starts the thread running in `as` without waiting for it; its trap is
   * collected by `Platform.waitAny`. For several runnable threads at once.
   */
  resume(as: AddressSpace): void;
  /** The trap of the last completed switch or resume. */
  readonly trap: Trap;
  /**
   * Makes a running (or about to run) thread stop with an `interrupted`
   * trap soon. Safe from any thread; a no-op when the thread has already
   * trapped.
   */
  interrupt(): void;
  /** Frees host resources (kills the stub thread / destroys the vCPU). */
  release(): void;
}

/** What a platform can do; fixed for its lifetime. */
export interface PlatformCapabilities {
  /** Lowest mappable application address. */
  readonly minUserAddress: number;
  /** One past the highest mappable application address. */
  readonly maxUserAddress: number;
  /** Size in bytes of the FP state image of `Context.getFPState()`. */
  readonly fpStateSize: number;
  /** True when `waitAny` can run several resumed contexts in parallel. */
  readonly parallelContexts: boolean;
}

/** An execution platform: creates address spaces and contexts over one memory file. */
export interface Platform {
  readonly name: string;
  readonly capabilities: PlatformCapabilities;
  /** The memory file every address space of this platform maps. */
  readonly memoryFile: MemoryFile;
  newAddressSpace(): AddressSpace;
  newContext(): Context;
  /**
   * Waits until one of the contexts started with `resume` traps, and returns
   * it (its trap in `trap`); `null` when `timeoutMs` (>= 0) passes first.
   * `timeoutMs < 0` waits forever. Throws if no context is resumed.
   */
  waitAny(timeoutMs: number): Context | null;
  /** Releases everything: contexts, address spaces, the memory file. */
  release(): void;
}

/** Options every platform accepts. */
export interface PlatformOptions {
  /** Size of the memory file in bytes (sparse; default chosen by the platform). */
  memoryFileSize?: number;
}

/** Result of probing whether a platform can run on this host. */
export type ProbeResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: string; readonly fix: string };

/**
 * What a platform package exports as its default export, so that
 * `--platform NAME` can load `@tsvisor/platform-NAME` (or a module path).
 */
export interface PlatformProvider {
  readonly name: string;
  /** Checks the host (device present, ptrace allowed, addon loads). Never throws. */
  probe(): ProbeResult;
  /** Creates a platform. Precondition: `probe().ok`. */
  create(options?: PlatformOptions): Platform;
}

/** A host call inside a platform failed; carries the numeric errno. */
export class HostError extends Error {
  constructor(
    readonly call: string,
    readonly errno: number,
  ) {
    super(`${call} failed: errno ${errno}`);
    this.name = "HostError";
  }
}
