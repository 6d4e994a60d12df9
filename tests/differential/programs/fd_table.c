/* The fd table: close_range, sharing between threads (CLONE_FILES),
   private copy after fork, the lowest-free rule, RLIMIT-free limits. */
#include "t.h"
#include <linux/close_range.h>
#include <pthread.h>
#include <sys/wait.h>

static int shared_fd = -1;
static void *opener(void *a) {
  shared_fd = open("/dev/null", O_RDONLY);
  return NULL;
}

int main(void) {
  for (int i = 0; i < 6; i++) open("/dev/null", O_RDONLY); /* 3..8 */
  OK("close_range 5..6", syscall(SYS_close_range, 5, 6, 0));
  EQ("5 closed", fcntl(5, F_GETFD) == -1, 1);
  EQ("7 open", fcntl(7, F_GETFD) >= 0, 1);
  EQ("lowest free reused", open("/dev/null", O_RDONLY), 5);
  OK("CLOSE_RANGE_CLOEXEC", syscall(SYS_close_range, 7, ~0U, CLOSE_RANGE_CLOEXEC));
  EQ("7 now cloexec", fcntl(7, F_GETFD), FD_CLOEXEC);
  EQ("3 untouched", fcntl(3, F_GETFD), 0);
  ERR("close_range first > last", syscall(SYS_close_range, 9, 8, 0), EINVAL);
  ERR("close_range bad flags", syscall(SYS_close_range, 3, 4, 0x8), EINVAL);
  OK("close_range beyond table", syscall(SYS_close_range, 1000, ~0U, 0));
  pthread_t t;
  pthread_create(&t, NULL, opener, NULL);
  pthread_join(t, NULL);
  EXPECT("thread's open visible to main", shared_fd >= 0 && fcntl(shared_fd, F_GETFD) >= 0);
  int fd = shared_fd;
  pid_t c = fork();
  if (c == 0) {
    close(fd);
    _exit(fcntl(fd, F_GETFD) == -1 ? 0 : 1);
  }
  int st;
  waitpid(c, &st, 0);
  EQ("child closed its copy", WEXITSTATUS(st), 0);
  EQ("parent's fd still open", fcntl(fd, F_GETFD) >= 0, 1);
  /* CLONE_FILES without threads: unshare gives a private table. */
  c = fork();
  if (c == 0) {
    if (syscall(SYS_unshare, CLONE_FILES) != 0) _exit(2);
    close(3);
    _exit(fcntl(3, F_GETFD) == -1 ? 0 : 1);
  }
  waitpid(c, &st, 0);
  EQ("unshare(CLONE_FILES) in child", WEXITSTATUS(st), 0);
  EQ("3 open in parent", fcntl(3, F_GETFD) >= 0, 1);
  int hi = fcntl(0, F_DUPFD, 500);
  EQ("F_DUPFD to 500", hi, 500);
  EQ("next lowest after a high fd", open("/dev/null", O_RDONLY), 9);
  return t_done();
}
