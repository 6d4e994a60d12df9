/**
 * Building a sandbox's mount namespace: the default root, `--root DIR`
 * and `--volume HOST:PATH[:ro|rw]`.
 *
 * The default root is the host's `/`, read-only, under a tmpfs overlay:
 * the program can write anywhere and nothing it writes reaches the host.
 * On top: /dev (tsvisor's devices) and /proc (an empty mount point; the
 * kernel fills procfs in). /tmp is part of the overlay, not a fresh tmpfs:
 * `tsvisor run` starts in the host's working directory, which is often under
 * /tmp, so it must exist in the sandbox; writes there still stay in the
 * overlay's upper layer.
 */

import { isatty } from "node:tty";
import { DeviceRegistry, makeDevFs } from "./devices.js";
import { FsContext } from "./fs-context.js";
import { HostFs } from "./hostfs.js";
import { type FileSystem, ROOT_CREDS } from "./inode.js";
import { EEXIST, S_IFDIR } from "./linux.js";
import { type Location, type Mount, MountNamespace } from "./mount.js";
import { Walker } from "./namei.js";
import { OverlayFs } from "./overlay.js";
import { TmpFs } from "./tmpfs.js";

/** A host directory mounted at a sandbox path. */
export interface VolumeSpec {
  hostPath: string;
  sandboxPath: string;
  readOnly: boolean;
}

/**
 * Parses `HOST:PATH[:ro|rw]` (default rw, like docker's -v). Returns an
 * error message for a malformed spec.
 */
export function parseVolume(spec: string): VolumeSpec | string {
  const parts = spec.split(":");
  if (parts.length < 2 || parts.length > 3) return `bad volume "${spec}": want HOST:PATH[:ro|rw]`;
  const [hostPath, sandboxPath, mode = "rw"] = parts as [string, string, string?];
  if (!hostPath.startsWith("/") || !sandboxPath.startsWith("/"))
    return `bad volume "${spec}": both paths must be absolute`;
  if (mode !== "ro" && mode !== "rw") return `bad volume "${spec}": mode must be ro or rw`;
  return { hostPath, sandboxPath, readOnly: mode === "ro" };
}

/** Options of {@link defaultRoot}. */
export interface RootOptions {
  /** The host directory that becomes `/` (read-only lower layer); default the host's `/`. */
  hostRoot?: string;
  /** Mount the host root without an overlay, writable (`--root DIR` with a writable tree). Default false. */
  writableHostRoot?: boolean;
  /** Extra host directories. */
  volumes?: VolumeSpec[];
  /**
   * Device drivers (default: null, zero, full, random, urandom, and tty —
   * passed through to the Sentry's terminal when `hostTty`).
   */
  devices?: DeviceRegistry;
  /**
   * Let /dev/tty open the Sentry's controlling terminal. Default: whether
   * the Sentry's stdin is a terminal (an interactive run).
   */
  hostTty?: boolean;
  /** Skip the /dev, /proc and /tmp mounts. */
  bare?: boolean;
}

/** A sandbox's file-system view. */
export interface SandboxRoot {
  readonly ns: MountNamespace;
  /** The root directory. */
  readonly root: Location;
  /** The /proc mount point (empty until the kernel mounts procfs over it). */
  readonly proc: Location | null;
  /** A fresh FsContext (root = cwd = `/`, umask 022) for the first task. */
  newFsContext(): FsContext;
  /** Mounts `fs` at the absolute sandbox `path`, creating the directory if needed. */
  mountAt(path: string, fs: FileSystem, readOnly?: boolean): Mount;
}

/**
 * Makes the directory `path` (and its parents) exist, returning it.
 * Throws on failure: this runs on the Sentry's trusted configuration, not
 * on program input.
 */
function mkdirAll(ns: MountNamespace, path: string): Location {
  const w = new Walker(ns.rootLocation, ROOT_CREDS);
  let cur = ns.rootLocation;
  for (const comp of path.split("/")) {
    if (comp === "") continue;
    let next = w.step(cur, comp);
    if (next === -2 /* ENOENT */) {
      const r = cur.inode.createChild(comp, S_IFDIR | 0o755, ROOT_CREDS, {});
      if (typeof r === "number" && r !== -EEXIST)
        throw new Error(`cannot create ${path}: errno ${-r}`);
      next = w.step(cur, comp);
    }
    if (typeof next === "number") throw new Error(`cannot resolve ${path}: errno ${-next}`);
    if (next.inode.isSymlink) {
      const t = w.followLink(cur, next.inode);
      if (typeof t === "number") throw new Error(`cannot resolve ${path}: errno ${-t}`);
      next = t;
    }
    if (!next.inode.isDir) throw new Error(`${path}: not a directory`);
    cur = next;
  }
  return cur;
}

/**
 * Builds the default sandbox root (see the file comment). Throws an Error
 * with a one-line message for bad configuration (missing host directory).
 */
export function defaultRoot(opts: RootOptions = {}): SandboxRoot {
  const host = new HostFs(opts.hostRoot ?? "/", { writable: opts.writableHostRoot ?? false });
  const rootFs: FileSystem = opts.writableHostRoot ? host : new OverlayFs(host.root);
  const hostTty = opts.hostTty ?? isatty(0);
  const ns = new MountNamespace(rootFs, opts.devices ?? DeviceRegistry.withDefaults({ hostTty }));
  const mountAt = (path: string, fs: FileSystem, readOnly = false): Mount => {
    const at = mkdirAll(ns, path);
    return ns.mount(at, fs, path, { readOnly });
  };
  let proc: Location | null = null;
  if (!opts.bare) {
    mountAt("/dev", makeDevFs());
    const procFs = new TmpFs({ mode: 0o555 });
    const m = mountAt("/proc", procFs);
    proc = { mount: m, inode: m.root };
  }
  for (const v of opts.volumes ?? []) {
    mountAt(v.sandboxPath, new HostFs(v.hostPath, { writable: !v.readOnly }), v.readOnly);
  }
  const root = ns.rootLocation;
  return {
    ns,
    root,
    proc,
    newFsContext: () => new FsContext(root, root, 0o022),
    mountAt,
  };
}
