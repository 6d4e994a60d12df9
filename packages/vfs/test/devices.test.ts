import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  defaultRoot,
  FdTable,
  type FileDescription,
  fstatat,
  HostFdFile,
  mkdirat,
  mknodat,
  openat,
  parseVolume,
  ROOT_CREDS,
  type VfsTask,
  makedev,
} from "@tsvisor/vfs";
import { text, tmpTask } from "./helpers.js";

const AT_FDCWD = -100;
const O_RDONLY = 0;
const O_RDWR = 2;
const O_WRONLY = 1;
const O_CREAT = 0o100;
const ENOSPC = 28;
const ENXIO = 6;
const EAGAIN = 11;
const ESPIPE = 29;
const EPERM = 1;

describe("/dev", () => {
  const root = defaultRoot({ hostTty: false });
  const t: VfsTask = { fs: root.newFsContext(), fdTable: new FdTable(), creds: ROOT_CREDS };
  const open = (p: string, flags = O_RDWR) => openat(t, AT_FDCWD, p, flags, 0) as FileDescription;

  it("null, zero, full and urandom behave like Linux's", () => {
    const buf = new Uint8Array(64).fill(9);
    expect(open("/dev/null").read(buf)).toBe(0);
    expect(open("/dev/null").write(text("x"))).toBe(1);
    expect(open("/dev/zero").read(buf)).toBe(64);
    expect(buf.every((b) => b === 0)).toBe(true);
    expect(open("/dev/full").write(text("x"))).toBe(-ENOSPC);
    expect(open("/dev/full").read(buf)).toBe(64);
    const r = new Uint8Array(64);
    expect(open("/dev/urandom").read(r)).toBe(64);
    expect(r.some((b) => b !== 0)).toBe(true);
    expect(open("/dev/null").lseek(100, 0)).toBe(0);
    const st = fstatat(t, AT_FDCWD, "/dev/null", 0);
    expect(typeof st !== "number" && st.rdev).toBe(makedev(1, 3));
  });

  it("/dev/tty without a controlling terminal is ENXIO; mknod makes working nodes (root only)", () => {
    expect(openat(t, AT_FDCWD, "/dev/tty", O_RDWR, 0)).toBe(-ENXIO);
    expect(mknodat(t, AT_FDCWD, "/tmp/mynull", 0o20666, makedev(1, 3))).toBe(0);
    expect(open("/tmp/mynull").write(text("abc"))).toBe(3);
    expect(mknodat(t, AT_FDCWD, "/tmp/nodrv", 0o20666, makedev(99, 1))).toBe(0);
    expect(openat(t, AT_FDCWD, "/tmp/nodrv", O_RDWR, 0)).toBe(-ENXIO);
    const user = { ...t, creds: { euid: 1000, egid: 1000, groups: [] } };
    expect(mknodat(user, AT_FDCWD, "/tmp/x", 0o20666, makedev(1, 3))).toBe(-EPERM);
  });

  it("the default root writes to the overlay, never to the host", () => {
    const marker = `tsvisor-test-${process.pid}-${Date.now()}`;
    const f = openat(t, AT_FDCWD, `/${marker}`, O_WRONLY | O_CREAT, 0o644);
    expect(typeof f).toBe("object");
    expect(fs.existsSync(`/${marker}`)).toBe(false);
    expect(mkdirat(t, AT_FDCWD, "/etc/tsvisor-new-dir", 0o755)).toBe(0);
    expect(fs.existsSync("/etc/tsvisor-new-dir")).toBe(false);
    // The host's files are visible.
    expect(typeof fstatat(t, AT_FDCWD, "/etc/passwd", 0)).toBe("object");
    // /tmp is the host's, seen through the overlay: its files are visible and
    // what the program writes there stays in the sandbox.
    const tmpSt = fstatat(t, AT_FDCWD, "/tmp", 0);
    expect(typeof tmpSt !== "number" && tmpSt.mode & 0o7777).toBe(0o1777);
    const hostDir = fs.mkdtempSync(path.join("/tmp", "vfs-root-"));
    fs.writeFileSync(path.join(hostDir, "seen"), "host");
    expect(typeof fstatat(t, AT_FDCWD, `${hostDir}/seen`, 0)).toBe("object");
    const w = openat(t, AT_FDCWD, `${hostDir}/written`, O_WRONLY | O_CREAT, 0o644);
    expect(typeof w).toBe("object");
    expect(fs.existsSync(path.join(hostDir, "written"))).toBe(false);
    fs.rmSync(hostDir, { recursive: true });
  });

  it("--volume mounts a host directory read-only or read-write", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vfs-vol-"));
    fs.writeFileSync(path.join(dir, "in"), "from host");
    const ro = parseVolume(`${dir}:/mnt/ro:ro`);
    const rw = parseVolume(`${dir}:/mnt/rw`);
    expect(typeof ro).toBe("object");
    expect(parseVolume("relative:/x")).toMatch(/absolute/);
    expect(parseVolume("/a:/b:rx")).toMatch(/ro or rw/);
    const r = defaultRoot({ volumes: [ro as never, rw as never] });
    const vt: VfsTask = { fs: r.newFsContext(), fdTable: new FdTable(), creds: ROOT_CREDS };
    expect(openat(vt, AT_FDCWD, "/mnt/ro/new", O_WRONLY | O_CREAT, 0o644)).toBe(-30);
    const f = openat(vt, AT_FDCWD, "/mnt/rw/new", O_WRONLY | O_CREAT, 0o644) as FileDescription;
    expect(f.write(text("written"))).toBe(7);
    f.decRef();
    expect(fs.readFileSync(path.join(dir, "new"), "utf8")).toBe("written");
    const g = openat(vt, AT_FDCWD, "/mnt/ro/in", O_RDONLY, 0) as FileDescription;
    const b = new Uint8Array(20);
    expect(Buffer.from(b.subarray(0, g.read(b))).toString()).toBe("from host");
    fs.rmSync(dir, { recursive: true });
  });
});

describe("host stdio passthrough", () => {
  it("reads a pipe without blocking: EAGAIN, then data once the host is ready", async () => {
    const [rfd, wfd] = pipeFds();
    const f = new HostFdFile(rfd, O_RDONLY);
    const buf = new Uint8Array(16);
    expect(f.read(buf)).toBe(-EAGAIN);
    expect(f.lseek(0, 0)).toBe(-ESPIPE);
    fs.writeSync(wfd, "hello");
    await f.waitable().hostReady!();
    expect(f.read(buf)).toBe(5);
    expect(Buffer.from(buf.subarray(0, 5)).toString()).toBe("hello");
    // Nothing pending keeps the event loop alive: the poll timer is unref'd.
    expect(f.read(buf)).toBe(-EAGAIN);
    expect(f.readiness(1)).toBe(0);
    fs.writeSync(wfd, "more");
    expect(f.readiness(1)).toBe(1); // readiness finds (and keeps) the new input
    expect(f.read(buf)).toBe(4);
    fs.closeSync(wfd);
    let n = f.read(buf);
    if (n === -EAGAIN) {
      await f.waitable().hostReady!();
      n = f.read(buf);
    }
    expect(n).toBe(0); // EOF once the last writer is gone
    fs.closeSync(rfd);
  });

  it("writes go to the host fd; a regular-file stdin reads synchronously", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vfs-stdio-"));
    const p = path.join(dir, "out");
    const fd = fs.openSync(p, "w+");
    const f = new HostFdFile(fd, O_RDWR);
    expect(f.write(text("line\n"))).toBe(5);
    expect(fs.readFileSync(p, "utf8")).toBe("line\n");
    const ifd = fs.openSync(p, "r");
    const g = new HostFdFile(ifd, O_RDONLY);
    const b = new Uint8Array(10);
    expect(g.read(b)).toBe(5);
    expect(g.ioctl(0x5401)).toBeUndefined(); // TCGETS on a non-tty → ENOTTY
    fs.closeSync(fd);
    fs.closeSync(ifd);
    fs.rmSync(dir, { recursive: true });
  });
});

import { execFileSync } from "node:child_process";

/** A host pipe, made by a tiny helper (node has no pipe(2)). */
function pipeFds(): [number, number] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vfs-fifo-"));
  const p = path.join(dir, "fifo");
  execFileSync("mkfifo", [p]);
  // Opening a FIFO O_RDWR never blocks on Linux; then the (blocking) read end opens at once.
  const w = fs.openSync(p, fs.constants.O_RDWR);
  const r = fs.openSync(p, fs.constants.O_RDONLY);
  fs.rmSync(dir, { recursive: true }); // the open ends outlive the name
  return [r, w];
}

export { tmpTask };
