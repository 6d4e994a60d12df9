/* Orphans are reparented away from their dead parent.
 *
 * Under tsvisor the program may be its PID namespace's init (pid 1), which
 * is where orphans go; natively they go to the host's init or a subreaper.
 * So the test runs one level down: a "tester" child whose grandchild is
 * orphaned; in both worlds the orphan's new parent is not the tester. */
#include "t.h"
#include <sys/wait.h>

static int tester(void) {
  int p[2], q[2];
  pipe(p);
  pipe(q);
  pid_t c = fork();
  if (c == 0) {
    pid_t parent = getpid();
    pid_t g = fork();
    if (g == 0) {
      char b;
      read(q[0], &b, 1); /* wait until the parent is gone */
      int tries = 0;
      while (getppid() == parent && tries++ < 500) usleep(2000);
      pid_t after = getppid();
      int r[2] = {after != parent, after != getpid()};
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
  EQ("new parent is another process", r[1], 1);
  ERR("orphan is not the tester's child", waitpid(-1, &st, WNOHANG), ECHILD);
  return t_done();
}

int main(void) {
  pid_t t = fork();
  if (t == 0) {
    int rc = tester();
    fflush(stdout);
    _exit(rc);
  }
  int st;
  waitpid(t, &st, 0);
  EQ("tester status", WEXITSTATUS(st), 0);
  /* Reap whatever was reparented to us (if we are init); never printed. */
  usleep(50000);
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  return WEXITSTATUS(st);
}
