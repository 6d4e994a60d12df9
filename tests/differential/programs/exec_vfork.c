/* vfork: the parent is suspended until the child execs or exits. */
#include "t.h"
#include <sys/wait.h>

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0) {
    usleep(100000);
    return 3;
  }
  volatile int shared = 0;
  struct timespec s;
  clock_gettime(CLOCK_MONOTONIC, &s);
  pid_t c = vfork();
  if (c == 0) {
    shared = 1; /* shares memory with the parent */
    usleep(100000);
    _exit(4);
  }
  long ms = t_ms_since(&s);
  EXPECT("parent resumed after child _exit (>= 100ms)", ms >= 100);
  EQ("child wrote shared memory", shared, 1);
  int st;
  waitpid(c, &st, 0);
  EQ("vfork child status", WEXITSTATUS(st), 4);
  clock_gettime(CLOCK_MONOTONIC, &s);
  c = vfork();
  if (c == 0) {
    usleep(100000);
    char *av[] = {argv[0], "child", NULL};
    execv(argv[0], av);
    _exit(99);
  }
  ms = t_ms_since(&s);
  EXPECT("parent resumed at exec (>= 100ms, < child exit)", ms >= 100);
  waitpid(c, &st, 0);
  EQ("exec'd child status", WEXITSTATUS(st), 3);
  c = vfork();
  if (c == 0) {
    char *av[] = {"./does-not-exist", NULL};
    execv(av[0], av);
    _exit(errno == ENOENT ? 42 : 43);
  }
  waitpid(c, &st, 0);
  EQ("failed exec in vfork child", WEXITSTATUS(st), 42);
  return t_done();
}
