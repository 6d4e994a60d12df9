/* SIG_IGN and sigaction's old-action reporting. */
#include "t.h"
#include <signal.h>
#include <sys/wait.h>

static void h(int s) {}

int main(void) {
  struct sigaction sa = {0}, old;
  sigaction(SIGTERM, NULL, &old);
  EXPECT("initial SIGTERM default", old.sa_handler == SIG_DFL);
  signal(SIGTERM, SIG_IGN);
  raise(SIGTERM);
  printf("survived ignored SIGTERM: ok\n");
  sa.sa_handler = h;
  sa.sa_flags = SA_RESTART | SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGINT);
  sigaction(SIGTERM, &sa, &old);
  EXPECT("old was SIG_IGN", old.sa_handler == SIG_IGN);
  sigaction(SIGTERM, NULL, &old);
  EXPECT("handler reported", old.sa_sigaction == (void *)h);
  EQ("flags reported", old.sa_flags & (SA_RESTART | SA_SIGINFO), SA_RESTART | SA_SIGINFO);
  EQ("mask reported", sigismember(&old.sa_mask, SIGINT), 1);
  /* Ignored signals stay ignored in a forked child. */
  signal(SIGUSR1, SIG_IGN);
  pid_t c = fork();
  if (c == 0) {
    raise(SIGUSR1);
    _exit(5);
  }
  int st;
  waitpid(c, &st, 0);
  EQ("child ignores too", WEXITSTATUS(st), 5);
  /* Handlers are inherited by fork. */
  c = fork();
  if (c == 0) {
    struct sigaction o;
    sigaction(SIGTERM, NULL, &o);
    _exit(o.sa_handler == h ? 6 : 7);
  }
  waitpid(c, &st, 0);
  EQ("child inherits handler", WEXITSTATUS(st), 6);
  ERR("bad sigsetsize", syscall(SYS_rt_sigaction, SIGTERM, NULL, &old, 16), EINVAL);
  ERR("bad pointer", syscall(SYS_rt_sigaction, SIGTERM, (void *)8, NULL, 8), EFAULT);
  return t_done();
}
