/* alarm, setitimer/getitimer, POSIX timers (timer_create/settime/overrun). */
#include "t.h"
#include <signal.h>
#include <sys/time.h>
#include <time.h>

static volatile int alrm, rt;
static void on_alrm(int s) { alrm++; }
static void on_rt(int s, siginfo_t *si, void *u) {
  if (si->si_code == SI_TIMER && si->si_value.sival_int == 99) rt++;
}

int main(void) {
  signal(SIGALRM, on_alrm);
  EQ("alarm returns 0 when none", alarm(5), 0);
  /* alarm(2): returns the seconds remaining, rounded; a loaded machine may
     stall between the two calls, so only "some of the 5 s are left". */
  unsigned left = alarm(0);
  EXPECT("alarm returns remaining", left >= 1 && left <= 5);
  struct itimerval it = {.it_interval = {0, 20000}, .it_value = {0, 20000}}, cur;
  OK("setitimer periodic", setitimer(ITIMER_REAL, &it, NULL));
  while (alrm < 3) pause();
  OK("getitimer", getitimer(ITIMER_REAL, &cur));
  EXPECT("interval kept", cur.it_interval.tv_usec == 20000);
  EXPECT("value <= interval", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec <= 20000);
  struct itimerval off = {0}, old;
  setitimer(ITIMER_REAL, &off, &old);
  EXPECT("old value returned on disarm", old.it_interval.tv_usec == 20000);
  int n = alrm;
  usleep(60000);
  EQ("disarmed: no more SIGALRM", alrm, n);
  ERR("bad which", setitimer(42, &it, NULL), EINVAL);
  struct itimerval bad = {.it_value = {0, 1000000}};
  ERR("bad usec", setitimer(ITIMER_REAL, &bad, NULL), EINVAL);
  /* ITIMER_PROF counts CPU time. */
  signal(SIGPROF, on_alrm);
  alrm = 0;
  struct itimerval prof = {.it_value = {0, 10000}};
  setitimer(ITIMER_PROF, &prof, NULL);
  volatile unsigned long x = 0;
  while (alrm == 0) x++;
  EQ("ITIMER_PROF fired after CPU use", alrm, 1);
  struct sigaction sa = {0};
  sa.sa_sigaction = on_rt;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGRTMIN, &sa, NULL);
  struct sigevent sev = {0};
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGRTMIN;
  sev.sigev_value.sival_int = 99;
  timer_t t;
  OK("timer_create", timer_create(CLOCK_MONOTONIC, &sev, &t));
  struct itimerspec ts = {.it_interval = {0, 10000000}, .it_value = {0, 10000000}};
  OK("timer_settime", timer_settime(t, 0, &ts, NULL));
  while (rt < 3) pause();
  EXPECT("SI_TIMER deliveries", rt >= 3);
  /* Block the signal: expirations pile up as overruns of one queued signal. */
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGRTMIN);
  sigprocmask(SIG_BLOCK, &m, NULL);
  usleep(80000);
  siginfo_t si;
  struct timespec zero = {0, 0};
  EQ("one queued timer signal", sigtimedwait(&m, &si, &zero), SIGRTMIN);
  EXPECT("si_overrun counts missed expirations", si.si_overrun >= 2);
  EXPECT("timer_getoverrun >= 0", timer_getoverrun(t) >= 0);
  OK("timer_delete", timer_delete(t));
  ERR("settime deleted timer", timer_settime(t, 0, &ts, NULL), EINVAL);
  ERR("create bad clock", timer_create(1234, &sev, &t), EINVAL);
  return t_done();
}
