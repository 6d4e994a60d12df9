import { describe, expect, it } from "vitest";
import {
  fstatat,
  getcwd,
  lookupAt,
  chdir,
  mkdirat,
  openat,
  symlinkat,
  TmpFs,
  unlinkat,
  type FileDescription,
} from "@tsvisor/vfs";
import { tmpTask } from "./helpers.js";

const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_EMPTY_PATH = 0x1000;
const O_RDONLY = 0;
const O_CREAT = 0o100;
const O_DIRECTORY = 0o200000;
const O_NOFOLLOW = 0o400000;
const O_PATH = 0o10000000;
const ENOENT = 2;
const ENOTDIR = 20;
const ELOOP = 40;
const ENAMETOOLONG = 36;
const EBADF = 9;

function open(t: ReturnType<typeof tmpTask>, p: string, flags = O_RDONLY): FileDescription {
  const f = openat(t, AT_FDCWD, p, flags, 0o644);
  if (typeof f === "number") throw new Error(`open ${p}: ${f}`);
  return f;
}

function setup() {
  const t = tmpTask();
  mkdirat(t, AT_FDCWD, "/a", 0o755);
  mkdirat(t, AT_FDCWD, "/a/b", 0o755);
  open(t, "/a/b/file", O_CREAT).decRef();
  return t;
}

describe("path resolution", () => {
  it("a symlink loop fails with ELOOP", () => {
    const t = setup();
    symlinkat(t, "l2", AT_FDCWD, "/l1");
    symlinkat(t, "l1", AT_FDCWD, "/l2");
    expect(openat(t, AT_FDCWD, "/l1", O_RDONLY, 0)).toBe(-ELOOP);
    expect(fstatat(t, AT_FDCWD, "/l1/x", 0)).toBe(-ELOOP);
    // lstat of the link itself does not follow it.
    expect(typeof fstatat(t, AT_FDCWD, "/l1", AT_SYMLINK_NOFOLLOW)).toBe("object");
  });

  it("follows exactly 40 links and fails on the 41st", () => {
    const t = setup();
    // c0 -> c1 -> ... -> c40 -> /a/b/file: c1 needs 40 follows, c0 needs 41.
    for (let i = 0; i <= 40; i++)
      symlinkat(t, i === 40 ? "/a/b/file" : `c${i + 1}`, AT_FDCWD, `/c${i}`);
    expect(typeof openat(t, AT_FDCWD, "/c1", O_RDONLY, 0)).toBe("object");
    expect(openat(t, AT_FDCWD, "/c0", O_RDONLY, 0)).toBe(-ELOOP);
  });

  it("`..` at the root stays at the root, also across a mount", () => {
    const t = setup();
    const root = fstatat(t, AT_FDCWD, "/", 0);
    const up = fstatat(t, AT_FDCWD, "/../../..", 0);
    expect(up).toEqual(root);
    // Mount a tmpfs on /a/b: /a/b/.. is /a, not the tmpfs root.
    const a = fstatat(t, AT_FDCWD, "/a", 0);
    const bLoc = lookupAt(t, AT_FDCWD, "/a/b", true);
    if (typeof bLoc === "number") throw new Error("lookup");
    t.ns.mount(bLoc, new TmpFs(), "/a/b");
    const inMount = fstatat(t, AT_FDCWD, "/a/b", 0);
    expect(typeof inMount !== "number" && typeof root !== "number" && inMount.dev).not.toBe(
      typeof root !== "number" && root.dev,
    );
    expect(fstatat(t, AT_FDCWD, "/a/b/file", 0)).toBe(-ENOENT); // hidden by the mount
    expect(fstatat(t, AT_FDCWD, "/a/b/..", 0)).toEqual(a);
    expect(chdir(t, "/a/b")).toBe(0);
    expect(getcwd(t)).toBe("/a/b");
    expect(fstatat(t, AT_FDCWD, "..", 0)).toEqual(a);
  });

  it("a chroot'ed root confines `..` and absolute symlinks", () => {
    const t = setup();
    symlinkat(t, "/../../b", AT_FDCWD, "/a/up");
    const f = open(t, "/a", O_DIRECTORY);
    t.fs.root = f.location!;
    expect(fstatat(t, AT_FDCWD, "/b/file", 0)).not.toBe(-ENOENT);
    expect(typeof fstatat(t, AT_FDCWD, "/up/file", 0)).toBe("object");
    expect(getcwd(t)).toMatch(/^\(unreachable\)/);
  });

  it("a trailing slash on a file is ENOTDIR; on a symlink to a dir it follows", () => {
    const t = setup();
    symlinkat(t, "/a/b", AT_FDCWD, "/ld");
    expect(openat(t, AT_FDCWD, "/a/b/file/", O_RDONLY, 0)).toBe(-ENOTDIR);
    expect(fstatat(t, AT_FDCWD, "/a/b/file/", 0)).toBe(-ENOTDIR);
    const st = fstatat(t, AT_FDCWD, "/ld/", AT_SYMLINK_NOFOLLOW);
    expect(typeof st !== "number" && (st.mode & 0o170000).toString(8)).toBe("40000");
  });

  it("O_NOFOLLOW on a symlink is ELOOP; O_PATH|O_NOFOLLOW opens the link", () => {
    const t = setup();
    symlinkat(t, "/a/b/file", AT_FDCWD, "/lf");
    expect(openat(t, AT_FDCWD, "/lf", O_RDONLY | O_NOFOLLOW, 0)).toBe(-ELOOP);
    const f = open(t, "/lf", O_PATH | O_NOFOLLOW);
    const st = f.stat();
    expect(typeof st !== "number" && (st.mode & 0o170000).toString(8)).toBe("120000");
    expect(f.read(new Uint8Array(1))).toBe(-EBADF);
  });

  it("AT_EMPTY_PATH stats the dirfd itself; an empty path without it is ENOENT", () => {
    const t = setup();
    const fd = t.fdTable.install(open(t, "/a/b/file"), false);
    const viaFd = fstatat(t, fd, "", AT_EMPTY_PATH);
    expect(viaFd).toEqual(fstatat(t, AT_FDCWD, "/a/b/file", 0));
    expect(fstatat(t, fd, "", 0)).toBe(-ENOENT);
    expect(fstatat(t, 999, "", AT_EMPTY_PATH)).toBe(-EBADF);
    // A relative path from a non-directory fd is ENOTDIR; an absolute one ignores dirfd.
    expect(fstatat(t, fd, "x", 0)).toBe(-ENOTDIR);
    expect(typeof fstatat(t, 12345, "/a", 0)).toBe("object");
    expect(fstatat(t, 12345, "a", 0)).toBe(-EBADF);
  });

  it("names over NAME_MAX and paths of PATH_MAX bytes are ENAMETOOLONG", () => {
    const t = setup();
    expect(fstatat(t, AT_FDCWD, `/${"x".repeat(256)}`, 0)).toBe(-ENAMETOOLONG);
    expect(fstatat(t, AT_FDCWD, `/${"x".repeat(255)}`, 0)).toBe(-ENOENT);
    expect(fstatat(t, AT_FDCWD, "/a/".repeat(1366), 0)).toBe(-ENAMETOOLONG);
  });

  it("getcwd of a removed directory is ENOENT", () => {
    const t = setup();
    mkdirat(t, AT_FDCWD, "/gone", 0o755);
    expect(chdir(t, "/gone")).toBe(0);
    expect(unlinkat(t, AT_FDCWD, "/gone", 0x200)).toBe(0);
    expect(getcwd(t)).toBe(-ENOENT);
  });
});
