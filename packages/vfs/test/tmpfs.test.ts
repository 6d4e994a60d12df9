import { describe, expect, it } from "vitest";
import {
  type FileDescription,
  fchmodat,
  fchownat,
  fstatat,
  ftruncate,
  linkat,
  mkdirat,
  openat,
  readlinkat,
  renameat2,
  symlinkat,
  unlinkat,
  utimensat,
} from "@tsvisor/vfs";
import { text, tmpTask } from "./helpers.js";

const AT_FDCWD = -100;
const O_RDONLY = 0;
const O_WRONLY = 1;
const O_RDWR = 2;
const O_CREAT = 0o100;
const O_TRUNC = 0o1000;
const O_APPEND = 0o2000;
const RENAME_NOREPLACE = 1;
const RENAME_EXCHANGE = 2;
const EEXIST = 17;
const ENOENT = 2;
const EACCES = 13;
const EPERM = 1;
const EINVAL = 22;
const EBADF = 9;
const ENOTEMPTY = 39;

type T = ReturnType<typeof tmpTask>;

function open(t: T, p: string, flags = O_RDONLY, mode = 0o644): FileDescription {
  const f = openat(t, AT_FDCWD, p, flags, mode);
  if (typeof f === "number") throw new Error(`open ${p}: ${f}`);
  return f;
}

function readAll(f: FileDescription): string {
  const out: number[] = [];
  const b = new Uint8Array(3);
  for (;;) {
    const n = f.read(b);
    if (n <= 0) break;
    out.push(...b.subarray(0, n));
  }
  return Buffer.from(out).toString("latin1");
}

function st(t: T, p: string) {
  const s = fstatat(t, AT_FDCWD, p, 0x100);
  if (typeof s === "number") throw new Error(`stat ${p}: ${s}`);
  return s;
}

describe("tmpfs", () => {
  it("reads, writes, appends, seeks past the end, truncates", () => {
    const t = tmpTask();
    const f = open(t, "/f", O_RDWR | O_CREAT);
    expect(f.write(text("abc"))).toBe(3);
    expect(f.lseek(10, 0)).toBe(10);
    expect(f.write(text("Z"))).toBe(1);
    expect(st(t, "/f").size).toBe(11);
    expect(f.pread(new Uint8Array(20), 0)).toBe(11);
    const g = open(t, "/f", O_WRONLY | O_APPEND);
    g.lseek(0, 0);
    expect(g.write(text("!"))).toBe(1);
    expect(g.offset).toBe(12);
    f.lseek(0, 0);
    expect(readAll(f)).toBe("abc\0\0\0\0\0\0\0Z!");
    expect(f.lseek(-1, 0)).toBe(-EINVAL);
    expect(f.lseek(-1, 2)).toBe(11);
    open(t, "/f", O_WRONLY | O_TRUNC).decRef();
    expect(st(t, "/f").size).toBe(0);
    // A read-only description cannot be written, nor ftruncated.
    const r = open(t, "/f");
    expect(r.write(text("x"))).toBe(-EBADF);
    const fd = t.fdTable.install(r, false);
    expect(ftruncate(t, fd, 0)).toBe(-EINVAL);
  });

  it("keeps an unlinked open file's data until it is closed", () => {
    const t = tmpTask();
    const f = open(t, "/f", O_RDWR | O_CREAT);
    f.write(text("still here"));
    expect(unlinkat(t, AT_FDCWD, "/f", 0)).toBe(0);
    expect(fstatat(t, AT_FDCWD, "/f", 0)).toBe(-ENOENT);
    f.lseek(0, 0);
    expect(readAll(f)).toBe("still here");
    const s = f.stat();
    expect(typeof s !== "number" && s.nlink).toBe(0);
  });

  it("hard links share data and count links", () => {
    const t = tmpTask();
    open(t, "/a", O_WRONLY | O_CREAT).write(text("1"));
    expect(linkat(t, AT_FDCWD, "/a", AT_FDCWD, "/b", 0)).toBe(0);
    expect(linkat(t, AT_FDCWD, "/a", AT_FDCWD, "/b", 0)).toBe(-EEXIST);
    expect(st(t, "/a").nlink).toBe(2);
    expect(st(t, "/a").ino).toBe(st(t, "/b").ino);
    open(t, "/b", O_WRONLY | O_APPEND).write(text("2"));
    expect(readAll(open(t, "/a"))).toBe("12");
    // Directories count their subdirectories in nlink.
    mkdirat(t, AT_FDCWD, "/d", 0o755);
    mkdirat(t, AT_FDCWD, "/d/e", 0o755);
    expect(st(t, "/d").nlink).toBe(3);
  });

  it("rename replaces, honours RENAME_NOREPLACE and swaps with RENAME_EXCHANGE", () => {
    const t = tmpTask();
    open(t, "/x", O_WRONLY | O_CREAT).write(text("x"));
    open(t, "/y", O_WRONLY | O_CREAT).write(text("y"));
    mkdirat(t, AT_FDCWD, "/d1", 0o755);
    mkdirat(t, AT_FDCWD, "/d2", 0o755);
    mkdirat(t, AT_FDCWD, "/d2/sub", 0o755);
    expect(renameat2(t, AT_FDCWD, "/x", AT_FDCWD, "/y", RENAME_NOREPLACE)).toBe(-EEXIST);
    expect(renameat2(t, AT_FDCWD, "/x", AT_FDCWD, "/y", RENAME_EXCHANGE)).toBe(0);
    expect(readAll(open(t, "/x"))).toBe("y");
    expect(readAll(open(t, "/y"))).toBe("x");
    expect(renameat2(t, AT_FDCWD, "/x", AT_FDCWD, "/nope", RENAME_EXCHANGE)).toBe(-ENOENT);
    expect(renameat2(t, AT_FDCWD, "/x", AT_FDCWD, "/y", 3)).toBe(-EINVAL);
    // Exchanging a file and a directory across directories moves both.
    expect(renameat2(t, AT_FDCWD, "/x", AT_FDCWD, "/d2", RENAME_EXCHANGE)).toBe(0);
    expect(st(t, "/x/sub").mode & 0o170000).toBe(0o040000);
    expect(st(t, "/").nlink).toBe(4); // 2 + d1 + x (now a directory)
    // Across directories, the link counts follow the directory that moved.
    mkdirat(t, AT_FDCWD, "/p", 0o755);
    open(t, "/p/f", O_WRONLY | O_CREAT).decRef();
    expect(renameat2(t, AT_FDCWD, "/p/f", AT_FDCWD, "/x", RENAME_EXCHANGE)).toBe(0);
    expect(st(t, "/").nlink).toBe(4); // d1, p
    expect(st(t, "/p").nlink).toBe(3); // p/f is now the directory
    expect(renameat2(t, AT_FDCWD, "/p/f", AT_FDCWD, "/x", RENAME_EXCHANGE)).toBe(0);
    expect(renameat2(t, AT_FDCWD, "/d1", AT_FDCWD, "/x", 0)).toBe(-ENOTEMPTY);
    expect(renameat2(t, AT_FDCWD, "/y", AT_FDCWD, "/x/sub/moved", 0)).toBe(0);
    expect(renameat2(t, AT_FDCWD, "/x", AT_FDCWD, "/d1", 0)).toBe(0);
    expect(readAll(open(t, "/d1/sub/moved"))).toBe("x");
  });

  it("checks permissions like Linux for an unprivileged user; root bypasses", () => {
    const root = tmpTask();
    mkdirat(root, AT_FDCWD, "/priv", 0o700);
    open(root, "/secret", O_WRONLY | O_CREAT, 0o600).write(text("s"));
    mkdirat(root, AT_FDCWD, "/tmp", 0o777);
    fchmodat(root, AT_FDCWD, "/tmp", 0o1777, 0);
    open(root, "/tmp/rootfile", O_WRONLY | O_CREAT, 0o666).decRef();
    const user = { ...root, creds: { euid: 1000, egid: 1000, groups: [] } };
    expect(openat(user, AT_FDCWD, "/secret", O_RDONLY, 0)).toBe(-EACCES);
    expect(fstatat(user, AT_FDCWD, "/priv/x", 0)).toBe(-EACCES);
    expect(mkdirat(user, AT_FDCWD, "/mine", 0o755)).toBe(-EACCES);
    expect(fchmodat(user, AT_FDCWD, "/secret", 0o777, 0)).toBe(-EPERM);
    expect(fchownat(user, AT_FDCWD, "/secret", 1000, -1, 0)).toBe(-EPERM);
    // Sticky /tmp: the user may create, but not delete root's file.
    expect(typeof openat(user, AT_FDCWD, "/tmp/userfile", O_WRONLY | O_CREAT, 0o644)).toBe(
      "object",
    );
    expect(st(user, "/tmp/userfile").uid).toBe(1000);
    expect(unlinkat(user, AT_FDCWD, "/tmp/rootfile", 0)).toBe(-EPERM);
    expect(unlinkat(user, AT_FDCWD, "/tmp/userfile", 0)).toBe(0);
    // The owner may chgrp only to a group it is in.
    open(root, "/tmp/f", O_WRONLY | O_CREAT, 0o644).decRef();
    fchownat(root, AT_FDCWD, "/tmp/f", 1000, 1000, 0);
    expect(fchownat(user, AT_FDCWD, "/tmp/f", -1, 5, 0)).toBe(-EPERM);
    expect(fchownat(user, AT_FDCWD, "/tmp/f", -1, 1000, 0)).toBe(0);
    // Explicit times need ownership; "now" needs write access.
    expect(utimensat(user, AT_FDCWD, "/secret", "now", "now", 0)).toBe(-EACCES);
    expect(utimensat(user, AT_FDCWD, "/secret", { sec: 1, nsec: 0 }, "omit", 0)).toBe(-EPERM);
    expect(utimensat(root, AT_FDCWD, "/secret", { sec: 1, nsec: 5 }, "omit", 0)).toBe(0);
    expect(st(root, "/secret").atime).toEqual({ sec: 1, nsec: 5 });
    // Root reads anything and creates anywhere.
    expect(readAll(open(root, "/secret"))).toBe("s");
  });

  it("symlinks store their target verbatim; umask applies to new files", () => {
    const t = tmpTask();
    expect(symlinkat(t, "../some/where", AT_FDCWD, "/l")).toBe(0);
    expect(readlinkat(t, AT_FDCWD, "/l")).toBe("../some/where");
    expect(st(t, "/l").size).toBe(13);
    t.fs.umask = 0o077;
    open(t, "/m", O_WRONLY | O_CREAT, 0o666).decRef();
    expect(st(t, "/m").mode & 0o777).toBe(0o600);
  });
});

describe("O_TMPFILE", () => {
  const O_TMPFILE = 0o20200000;
  const AT_EMPTY_PATH = 0x1000;

  it("creates an unnamed file that linkat(AT_EMPTY_PATH) can name, unless O_EXCL", () => {
    const t = tmpTask();
    mkdirat(t, AT_FDCWD, "/d", 0o755);
    expect(openat(t, AT_FDCWD, "/d", O_TMPFILE | O_RDONLY, 0o600)).toBe(-EINVAL);
    const f = openat(t, AT_FDCWD, "/d", O_TMPFILE | O_RDWR, 0o600);
    if (typeof f === "number") throw new Error(`O_TMPFILE: ${f}`);
    expect(f.write(text("secret"))).toBe(6);
    const st = f.stat();
    expect(typeof st !== "number" && st.nlink).toBe(0);
    expect(typeof st !== "number" && st.mode).toBe(0o100600);
    const fd = t.fdTable.install(f, false);
    expect(linkat(t, fd, "", AT_FDCWD, "/d/named", AT_EMPTY_PATH)).toBe(0);
    expect(readAll(open(t, "/d/named"))).toBe("secret");
    expect(st && fstatat(t, AT_FDCWD, "/d/named", 0)).toMatchObject({ nlink: 1 });
    const g = openat(t, AT_FDCWD, "/d", O_TMPFILE | O_RDWR | 0o200 /* O_EXCL */, 0o600);
    if (typeof g === "number") throw new Error(`O_TMPFILE|O_EXCL: ${g}`);
    const gfd = t.fdTable.install(g, false);
    expect(linkat(t, gfd, "", AT_FDCWD, "/d/never", AT_EMPTY_PATH)).toBe(-ENOENT);
    expect(openat(t, AT_FDCWD, "/d/named", O_TMPFILE | O_RDWR, 0o600)).toBe(-20); // ENOTDIR
  });
});
