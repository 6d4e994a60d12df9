/* fcntl: F_DUPFD(_CLOEXEC), F_GETFD/SETFD, F_GETFL/SETFL. */
#include "t.h"

int main(void) {
  int fd = open("f", O_CREAT | O_RDWR | O_TRUNC, 0644);
  EQ("F_DUPFD >= 20", fcntl(fd, F_DUPFD, 20), 20);
  EQ("F_DUPFD next", fcntl(fd, F_DUPFD, 20), 21);
  EQ("F_DUPFD_CLOEXEC lowest", fcntl(fd, F_DUPFD_CLOEXEC, 0), fd + 1);
  EQ("F_GETFD cloexec", fcntl(fd + 1, F_GETFD), FD_CLOEXEC);
  EQ("F_GETFD dup", fcntl(20, F_GETFD), 0);
  EQ("F_SETFD", fcntl(20, F_SETFD, FD_CLOEXEC), 0);
  EQ("F_GETFD after set", fcntl(20, F_GETFD), FD_CLOEXEC);
  EQ("F_GETFD not shared", fcntl(21, F_GETFD), 0);
  ERR("F_DUPFD negative", fcntl(fd, F_DUPFD, -1), EINVAL);
  ERR("F_DUPFD huge", fcntl(fd, F_DUPFD, 1 << 30), EINVAL);
  EQ("F_GETFL", fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK), O_RDWR);
  EQ("F_SETFL append|nonblock", fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK), 0);
  EQ("F_GETFL after", fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK),
     O_RDWR | O_APPEND | O_NONBLOCK);
  EQ("F_GETFL shared with dup", fcntl(20, F_GETFL) & O_APPEND, O_APPEND);
  EQ("F_SETFL ignores access mode", (fcntl(fd, F_SETFL, O_WRONLY), fcntl(fd, F_GETFL) & O_ACCMODE), O_RDWR);
  int r = open("f", O_RDONLY);
  EQ("F_GETFL rdonly", fcntl(r, F_GETFL) & O_ACCMODE, O_RDONLY);
  ERR("bad cmd", fcntl(fd, 12345), EINVAL);
  ERR("bad fd", fcntl(99, F_GETFD), EBADF);
  return t_done();
}
