/* SIGCHLD: delivered with child info; SIG_IGN / SA_NOCLDWAIT auto-reap. */
#include "t.h"
#include <signal.h>
#include <sys/wait.h>

static volatile pid_t from;
static volatile int code, status, count;
static void h(int s, siginfo_t *si, void *u) {
  from = si->si_pid;
  code = si->si_code;
  status = si->si_status;
  count++;
}

int main(void) {
  struct sigaction sa = {0};
  sa.sa_sigaction = h;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGCHLD, &sa, NULL);
  sigset_t m, old;
  sigemptyset(&m);
  sigaddset(&m, SIGCHLD);
  sigprocmask(SIG_BLOCK, &m, &old);
  pid_t c = fork();
  if (c == 0) _exit(6);
  sigsuspend(&old);
  EQ("one SIGCHLD", count, 1);
  EXPECT("si_pid is child", from == c);
  EQ("si_code CLD_EXITED", code, CLD_EXITED);
  EQ("si_status", status, 6);
  int st;
  EXPECT("still a zombie to reap", waitpid(c, &st, 0) == c);
  sigprocmask(SIG_SETMASK, &old, NULL);
  /* SA_NOCLDSTOP: no SIGCHLD for stops. */
  sa.sa_flags = SA_SIGINFO | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);
  count = 0;
  c = fork();
  if (c == 0) { for (;;) pause(); }
  kill(c, SIGSTOP);
  waitpid(c, &st, WUNTRACED);
  usleep(20000);
  EQ("no SIGCHLD for stop", count, 0);
  kill(c, SIGKILL);
  waitpid(c, &st, 0);
  EQ("SIGCHLD for kill", count, 1);
  /* SIG_IGN: children are reaped automatically; wait fails with ECHILD. */
  signal(SIGCHLD, SIG_IGN);
  c = fork();
  if (c == 0) _exit(0);
  ERR("SIG_IGN auto-reap", waitpid(c, &st, 0), ECHILD);
  /* SA_NOCLDWAIT with a handler: handler runs, child auto-reaped. */
  sa.sa_flags = SA_SIGINFO | SA_NOCLDWAIT;
  sigaction(SIGCHLD, &sa, NULL);
  count = 0;
  c = fork();
  if (c == 0) _exit(0);
  ERR("SA_NOCLDWAIT auto-reap", waitpid(c, &st, 0), ECHILD);
  usleep(10000);
  EQ("handler still ran", count, 1);
  return t_done();
}
