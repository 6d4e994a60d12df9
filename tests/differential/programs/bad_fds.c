/* EBADF across the fd-taking calls. */
#include "t.h"
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>

int main(void) {
  char b[4];
  struct stat st;
  struct iovec iov = {b, 1};
  int fds[] = {-1, 99, 1000, 1 << 20, -100};
  for (size_t i = 0; i < sizeof fds / sizeof *fds; i++) {
    int fd = fds[i];
    printf("fd %d:\n", fd);
    ERR("  read", read(fd, b, 1), EBADF);
    ERR("  write", write(fd, b, 1), EBADF);
    ERR("  close", close(fd), EBADF);
    ERR("  fstat", fstat(fd, &st), EBADF);
    ERR("  lseek", lseek(fd, 0, SEEK_SET), EBADF);
    ERR("  dup", dup(fd), EBADF);
    ERR("  fcntl", fcntl(fd, F_GETFL), EBADF);
    ERR("  readv", readv(fd, &iov, 1), EBADF);
    ERR("  fsync", fsync(fd), EBADF);
    ERR("  fchdir", fchdir(fd), EBADF);
    ERR("  ftruncate", ftruncate(fd, 0), EBADF);
    ERR("  getdents64", syscall(SYS_getdents64, fd, b, sizeof b), EBADF);
  }
  ERR("openat bad dirfd relative", openat(55, "x", O_RDONLY), EBADF);
  ERR("fstatat bad dirfd", fstatat(55, "x", &st, 0), EBADF);
  ERR("mmap bad fd", (long)mmap(NULL, 4096, PROT_READ, MAP_SHARED, 55, 0), EBADF);
  struct pollfd p = {55, POLLIN, 0};
  EQ("poll reports POLLNVAL", poll(&p, 1, 0), 1);
  EQ("revents", p.revents, POLLNVAL);
  int fd = open("/dev/null", O_RDONLY);
  close(fd);
  ERR("use after close", read(fd, b, 1), EBADF);
  int o = open("f", O_CREAT | O_WRONLY | O_PATH, 0644);
  (void)o;
  close(0);
  ERR("read closed stdin", read(0, b, 1), EBADF);
  EQ("lowest free fd reused", open("/dev/null", O_RDONLY), 0);
  return t_done();
}
