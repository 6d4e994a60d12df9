/* sigtimedwait/sigwaitinfo/sigwait: synchronous signal acceptance. */
#include "t.h"
#include <signal.h>
#include <time.h>

int main(void) {
  sigset_t set;
  siginfo_t si;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGRTMIN + 1);
  sigprocmask(SIG_BLOCK, &set, NULL);
  struct timespec to = {0, 50 * 1000000}, s;
  clock_gettime(CLOCK_MONOTONIC, &s);
  ERR("timeout", sigtimedwait(&set, &si, &to), EAGAIN);
  EXPECT("waited >= 50ms", t_ms_since(&s) >= 50);
  struct timespec zero = {0, 0};
  ERR("poll with zero timeout", sigtimedwait(&set, &si, &zero), EAGAIN);
  union sigval v = {.sival_int = 31};
  sigqueue(getpid(), SIGUSR1, v);
  memset(&si, 0, sizeof si);
  EQ("returns the signal", sigtimedwait(&set, &si, &to), SIGUSR1);
  EQ("si_code", si.si_code, SI_QUEUE);
  EQ("si_value", si.si_value.sival_int, 31);
  for (int i = 1; i <= 3; i++) {
    v.sival_int = i;
    sigqueue(getpid(), SIGRTMIN + 1, v);
  }
  int order = 0;
  for (int i = 0; i < 3; i++) {
    sigwaitinfo(&set, &si);
    order = order * 10 + si.si_value.sival_int;
  }
  EQ("rt signals queued in order", order, 123);
  raise(SIGUSR1);
  int sig = 0;
  EQ("sigwait", sigwait(&set, &sig), 0);
  EQ("sigwait signal", sig, SIGUSR1);
  struct timespec bad = {0, 2000000000};
  ERR("bad timeout", sigtimedwait(&set, &si, &bad), EINVAL);
  /* Waiting for a signal that is not blocked still works when it is pending? Only blocked ones are pending. */
  return t_done();
}
