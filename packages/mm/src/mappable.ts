/**
 * A file that can be mapped with mmap(2). Implemented by the vfs's regular
 * files (host-backed or tmpfs); mm only reads and writes it through these
 * methods, page by page, into and out of the memory file.
 *
 * Semantics:
 * - Private mappings (`MAP_PRIVATE`) copy a page from the file the first time
 *   it is touched; later changes to the file are not seen by pages already
 *   copied (Linux shows them until the page is written; POSIX leaves it
 *   unspecified).
 * - Shared mappings (`MAP_SHARED`) of one Mappable share one page cache per
 *   sandbox (keyed by the Mappable object, so the vfs must hand out the same
 *   object for the same inode). Dirty pages are written back with `write` on
 *   msync(2), and when the last mapping of the file goes away.
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
