/**
 * Regular files as mmap(2) sees them: @tsvisor/mm's `Mappable` shape
 * (name, dev, ino, size, read, write), one object per inode so shared
 * mappings of one file share a page cache.
 */

import type { Inode } from "./inode.js";
import type { FileDescription } from "./file.js";
import { S_IFMT, S_IFREG } from "./linux.js";

/**
 * A mappable view of an inode. Structurally @tsvisor/mm's Mappable.
 * Invariants: `dev`/`ino` are the inode's at creation and never change.
 */
export class InodeMappable {
  readonly dev: number;
  readonly ino: number;

  constructor(
    readonly inode: Inode,
    readonly name: string,
  ) {
    const st = inode.stat();
    this.dev = st.dev;
    this.ino = st.ino;
  }

  size(): number {
    return this.inode.stat().size;
  }

  read(offset: number, dst: Uint8Array): number {
    return this.inode.read(offset, dst);
  }

  write(offset: number, src: Uint8Array): number {
    return this.inode.write(offset, src);
  }
}

const cache = new WeakMap<Inode, InodeMappable>();

/**
 * The Mappable of an open regular file (the same object for every open of
 * one inode), or null when the file cannot be mapped (mmap → ENODEV).
 */
export function mappableOf(f: FileDescription): InodeMappable | null {
  const inode = f.inode;
  if (!inode || (inode.mode & S_IFMT) !== S_IFREG) return null;
  let m = cache.get(inode);
  if (!m) {
    m = new InodeMappable(inode, f.path);
    cache.set(inode, m);
  }
  return m;
}

/** The Mappable of `f`'s inode if one was ever handed out (the file may be mapped), else null. */
export function peekMappable(f: FileDescription): InodeMappable | null {
  const inode = f.inode;
  return inode ? (cache.get(inode) ?? null) : null;
}
