/* Orphans are reparented away from their dead parent. */
#include "t.h"
#include <sys/wait.h>

int main(void) {
  int p[2], q[2];
  pipe(p);
  pipe(q);
  pid_t c = fork();
  if (c == 0) {
    pid_t parent = getpid();
    pid_t g = fork();
    if (g == 0) {
      pid_t before = parent;
      char b;
      read(q[0], &b, 1); /* wait until the parent is gone */
      int tries = 0;
      while (getppid() == before && tries++ < 500) usleep(2000);
      pid_t after = getppid();
      int r[2] = {after != before, after > 0};
      write(p[1], r, sizeof r);
      _exit(0);
    }
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  write(q[1], "x", 1);
  int r[2] = {0, 0};
  EQ("report", read(p[0], r, sizeof r), (long)sizeof r);
  EQ("orphan's parent changed", r[0], 1);
  EQ("new parent pid > 0", r[1], 1);
  ERR("orphan is not our child", waitpid(-1, &st, WNOHANG), ECHILD);
  return t_done();
}
