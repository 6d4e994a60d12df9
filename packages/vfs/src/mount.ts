/**
 * Mounts and mount namespaces.
 *
 * A {@link Location} (gVisor's VirtualDentry, Linux's struct path) names a
 * file as seen through one mount: the same inode can be reachable through
 * several mounts, and `..` and mount crossing depend on which.
 */

import type { DeviceRegistry } from "./devices.js";
import type { FileSystem, Inode } from "./inode.js";

/** A file as reached through a mount. */
export interface Location {
  readonly mount: Mount;
  readonly inode: Inode;
}

/**
 * One mount of a file system (or a subtree of it) at a mount point.
 *
 * Invariants: `parent` and `mountpoint` are both null (the namespace root)
 * or both set; `children` maps an inode of this mount to the mount on top
 * of it (the most recent one; stacked mounts chain through their roots).
 */
export class Mount {
  readonly children = new Map<Inode, Mount>();

  constructor(
    readonly ns: MountNamespace,
    readonly fs: FileSystem,
    readonly root: Inode,
    readonly parent: Mount | null,
    readonly mountpoint: Inode | null,
    /** MS_RDONLY: every change through this mount fails with EROFS. */
    public readOnly: boolean,
    /** Where this mount is, for /proc/mounts (set by the namespace). */
    public path: string,
  ) {}
}

/** Options of {@link MountNamespace.mount}. */
export interface MountOptions {
  readOnly?: boolean;
  /** Mount a subtree of `fs` (a bind mount); defaults to its root. */
  root?: Inode;
}

/** A tree of mounts, with the device drivers char-device nodes open. */
export class MountNamespace {
  readonly root: Mount;
  readonly mounts: Mount[] = [];

  constructor(
    rootFs: FileSystem,
    readonly devices: DeviceRegistry,
    opts: MountOptions = {},
  ) {
    this.root = new Mount(
      this,
      rootFs,
      opts.root ?? rootFs.root,
      null,
      null,
      opts.readOnly ?? false,
      "/",
    );
    this.mounts.push(this.root);
  }

  /** The root of the namespace as a Location. */
  get rootLocation(): Location {
    return { mount: this.root, inode: this.root.root };
  }

  /**
   * Mounts `fs` on top of `at` (a directory). `path` is only recorded for
   * /proc/mounts. Preconditions: `at` is a directory of this namespace.
   */
  mount(at: Location, fs: FileSystem, path: string, opts: MountOptions = {}): Mount {
    // Mount on whatever is currently visible at `at` (stacking).
    let parent = at.mount;
    let point = at.inode;
    for (;;) {
      const top = parent.children.get(point);
      if (!top) break;
      parent = top;
      point = top.root;
    }
    const m = new Mount(
      this,
      fs,
      opts.root ?? fs.root,
      parent,
      point,
      opts.readOnly ?? false,
      path,
    );
    parent.children.set(point, m);
    this.mounts.push(m);
    return m;
  }
}
