/* fcntl record locks (F_SETLK/F_GETLK, OFD locks) and flock between processes. */
#include "t.h"
#include <sys/file.h>
#include <sys/wait.h>

static int lock(int fd, int cmd, short type, off_t start, off_t len) {
  struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
  return fcntl(fd, cmd, &fl);
}

/* Runs probe(fd) in a child with its own open of "f"; returns its exit code. */
static int in_child(int what) {
  pid_t c = fork();
  if (c == 0) {
    int fd = open("f", O_RDWR);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
    switch (what) {
      case 0: _exit(fcntl(fd, F_SETLK, &fl) == 0 ? 0 : errno);
      case 1:
        fcntl(fd, F_GETLK, &fl);
        _exit(fl.l_type == F_WRLCK && fl.l_pid == getppid() ? 0 : 1);
      case 2: fl.l_start = 20; _exit(fcntl(fd, F_SETLK, &fl) == 0 ? 0 : errno);
      case 3: _exit(flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : errno);
    }
    _exit(99);
  }
  int st;
  waitpid(c, &st, 0);
  return WEXITSTATUS(st);
}

int main(void) {
  int fd = open("f", O_CREAT | O_RDWR, 0644);
  ftruncate(fd, 100);
  OK("F_SETLK write lock [0,10)", lock(fd, F_SETLK, F_WRLCK, 0, 10));
  EQ("other process: EAGAIN", in_child(0), EAGAIN);
  EQ("F_GETLK names holder (pid == parent)", in_child(1), 0);
  EQ("non-overlapping range free", in_child(2), 0);
  struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
  OK("own F_GETLK", fcntl(fd, F_GETLK, &q));
  EQ("own lock does not conflict", q.l_type, F_UNLCK);
  OK("unlock", lock(fd, F_SETLK, F_UNLCK, 0, 10));
  EQ("free after unlock", in_child(0), 0);
  lock(fd, F_SETLK, F_RDLCK, 0, 10);
  int other = open("f", O_RDWR);
  close(other); /* closing any fd of the file drops the process's POSIX locks */
  EQ("lock dropped by close of another fd", in_child(0), 0);
  int r = open("f", O_RDONLY);
  ERR("write lock on O_RDONLY fd", lock(r, F_SETLK, F_WRLCK, 0, 1), EBADF);
  ERR("bad type", lock(fd, F_SETLK, 42, 0, 1), EINVAL);
  ERR("negative start", lock(fd, F_SETLK, F_RDLCK, -5, 1), EINVAL);
  OK("OFD lock", lock(fd, F_OFD_SETLK, F_WRLCK, 0, 10));
  int fd2 = open("f", O_RDWR);
  ERR("OFD lock conflicts with another description", lock(fd2, F_OFD_SETLK, F_WRLCK, 0, 10), EAGAIN);
  lock(fd, F_OFD_SETLK, F_UNLCK, 0, 10);
  OK("flock LOCK_EX", flock(fd, LOCK_EX));
  EQ("flock from child: EWOULDBLOCK", in_child(3), EWOULDBLOCK);
  ERR("flock other description", flock(fd2, LOCK_EX | LOCK_NB), EWOULDBLOCK);
  OK("flock unlock", flock(fd, LOCK_UN));
  EQ("flock free", in_child(3), 0);
  ERR("flock bad op", flock(fd, 0), EINVAL);
  return t_done();
}
