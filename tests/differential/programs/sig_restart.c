/* A signal during a blocking read: EINTR without SA_RESTART, transparent
   restart with it. The signal comes from a timer and from a second thread.

   Timing: a one-shot alarm set just before a blocking call can fire before
   the call blocks when the machine is loaded (CI runs at load 5-15 on two
   cores); the handler then runs first and the call blocks forever. So the
   timers here repeat (ualarm's interval) until the call returns, and the
   other threads wait until the main thread is really asleep in the call
   (/proc/self/task/TID/stat) before they act. */
#include "t.h"
#include <pthread.h>
#include <signal.h>

static volatile int hits;
static void h(int s) { hits++; }
static int wfd;
static pid_t main_tid;
static void *late_writer(void *a) {
  /* Write only after the handler ran during the read, and the read is
     asleep again (restarted): with SA_RESTART it then gets the data. */
  while (hits == 0) usleep(1000);
  t_wait_task_asleep(getpid(), main_tid);
  write(wfd, "late", 4);
  return NULL;
}
static void *signaller(void *a) {
  t_wait_task_asleep(getpid(), main_tid);
  kill(getpid(), SIGUSR1);
  return NULL;
}

int main(void) {
  int p[2];
  char buf[8];
  pipe(p);
  wfd = p[1];
  main_tid = gettid();
  struct sigaction sa = {0};
  sa.sa_handler = h;
  sigaction(SIGALRM, &sa, NULL);
  ualarm(50000, 50000);
  ERR("read interrupted by alarm: EINTR", read(p[0], buf, sizeof buf), EINTR);
  ualarm(0, 0);
  EXPECT("handler ran", hits >= 1);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  hits = 0;
  pthread_t t;
  pthread_create(&t, NULL, late_writer, NULL);
  ualarm(50000, 50000);
  EQ("SA_RESTART read completes", read(p[0], buf, sizeof buf), 4);
  ualarm(0, 0);
  EXPECT("handler ran during the read", hits >= 1);
  pthread_join(t, NULL);
  /* Signal from another thread, not restartable. */
  sa.sa_flags = 0;
  sigaction(SIGUSR1, &sa, NULL);
  hits = 0;
  pthread_create(&t, NULL, signaller, NULL);
  ERR("read interrupted from thread", read(p[0], buf, sizeof buf), EINTR);
  pthread_join(t, NULL);
  EQ("hits", hits, 1);
  /* A partial transfer is returned, not EINTR: write 200 KiB into a pipe
     that only holds 64 KiB, interrupt it. */
  sa.sa_flags = 0;
  sigaction(SIGALRM, &sa, NULL);
  static char big[200000];
  ualarm(50000, 50000);
  long n = write(p[1], big, sizeof big);
  ualarm(0, 0);
  EXPECT("interrupted write returns partial count", n > 0 && n < (long)sizeof big);
  EXPECT("partial is the pipe capacity", n == 65536);
  /* Syscalls that are never restarted: nanosleep -> EINTR even with SA_RESTART.  */
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  ualarm(30000, 30000);
  struct timespec ts = {30, 0};
  ERR("nanosleep never restarted", nanosleep(&ts, NULL), EINTR);
  ualarm(0, 0);
  return t_done();
}
