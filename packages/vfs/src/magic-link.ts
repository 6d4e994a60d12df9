/**
 * The target of a procfs magic link to a file that has no location in any
 * mount (a pipe, a host stream, a socket).
 *
 * proc(5), /proc/pid/fd/: "For file descriptors for pipes and sockets, the
 * entries will be symbolic links whose content is the file type with the
 * inode. ... opening the file ... opens the same file as the fd refers
 * to." Linux's nd_jump_link() makes the walk land on the file's own inode
 * (in pipefs or sockfs); here the walk lands on an {@link OpenFileInode}
 * standing for that open file, and open(2) asks the original description
 * for a new one ({@link FileDescription.reopen}). Other calls (stat,
 * access) see the file's attributes.
 *
 * Invariants: an OpenFileInode is never a directory, so a walk cannot
 * continue below it (ENOTDIR); it holds no reference on `file` — a reopen
 * of a released description still only reaches the same pipe or host
 * stream.
 */

import type { FileDescription } from "./file.js";
import { blankStat, type FileSystem, Inode, now, type StatData } from "./inode.js";

export class OpenFileInode extends Inode {
  constructor(
    /** The file system holding the magic link (proc). */
    readonly fs: FileSystem,
    /** The open file the link's fd referred to when it was followed. */
    readonly file: FileDescription,
  ) {
    super();
  }

  stat(): StatData {
    const st = this.file.stat();
    if (typeof st !== "number") return st;
    // An anonymous file with no attributes: an anon_inode-like 0600 file.
    return blankStat({ dev: this.fs.dev, ino: 0, mode: 0o600, time: now() });
  }
}
