import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  DeviceRegistry,
  type FileDescription,
  FdTable,
  FsContext,
  fchmodat,
  fstatat,
  HostFs,
  linkat,
  mkdirat,
  MountNamespace,
  openat,
  OverlayFs,
  readlinkat,
  renameat2,
  ROOT_CREDS,
  symlinkat,
  truncate,
  unlinkat,
  type VfsTask,
} from "@tsvisor/vfs";
import { text } from "./helpers.js";

const AT_FDCWD = -100;
const O_RDONLY = 0;
const O_WRONLY = 1;
const O_RDWR = 2;
const O_CREAT = 0o100;
const O_DIRECTORY = 0o200000;
const ENOENT = 2;
const EXDEV = 18;
const ENOTEMPTY = 39;
const EROFS = 30;

/** A digest of every path, type, mode, size, content and link target under `root`. */
function treeDigest(root: string): string {
  const h = createHash("sha256");
  const walk = (rel: string) => {
    const p = path.join(root, rel);
    const st = fs.lstatSync(p);
    h.update(`${rel}\0${st.mode}\0${st.size}\0${st.mtimeMs}\0`);
    if (st.isSymbolicLink()) h.update(fs.readlinkSync(p));
    else if (st.isFile()) h.update(fs.readFileSync(p));
    else if (st.isDirectory()) for (const n of fs.readdirSync(p).sort()) walk(path.join(rel, n));
  };
  walk(".");
  return h.digest("hex");
}

function names(f: FileDescription): string[] {
  const buf = new Uint8Array(4096);
  const out: string[] = [];
  for (;;) {
    const n = f.getdents64(buf);
    if (n <= 0) break;
    const dv = new DataView(buf.buffer);
    for (let off = 0; off < n; ) {
      const reclen = dv.getUint16(off + 16, true);
      const end = buf.indexOf(0, off + 19);
      out.push(Buffer.from(buf.subarray(off + 19, end)).toString("latin1"));
      off += reclen;
    }
  }
  return out.filter((n) => n !== "." && n !== "..").sort();
}

let lower: string;
let before: string;
let t: VfsTask;

function open(p: string, flags = O_RDONLY): FileDescription {
  const f = openat(t, AT_FDCWD, p, flags, 0o644);
  if (typeof f === "number") throw new Error(`open ${p}: ${f}`);
  return f;
}

function read(p: string): string {
  const f = open(p);
  const b = new Uint8Array(1 << 16);
  const n = f.read(b);
  f.decRef();
  return Buffer.from(b.subarray(0, n)).toString("latin1");
}

beforeEach(() => {
  lower = fs.mkdtempSync(path.join(os.tmpdir(), "vfs-lower-"));
  fs.mkdirSync(path.join(lower, "dir/sub"), { recursive: true });
  fs.writeFileSync(path.join(lower, "dir/a"), "lower a");
  fs.writeFileSync(path.join(lower, "dir/b"), "lower b");
  fs.writeFileSync(path.join(lower, "dir/sub/c"), "lower c");
  fs.writeFileSync(path.join(lower, "big"), Buffer.alloc(3 << 20, 7));
  fs.chmodSync(path.join(lower, "dir/b"), 0o640);
  fs.symlinkSync("dir/a", path.join(lower, "link"));
  // A host symlink pointing out of the tree must resolve inside the sandbox.
  fs.symlinkSync("/etc/hostname", path.join(lower, "escape"));
  before = treeDigest(lower);
  const host = new HostFs(lower);
  const ov = new OverlayFs(host.root);
  const ns = new MountNamespace(ov, DeviceRegistry.withDefaults());
  const r = ns.rootLocation;
  t = { fs: new FsContext(r, r), fdTable: new FdTable(), creds: ROOT_CREDS };
});

afterEach(() => {
  expect(treeDigest(lower)).toBe(before); // the host lower is never touched
  fs.rmSync(lower, { recursive: true, force: true });
});

describe("overlay over a read-only host tree", () => {
  it("reads lower files, and a read-only host mount refuses writes with EROFS", () => {
    expect(read("/dir/a")).toBe("lower a");
    expect(read("/link")).toBe("lower a");
    expect(readlinkat(t, AT_FDCWD, "/link")).toBe("dir/a");
    // /etc/hostname resolves against the overlay root, where it does not exist.
    expect(openat(t, AT_FDCWD, "/escape", O_RDONLY, 0)).toBe(-ENOENT);
    const host = new HostFs(lower);
    const ns = new MountNamespace(host, DeviceRegistry.withDefaults(), { readOnly: true });
    const r = ns.rootLocation;
    const ro: VfsTask = { fs: new FsContext(r, r), fdTable: new FdTable(), creds: ROOT_CREDS };
    expect(openat(ro, AT_FDCWD, "/dir/a", O_WRONLY, 0)).toBe(-EROFS);
    expect(mkdirat(ro, AT_FDCWD, "/new", 0o755)).toBe(-EROFS);
    expect(unlinkat(ro, AT_FDCWD, "/dir/a", 0)).toBe(-EROFS);
  });

  it("copies up on open for write, keeping mode and the other bytes", () => {
    const f = open("/dir/b", O_RDWR);
    f.pwrite(text("UPPER"), 0);
    f.decRef();
    expect(read("/dir/b")).toBe("UPPER b");
    const st = fstatat(t, AT_FDCWD, "/dir/b", 0);
    expect(typeof st !== "number" && st.mode & 0o777).toBe(0o640);
    // A big file is copied whole.
    const g = open("/big", O_WRONLY);
    g.pwrite(text("!"), (3 << 20) - 1);
    g.decRef();
    const s2 = fstatat(t, AT_FDCWD, "/big", 0);
    expect(typeof s2 !== "number" && s2.size).toBe(3 << 20);
    const h = open("/big");
    const buf = new Uint8Array(2);
    expect(h.pread(buf, (3 << 20) - 2)).toBe(2);
    expect([...buf]).toEqual([7, 33]);
  });

  it("copies up on chmod and truncate; st_ino is stable across copy-up", () => {
    const ino0 = fstatat(t, AT_FDCWD, "/dir/a", 0);
    expect(fchmodat(t, AT_FDCWD, "/dir/a", 0o600, 0)).toBe(0);
    expect(truncate(t, "/dir/sub/c", 2)).toBe(0);
    expect(read("/dir/sub/c")).toBe("lo");
    const ino1 = fstatat(t, AT_FDCWD, "/dir/a", 0);
    expect(typeof ino1 !== "number" && ino1.mode & 0o777).toBe(0o600);
    expect(typeof ino0 !== "number" && typeof ino1 !== "number" && ino0.ino === ino1.ino).toBe(
      true,
    );
  });

  it("unlink and rmdir leave whiteouts; readdir merges and hides them", () => {
    open("/dir/new", O_WRONLY | O_CREAT).decRef();
    expect(unlinkat(t, AT_FDCWD, "/dir/a", 0)).toBe(0);
    expect(fstatat(t, AT_FDCWD, "/dir/a", 0)).toBe(-ENOENT);
    expect(names(open("/dir", O_DIRECTORY))).toEqual(["b", "new", "sub"]);
    expect(unlinkat(t, AT_FDCWD, "/dir/sub", 0x200)).toBe(-ENOTEMPTY);
    expect(unlinkat(t, AT_FDCWD, "/dir/sub/c", 0)).toBe(0);
    expect(unlinkat(t, AT_FDCWD, "/dir/sub", 0x200)).toBe(0);
    expect(names(open("/dir", O_DIRECTORY))).toEqual(["b", "new"]);
    // Recreating a removed directory makes it opaque: the lower contents stay hidden.
    expect(mkdirat(t, AT_FDCWD, "/dir/sub", 0o755)).toBe(0);
    expect(names(open("/dir/sub", O_DIRECTORY))).toEqual([]);
    expect(fstatat(t, AT_FDCWD, "/dir/sub/c", 0)).toBe(-ENOENT);
    // A new file over a whiteout is visible again.
    open("/dir/a", O_WRONLY | O_CREAT).write(text("new a"));
    expect(read("/dir/a")).toBe("new a");
  });

  it("rename of a lower file copies it up and whites out the old name; lower dirs get EXDEV", () => {
    expect(renameat2(t, AT_FDCWD, "/dir/a", AT_FDCWD, "/moved", 0)).toBe(0);
    expect(read("/moved")).toBe("lower a");
    expect(fstatat(t, AT_FDCWD, "/dir/a", 0)).toBe(-ENOENT);
    expect(names(open("/dir", O_DIRECTORY))).toEqual(["b", "sub"]);
    expect(renameat2(t, AT_FDCWD, "/dir", AT_FDCWD, "/dir2", 0)).toBe(-EXDEV);
    // Upper-only directories rename fine.
    expect(mkdirat(t, AT_FDCWD, "/fresh", 0o755)).toBe(0);
    expect(renameat2(t, AT_FDCWD, "/fresh", AT_FDCWD, "/fresh2", 0)).toBe(0);
    // Hard links and symlinks are made in the upper layer.
    expect(linkat(t, AT_FDCWD, "/dir/b", AT_FDCWD, "/hard", 0)).toBe(0);
    expect(read("/hard")).toBe("lower b");
    expect(symlinkat(t, "dir/b", AT_FDCWD, "/soft")).toBe(0);
    expect(read("/soft")).toBe("lower b");
  });
});
