/**
 * Linux as the oracle for the kernel-only layouts: C programs make the real
 * syscalls (rt_sigaction, signal delivery, TCGETS, epoll_wait, getdents64,
 * fstat, statx, uname, prlimit64) and dump the raw bytes the kernel wrote;
 * abi's decoders must read them the way glibc (or the kernel) says.
 */
import { describe, expect, it } from "vitest";
import * as abi from "../src/index.js";
import { runC } from "./cprog.js";

/** Runs a C program printing `key value` lines; `value` is hex bytes for keys ending in `_bytes`. */
function run(src: string): {
  n: (k: string) => bigint;
  b: (k: string) => DataView;
  s: (k: string) => string;
} {
  const m = new Map<string, string>();
  for (const line of runC(src).trim().split("\n")) {
    const i = line.indexOf(" ");
    m.set(line.slice(0, i), line.slice(i + 1));
  }
  const get = (k: string) => {
    const v = m.get(k);
    if (v === undefined) throw new Error(`C program printed no ${k}`);
    return v;
  };
  return {
    n: (k) => BigInt(get(k)),
    b: (k) => {
      const u = Uint8Array.from(Buffer.from(get(k), "hex"));
      return new DataView(u.buffer);
    },
    s: get,
  };
}

const DUMP = `
#include <stdio.h>
static void dump(const char *k, const void *p, unsigned long n) {
  const unsigned char *b = p;
  printf("%s ", k);
  for (unsigned long i = 0; i < n; i++) printf("%02x", b[i]);
  printf("\\n");
}
`;

describe("layouts the kernel writes", () => {
  it("rt_sigaction(2) uses the 32-byte kernel sigaction and an 8-byte sigset", () => {
    const r = run(`
#define _GNU_SOURCE
#include <signal.h>
#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>
${DUMP}
static void h(int s, siginfo_t *i, void *u) { (void)s; (void)i; (void)u; }
int main(void) {
  struct sigaction sa = {0};
  sa.sa_sigaction = h;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGINT);
  sigaddset(&sa.sa_mask, 40);
  if (sigaction(SIGUSR2, &sa, 0)) return 1;
  unsigned char raw[32];
  long rc = syscall(SYS_rt_sigaction, SIGUSR2, 0, raw, 8);
  printf("rc %ld\\n", rc);
  dump("act_bytes", raw, 32);
  printf("handler %lu\\n", (unsigned long)h);
  rc = syscall(SYS_rt_sigaction, SIGUSR2, 0, raw, 128);
  printf("big_rc %ld\\n", rc == -1 ? -errno : rc);
  return 0;
}`);
    expect(r.n("rc")).toBe(0n);
    const act = abi.decodeKernelSigaction(r.b("act_bytes"), 0);
    expect(BigInt(act.sa_handler)).toBe(r.n("handler"));
    expect(act.sa_flags & abi.SA_SIGINFO).toBe(abi.SA_SIGINFO);
    expect(act.sa_flags & abi.SA_RESTART).toBe(abi.SA_RESTART);
    // glibc always installs its restorer (__restore_rt) with SA_RESTORER.
    expect(act.sa_flags & abi.SA_RESTORER).toBe(abi.SA_RESTORER);
    expect(act.sa_restorer).not.toBe(0);
    expect(act.sa_mask).toBe(abi.sigmask(abi.SIGINT) | abi.sigmask(40));
    expect(r.n("big_rc")).toBe(BigInt(-abi.EINVAL));
  });

  it("an SA_SIGINFO handler gets an rt_sigframe laid out as abi says", () => {
    const r = run(`
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>
#include <sys/syscall.h>
${DUMP}
static volatile int done;
static void h(int s, siginfo_t *info, void *ucv) {
  (void)s;
  char *uc = ucv;
  ucontext_t *g = ucv;
  printf("ss_flags %d\\nuc_flags %lu\\n", g->uc_stack.ss_flags, g->uc_flags);
  printf("rip %llu\\nrsp %llu\\n", (unsigned long long)g->uc_mcontext.gregs[REG_RIP], (unsigned long long)g->uc_mcontext.gregs[REG_RSP]);
  printf("info_minus_uc %ld\\n", (long)((char *)info - uc));
  printf("frame_mod16 %lu\\n", (unsigned long)((uintptr_t)(uc - 8) % 16));
  printf("pretcode %lu\\n", *(unsigned long *)(uc - 8));
  dump("uc_bytes", uc, ${abi.UCONTEXT_SIZE});
  dump("info_bytes", info, ${abi.SIGINFO_SIZE});
  unsigned long fp = *(unsigned long *)(uc + ${abi.UCONTEXT_OFFSETS.uc_mcontext + abi.SIGCONTEXT_OFFSETS.fpstate});
  printf("fp_minus_info_end %ld\\n", (long)((char *)fp - ((char *)info + ${abi.SIGINFO_SIZE})));
  dump("fp_bytes", (void *)fp, ${abi.FPSTATE_SIZE});
  done = 1;
}
int main(void) {
  struct sigaction sa = {0};
  sa.sa_sigaction = h;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, 0);
  unsigned char raw[32];
  syscall(SYS_rt_sigaction, SIGUSR1, 0, raw, 8);
  dump("act_bytes", raw, 32);
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGUSR2);
  sigprocmask(SIG_SETMASK, &m, 0);
  printf("pid %d\\nuid %d\\n", getpid(), getuid());
  raise(SIGUSR1);
  printf("done %d\\n", done);
  return 0;
}`);
    expect(r.n("done")).toBe(1n);
    expect(Number(r.n("info_minus_uc"))).toBe(
      abi.RT_SIGFRAME_OFFSETS.info - abi.RT_SIGFRAME_OFFSETS.uc,
    );
    // At handler entry rsp = &pretcode and rsp + 8 is 16-byte aligned.
    expect(r.n("frame_mod16")).toBe(8n);
    const act = abi.decodeKernelSigaction(r.b("act_bytes"), 0);
    expect(r.n("pretcode")).toBe(BigInt(act.sa_restorer));
    const uc = abi.decodeUcontext(r.b("uc_bytes"), 0);
    expect(uc.uc_sigmask).toBe(abi.sigmask(abi.SIGUSR2));
    expect(uc.uc_flags & abi.UC_SIGCONTEXT_SS).toBe(abi.UC_SIGCONTEXT_SS);
    expect(uc.uc_mcontext.fpstate % 64).toBe(0);
    // Whatever the kernel saved, glibc's ucontext_t view must agree with abi's.
    expect(BigInt(uc.uc_stack.ss_flags)).toBe(r.n("ss_flags"));
    expect(BigInt(uc.uc_flags)).toBe(r.n("uc_flags"));
    expect(uc.uc_mcontext.rip).toBe(r.n("rip"));
    expect(uc.uc_mcontext.rsp).toBe(r.n("rsp"));
    // The fpstate follows the frame (64-byte aligned, so up to 63 bytes later).
    const gap = Number(r.n("fp_minus_info_end"));
    expect(gap).toBeGreaterThanOrEqual(0);
    expect(gap).toBeLessThan(64);
    const fp = abi.decodeFpstate(r.b("fp_bytes"), 0);
    if (uc.uc_flags & abi.UC_FP_XSTATE) {
      expect(fp.sw_reserved.magic1).toBe(abi.FP_XSTATE_MAGIC1);
      expect(fp.sw_reserved.extended_size).toBeGreaterThan(abi.FPSTATE_SIZE);
    }
    expect(fp.mxcsr & 0x1f80).toBe(0x1f80); // default exception masks
    const info = abi.decodeSiginfo(r.b("info_bytes"), 0);
    expect(info.si_signo).toBe(abi.SIGUSR1);
    expect(info.si_code).toBe(abi.SI_TKILL); // raise() is tgkill()
    expect(info.layout).toBe("rt");
    if (info.layout === "rt") {
      expect(BigInt(info.si_pid)).toBe(r.n("pid"));
      expect(BigInt(info.si_uid)).toBe(r.n("uid"));
    }
  });

  it("a SIGSEGV delivers a fault siginfo and cr2 in sigcontext", () => {
    const r = run(`
#define _GNU_SOURCE
#include <signal.h>
#include <unistd.h>
${DUMP}
static void h(int s, siginfo_t *info, void *uc) {
  (void)s;
  dump("uc_bytes", uc, ${abi.UCONTEXT_SIZE});
  dump("info_bytes", info, ${abi.SIGINFO_SIZE});
  fflush(stdout);
  _exit(0);
}
int main(void) {
  struct sigaction sa = {0};
  sa.sa_sigaction = h;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, 0);
  *(volatile int *)0x1234 = 1;
  return 1;
}`);
    const info = abi.decodeSiginfo(r.b("info_bytes"), 0);
    expect(info).toMatchObject({
      layout: "fault",
      si_signo: abi.SIGSEGV,
      si_code: abi.SEGV_MAPERR,
      si_addr: 0x1234,
    });
    const uc = abi.decodeUcontext(r.b("uc_bytes"), 0);
    expect(uc.uc_mcontext.cr2).toBe(0x1234n);
    expect(uc.uc_mcontext.trapno).toBe(14n); // #PF
    expect(uc.uc_mcontext.err & 0x2n).toBe(0x2n); // write access
  });

  it("TCGETS fills the 36-byte kernel termios that glibc's tcgetattr converts", () => {
    const r = run(`
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <termios.h>
#include <sys/ioctl.h>
${DUMP}
int main(void) {
  int m = posix_openpt(O_RDWR | O_NOCTTY);
  if (m < 0 || grantpt(m) || unlockpt(m)) return 1;
  int s = open(ptsname(m), O_RDWR | O_NOCTTY);
  if (s < 0) return 1;
  unsigned char k[64] = {0};
  if (ioctl(s, 0x5401 /* TCGETS */, k)) return 1;
  dump("k_bytes", k, 64);
  struct termios t;
  tcgetattr(s, &t);
  printf("iflag %u\\noflag %u\\ncflag %u\\nlflag %u\\nline %u\\n", t.c_iflag, t.c_oflag, t.c_cflag, t.c_lflag, t.c_line);
  for (int i = 0; i < 19; i++) printf("cc%d %u\\n", i, t.c_cc[i]);
  struct winsize w = {24, 80, 640, 480};
  ioctl(s, TIOCSWINSZ, &w);
  unsigned char wb[8];
  ioctl(m, TIOCGWINSZ, wb);
  dump("w_bytes", wb, 8);
  return 0;
}`);
    const k = r.b("k_bytes");
    const t = abi.decodeTermios(k, 0);
    expect(BigInt(t.c_iflag)).toBe(r.n("iflag"));
    expect(BigInt(t.c_oflag)).toBe(r.n("oflag"));
    expect(BigInt(t.c_cflag)).toBe(r.n("cflag"));
    expect(BigInt(t.c_lflag)).toBe(r.n("lflag"));
    expect(BigInt(t.c_line)).toBe(r.n("line"));
    for (let i = 0; i < abi.KERNEL_NCCS; i++)
      expect(BigInt(t.c_cc[i]!), `c_cc[${i}]`).toBe(r.n(`cc${i}`));
    expect(t.c_lflag & abi.ICANON).toBe(abi.ICANON);
    expect(t.c_cc[abi.VINTR]).toBe(3); // ^C
    // TCGETS writes exactly TERMIOS_SIZE bytes: the rest of the buffer stays 0.
    for (let i = abi.TERMIOS_SIZE; i < 64; i++) expect(k.getUint8(i)).toBe(0);
    expect(abi.decodeWinsize(r.b("w_bytes"), 0)).toEqual({
      ws_row: 24,
      ws_col: 80,
      ws_xpixel: 640,
      ws_ypixel: 480,
    });
  });

  it("epoll_wait(2) returns packed 12-byte epoll_events with the 64-bit data intact", () => {
    const r = run(`
#include <sys/epoll.h>
#include <unistd.h>
${DUMP}
int main(void) {
  int p[2], q[2];
  pipe(p); pipe(q);
  int e = epoll_create1(0);
  struct epoll_event ev = {0};
  ev.events = EPOLLIN; ev.data.u64 = 0xfedcba9876543210ULL;
  epoll_ctl(e, EPOLL_CTL_ADD, p[0], &ev);
  ev.events = EPOLLIN | EPOLLET; ev.data.u64 = 0x1122334455667788ULL;
  epoll_ctl(e, EPOLL_CTL_ADD, q[0], &ev);
  write(p[1], "x", 1); write(q[1], "y", 1);
  unsigned char out[36] = {0};
  int n = epoll_wait(e, (struct epoll_event *)out, 3, 1000);
  printf("n %d\\n", n);
  dump("ev_bytes", out, 36);
  return 0;
}`);
    expect(r.n("n")).toBe(2n);
    const dv = r.b("ev_bytes");
    const evs = [abi.decodeEpollEvent(dv, 0), abi.decodeEpollEvent(dv, abi.EPOLL_EVENT_SIZE)];
    const datas = evs.map((e) => e.data).sort();
    expect(datas).toEqual([0x1122334455667788n, 0xfedcba9876543210n]);
    for (const e of evs) expect(e.events & abi.EPOLLIN).toBe(abi.EPOLLIN);
    // The third slot was not written.
    for (let i = 2 * abi.EPOLL_EVENT_SIZE; i < 36; i++) expect(dv.getUint8(i)).toBe(0);
  });

  it("getdents64(2) records decode, with d_reclen as linuxDirent64Reclen computes", () => {
    const r = run(`
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
${DUMP}
int main(void) {
  char dir[] = "/tmp/tsvisor-abi-dents-XXXXXX";
  if (!mkdtemp(dir)) return 1;
  if (chdir(dir)) return 1;
  close(open("a", O_CREAT | O_WRONLY, 0600));
  close(open("bbbbbbbbbbbbb", O_CREAT | O_WRONLY, 0600));
  mkdir("sub", 0700);
  symlink("a", "ln");
  int fd = open(".", O_RDONLY | O_DIRECTORY);
  unsigned char buf[4096];
  long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
  printf("n %ld\\n", n);
  dump("d_bytes", buf, n > 0 ? n : 0);
  unlink("a"); unlink("bbbbbbbbbbbbb"); rmdir("sub"); unlink("ln");
  chdir("/"); rmdir(dir);
  return 0;
}`);
    const n = Number(r.n("n"));
    const dv = r.b("d_bytes");
    const seen = new Map<string, number>();
    let off = 0;
    while (off < n) {
      const d = abi.decodeLinuxDirent64(dv, off);
      expect(d.d_reclen, d.d_name).toBe(abi.linuxDirent64Reclen(Buffer.byteLength(d.d_name)));
      seen.set(d.d_name, d.d_type);
      off += d.d_reclen;
    }
    expect(off).toBe(n);
    expect(Object.fromEntries(seen)).toEqual({
      ".": abi.DT_DIR,
      "..": abi.DT_DIR,
      a: abi.DT_REG,
      bbbbbbbbbbbbb: abi.DT_REG,
      sub: abi.DT_DIR,
      ln: abi.DT_LNK,
    });
    // Re-encoding each record reproduces the kernel's bytes (names NUL-padded).
    off = 0;
    while (off < n) {
      const d = abi.decodeLinuxDirent64(dv, off);
      const out = new DataView(new ArrayBuffer(d.d_reclen));
      abi.encodeLinuxDirent64(out, 0, d);
      const kernel = new Uint8Array(dv.buffer, off, d.d_reclen);
      // Bytes after the name's NUL are unspecified in the kernel's record; compare up to it.
      const upto = abi.LINUX_DIRENT64_HEADER_SIZE + Buffer.byteLength(d.d_name) + 1;
      expect(Buffer.from(new Uint8Array(out.buffer, 0, upto))).toEqual(
        Buffer.from(kernel.subarray(0, upto)),
      );
      off += d.d_reclen;
    }
  });

  it("old getdents(2) records put d_type in the last byte", () => {
    const r = run(`
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
${DUMP}
int main(void) {
  char dir[] = "/tmp/tsvisor-abi-dents-XXXXXX";
  if (!mkdtemp(dir) || chdir(dir)) return 1;
  close(open("file", O_CREAT | O_WRONLY, 0600));
  mkdir("d", 0700);
  int fd = open(".", O_RDONLY | O_DIRECTORY);
  unsigned char buf[4096];
  long n = syscall(SYS_getdents, fd, buf, sizeof buf);
  printf("n %ld\\n", n);
  dump("d_bytes", buf, n > 0 ? n : 0);
  unlink("file"); rmdir("d"); chdir("/"); rmdir(dir);
  return 0;
}`);
    const n = Number(r.n("n"));
    const dv = r.b("d_bytes");
    const seen = new Map<string, number>();
    for (let off = 0; off < n; ) {
      const d = abi.decodeLinuxDirent(dv, off);
      expect(d.d_reclen, d.d_name).toBe(abi.linuxDirentReclen(Buffer.byteLength(d.d_name)));
      const out = new DataView(new ArrayBuffer(d.d_reclen));
      abi.encodeLinuxDirent(out, 0, d);
      expect(abi.decodeLinuxDirent(out, 0)).toEqual(d);
      seen.set(d.d_name, d.d_type);
      off += d.d_reclen;
    }
    expect(Object.fromEntries(seen)).toEqual({
      ".": abi.DT_DIR,
      "..": abi.DT_DIR,
      file: abi.DT_REG,
      d: abi.DT_DIR,
    });
  });

  it("fstat(2) and statx(2) bytes decode to what glibc reports", () => {
    const r = run(`
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
${DUMP}
int main(void) {
  char path[] = "/tmp/tsvisor-abi-stat-XXXXXX";
  int fd = mkstemp(path);
  for (int i = 0; i < 12345; i++) write(fd, "z", 1);
  fchmod(fd, 0640);
  unsigned char raw[144], rx[256];
  syscall(SYS_fstat, fd, raw);
  dump("st_bytes", raw, 144);
  syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_BTIME, rx);
  dump("stx_bytes", rx, 256);
  struct stat s;
  fstat(fd, &s);
  printf("dev %lu\\nino %lu\\nnlink %lu\\nmode %u\\nuid %u\\ngid %u\\nsize %ld\\nblksize %ld\\nblocks %ld\\n",
         s.st_dev, s.st_ino, s.st_nlink, s.st_mode, s.st_uid, s.st_gid, s.st_size, s.st_blksize, s.st_blocks);
  printf("mtime %ld\\nmtime_nsec %ld\\n", s.st_mtim.tv_sec, s.st_mtim.tv_nsec);
  printf("major %u\\nminor %u\\n", major(s.st_dev), minor(s.st_dev));
  unlink(path);
  return 0;
}`);
    const st = abi.decodeStat(r.b("st_bytes"), 0);
    expect(BigInt(st.st_dev)).toBe(r.n("dev"));
    expect(BigInt(st.st_ino)).toBe(r.n("ino"));
    expect(BigInt(st.st_nlink)).toBe(r.n("nlink"));
    expect(BigInt(st.st_mode)).toBe(r.n("mode"));
    expect(st.st_mode & abi.S_IFMT).toBe(abi.S_IFREG);
    expect(st.st_mode & 0o777).toBe(0o640);
    expect(BigInt(st.st_uid)).toBe(r.n("uid"));
    expect(BigInt(st.st_gid)).toBe(r.n("gid"));
    expect(st.st_size).toBe(12345);
    expect(BigInt(st.st_blksize)).toBe(r.n("blksize"));
    expect(BigInt(st.st_blocks)).toBe(r.n("blocks"));
    expect(BigInt(st.st_mtime)).toBe(r.n("mtime"));
    expect(BigInt(st.st_mtime_nsec)).toBe(r.n("mtime_nsec"));
    const sx = abi.decodeStatx(r.b("stx_bytes"), 0);
    expect(sx.stx_mask & abi.STATX_BASIC_STATS).toBe(abi.STATX_BASIC_STATS);
    expect(sx.stx_size).toBe(12345);
    expect(sx.stx_mode).toBe(st.st_mode);
    expect(sx.stx_ino).toBe(st.st_ino);
    expect(sx.stx_mtime).toEqual({ tv_sec: st.st_mtime, tv_nsec: st.st_mtime_nsec });
    expect(BigInt(sx.stx_dev_major)).toBe(r.n("major"));
    expect(BigInt(sx.stx_dev_minor)).toBe(r.n("minor"));
    expect(abi.makedev(sx.stx_dev_major, sx.stx_dev_minor)).toBe(st.st_dev);
  });

  it("uname(2) and prlimit64(2) bytes decode to what glibc reports", () => {
    const r = run(`
#define _GNU_SOURCE
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <sys/syscall.h>
${DUMP}
int main(void) {
  unsigned char u[390], l[16];
  syscall(SYS_uname, u);
  dump("u_bytes", u, 390);
  struct utsname un; uname(&un);
  printf("sysname %s\\nrelease %s\\nmachine %s\\n", un.sysname, un.release, un.machine);
  struct rlimit rl = { 1000, RLIM_INFINITY };
  setrlimit(RLIMIT_CORE, &rl);
  syscall(SYS_prlimit64, 0, RLIMIT_CORE, 0, l);
  dump("l_bytes", l, 16);
  return 0;
}`);
    const u = abi.decodeUtsname(r.b("u_bytes"), 0);
    expect(u.sysname).toBe("Linux");
    expect(u.sysname).toBe(r.s("sysname"));
    expect(u.release).toBe(r.s("release"));
    expect(u.machine).toBe("x86_64");
    expect(abi.decodeRlimit(r.b("l_bytes"), 0)).toEqual({
      rlim_cur: 1000n,
      rlim_max: abi.RLIM_INFINITY,
    });
  });
});
