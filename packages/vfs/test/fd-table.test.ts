import { describe, expect, it } from "vitest";
import { FdTable, type FileDescription, mkdirat, openat } from "@tsvisor/vfs";
import { text, tmpTask } from "./helpers.js";

const AT_FDCWD = -100;
const O_RDWR = 2;
const O_CREAT = 0o100;
const O_DIRECTORY = 0o200000;
const EBADF = 9;
const EMFILE = 24;
const EINVAL = 22;

function setup() {
  const t = tmpTask();
  const f = openat(t, AT_FDCWD, "/f", O_RDWR | O_CREAT, 0o644) as FileDescription;
  return { t, f };
}

describe("fd tables", () => {
  it("hands out the lowest free fd and reuses closed ones", () => {
    const { t, f } = setup();
    const tab = t.fdTable;
    expect(tab.install(f, false)).toBe(0);
    expect(tab.dup(0)).toBe(1);
    expect(tab.dup(0)).toBe(2);
    expect(tab.close(1)).toBe(0);
    expect(tab.close(1)).toBe(-EBADF);
    expect(tab.dup(0)).toBe(1);
    expect(tab.dup(0, 10)).toBe(10);
    expect(tab.dup(0)).toBe(3);
    expect(tab.fds()).toEqual([0, 1, 2, 3, 10]);
  });

  it("shares the offset between dups and across fork, not across separate opens", () => {
    const { t, f } = setup();
    const tab = t.fdTable;
    tab.install(f, false);
    const d = tab.dup(0);
    tab.get(0)!.write(text("abc"));
    expect(tab.get(d)!.offset).toBe(3);
    const child = tab.fork();
    child.get(0)!.write(text("d"));
    expect(tab.get(0)!.offset).toBe(4);
    const other = openat(t, AT_FDCWD, "/f", O_RDWR, 0) as FileDescription;
    expect(other.offset).toBe(0);
  });

  it("dup2 replaces the target, is a no-op on itself, and range-checks", () => {
    const { t, f } = setup();
    const tab = t.fdTable;
    tab.install(f, false);
    const g = openat(t, AT_FDCWD, "/f", O_RDWR, 0) as FileDescription;
    tab.install(g, true);
    expect(g.refCount).toBe(1);
    expect(tab.dup2(0, 1)).toBe(1);
    expect(tab.get(1)).toBe(f);
    expect(g.refCount).toBe(0); // the old description was released
    expect(tab.getFdFlags(1)).toBe(0); // dup2 clears FD_CLOEXEC
    expect(tab.dup2(0, 0)).toBe(0);
    expect(tab.dup2(7, 8)).toBe(-EBADF);
    expect(tab.dup2(0, tab.nofile)).toBe(-EBADF);
    expect(tab.dup2(0, 5, true)).toBe(5);
    expect(tab.getFdFlags(5)).toBe(1);
  });

  it("enforces RLIMIT_NOFILE with EMFILE, and F_DUPFD's EINVAL", () => {
    const { t, f } = setup();
    const tab = t.fdTable;
    tab.nofile = 4;
    tab.install(f, false);
    expect(tab.dup(0)).toBe(1);
    expect(tab.dup(0)).toBe(2);
    expect(tab.dup(0)).toBe(3);
    const refs = f.refCount;
    expect(tab.dup(0)).toBe(-EMFILE);
    expect(f.refCount).toBe(refs); // the failed dup dropped its reference
    expect(tab.dup(0, 4)).toBe(-EINVAL);
    expect(tab.dup(0, -1)).toBe(-EINVAL);
  });

  it("exec closes close-on-exec fds; closeAll releases everything", () => {
    const { t, f } = setup();
    const tab = t.fdTable;
    tab.install(f, false);
    tab.dup(0, 0, true);
    tab.dup(0, 0, false);
    tab.closeOnExec();
    expect(tab.fds()).toEqual([0, 2]);
    const child = tab.fork();
    expect(f.refCount).toBe(4);
    child.closeAll();
    tab.release();
    expect(f.refCount).toBe(0);
    expect(new FdTable().fds()).toEqual([]);
  });
});

describe("getdents64", () => {
  function parse(buf: Uint8Array, n: number) {
    const dv = new DataView(buf.buffer, buf.byteOffset);
    const out: { ino: bigint; off: bigint; type: number; name: string; reclen: number }[] = [];
    for (let p = 0; p < n; ) {
      const reclen = dv.getUint16(p + 16, true);
      const end = buf.indexOf(0, p + 19);
      out.push({
        ino: dv.getBigUint64(p, true),
        off: dv.getBigInt64(p + 8, true),
        type: dv.getUint8(p + 18),
        name: Buffer.from(buf.subarray(p + 19, end)).toString("latin1"),
        reclen,
      });
      p += reclen;
    }
    return out;
  }

  it("pages through a large directory with stable d_off cookies", () => {
    const t = tmpTask();
    mkdirat(t, AT_FDCWD, "/d", 0o755);
    const want = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const name = `file-${i}-${"x".repeat(i % 40)}`;
      want.add(name);
      (openat(t, AT_FDCWD, `/d/${name}`, O_CREAT | O_RDWR, 0o644) as FileDescription).decRef();
    }
    mkdirat(t, AT_FDCWD, "/d/subdir", 0o755);
    want.add("subdir");
    const dir = openat(t, AT_FDCWD, "/d", O_DIRECTORY, 0) as FileDescription;
    const buf = new Uint8Array(512);
    const seen: ReturnType<typeof parse> = [];
    let calls = 0;
    for (;;) {
      const n = dir.getdents64(buf);
      expect(n).toBeGreaterThanOrEqual(0);
      if (n === 0) break;
      calls++;
      for (const e of parse(buf, n)) {
        expect(e.reclen % 8).toBe(0);
        seen.push(e);
      }
    }
    expect(calls).toBeGreaterThan(10);
    const got = seen.map((e) => e.name);
    expect(got.slice(0, 2)).toEqual([".", ".."]);
    expect(new Set(got.slice(2))).toEqual(want);
    expect(got.length).toBe(want.size + 2);
    expect(seen.find((e) => e.name === "subdir")!.type).toBe(4);
    expect(seen.find((e) => e.name === "file-0-")!.type).toBe(8);
    // Seeking to a d_off cookie resumes right after that entry.
    const k = 100;
    expect(dir.lseek(Number(seen[k]!.off), 0)).toBe(Number(seen[k]!.off));
    const n = dir.getdents64(buf);
    expect(parse(buf, n)[0]!.name).toBe(seen[k + 1]!.name);
    // Rewinding re-reads from the start; a tiny buffer is EINVAL.
    dir.lseek(0, 0);
    expect(dir.getdents64(new Uint8Array(16))).toBe(-EINVAL);
    expect(parse(buf, dir.getdents64(buf))[0]!.name).toBe(".");
    // Not a directory: ENOTDIR.
    const f = openat(t, AT_FDCWD, "/d/subdir/../file-1-x", O_RDWR, 0) as FileDescription;
    expect(f.getdents64(buf)).toBe(-20);
  });
});
