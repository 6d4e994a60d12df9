/*
 * /proc/self/fd/N and /dev/fd/N are magic links: opening one opens the file
 * the fd refers to (proc(5)), even when it has no path (a pipe); readlink
 * still returns the link text ("pipe:[N]").
 */
#include "t.h"
#include <linux/openat2.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

static char *fdpath(const char *dir, int fd) {
  static char buf[2][64];
  static int i;
  i ^= 1;
  snprintf(buf[i], sizeof buf[i], "%s/%d", dir, fd);
  return buf[i];
}

static long o2(const char *p, uint64_t flags, uint64_t resolve) {
  struct open_how how = {.flags = flags, .mode = 0, .resolve = resolve};
  return syscall(SYS_openat2, AT_FDCWD, p, &how, sizeof how);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  char buf[64];
  int p[2];
  pipe(p);

  /* A pipe's read end, reopened read-only: a new read end of the same pipe. */
  write(p[1], "hello", 5);
  int r = open(fdpath("/dev/fd", p[0]), O_RDONLY);
  EXPECT("open /dev/fd/N of read end", r >= 0);
  EXPECT("new description", r != p[0]);
  EQ("read through it", read(r, buf, sizeof buf), 5);
  EXPECT("reads what was written", memcmp(buf, "hello", 5) == 0);

  /* The write end, reopened write-only: writes go into the pipe. */
  int w = open(fdpath("/dev/fd", p[1]), O_WRONLY);
  EXPECT("open /dev/fd/N of write end", w >= 0);
  EQ("write through it", write(w, "xy", 2), 2);
  EQ("original read end gets it", read(p[0], buf, sizeof buf), 2);
  EXPECT("bytes match", memcmp(buf, "xy", 2) == 0);

  /* The access mode picks the end: the read end's link opened O_WRONLY writes. */
  int w2 = open(fdpath("/proc/self/fd", p[0]), O_WRONLY);
  EXPECT("read end's link opened O_WRONLY", w2 >= 0);
  EQ("writes into the pipe", write(w2, "z", 1), 1);
  EQ("read it back", read(r, buf, sizeof buf), 1);
  EXPECT("byte matches", buf[0] == 'z');

  /* Writer counts include the reopened ends: EOF only after all are closed. */
  close(p[1]);
  fcntl(r, F_SETFL, O_NONBLOCK);
  ERR("writers left: EAGAIN, not EOF", read(r, buf, sizeof buf), EAGAIN);
  close(w);
  close(w2);
  EQ("all writers closed: EOF", read(r, buf, sizeof buf), 0);

  /* Reader counts too: EPIPE only after the reopened read end is closed. */
  int q[2];
  pipe(q);
  int r2 = open(fdpath("/proc/self/fd", q[0]), O_RDONLY);
  EXPECT("reopen read end", r2 >= 0);
  close(q[0]);
  EQ("reader left: write works", write(q[1], "a", 1), 1);
  close(r2);
  ERR("no readers: EPIPE", write(q[1], "a", 1), EPIPE);
  /* Unlike a named FIFO's, an anonymous pipe's open never fails with ENXIO
   * nor waits for a peer (fs/pipe.c fifo_open skips both for pipefs). */
  int w3 = open(fdpath("/dev/fd", q[1]), O_WRONLY | O_NONBLOCK);
  EXPECT("O_WRONLY|O_NONBLOCK without readers opens", w3 >= 0);
  ERR("and its write is EPIPE", write(w3, "a", 1), EPIPE);
  int r3 = open(fdpath("/dev/fd", q[1]), O_RDONLY);
  EXPECT("O_RDONLY of the write end opens", r3 >= 0);
  close(q[1]);
  close(w3);
  EQ("the byte written while r2 was open", read(r3, buf, sizeof buf), 1);
  EQ("no writers left: EOF", read(r3, buf, sizeof buf), 0);

  /* readlink still gives the text. */
  long n = readlink(fdpath("/proc/self/fd", p[0]), buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  EXPECT("readlink of a pipe is pipe:[N]",
         n > 7 && strncmp(buf, "pipe:[", 6) == 0 && buf[n - 1] == ']');
  struct stat a, b;
  fstat(p[0], &a);
  EXPECT("stat through the link is the pipe",
         stat(fdpath("/dev/fd", p[0]), &b) == 0 && S_ISFIFO(b.st_mode) && a.st_ino == b.st_ino &&
             a.st_dev == b.st_dev);

  /* A regular file: the same file, with an independent offset. */
  int f = open("f", O_CREAT | O_RDWR | O_TRUNC, 0644);
  write(f, "abcdef", 6);
  int g = open(fdpath("/proc/self/fd", f), O_RDONLY);
  EXPECT("open /proc/self/fd/N of a file", g >= 0);
  EQ("new offset starts at 0", lseek(g, 0, SEEK_CUR), 0);
  EQ("reads the file", read(g, buf, 2), 2);
  EXPECT("from its start", memcmp(buf, "ab", 2) == 0);
  EQ("original offset unchanged", lseek(f, 0, SEEK_CUR), 6);
  fstat(f, &a);
  fstat(g, &b);
  EXPECT("same inode", a.st_ino == b.st_ino && a.st_dev == b.st_dev);
  EQ("access mode is the new one", fcntl(g, F_GETFL) & O_ACCMODE, O_RDONLY);

  /* A directory fd: the walk continues below the jump. */
  int d = open(".", O_RDONLY | O_DIRECTORY);
  char sub[80];
  snprintf(sub, sizeof sub, "/dev/fd/%d/f", d);
  int h = open(sub, O_RDONLY);
  EXPECT("/dev/fd/DIR/name opens a file in it", h >= 0);
  fstat(h, &b);
  EXPECT("the same file", a.st_ino == b.st_ino);

  /* O_RDWR of a pipe's link: both ends in one description. */
  int p2[2];
  pipe(p2);
  int rw = open(fdpath("/dev/fd", p2[0]), O_RDWR);
  EXPECT("O_RDWR of a pipe end", rw >= 0);
  EQ("writes", write(rw, "rw", 2), 2);
  EQ("and reads back", read(rw, buf, sizeof buf), 2);

  /* openat2(2): "RESOLVE_NO_MAGICLINKS Disallow all magic-link resolution". */
  OK("openat2 through the link", o2(fdpath("/proc/self/fd", f), O_RDONLY, 0));
  ERR("openat2 NO_MAGICLINKS", o2(fdpath("/proc/self/fd", f), O_RDONLY, RESOLVE_NO_MAGICLINKS),
      ELOOP);
  ERR("openat2 NO_MAGICLINKS of a pipe",
      o2(fdpath("/proc/self/fd", p2[0]), O_RDONLY, RESOLVE_NO_MAGICLINKS), ELOOP);
  ERR("openat2 NO_SYMLINKS", o2(fdpath("/proc/self/fd", p2[1]), O_WRONLY, RESOLVE_NO_SYMLINKS),
      ELOOP);
  ERR("O_NOFOLLOW", open(fdpath("/proc/self/fd", p2[0]), O_RDONLY | O_NOFOLLOW), ELOOP);

  /* A forked child may open its parent's fd links (same credentials). */
  pid_t parent = getpid();
  pid_t kid = fork();
  if (kid == 0) {
    char pp[64];
    snprintf(pp, sizeof pp, "/proc/%d/fd/%d", (int)parent, p2[1]);
    int cw = open(pp, O_WRONLY);
    _exit(cw >= 0 && write(cw, "k", 1) == 1 ? 0 : 1);
  }
  int kst;
  waitpid(kid, &kst, 0);
  EQ("child wrote through /proc/PPID/fd/N", WIFEXITED(kst) ? WEXITSTATUS(kst) : -1, 0);
  EQ("parent reads it", read(p2[0], buf, sizeof buf), 1);

  /* open(2): "ENXIO ... the file is a UNIX domain socket". */
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  ERR("socket: ENXIO", open(fdpath("/proc/self/fd", sv[0]), O_RDWR), ENXIO);

  /* The link of a closed fd is gone. */
  int c = dup(f);
  close(c);
  ERR("closed fd: ENOENT", open(fdpath("/proc/self/fd", c), O_RDONLY), ENOENT);
  ERR("closed fd via /dev/fd: ENOENT", open(fdpath("/dev/fd", c), O_RDONLY), ENOENT);
  return t_done();
}
