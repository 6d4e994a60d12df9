import { MemfdMemoryFile } from "@tsvisor/platform";
import type { PtraceNative } from "./native.js";

/** Bytes per Sentry-side view of the memory file. */
export const CHUNK_SIZE = 1 << 30;

/**
 * The memory file of the ptrace platform: a MemfdMemoryFile in chunks of
 * CHUNK_SIZE bytes; stub processes map the same memfd (by fd) for the
 * application.
 *
 * Precondition: `size` is a positive multiple of CHUNK_SIZE (RangeError
 * otherwise). Invariants: those of MemfdMemoryFile.
 */
export class PtraceMemoryFile extends MemfdMemoryFile {
  constructor(native: PtraceNative, size: number) {
    super(native, size, CHUNK_SIZE);
  }
}
