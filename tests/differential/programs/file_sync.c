/* fsync/fdatasync/sync/syncfs: succeed on files, fail on the wrong fds. */
#include "t.h"

int main(void) {
  int p[2];
  int fd = open("f", O_CREAT | O_RDWR, 0644);
  write(fd, "data", 4);
  OK("fsync", fsync(fd));
  OK("fdatasync", fdatasync(fd));
  int dfd = open(".", O_RDONLY);
  OK("fsync dir", fsync(dfd));
  OK("syncfs", syncfs(fd));
  sync();
  printf("sync: returned\n");
  pipe(p);
  ERR("fsync pipe", fsync(p[0]), EINVAL);
  ERR("fdatasync pipe", fdatasync(p[1]), EINVAL);
  ERR("fsync bad fd", fsync(99), EBADF);
  ERR("fdatasync bad fd", fdatasync(-1), EBADF);
  int r = open("f", O_RDONLY);
  OK("fsync read-only fd", fsync(r));
  return t_done();
}
