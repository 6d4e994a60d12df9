/* readv/writev/preadv/pwritev: scatter-gather and iovec validation. */
#include "t.h"
#include <limits.h>
#include <sys/uio.h>

int main(void) {
  char a[4], b[8], c[3];
  struct iovec w[3] = {{"abc", 3}, {"", 0}, {"defghij", 7}};
  int fd = open("f", O_CREAT | O_RDWR | O_TRUNC, 0644);
  EQ("writev", writev(fd, w, 3), 10);
  lseek(fd, 0, SEEK_SET);
  struct iovec r[3] = {{a, 4}, {b, 8}, {c, 3}};
  memset(b, 0, sizeof b);
  EQ("readv short", readv(fd, r, 3), 10);
  EXPECT("iov0", memcmp(a, "abcd", 4) == 0);
  EXPECT("iov1", memcmp(b, "efghij", 6) == 0);
  EQ("readv EOF", readv(fd, r, 3), 0);
  EQ("writev 0 iovs", writev(fd, w, 0), 0);
  ERR("writev iovcnt > IOV_MAX", syscall(SYS_writev, fd, w, IOV_MAX + 1), EINVAL);
  ERR("writev iovcnt negative", syscall(SYS_writev, fd, w, -1), EINVAL);
  struct iovec bad[2] = {{"x", 1}, {"y", (size_t)-1}};
  ERR("writev total overflows ssize_t", writev(fd, bad, 2), EINVAL);
  EQ("preadv at 7", preadv(fd, r, 1, 7), 3);
  EXPECT("preadv data", memcmp(a, "hij", 3) == 0);
  struct iovec pw[2] = {{"12", 2}, {"34", 2}};
  EQ("pwritev at 1", pwritev(fd, pw, 2, 1), 4);
  char all[16] = {0};
  pread(fd, all, 10, 0);
  STREQ("after pwritev", all, "a1234fghij");
  struct iovec nul[1] = {{NULL, 0}};
  EQ("readv NULL base zero len", readv(fd, nul, 1), 0);
  ERR("readv bad fd", readv(99, r, 1), EBADF);
  close(fd);
  return t_done();
}
