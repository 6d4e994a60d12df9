/**
 * openat2(2)'s RESOLVE_* restrictions on path resolution, through
 * `openat(..., resolve)`. The syscall-level checks (struct size, unknown
 * bits) are the kernel's; the differential program path_openat2 compares
 * the whole call with Linux.
 */
import { describe, expect, it } from "vitest";
import {
  type FileDescription,
  type Inode,
  lookupAt,
  mkdirat,
  openat,
  symlinkat,
  TmpFs,
} from "@tsvisor/vfs";
import { tmpTask } from "./helpers.js";

const AT_FDCWD = -100;
const O_RDONLY = 0;
const O_WRONLY = 1;
const O_CREAT = 0o100;
const O_DIRECTORY = 0o200000;
const O_TMPFILE = 0o20200000;
const ENOENT = 2;
const EXDEV = 18;
const ELOOP = 40;
const RESOLVE_NO_XDEV = 1;
const RESOLVE_NO_SYMLINKS = 4;
const RESOLVE_BENEATH = 8;
const RESOLVE_IN_ROOT = 16;

type T = ReturnType<typeof tmpTask>;

function open(t: T, p: string, flags = O_RDONLY): FileDescription {
  const f = openat(t, AT_FDCWD, p, flags, 0o644);
  if (typeof f === "number") throw new Error(`open ${p}: ${f}`);
  return f;
}

/** /root/d/f, /outside, links in /root; returns the task and a dirfd on /root. */
function setup(): { t: T; dfd: number } {
  const t = tmpTask();
  mkdirat(t, AT_FDCWD, "/root", 0o755);
  mkdirat(t, AT_FDCWD, "/root/d", 0o755);
  open(t, "/root/d/f", O_CREAT).decRef();
  open(t, "/outside", O_CREAT).decRef();
  symlinkat(t, "d/f", AT_FDCWD, "/root/lnk");
  symlinkat(t, "../outside", AT_FDCWD, "/root/escape");
  symlinkat(t, "/d/f", AT_FDCWD, "/root/abs");
  symlinkat(t, "../d/f", AT_FDCWD, "/root/d/up");
  const dfd = t.fdTable.install(open(t, "/root", O_RDONLY | O_DIRECTORY), false);
  return { t, dfd };
}

/** openat with `resolve`: the opened file's inode, or the errno. */
function o2(t: T, dfd: number, p: string, resolve: number, flags = O_RDONLY): Inode | number {
  const f = openat(t, dfd, p, flags, flags & O_CREAT ? 0o644 : 0, resolve);
  if (typeof f === "number") return f;
  const inode = f.location?.inode;
  f.decRef();
  if (!inode) throw new Error(`${p}: no location`);
  return inode;
}

/** The inode at absolute path `p`, resolved without restrictions. */
function at(t: T, p: string): Inode {
  const l = lookupAt(t, AT_FDCWD, p, true);
  if (typeof l === "number") throw new Error(`${p}: ${l}`);
  return l.inode;
}

describe("openat2 RESOLVE_* flags", () => {
  it("RESOLVE_BENEATH allows paths inside the dirfd and refuses every escape with EXDEV", () => {
    const { t, dfd } = setup();
    expect(o2(t, dfd, "d/f", RESOLVE_BENEATH)).toBe(at(t, "/root/d/f"));
    expect(o2(t, dfd, "d/../d/f", RESOLVE_BENEATH)).toBe(at(t, "/root/d/f"));
    expect(o2(t, dfd, "d/up", RESOLVE_BENEATH)).toBe(at(t, "/root/d/f"));
    expect(o2(t, dfd, "../outside", RESOLVE_BENEATH)).toBe(-EXDEV);
    expect(o2(t, dfd, "escape", RESOLVE_BENEATH)).toBe(-EXDEV);
    expect(o2(t, dfd, "/outside", RESOLVE_BENEATH)).toBe(-EXDEV);
    expect(o2(t, dfd, "abs", RESOLVE_BENEATH)).toBe(-EXDEV);
    expect(o2(t, dfd, ".", RESOLVE_BENEATH)).toBe(at(t, "/root"));
    // Without the flag the same paths escape.
    expect(o2(t, dfd, "escape", 0)).toBe(at(t, "/outside"));
    // O_CREAT through a dangling escaping link is refused too.
    symlinkat(t, "../created", AT_FDCWD, "/root/dangling");
    expect(o2(t, dfd, "dangling", RESOLVE_BENEATH, O_WRONLY | O_CREAT)).toBe(-EXDEV);
    expect(lookupAt(t, AT_FDCWD, "/created", false)).toBe(-ENOENT);
  });

  it("RESOLVE_IN_ROOT clamps `..` and absolute paths and links at the dirfd", () => {
    const { t, dfd } = setup();
    expect(o2(t, dfd, "../../d/f", RESOLVE_IN_ROOT)).toBe(at(t, "/root/d/f"));
    expect(o2(t, dfd, "/d/f", RESOLVE_IN_ROOT)).toBe(at(t, "/root/d/f"));
    expect(o2(t, dfd, "abs", RESOLVE_IN_ROOT)).toBe(at(t, "/root/d/f"));
    // "../outside" from the root is "/outside" inside it, which does not exist.
    expect(o2(t, dfd, "escape", RESOLVE_IN_ROOT)).toBe(-ENOENT);
    // AT_FDCWD scopes to the cwd.
    expect(o2(t, AT_FDCWD, "/root/d/f", RESOLVE_IN_ROOT)).toBe(at(t, "/root/d/f"));
    // O_TMPFILE resolves its directory the same way.
    const f = openat(t, dfd, "/d", O_TMPFILE | O_WRONLY, 0o600, RESOLVE_IN_ROOT);
    expect(typeof f).toBe("object");
  });

  it("RESOLVE_NO_SYMLINKS fails any followed link with ELOOP, trailing or not", () => {
    const { t, dfd } = setup();
    expect(o2(t, dfd, "lnk", RESOLVE_NO_SYMLINKS)).toBe(-ELOOP);
    mkdirat(t, AT_FDCWD, "/root/d/sub", 0o755);
    symlinkat(t, "d", AT_FDCWD, "/root/dl");
    expect(o2(t, dfd, "dl/f", RESOLVE_NO_SYMLINKS)).toBe(-ELOOP);
    expect(o2(t, dfd, "d/f", RESOLVE_NO_SYMLINKS)).toBe(at(t, "/root/d/f"));
    expect(o2(t, dfd, "dl/f", 0)).toBe(at(t, "/root/d/f"));
  });

  it("RESOLVE_NO_XDEV fails crossing a mount either way with EXDEV", () => {
    const { t, dfd } = setup();
    const mp = lookupAt(t, AT_FDCWD, "/root/d", true);
    if (typeof mp === "number") throw new Error("no /root/d");
    t.ns.mount(mp, new TmpFs({ mode: 0o755 }), "/root/d");
    open(t, "/root/d/g", O_CREAT).decRef();
    expect(o2(t, dfd, "d/g", 0)).toBe(at(t, "/root/d/g"));
    expect(o2(t, dfd, "d/g", RESOLVE_NO_XDEV)).toBe(-EXDEV);
    const inner = t.fdTable.install(open(t, "/root/d", O_RDONLY | O_DIRECTORY), false);
    expect(o2(t, inner, "g", RESOLVE_NO_XDEV)).toBe(at(t, "/root/d/g"));
    expect(o2(t, inner, "../lnk", RESOLVE_NO_XDEV)).toBe(-EXDEV);
    expect(o2(t, inner, "../lnk", 0)).toBe(-ENOENT); // lnk -> d/f, hidden by the mount
  });
});
