import { decodeStat, decodeStatx, STAT_SIZE, STATX_STRUCT_SIZE } from "@tsvisor/abi";
import { describe, expect, it } from "vitest";
import {
  sysGetcwd,
  sysGetdents,
  sysGetdents64,
  sysMkdir,
  sysReadlink,
  sysSymlink,
  sysUmask,
  sysChdir,
  sysRename,
  sysUnlink,
} from "../src/syscalls/sys-dir.js";
import { sysDup2, sysDup3, sysFcntl } from "../src/syscalls/sys-fcntl.js";
import {
  sysClose,
  sysLseek,
  sysOpen,
  sysOpenat,
  sysPread64,
  sysRead,
  sysReadv,
  sysWrite,
  sysWritev,
} from "../src/syscalls/sys-file.js";
import { sysIoctl } from "../src/syscalls/sys-ioctl.js";
import { sysPipe2 } from "../src/syscalls/sys-pipe.js";
import { sysFstat, sysLstat, sysStat, sysStatx } from "../src/syscalls/sys-stat.js";
import { fileAt, makeTask } from "./files-helpers.js";

const O_RDONLY = 0;
const O_WRONLY = 1;
const O_RDWR = 2;
const O_CREAT = 0o100;
const O_APPEND = 0o2000;
const O_NONBLOCK = 0o4000;
const O_LARGEFILE = 0o100000;
const O_CLOEXEC = 0o2000000;
const AT_FDCWD = -100;
const EBADF = 9;
const EFAULT = 14;
const EAGAIN = 11;
const EINVAL = 22;
const EPIPE = 32;
const ESPIPE = 29;
const ENOTTY = 25;
const ERANGE = 34;
const ENOENT = 2;
const BAD = 0x7000_0000; // unmapped in the fake memory

describe("open/read/write/lseek/close", () => {
  it("round-trips data through a tmpfs file", () => {
    const tt = makeTask();
    const fd = tt.num(sysOpen, tt.str("/f"), O_RDWR | O_CREAT, 0o644);
    expect(fd).toBe(0);
    const data = tt.str("hello world");
    expect(tt.num(sysWrite, fd, data, 11)).toBe(11);
    expect(tt.num(sysLseek, fd, 6, 0)).toBe(6);
    const buf = tt.alloc(64);
    expect(tt.num(sysRead, fd, buf, 64)).toBe(5);
    expect(Buffer.from(tt.read(buf, 5)).toString()).toBe("world");
    expect(tt.num(sysRead, fd, buf, 64)).toBe(0);
    expect(tt.num(sysPread64, fd, buf, 5, 0)).toBe(5);
    expect(tt.num(sysPread64, fd, buf, 5, -1)).toBe(-EINVAL);
    expect(tt.num(sysLseek, fd, 0, 7)).toBe(-EINVAL);
    expect(tt.num(sysClose, fd)).toBe(0);
    expect(tt.num(sysClose, fd)).toBe(-EBADF);
    expect(tt.num(sysRead, fd, buf, 1)).toBe(-EBADF);
  });

  it("EFAULT on bad buffers leaves the file offset alone", () => {
    const tt = makeTask();
    const fd = tt.num(sysOpen, tt.str("/f"), O_RDWR | O_CREAT, 0o644);
    tt.num(sysWrite, fd, tt.str("abc"), 3);
    tt.num(sysLseek, fd, 0, 0);
    expect(tt.num(sysRead, fd, BAD, 3)).toBe(-EFAULT);
    expect(fileAt(tt, fd).offset).toBe(0);
    expect(tt.num(sysWrite, fd, BAD, 3)).toBe(-EFAULT);
    expect(tt.num(sysOpen, BAD, O_RDONLY, 0)).toBe(-EFAULT);
    // The bad path pointer beats a bad fd check order only where Linux's does: read checks the fd first.
    expect(tt.num(sysRead, 77, BAD, 3)).toBe(-EBADF);
    // Read of 0 bytes succeeds with 0 even with a NULL buffer.
    expect(tt.num(sysRead, fd, 0, 0)).toBe(0);
  });

  it("access modes: writing a read-only fd and reading a write-only fd are EBADF", () => {
    const tt = makeTask();
    tt.num(sysOpen, tt.str("/f"), O_WRONLY | O_CREAT, 0o644);
    const r = tt.num(sysOpen, tt.str("/f"), O_RDONLY, 0);
    const w = tt.num(sysOpen, tt.str("/f"), O_WRONLY, 0);
    expect(tt.num(sysWrite, r, tt.str("x"), 1)).toBe(-EBADF);
    expect(tt.num(sysRead, w, tt.alloc(4), 1)).toBe(-EBADF);
    expect(tt.num(sysOpenat, AT_FDCWD, tt.str("/nope"), O_RDONLY, 0)).toBe(-ENOENT);
  });

  it("readv and writev scatter and gather", () => {
    const tt = makeTask();
    const fd = tt.num(sysOpen, tt.str("/v"), O_RDWR | O_CREAT, 0o644);
    const a = tt.str("ab");
    const b = tt.str("cde");
    const iov = tt.alloc(32);
    const dv = new DataView(new ArrayBuffer(32));
    dv.setBigUint64(0, BigInt(a), true);
    dv.setBigUint64(8, 2n, true);
    dv.setBigUint64(16, BigInt(b), true);
    dv.setBigUint64(24, 3n, true);
    tt.mem.copyOut(iov, new Uint8Array(dv.buffer));
    expect(tt.num(sysWritev, fd, iov, 2)).toBe(5);
    tt.num(sysLseek, fd, 0, 0);
    const x = tt.alloc(8);
    const y = tt.alloc(8);
    dv.setBigUint64(0, BigInt(x), true);
    dv.setBigUint64(8, 1n, true);
    dv.setBigUint64(16, BigInt(y), true);
    dv.setBigUint64(24, 8n, true);
    tt.mem.copyOut(iov, new Uint8Array(dv.buffer));
    expect(tt.num(sysReadv, fd, iov, 2)).toBe(5);
    expect(Buffer.from(tt.read(x, 1)).toString()).toBe("a");
    expect(Buffer.from(tt.read(y, 4)).toString()).toBe("bcde");
    expect(tt.num(sysReadv, fd, iov, 1025)).toBe(-EINVAL);
  });
});

function pipe(tt: ReturnType<typeof makeTask>, flags = 0): [number, number] {
  const p = tt.alloc(8);
  expect(tt.num(sysPipe2, p, flags)).toBe(0);
  const dv = new DataView(tt.read(p, 8).buffer);
  return [dv.getInt32(0, true), dv.getInt32(4, true)];
}

describe("pipes", () => {
  it("moves bytes, reports EOF when writers close, and EPIPE + SIGPIPE when readers close", () => {
    const tt = makeTask();
    const [r, w] = pipe(tt);
    expect(tt.num(sysWrite, w, tt.str("ping"), 4)).toBe(4);
    const buf = tt.alloc(16);
    expect(tt.num(sysRead, r, buf, 16)).toBe(4);
    // Empty pipe with a writer: a blocking read blocks...
    const blocked = tt.call(sysRead, r, buf, 16);
    expect(typeof blocked).toBe("object");
    // ...and sees EOF once the writer is gone.
    tt.num(sysClose, w);
    expect(tt.num(sysRead, r, buf, 16)).toBe(0);
    const [r2, w2] = pipe(tt);
    tt.num(sysClose, r2);
    expect(tt.num(sysWrite, w2, tt.str("x"), 1)).toBe(-EPIPE);
    expect(tt.pending.mask & (1n << 12n)).not.toBe(0n); // SIGPIPE (13) queued
    expect(tt.num(sysLseek, w2, 0, 0)).toBe(-ESPIPE);
    expect(tt.num(sysPread64, r, buf, 1, 0)).toBe(-ESPIPE);
  });

  it("O_NONBLOCK gives EAGAIN; writes up to PIPE_BUF are atomic, larger ones partial", () => {
    const tt = makeTask();
    const [r, w] = pipe(tt, O_NONBLOCK | O_CLOEXEC);
    expect(tt.fdTable.getFdFlags(r)).toBe(1);
    expect(tt.num(sysRead, r, tt.alloc(4), 4)).toBe(-EAGAIN);
    const big = tt.alloc(70000);
    // Fill all but 100 bytes of the 65536-byte pipe.
    expect(tt.num(sysWrite, w, big, 65436)).toBe(65436);
    expect(tt.num(sysWrite, w, big, 200)).toBe(-EAGAIN); // atomic: all or nothing
    expect(tt.num(sysWrite, w, big, 5000)).toBe(100); // > PIPE_BUF: partial
    expect(tt.num(sysWrite, w, big, 1)).toBe(-EAGAIN);
    // FIONREAD reports the queued bytes.
    const n = tt.alloc(4);
    expect(tt.num(sysIoctl, r, 0x541b, n)).toBe(0);
    expect(new DataView(tt.read(n, 4).buffer).getInt32(0, true)).toBe(65536);
    expect(tt.num(sysFcntl, w, 1032 /* F_GETPIPE_SZ */)).toBe(65536);
  });

  it("a blocking write larger than the room writes what fits, then blocks and resumes", () => {
    const tt = makeTask();
    const [r, w] = pipe(tt);
    const src = tt.alloc(100000);
    tt.mem.bytes.fill(0x61, src - 0x10000, src - 0x10000 + 100000);
    const res = tt.call(sysWrite, w, src, 100000);
    expect(typeof res).toBe("object");
    const blk = res as Exclude<typeof res, number>;
    const dst = tt.alloc(100000);
    expect(tt.num(sysRead, r, dst, 100000)).toBe(65536);
    const done = blk.resume!(tt.t, "woken");
    expect(done).toBe(100000);
    expect(tt.num(sysRead, r, dst, 100000)).toBe(100000 - 65536);
    // Interrupted after a partial write: the partial count is returned.
    const res2 = tt.call(sysWrite, w, src, 100000) as Exclude<typeof res, number>;
    expect(res2.resume!(tt.t, "interrupted")).toBe(65536);
  });
});

describe("fcntl and dup", () => {
  it("F_DUPFD, F_DUPFD_CLOEXEC, F_GETFL/F_SETFL, dup2/dup3 corner cases", () => {
    const tt = makeTask();
    const fd = tt.num(sysOpen, tt.str("/f"), O_RDWR | O_CREAT | O_APPEND, 0o644);
    expect(tt.num(sysFcntl, fd, 0, 10)).toBe(10);
    expect(tt.num(sysFcntl, fd, 1030, 5)).toBe(5);
    expect(tt.num(sysFcntl, 5, 1)).toBe(1);
    expect(tt.num(sysFcntl, 10, 1)).toBe(0);
    expect(tt.num(sysFcntl, fd, 3)).toBe(O_RDWR | O_APPEND | O_LARGEFILE);
    // F_SETFL cannot change the access mode, but can clear O_APPEND and set O_NONBLOCK.
    expect(tt.num(sysFcntl, fd, 4, O_WRONLY | O_NONBLOCK)).toBe(0);
    expect(tt.num(sysFcntl, fd, 3)).toBe(O_RDWR | O_NONBLOCK | O_LARGEFILE);
    expect(tt.num(sysFcntl, fd, 9999)).toBe(-EINVAL);
    expect(tt.num(sysFcntl, 99, 1)).toBe(-EBADF);
    expect(tt.num(sysDup3, fd, fd, 0)).toBe(-EINVAL);
    expect(tt.num(sysDup3, fd, 7, 1)).toBe(-EINVAL);
    expect(tt.num(sysDup2, fd, fd)).toBe(fd);
    expect(tt.num(sysDup2, 99, 99)).toBe(-EBADF);
    expect(tt.num(sysDup3, fd, 7, O_CLOEXEC)).toBe(7);
    expect(tt.fdTable.getFdFlags(7)).toBe(1);
    // Shared offset through dup.
    tt.num(sysWrite, fd, tt.str("abc"), 3);
    expect(fileAt(tt, 7).offset).toBe(3);
  });
});

describe("stat", () => {
  it("stat, lstat, fstat and statx report the same file", () => {
    const tt = makeTask();
    const fd = tt.num(sysOpen, tt.str("/f"), O_RDWR | O_CREAT, 0o640);
    tt.num(sysWrite, fd, tt.str("12345"), 5);
    tt.num(sysSymlink, tt.str("/f"), tt.str("/l"));
    const b1 = tt.alloc(STAT_SIZE);
    const b2 = tt.alloc(STAT_SIZE);
    const b3 = tt.alloc(STAT_SIZE);
    expect(tt.num(sysStat, tt.str("/l"), b1)).toBe(0);
    expect(tt.num(sysFstat, fd, b2)).toBe(0);
    expect(tt.num(sysLstat, tt.str("/l"), b3)).toBe(0);
    const s1 = decodeStat(new DataView(tt.read(b1, STAT_SIZE).buffer), 0);
    const s2 = decodeStat(new DataView(tt.read(b2, STAT_SIZE).buffer), 0);
    const s3 = decodeStat(new DataView(tt.read(b3, STAT_SIZE).buffer), 0);
    expect(s1).toEqual(s2);
    expect(s1.st_mode).toBe(0o100640);
    expect(s1.st_size).toBe(5);
    expect(s3.st_mode & 0o170000).toBe(0o120000);
    expect(s3.st_size).toBe(2);
    const bx = tt.alloc(STATX_STRUCT_SIZE);
    expect(tt.num(sysStatx, AT_FDCWD, tt.str("/l"), 0, 0xfff, bx)).toBe(0);
    const sx = decodeStatx(new DataView(tt.read(bx, STATX_STRUCT_SIZE).buffer), 0);
    expect(sx.stx_ino).toBe(s1.st_ino);
    expect(sx.stx_size).toBe(5);
    expect(sx.stx_mode).toBe(0o100640);
    expect(sx.stx_mask & 0x7ff).toBe(0x7ff);
    expect(tt.num(sysStatx, AT_FDCWD, tt.str("/l"), 0x6000, 0xfff, bx)).toBe(-EINVAL);
    expect(tt.num(sysStatx, AT_FDCWD, tt.str("/l"), 0, 0x80000000, bx)).toBe(-EINVAL);
    expect(tt.num(sysStat, tt.str("/f"), BAD)).toBe(-EFAULT);
    // A pipe is a FIFO.
    const [r] = pipe(tt);
    expect(tt.num(sysFstat, r, b2)).toBe(0);
    expect(decodeStat(new DataView(tt.read(b2, STAT_SIZE).buffer), 0).st_mode & 0o170000).toBe(
      0o010000,
    );
  });
});

describe("directories", () => {
  it("getdents64 and getdents list the same entries with their types", () => {
    const tt = makeTask();
    tt.num(sysMkdir, tt.str("/d"), 0o755);
    tt.num(sysMkdir, tt.str("/d/sub"), 0o755);
    tt.num(sysClose, tt.num(sysOpen, tt.str("/d/file"), O_WRONLY | O_CREAT, 0o644));
    const dfd = tt.num(sysOpen, tt.str("/d"), O_RDONLY | 0o200000, 0);
    const buf = tt.alloc(4096);
    const n = tt.num(sysGetdents64, dfd, buf, 4096);
    expect(n).toBeGreaterThan(0);
    const raw = tt.read(buf, n);
    const dv = new DataView(raw.buffer);
    const ents64: [string, number][] = [];
    for (let p = 0; p < n; p += dv.getUint16(p + 16, true)) {
      const end = raw.indexOf(0, p + 19);
      ents64.push([Buffer.from(raw.subarray(p + 19, end)).toString(), raw[p + 18]!]);
    }
    tt.num(sysLseek, dfd, 0, 0);
    const m = tt.num(sysGetdents, dfd, buf, 4096);
    expect(m).toBe(n);
    const old = tt.read(buf, m);
    const odv = new DataView(old.buffer);
    const entsOld: [string, number][] = [];
    for (let p = 0; p < m; ) {
      const reclen = odv.getUint16(p + 16, true);
      const end = old.indexOf(0, p + 18);
      entsOld.push([Buffer.from(old.subarray(p + 18, end)).toString(), old[p + reclen - 1]!]);
      p += reclen;
    }
    expect(entsOld).toEqual(ents64);
    expect(new Map(ents64)).toEqual(
      new Map([
        [".", 4],
        ["..", 4],
        ["sub", 4],
        ["file", 8],
      ]),
    );
  });

  it("getcwd, chdir, readlink truncation, rename/unlink, umask", () => {
    const tt = makeTask();
    tt.num(sysMkdir, tt.str("/work"), 0o755);
    expect(tt.num(sysChdir, tt.str("/work"))).toBe(0);
    const buf = tt.alloc(64);
    expect(tt.num(sysGetcwd, buf, 64)).toBe(6);
    expect(Buffer.from(tt.read(buf, 6)).toString()).toBe("/work\0");
    expect(tt.num(sysGetcwd, buf, 5)).toBe(-ERANGE);
    tt.num(sysSymlink, tt.str("a-long-target"), tt.str("lnk"));
    expect(tt.num(sysReadlink, tt.str("lnk"), buf, 6)).toBe(6);
    expect(Buffer.from(tt.read(buf, 6)).toString()).toBe("a-long");
    expect(tt.num(sysReadlink, tt.str("lnk"), buf, 0)).toBe(-EINVAL);
    expect(tt.num(sysRename, tt.str("lnk"), tt.str("/lnk2"))).toBe(0);
    expect(tt.num(sysUnlink, tt.str("/lnk2"))).toBe(0);
    expect(tt.num(sysUnlink, tt.str("/lnk2"))).toBe(-ENOENT);
    expect(tt.num(sysUmask, 0o077)).toBe(0o022);
    expect(tt.num(sysUmask, 0o022)).toBe(0o077);
  });
});

describe("ioctl", () => {
  it("ENOTTY for terminal requests on files; FIOCLEX/FIONBIO act on the fd", () => {
    const tt = makeTask();
    const fd = tt.num(sysOpen, tt.str("/f"), O_RDWR | O_CREAT, 0o644);
    expect(tt.num(sysIoctl, fd, 0x5401 /* TCGETS */, tt.alloc(64))).toBe(-ENOTTY);
    expect(tt.num(sysIoctl, fd, 0x5413 /* TIOCGWINSZ */, tt.alloc(8))).toBe(-ENOTTY);
    expect(tt.num(sysIoctl, 55, 0x5401, 0)).toBe(-EBADF);
    expect(tt.num(sysIoctl, fd, 0x5451 /* FIOCLEX */, 0)).toBe(0);
    expect(tt.fdTable.getFdFlags(fd)).toBe(1);
    const one = tt.alloc(4);
    tt.mem.copyOut(one, new Uint8Array([1, 0, 0, 0]));
    expect(tt.num(sysIoctl, fd, 0x5421 /* FIONBIO */, one)).toBe(0);
    expect(fileAt(tt, fd).flags & O_NONBLOCK).toBe(O_NONBLOCK);
    expect(tt.num(sysIoctl, fd, 0x5421, BAD)).toBe(-EFAULT);
  });
});

describe("syscall table", () => {
  it("fileSyscalls registers every file-system syscall with a handler", async () => {
    const { fileSyscalls } = await import("../src/syscalls/sys-file.js");
    const { buildTable } = await import("../src/syscalls/table.js");
    const table = buildTable(fileSyscalls);
    const byName = new Map(table.map((e) => [e.name, e]));
    for (const name of [
      "read",
      "write",
      "open",
      "openat",
      "close",
      "stat",
      "fstat",
      "lstat",
      "newfstatat",
      "statx",
      "lseek",
      "pread64",
      "pwrite64",
      "readv",
      "writev",
      "dup",
      "dup2",
      "dup3",
      "fcntl",
      "getdents64",
      "mkdir",
      "rmdir",
      "unlink",
      "unlinkat",
      "rename",
      "renameat2",
      "link",
      "symlink",
      "readlink",
      "chmod",
      "fchownat",
      "utimensat",
      "truncate",
      "ftruncate",
      "access",
      "faccessat2",
      "getcwd",
      "chdir",
      "fchdir",
      "umask",
      "pipe",
      "pipe2",
      "ioctl",
      "poll",
      "ppoll",
      "select",
      "pselect6",
    ]) {
      const e = byName.get(name);
      expect(e?.fn, name).toBeTypeOf("function");
      expect(e?.support, name).not.toBe("unimplemented");
    }
    expect(new Set(fileSyscalls.map((e) => e.nr)).size).toBe(fileSyscalls.length);
  });
});

describe("FIFOs", () => {
  it("mkfifo + open: nonblocking rules, a blocking open waits for its peer, then data flows", async () => {
    const { sysMknod } = await import("../src/syscalls/sys-dir.js");
    const tt = makeTask();
    expect(tt.num(sysMknod, tt.str("/fifo"), 0o10644, 0)).toBe(0);
    // fifo(7): O_WRONLY|O_NONBLOCK without a reader is ENXIO; O_RDONLY|O_NONBLOCK succeeds.
    expect(tt.num(sysOpen, tt.str("/fifo"), O_WRONLY | O_NONBLOCK, 0)).toBe(-6);
    const rnb = tt.num(sysOpen, tt.str("/fifo"), O_RDONLY | O_NONBLOCK, 0);
    expect(rnb).toBeGreaterThanOrEqual(0);
    tt.num(sysClose, rnb);
    // A blocking reader waits for a writer.
    const blocked = tt.call(sysOpen, tt.str("/fifo"), O_RDONLY, 0);
    expect(typeof blocked).toBe("object");
    const w = tt.num(sysOpen, tt.str("/fifo"), O_WRONLY, 0);
    expect(w).toBeGreaterThanOrEqual(0);
    const r = (blocked as Exclude<typeof blocked, number>).resume!(tt.t, "woken");
    expect(typeof r).toBe("number");
    expect(r).toBeGreaterThanOrEqual(0);
    expect(tt.num(sysWrite, w, tt.str("via fifo"), 8)).toBe(8);
    const buf = tt.alloc(16);
    expect(tt.num(sysRead, r as number, buf, 16)).toBe(8);
    expect(Buffer.from(tt.read(buf, 8)).toString()).toBe("via fifo");
    // fstat of a FIFO end reports the FIFO inode.
    const sb = tt.alloc(STAT_SIZE);
    expect(tt.num(sysFstat, w, sb)).toBe(0);
    expect(decodeStat(new DataView(tt.read(sb, STAT_SIZE).buffer), 0).st_mode).toBe(0o10644);
    // O_RDWR never blocks.
    expect(tt.num(sysOpen, tt.str("/fifo"), O_RDWR, 0)).toBeGreaterThanOrEqual(0);
  });
});

describe("advisory locks", () => {
  function twoProcesses() {
    const a = makeTask();
    const b = makeTask();
    // Same file system, different processes.
    Object.assign(b.t, { fs: a.fs, tgid: 2 });
    const fa = a.num(sysOpen, a.str("/locked"), O_RDWR | O_CREAT, 0o644);
    a.num(sysWrite, fa, a.str("0123456789"), 10);
    const fb = b.num(sysOpen, b.str("/locked"), O_RDWR, 0);
    return { a, b, fa, fb };
  }

  function flock(
    tt: ReturnType<typeof makeTask>,
    type: number,
    start: number,
    len: number,
    whence = 0,
  ): number {
    const p = tt.alloc(32);
    const dv = new DataView(new ArrayBuffer(32));
    dv.setInt16(0, type, true);
    dv.setInt16(2, whence, true);
    dv.setBigInt64(8, BigInt(start), true);
    dv.setBigInt64(16, BigInt(len), true);
    tt.mem.copyOut(p, new Uint8Array(dv.buffer));
    return p;
  }

  const F_GETLK = 5;
  const F_SETLK = 6;
  const F_SETLKW = 7;
  const F_RDLCK = 0;
  const F_WRLCK = 1;
  const F_UNLCK = 2;

  it("fcntl record locks conflict between processes, F_GETLK reports the holder, F_SETLKW waits", () => {
    const { a, b, fa, fb } = twoProcesses();
    expect(a.num(sysFcntl, fa, F_SETLK, flock(a, F_WRLCK, 0, 5))).toBe(0);
    expect(b.num(sysFcntl, fb, F_SETLK, flock(b, F_RDLCK, 4, 2))).toBe(-EAGAIN);
    expect(b.num(sysFcntl, fb, F_SETLK, flock(b, F_RDLCK, 5, 0))).toBe(0); // bytes 5.. are free
    const q = flock(b, F_WRLCK, 0, 1);
    expect(b.num(sysFcntl, fb, F_GETLK, q)).toBe(0);
    const dv = new DataView(b.read(q, 32).buffer);
    expect(dv.getInt16(0, true)).toBe(F_WRLCK);
    expect(Number(dv.getBigInt64(8, true))).toBe(0);
    expect(Number(dv.getBigInt64(16, true))).toBe(5);
    expect(dv.getInt32(24, true)).toBe(1); // the holder's pid
    // The holder may change its own lock type (a lock conversion).
    expect(a.num(sysFcntl, fa, F_SETLK, flock(a, F_RDLCK, 0, 5))).toBe(0);
    expect(a.num(sysFcntl, fa, F_SETLK, flock(a, F_WRLCK, 0, 5))).toBe(0);
    // A blocking request sleeps until the holder unlocks.
    const blocked = b.call(sysFcntl, fb, F_SETLKW, flock(b, F_WRLCK, 2, 1));
    expect(typeof blocked).toBe("object");
    expect(a.num(sysFcntl, fa, F_SETLK, flock(a, F_UNLCK, 0, 0))).toBe(0);
    expect((blocked as Exclude<typeof blocked, number>).resume!(b.t, "woken")).toBe(0);
    // Closing any fd of the file drops the process's locks.
    expect(a.num(sysFcntl, fa, F_SETLK, flock(a, F_WRLCK, 0, 3))).toBe(-EAGAIN);
    expect(b.num(sysClose, b.num(sysOpen, b.str("/locked"), O_RDONLY, 0))).toBe(0);
    expect(a.num(sysFcntl, fa, F_SETLK, flock(a, F_WRLCK, 0, 3))).toBe(0);
    // Bad l_type / l_whence, and a lock type the access mode does not allow.
    expect(a.num(sysFcntl, fa, F_SETLK, flock(a, 7, 0, 1))).toBe(-EINVAL);
    expect(a.num(sysFcntl, fa, F_SETLK, flock(a, F_RDLCK, 0, 1, 9))).toBe(-EINVAL);
    const ro = a.num(sysOpen, a.str("/locked"), O_RDONLY, 0);
    expect(a.num(sysFcntl, ro, F_SETLK, flock(a, F_WRLCK, 0, 1))).toBe(-EBADF);
    expect(a.num(sysFcntl, fa, F_SETLK, BAD)).toBe(-EFAULT);
  });

  it("locks of an exited process no longer conflict", () => {
    const { a, b, fa, fb } = twoProcesses();
    expect(a.num(sysFcntl, fa, F_SETLK, flock(a, F_WRLCK, 0, 0))).toBe(0);
    expect(b.num(sysFcntl, fb, F_SETLK, flock(b, F_WRLCK, 0, 0))).toBe(-EAGAIN);
    (a.t.tg as unknown as { exit: { kind: string } }).exit = { kind: "zombie" };
    expect(b.num(sysFcntl, fb, F_SETLK, flock(b, F_WRLCK, 0, 0))).toBe(0);
  });

  it("flock locks belong to the open file description", async () => {
    const { sysFlock, sysDup } = await import("../src/syscalls/sys-fcntl.js");
    const { a, b, fa, fb } = twoProcesses();
    const LOCK_SH = 1;
    const LOCK_EX = 2;
    const LOCK_NB = 4;
    const LOCK_UN = 8;
    expect(a.num(sysFlock, fa, LOCK_EX)).toBe(0);
    expect(b.num(sysFlock, fb, LOCK_SH | LOCK_NB)).toBe(-EAGAIN);
    const blocked = b.call(sysFlock, fb, LOCK_SH);
    expect(typeof blocked).toBe("object");
    const dupfd = a.num(sysDup, fa);
    expect(a.num(sysClose, fa)).toBe(0); // the dup still holds the description
    expect(b.num(sysFlock, fb, LOCK_SH | LOCK_NB)).toBe(-EAGAIN);
    expect(a.num(sysFlock, dupfd, LOCK_UN)).toBe(0);
    expect((blocked as Exclude<typeof blocked, number>).resume!(b.t, "woken")).toBe(0);
    expect(a.num(sysFlock, dupfd, LOCK_SH | LOCK_NB)).toBe(0); // shared locks coexist
    expect(a.num(sysFlock, dupfd, 3)).toBe(-EINVAL);
  });
});
