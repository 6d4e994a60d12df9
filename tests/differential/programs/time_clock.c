/* clock_gettime/clock_getres/gettimeofday/time: relations. */
#include "t.h"
#include <sys/time.h>
#include <time.h>

int main(void) {
  struct timespec a, b, r;
  OK("MONOTONIC", clock_gettime(CLOCK_MONOTONIC, &a));
  int mono = 1;
  for (int i = 0; i < 1000; i++) {
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (b.tv_sec < a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec < a.tv_nsec)) mono = 0;
    a = b;
  }
  EXPECT("monotonic never goes back", mono);
  EXPECT("nsec in range", b.tv_nsec >= 0 && b.tv_nsec < 1000000000);
  OK("REALTIME", clock_gettime(CLOCK_REALTIME, &a));
  EXPECT("realtime after 2020", a.tv_sec > 1577836800);
  struct timeval tv;
  OK("gettimeofday", gettimeofday(&tv, NULL));
  /* "Close" allows for a loaded machine stalling the process between the
     calls (seconds at CI load 15); it still catches ms-for-s mix-ups. */
  EXPECT("gettimeofday close to realtime", tv.tv_sec - a.tv_sec >= 0 && tv.tv_sec - a.tv_sec <= 10);
  time_t t = time(NULL);
  /* time() reads the coarse realtime clock (updated once per tick), so just
     after a second boundary it can still show the previous second while
     clock_gettime(CLOCK_REALTIME) already shows the new one. */
  EXPECT("time close", t - a.tv_sec >= -1 && t - a.tv_sec <= 10);
  EXPECT("raw time syscall", labs(syscall(SYS_time, NULL) - t) <= 10);
  OK("BOOTTIME", clock_gettime(CLOCK_BOOTTIME, &a));
  OK("MONOTONIC_RAW", clock_gettime(CLOCK_MONOTONIC_RAW, &a));
  OK("MONOTONIC_COARSE", clock_gettime(CLOCK_MONOTONIC_COARSE, &a));
  OK("PROCESS_CPUTIME", clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a));
  OK("THREAD_CPUTIME", clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a));
  OK("getres MONOTONIC", clock_getres(CLOCK_MONOTONIC, &r));
  EXPECT("res is 1ns", r.tv_sec == 0 && r.tv_nsec == 1);
  OK("getres NULL", clock_getres(CLOCK_REALTIME, NULL));
  ERR("bad clock", syscall(SYS_clock_gettime, 1234, &a), EINVAL);
  ERR("bad pointer", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)8), EFAULT);
  ERR("settime as ... bad clock", syscall(SYS_clock_settime, CLOCK_MONOTONIC, &a), EINVAL);
  /* CPU time advances with work. */
  struct timespec c0, c1;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
  volatile unsigned long x = 0;
  for (unsigned long i = 0; i < 30000000; i++) x += i;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
  EXPECT("cpu time advanced", c1.tv_sec > c0.tv_sec || c1.tv_nsec > c0.tv_nsec);
  return t_done();
}
