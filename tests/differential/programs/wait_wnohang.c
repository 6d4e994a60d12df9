/* WNOHANG, ECHILD, waiting for specific pids and process groups. */
#include "t.h"
#include <sys/resource.h>
#include <sys/wait.h>

int main(void) {
  int st;
  ERR("no children", waitpid(-1, &st, WNOHANG), ECHILD);
  int p[2];
  pipe(p);
  pid_t c = fork();
  if (c == 0) {
    char b;
    read(p[0], &b, 1);
    _exit(1);
  }
  EQ("WNOHANG running child", waitpid(c, &st, WNOHANG), 0);
  EQ("WNOHANG any", waitpid(-1, &st, WNOHANG), 0);
  write(p[1], "x", 1);
  EXPECT("blocking wait", waitpid(c, &st, 0) == c);
  ERR("wait for non-child", waitpid(1, &st, 0), ECHILD);
  ERR("bad options", waitpid(-1, &st, 0x1000000), EINVAL);
  /* Process groups: waitpid(0) and waitpid(-pgid). */
  pid_t a = fork();
  if (a == 0) { setpgid(0, 0); usleep(30000); _exit(2); }
  setpgid(a, a);
  pid_t b = fork();
  if (b == 0) _exit(3);
  EXPECT("waitpid(0) gets same-group child", waitpid(0, &st, 0) == b);
  EQ("its status", WEXITSTATUS(st), 3);
  EXPECT("waitpid(-pgid)", waitpid(-a, &st, 0) == a);
  EQ("group child status", WEXITSTATUS(st), 2);
  /* wait4 with rusage. */
  c = fork();
  if (c == 0) _exit(4);
  struct rusage ru;
  EXPECT("wait4", wait4(c, &st, 0, &ru) == c);
  EQ("wait4 status", WEXITSTATUS(st), 4);
  c = fork();
  if (c == 0) _exit(5);
  usleep(20000);
  ERR("wait4 bad status pointer EFAULT", syscall(SYS_wait4, c, (void *)8, 0, NULL), EFAULT);
  /* Linux reaps the child before the copy-out fails. */
  ERR("child already reaped after EFAULT", waitpid(c, &st, 0), ECHILD);
  return t_done();
}
