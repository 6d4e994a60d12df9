/* fork: return values, independent fds offsets shared, exit statuses. */
#include "t.h"
#include <sys/wait.h>

int main(void) {
  int fd = open("f", O_CREAT | O_RDWR | O_TRUNC, 0644);
  pid_t c = fork();
  if (c == 0) {
    write(fd, "child", 5); /* shares the file description and its offset */
    _exit(3);
  }
  EXPECT("fork returns pid > 0 in parent", c > 0);
  int st;
  EXPECT("waitpid returns child", waitpid(c, &st, 0) == c);
  EXPECT("exited", WIFEXITED(st));
  EQ("status", WEXITSTATUS(st), 3);
  EQ("shared offset moved by child", lseek(fd, 0, SEEK_CUR), 5);
  /* Many children, reaped in any order. */
  pid_t kids[8];
  for (int i = 0; i < 8; i++) {
    kids[i] = fork();
    if (kids[i] == 0) _exit(10 + i);
  }
  int sum = 0, n = 0;
  pid_t w;
  while ((w = wait(&st)) > 0) {
    for (int i = 0; i < 8; i++)
      if (kids[i] == w && WEXITSTATUS(st) == 10 + i) n++;
    sum += WEXITSTATUS(st);
  }
  EQ("all matched", n, 8);
  EQ("status sum", sum, 10 * 8 + 28);
  ERR("no more children", wait(&st), ECHILD);
  /* Nested fork: grandchild status goes to the child. */
  c = fork();
  if (c == 0) {
    pid_t g = fork();
    if (g == 0) _exit(21);
    int gs;
    waitpid(g, &gs, 0);
    _exit(WEXITSTATUS(gs) + 1);
  }
  waitpid(c, &st, 0);
  EQ("grandchild status via child", WEXITSTATUS(st), 22);
  /* Raw fork syscall and clone(SIGCHLD) behave the same. */
  c = syscall(SYS_fork);
  if (c == 0) _exit(31);
  waitpid(c, &st, 0);
  EQ("raw fork", WEXITSTATUS(st), 31);
  c = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  if (c == 0) _exit(32);
  waitpid(c, &st, 0);
  EQ("clone(SIGCHLD)", WEXITSTATUS(st), 32);
  return t_done();
}
