/* A signal during a blocking read: EINTR without SA_RESTART, transparent
   restart with it. The signal comes from alarm() and from a second thread. */
#include "t.h"
#include <pthread.h>
#include <signal.h>

static volatile int hits;
static void h(int s) { hits++; }
static int wfd;
static void *late_writer(void *a) {
  usleep(150000);
  write(wfd, "late", 4);
  return NULL;
}
static void *signaller(void *a) {
  usleep(50000);
  kill(getpid(), SIGUSR1);
  return NULL;
}

int main(void) {
  int p[2];
  char buf[8];
  pipe(p);
  wfd = p[1];
  struct sigaction sa = {0};
  sa.sa_handler = h;
  sigaction(SIGALRM, &sa, NULL);
  ualarm(50000, 0);
  ERR("read interrupted by alarm: EINTR", read(p[0], buf, sizeof buf), EINTR);
  EQ("handler ran", hits, 1);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  pthread_t t;
  pthread_create(&t, NULL, late_writer, NULL);
  ualarm(50000, 0);
  EQ("SA_RESTART read completes", read(p[0], buf, sizeof buf), 4);
  EQ("handler ran again", hits, 2);
  pthread_join(t, NULL);
  /* Signal from another thread, not restartable. */
  sa.sa_flags = 0;
  sigaction(SIGUSR1, &sa, NULL);
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGUSR1);
  pthread_create(&t, NULL, signaller, NULL);
  ERR("read interrupted from thread", read(p[0], buf, sizeof buf), EINTR);
  pthread_join(t, NULL);
  EQ("hits", hits, 3);
  /* A partial transfer is returned, not EINTR: write 200 KiB into a pipe
     that only holds 64 KiB, interrupt it. */
  sa.sa_flags = 0;
  sigaction(SIGALRM, &sa, NULL);
  static char big[200000];
  ualarm(50000, 0);
  long n = write(p[1], big, sizeof big);
  EXPECT("interrupted write returns partial count", n > 0 && n < (long)sizeof big);
  EXPECT("partial is the pipe capacity", n == 65536);
  /* Syscalls that are never restarted: nanosleep -> EINTR even with SA_RESTART.  */
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  ualarm(30000, 0);
  struct timespec ts = {1, 0};
  ERR("nanosleep never restarted", nanosleep(&ts, NULL), EINTR);
  return t_done();
}
