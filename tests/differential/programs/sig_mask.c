/* sigprocmask and pending signals; SIGKILL/SIGSTOP can't be blocked. */
#include "t.h"
#include <signal.h>

static volatile int hits;
static void h(int s) { hits++; }

int main(void) {
  sigset_t m, old, pend;
  signal(SIGUSR1, h);
  sigemptyset(&m);
  sigaddset(&m, SIGUSR1);
  OK("block", sigprocmask(SIG_BLOCK, &m, &old));
  EQ("old mask empty of USR1", sigismember(&old, SIGUSR1), 0);
  raise(SIGUSR1);
  raise(SIGUSR1);
  EQ("not delivered while blocked", hits, 0);
  sigpending(&pend);
  EQ("pending", sigismember(&pend, SIGUSR1), 1);
  EQ("other not pending", sigismember(&pend, SIGUSR2), 0);
  OK("unblock", sigprocmask(SIG_UNBLOCK, &m, NULL));
  EQ("standard signals merge: delivered once", hits, 1);
  sigpending(&pend);
  EQ("no longer pending", sigismember(&pend, SIGUSR1), 0);
  sigfillset(&m);
  sigprocmask(SIG_SETMASK, &m, NULL);
  sigprocmask(SIG_SETMASK, NULL, &old);
  EQ("SIGKILL not blockable", sigismember(&old, SIGKILL), 0);
  EQ("SIGSTOP not blockable", sigismember(&old, SIGSTOP), 0);
  EQ("SIGTERM blocked", sigismember(&old, SIGTERM), 1);
  sigemptyset(&m);
  sigprocmask(SIG_SETMASK, &m, NULL);
  ERR("bad how", sigprocmask(42, &m, NULL), EINVAL);
  ERR("bad sigsetsize", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &m, NULL, 4), EINVAL);
  ERR("bad set pointer", syscall(SYS_rt_sigprocmask, SIG_BLOCK, (void *)8, NULL, 8), EFAULT);
  /* Ignored signals are discarded, even if blocked. */
  signal(SIGUSR2, SIG_IGN);
  sigemptyset(&m);
  sigaddset(&m, SIGUSR2);
  sigprocmask(SIG_BLOCK, &m, NULL);
  raise(SIGUSR2);
  sigpending(&pend);
  EQ("blocked+ignored: pending? (Linux keeps it pending)", sigismember(&pend, SIGUSR2), 1);
  signal(SIGUSR2, SIG_IGN);
  sigpending(&pend);
  EQ("setting SIG_IGN discards pending", sigismember(&pend, SIGUSR2), 0);
  /* sigaction on SIGKILL fails. */
  struct sigaction sa = {0};
  sa.sa_handler = h;
  ERR("sigaction SIGKILL", sigaction(SIGKILL, &sa, NULL), EINVAL);
  ERR("sigaction SIGSTOP", sigaction(SIGSTOP, &sa, NULL), EINVAL);
  ERR("sigaction 0", sigaction(0, &sa, NULL), EINVAL);
  ERR("sigaction 65", syscall(SYS_rt_sigaction, 65, &sa, NULL, 8), EINVAL);
  OK("query SIGKILL", sigaction(SIGKILL, NULL, &sa));
  return t_done();
}
