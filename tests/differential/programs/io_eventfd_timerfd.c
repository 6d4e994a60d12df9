/* eventfd, timerfd and signalfd. */
#include "t.h"
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>

int main(void) {
  uint64_t v;
  int e = eventfd(3, EFD_NONBLOCK);
  EQ("read initial", read(e, &v, 8), 8);
  EQ("value 3", v, 3);
  ERR("empty: EAGAIN", read(e, &v, 8), EAGAIN);
  v = 5;
  write(e, &v, 8);
  write(e, &v, 8);
  read(e, &v, 8);
  EQ("writes add up", v, 10);
  ERR("short read", read(e, &v, 4), EINVAL);
  v = UINT64_MAX;
  ERR("write max", write(e, &v, 8), EINVAL);
  int sem = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
  read(sem, &v, 8);
  EQ("semaphore reads 1", v, 1);
  read(sem, &v, 8);
  ERR("semaphore drained", read(sem, &v, 8), EAGAIN);
  ERR("eventfd bad flags", eventfd(0, 0x12345), EINVAL);
  int t = timerfd_create(CLOCK_MONOTONIC, 0);
  struct itimerspec its = {.it_interval = {0, 20000000}, .it_value = {0, 20000000}};
  struct timespec s;
  clock_gettime(CLOCK_MONOTONIC, &s);
  OK("timerfd_settime", timerfd_settime(t, 0, &its, NULL));
  EQ("first expiry blocks then reads", read(t, &v, 8), 8);
  EXPECT("expirations >= 1", v >= 1);
  EXPECT("after >= 20ms", t_ms_since(&s) >= 20);
  usleep(70000);
  read(t, &v, 8);
  EXPECT("periodic expirations accumulate (>= 2)", v >= 2);
  struct itimerspec cur;
  OK("timerfd_gettime", timerfd_gettime(t, &cur));
  EXPECT("interval kept", cur.it_interval.tv_nsec == 20000000);
  struct itimerspec off = {0};
  timerfd_settime(t, 0, &off, NULL);
  fcntl(t, F_SETFL, O_NONBLOCK);
  ERR("disarmed: EAGAIN", read(t, &v, 8), EAGAIN);
  ERR("timerfd bad clock", timerfd_create(1234, 0), EINVAL);
  struct itimerspec bad = {.it_value = {0, 1000000000}};
  ERR("bad nsec", timerfd_settime(t, 0, &bad, NULL), EINVAL);
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGUSR1);
  sigprocmask(SIG_BLOCK, &m, NULL);
  int sfd = signalfd(-1, &m, SFD_NONBLOCK);
  EXPECT("signalfd", sfd >= 0);
  struct signalfd_siginfo si;
  ERR("nothing pending", read(sfd, &si, sizeof si), EAGAIN);
  union sigval val = {.sival_int = 77};
  sigqueue(getpid(), SIGUSR1, val);
  EQ("read siginfo", read(sfd, &si, sizeof si), (long)sizeof si);
  EQ("ssi_signo", si.ssi_signo, SIGUSR1);
  EQ("ssi_code SI_QUEUE", si.ssi_code, SI_QUEUE);
  EQ("ssi_int", si.ssi_int, 77);
  sigset_t p;
  sigpending(&p);
  EQ("consumed", sigismember(&p, SIGUSR1), 0);
  ERR("short buffer", read(sfd, &si, 8), EINVAL);
  return t_done();
}
