/**
 * End to end: a C program exercising the file syscalls runs natively and
 * under tsvisor (stdout to a host file through the stdio passthrough); the
 * outputs must be identical, errnos included. Linux is the oracle.
 */
import { describe, expect, it } from "vitest";
import { availablePlatforms, compileC, runInSandbox, runNative } from "./helpers.js";

const platforms = await availablePlatforms();

const SOURCE = String.raw`#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/file.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <linux/falloc.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <termios.h>

#define R(expr) do { errno = 0; long _r = (long)(expr); printf("%-60s = %ld %s\n", #expr, _r, _r < 0 ? strerrorname_np(errno) : ""); } while (0)

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

int main(void) {
  volatile long bad = 8;
  char dir[] = "/tmp/fe-XXXXXX";
  if (!mkdtemp(dir)) return 1;
  if (chdir(dir)) return 2;
  umask(022);
  char buf[256];
  int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0640);
  printf("fd=%d\n", fd);
  R(write(fd, "hello world", 11));
  R(lseek(fd, 0, SEEK_CUR));
  R(lseek(fd, -5, SEEK_END));
  R(read(fd, buf, sizeof buf));
  R(pread(fd, buf, 5, 0));
  R(pwrite(fd, "HELLO", 5, 0));
  R(lseek(fd, 100, SEEK_SET));
  R(write(fd, "x", 1));
  struct stat st;
  R(fstat(fd, &st));
  printf("mode=%o size=%ld nlink=%ld blocks>0=%d\n", st.st_mode, (long)st.st_size, (long)st.st_nlink, st.st_blocks > 0);
  R(fcntl(fd, F_GETFL));
  R(fcntl(fd, F_GETFD));
  R(fcntl(fd, F_SETFD, FD_CLOEXEC));
  R(fcntl(fd, F_GETFD));
  R(fcntl(fd, F_DUPFD, 10));
  R(fcntl(fd, F_DUPFD_CLOEXEC, 0));
  R(dup2(fd, 20));
  R(dup3(fd, fd, 0));
  R(dup2(fd, fd));
  R(close(20));
  R(close(20));
  struct iovec iov[2] = {{"ab", 2}, {"cde", 3}};
  R(lseek(fd, 0, SEEK_SET));
  R(writev(fd, iov, 2));
  char b1[2], b2[10];
  struct iovec riov[2] = {{b1, 2}, {b2, 10}};
  R(lseek(fd, 0, SEEK_SET));
  R(readv(fd, riov, 2));
  printf("readv: %.2s|%.10s\n", b1, b2);
  R(ftruncate(fd, 3));
  R(fstat(fd, &st));
  printf("size=%ld\n", (long)st.st_size);
  R(read(fd, buf, 0));
  R(read(-1, buf, 1));
  R(read(fd, (void *)(long)bad, 1));
  R(lseek(fd, 0, SEEK_SET));
  R(read(fd, (void *)(long)bad, 1));
  R(lseek(fd, 0, SEEK_CUR));
  /* names */
  R(mkdir("d", 0755));
  R(mkdir("d", 0755));
  R(mkdir("d/sub", 0700));
  R(symlink("d", "ld"));
  R(symlink("loop", "loop"));
  R(open("loop", O_RDONLY));
  R(open("ld", O_RDONLY | O_NOFOLLOW));
  R(open("f/", O_RDONLY));
  R(open("d", O_WRONLY));
  R(open("nope", O_RDONLY));
  R(rmdir("d"));
  R(unlink("d"));
  R(rename("d", "d/sub/x"));
  R(rename("f", "g"));
  R(link("g", "h"));
  R(stat("h", &st));
  printf("nlink=%ld\n", (long)st.st_nlink);
  R(lstat("ld", &st));
  printf("lmode=%o lsize=%ld\n", st.st_mode, (long)st.st_size);
  R(readlink("ld", buf, sizeof buf));
  R(readlink("g", buf, sizeof buf));
  R(access("g", R_OK | W_OK));
  R(access("g", X_OK));
  R(chmod("g", 0755));
  R(access("g", X_OK));
  R(truncate("g", 1));
  R(unlink("h"));
  R(chdir("d/sub"));
  R(getcwd(buf, sizeof buf) != NULL);
  printf("cwd ends with d/sub: %d\n", strlen(buf) >= 5 && strcmp(buf + strlen(buf) - 5, "d/sub") == 0);
  R(getcwd(buf, 3) != NULL);
  R(chdir("../.."));
  /* directory listing */
  DIR *dp = opendir(".");
  char *names[64]; int n = 0; struct dirent *de;
  while ((de = readdir(dp)) && n < 64) { names[n] = strdup(de->d_name); n++; }
  closedir(dp);
  qsort(names, n, sizeof names[0], cmp);
  for (int i = 0; i < n; i++) printf("entry %s\n", names[i]);
  /* pipes */
  int p[2];
  R(pipe2(p, O_NONBLOCK));
  R(read(p[0], buf, 10));
  R(write(p[1], "pipe!", 5));
  struct pollfd pf[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
  R(poll(pf, 2, 0));
  printf("revents %x %x\n", pf[0].revents, pf[1].revents);
  R(read(p[0], buf, 10));
  R(fcntl(p[0], F_GETFL));
  R(fcntl(p[1], F_GETFL));
  R(lseek(p[0], 0, SEEK_SET));
  R(fstat(p[0], &st));
  printf("fifo=%d\n", S_ISFIFO(st.st_mode));
  R(close(p[1]));
  R(read(p[0], buf, 10));
  R(poll(pf, 1, 0));
  printf("revents %x\n", pf[0].revents);
  signal(SIGPIPE, SIG_IGN);
  int q[2];
  R(pipe(q));
  R(close(q[0]));
  R(write(q[1], "x", 1));
  R(ioctl(fd, TCGETS, buf));
  int avail = -1;
  R(pipe(q));
  R(write(q[1], "abc", 3));
  R(ioctl(q[0], FIONREAD, &avail));
  printf("avail=%d\n", avail);
  R(umask(077));
  R(umask(022));
  /* advisory locks across fork */
  int lf = open("lk", O_RDWR | O_CREAT, 0644);
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
  R(fcntl(lf, F_SETLK, &fl));
  R(flock(lf, LOCK_EX));
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    int lf2 = open("lk", O_RDWR);
    struct flock g = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1};
    R(fcntl(lf2, F_SETLK, &g));
    R(fcntl(lf2, F_GETLK, &g));
    printf("getlk type=%d start=%ld len=%ld holder_is_parent=%d\n", g.l_type, (long)g.l_start, (long)g.l_len, g.l_pid == getppid());
    struct flock h = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 10, .l_len = 0};
    R(fcntl(lf2, F_SETLK, &h));
    R(flock(lf2, LOCK_EX | LOCK_NB));
    R(flock(lf, LOCK_EX | LOCK_NB));
    fflush(stdout);
    _exit(0);
  }
  R(waitpid(pid, NULL, 0) == pid);
  R(unlink("lk"));
  /* statfs, fallocate, fadvise */
  struct statfs sfs;
  R(statfs("/nonexistent", &sfs));
  R(statfs(".", &sfs));
  R(sfs.f_namelen);
  R(fstatfs(-1, &sfs));
  int fa = open("fa", O_RDWR | O_CREAT, 0644);
  R(fallocate(fa, 0, 0, 0));
  R(fallocate(fa, 0, 100, 50));
  R(fstat(fa, &st));
  printf("size=%ld\n", (long)st.st_size);
  R(fallocate(fa, FALLOC_FL_KEEP_SIZE, 0, 1000));
  R(fstat(fa, &st));
  printf("size=%ld\n", (long)st.st_size);
  R(posix_fadvise(fa, 0, 0, POSIX_FADV_SEQUENTIAL));
  R(posix_fadvise(fa, 0, 0, 99));
  int fp[2];
  R(pipe(fp));
  R(posix_fadvise(fp[0], 0, 0, POSIX_FADV_NORMAL));
  R(fallocate(fp[1], 0, 0, 1));
  R(unlink("fa"));
  /* extended attributes */
  int xf = open("xa", O_RDWR | O_CREAT, 0644);
  R(setxattr("xa", "user.color", "blue", 4, 0));
  R(getxattr("xa", "user.color", NULL, 0));
  R(getxattr("xa", "user.color", buf, 2));
  R(getxattr("xa", "user.color", buf, sizeof buf));
  R(setxattr("xa", "user.color", "red", 3, XATTR_CREATE));
  R(setxattr("xa", "user.size", "1", 1, XATTR_REPLACE));
  R(fsetxattr(xf, "user.color", "green", 5, XATTR_REPLACE));
  R(fgetxattr(xf, "user.color", buf, sizeof buf));
  printf("value=%.5s\n", buf);
  R(listxattr("xa", NULL, 0));
  R(listxattr("xa", buf, sizeof buf));
  printf("names=%s\n", buf);
  R(getxattr("xa", "user.none", buf, sizeof buf));
  R(setxattr("xa", "bogus.ns", "x", 1, 0));
  R(setxattr("xa", "user.x", "x", 1, 99));
  R(removexattr("xa", "user.color"));
  R(removexattr("xa", "user.color"));
  R(listxattr("xa", buf, sizeof buf));
  R(symlink("xa", "xl"));
  R(lsetxattr("xl", "user.a", "1", 1, 0));
  R(getxattr("nonexistent", "user.a", buf, sizeof buf));
  R(unlink("xl"));
  R(unlink("xa"));
  /* O_TMPFILE */
  int tf = open(".", O_TMPFILE | O_RDWR, 0600);
  R(tf >= 0);
  R(write(tf, "tmp", 3));
  R(fstat(tf, &st));
  printf("tmp nlink=%ld mode=%o\n", (long)st.st_nlink, st.st_mode);
  R(linkat(tf, "", AT_FDCWD, "tmpnamed", AT_EMPTY_PATH));
  R(stat("tmpnamed", &st));
  printf("named nlink=%ld size=%ld\n", (long)st.st_nlink, (long)st.st_size);
  R(open(".", O_TMPFILE | O_RDONLY, 0600));
  R(open("tmpnamed", O_TMPFILE | O_RDWR, 0600));
  R(unlink("tmpnamed"));
  /* cleanup */
  R(unlink("g"));
  R(unlink("ld"));
  R(unlink("loop"));
  R(rmdir("d/sub"));
  R(rmdir("d"));
  R(chdir("/"));
  R(rmdir(dir));
  return 0;
}
`;

describe.each(platforms.map((p) => ({ name: p.name, p })))("file syscalls on $name", ({ p }) => {
  it("match Linux on files, directories, links, pipes, poll, fcntl and their errnos", async () => {
    const bin = compileC("files-e2e", SOURCE);
    const native = runNative([bin]);
    expect(native.status).toBe(0);
    const ours = await runInSandbox(p, [bin]);
    expect(ours.stderr).toBe("");
    expect(ours.stdout.split("\n")).toEqual(native.stdout.split("\n"));
    expect(ours.status).toBe(native.status);
  });
});

it.skipIf(platforms.length > 0)("the end-to-end file tests need a platform that probes ok", () => {
  // Reached only when no platform could run the cases above (e.g. addons not built).
  expect(platforms.length).toBe(0);
});
