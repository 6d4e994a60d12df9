/**
 * A file that can be mapped with mmap(2). Implemented by the vfs's regular
 * files (host-backed or tmpfs); mm only reads and writes it through these
 * methods, page by page, into and out of the memory file.
 *
 * Semantics:
 * - Every mapping of one Mappable goes through one page cache per sandbox
 *   (keyed by the Mappable object, so the vfs must hand out the same object
 *   for the same inode). Pages are read from the file on first touch.
 * - Private mappings (`MAP_PRIVATE`) map the cache's pages read-only and copy
 *   a page on its first write, as Linux does: until then they see changes to
 *   the file.
 * - Shared mappings (`MAP_SHARED`) write into the cache; dirty pages are
 *   written back with `write` on msync(2), and when the last mapping of the
 *   file goes away.
 * - The cache is not the file: for read(2)/write(2) to stay coherent with
 *   mappings, the kernel calls `MemoryFileAllocator.syncFile(m)` before
 *   reading a mapped file and `MemoryFileAllocator.fileWritten(m, off, data)`
 *   after writing one (both are no-ops for files nobody maps).
 * - A page wholly beyond `size()` raises SIGBUS (BUS_ADRERR) when touched, as
 *   on Linux; the tail of the last page beyond `size()` reads as zeros and is
 *   never written back.
 *
 * Invariants: `name`, `dev`, `ino` are fixed for the object's lifetime.
 */
export interface Mappable {
  /** The path shown in /proc/PID/maps (absolute, as `d_path` prints it). */
  readonly name: string;
  /** Device number as `stat(2)` reports `st_dev` (glibc `makedev` encoding). */
  readonly dev: number;
  /** Inode number as `stat(2)` reports `st_ino`. */
  readonly ino: number;
  /** Current size of the file in bytes. */
  size(): number;
  /**
   * Reads up to `dst.length` bytes at `offset` into `dst`; returns the bytes
   * read (short at end of file) or a negative errno.
   */
  read(offset: number, dst: Uint8Array): number;
  /**
   * Writes `src` at `offset` without changing anything else (no append, no
   * size change beyond what the write itself implies); returns bytes written
   * or a negative errno.
   */
  write(offset: number, src: Uint8Array): number;
}
