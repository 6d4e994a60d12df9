/* nanosleep/clock_nanosleep: durations are at least what was asked. */
#include "t.h"
#include <time.h>

int main(void) {
  struct timespec s, req = {0, 100 * 1000000};
  clock_gettime(CLOCK_MONOTONIC, &s);
  OK("nanosleep 100ms", nanosleep(&req, NULL));
  long ms = t_ms_since(&s);
  EXPECT("elapsed >= 100ms", ms >= 100);
  /* Only catches a unit mix-up (100 s for 100 ms): a loaded CI machine can
     delay the wake-up by seconds. */
  EXPECT("elapsed < 10s", ms < 10000);
  struct timespec bad = {0, 1000000000};
  ERR("nsec too big", nanosleep(&bad, NULL), EINVAL);
  struct timespec neg = {-1, 0};
  ERR("negative", nanosleep(&neg, NULL), EINVAL);
  struct timespec zero = {0, 0};
  OK("zero", nanosleep(&zero, NULL));
  ERR("bad pointer", syscall(SYS_nanosleep, (void *)8, NULL), EFAULT);
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  struct timespec until = now;
  until.tv_nsec += 50 * 1000000;
  if (until.tv_nsec >= 1000000000) { until.tv_sec++; until.tv_nsec -= 1000000000; }
  clock_gettime(CLOCK_MONOTONIC, &s);
  EQ("clock_nanosleep ABSTIME", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL), 0);
  EXPECT("abs elapsed >= 49ms", t_ms_since(&s) >= 49);
  EQ("ABSTIME in the past", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &now, NULL), 0);
  struct timespec rel = {0, 30 * 1000000};
  clock_gettime(CLOCK_MONOTONIC, &s);
  EQ("clock_nanosleep relative", clock_nanosleep(CLOCK_REALTIME, 0, &rel, NULL), 0);
  EXPECT("relative elapsed >= 30ms", t_ms_since(&s) >= 30);
  EQ("bad clock", clock_nanosleep(1234, 0, &rel, NULL), EINVAL);
  EQ("thread cputime clock", clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &rel, NULL), EINVAL);
  clock_gettime(CLOCK_MONOTONIC, &s);
  usleep(20000);
  EXPECT("usleep 20ms", t_ms_since(&s) >= 20);
  return t_done();
}
