/**
 * A task's file-system context: root, working directory and umask
 * (Linux's struct fs_struct). fork(2) copies it; clone(CLONE_FS) shares it.
 */

import type { Location } from "./mount.js";

/**
 * Invariants: `root` and `cwd` are directories; `umask` is within 0777.
 * Owned by the Sentry thread; shared by tasks cloned with CLONE_FS.
 */
export class FsContext {
  constructor(
    public root: Location,
    public cwd: Location,
    public umask = 0o022,
  ) {}

  /** The last task using this context is gone (nothing to free: locations are plain references). */
  release(): void {}

  /** A copy for fork(2) without CLONE_FS. */
  fork(): FsContext {
    return new FsContext(this.root, this.cwd, this.umask);
  }
}
