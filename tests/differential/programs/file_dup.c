/* dup/dup2/dup3: numbering, shared offsets, close-on-exec, errors. */
#include "t.h"

int main(void) {
  int fd = open("f", O_CREAT | O_RDWR | O_TRUNC, 0644);
  int d = dup(fd);
  EQ("dup lowest", d, fd + 1);
  write(fd, "abc", 3);
  EQ("shared offset", lseek(d, 0, SEEK_CUR), 3);
  EQ("dup2 to 10", dup2(fd, 10), 10);
  EQ("dup2 same fd", dup2(fd, fd), fd);
  ERR("dup2 same bad fd", dup2(50, 50), EBADF);
  ERR("dup3 same fd", dup3(fd, fd, 0), EINVAL);
  ERR("dup3 bad flags", dup3(fd, 11, 0x1), EINVAL);
  EQ("dup3 O_CLOEXEC", dup3(fd, 11, O_CLOEXEC), 11);
  EQ("dup3 cloexec set", fcntl(11, F_GETFD), FD_CLOEXEC);
  EQ("dup2 clears cloexec", (dup2(fd, 11), fcntl(11, F_GETFD)), 0);
  EQ("dup cloexec clear", fcntl(d, F_GETFD), 0);
  ERR("dup bad", dup(-1), EBADF);
  ERR("dup2 bad newfd", dup2(fd, -1), EBADF);
  ERR("dup2 newfd too big", dup2(fd, 1 << 30), EBADF);
  int f2 = open("f", O_RDONLY);
  EQ("dup2 over open fd", dup2(f2, 10), 10);
  EQ("replaced fd offset", lseek(10, 0, SEEK_CUR), 0);
  close(fd);
  EQ("dup survives close of original", write(d, "d", 1), 1);
  return t_done();
}
