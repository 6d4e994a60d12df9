/* nanosleep interrupted by a handled signal: EINTR with the time remaining.

   Timing: the alarms repeat (ualarm's interval) until the sleep returns: a
   one-shot alarm can fire before the sleep starts on a loaded machine, and
   the sleep then runs to its end. The sleeps are long (20 s) so that only an
   upper bound far from any real wait is needed to tell "interrupted" apart. */
#include "t.h"
#include <signal.h>
#include <time.h>

static void h(int s) {}

int main(void) {
  struct sigaction sa = {0};
  sa.sa_handler = h;
  sigaction(SIGALRM, &sa, NULL);
  struct timespec req = {20, 0}, rem = {0, 0}, s;
  clock_gettime(CLOCK_MONOTONIC, &s);
  ualarm(100000, 100000);
  ERR("nanosleep EINTR", nanosleep(&req, &rem), EINTR);
  long ms = t_ms_since(&s);
  ualarm(0, 0);
  EXPECT("woke after >= 100ms", ms >= 100);
  EXPECT("woke well before 20s", ms < 10000);
  long rem_ms = rem.tv_sec * 1000 + rem.tv_nsec / 1000000;
  EXPECT("remaining > 0", rem_ms > 0);
  EXPECT("remaining < requested", rem_ms < 20000);
  /* rem is what was left when the signal came, so at least 20 s minus all
     the time elapsed (50ms slack for rounding). No bound from the other
     side: a loaded machine may delay the sleep's start past the alarm. */
  EXPECT("remaining >= 20s - elapsed", rem_ms >= 20000 - ms - 50);
  /* clock_nanosleep returns the error number directly. */
  ualarm(50000, 50000);
  struct timespec rem2 = {0, 0};
  EQ("clock_nanosleep EINTR", clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem2), EINTR);
  ualarm(0, 0);
  EXPECT("clock_nanosleep remaining", rem2.tv_sec > 0 || rem2.tv_nsec > 0);
  /* Absolute sleeps do not report a remainder. */
  struct timespec now, rem3 = {7, 7};
  clock_gettime(CLOCK_MONOTONIC, &now);
  now.tv_sec += 20;
  ualarm(50000, 50000);
  EQ("abs clock_nanosleep EINTR", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &now, &rem3), EINTR);
  ualarm(0, 0);
  EXPECT("abs remainder untouched", rem3.tv_sec == 7 && rem3.tv_nsec == 7);
  /* A signal that is ignored does not interrupt. */
  signal(SIGALRM, SIG_IGN);
  struct timespec shortreq = {0, 150 * 1000000};
  clock_gettime(CLOCK_MONOTONIC, &s);
  ualarm(50000, 0);
  OK("ignored signal does not interrupt", nanosleep(&shortreq, NULL));
  EXPECT("full sleep", t_ms_since(&s) >= 150);
  return t_done();
}
