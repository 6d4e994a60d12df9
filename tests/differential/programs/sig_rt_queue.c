/* Real-time signals queue (each instance delivered), lowest first;
   standard signals coalesce. */
#include "t.h"
#include <signal.h>

static int order[32], n;
static void h(int s, siginfo_t *si, void *u) {
  if (n < 32) order[n++] = s * 100 + si->si_value.sival_int;
}

int main(void) {
  struct sigaction sa = {0};
  sa.sa_sigaction = h;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGRTMIN, &sa, NULL);
  sigaction(SIGRTMIN + 2, &sa, NULL);
  sigaction(SIGUSR1, &sa, NULL);
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGRTMIN);
  sigaddset(&m, SIGRTMIN + 2);
  sigaddset(&m, SIGUSR1);
  sigprocmask(SIG_BLOCK, &m, NULL);
  union sigval v;
  for (int i = 1; i <= 3; i++) {
    v.sival_int = i;
    sigqueue(getpid(), SIGRTMIN + 2, v);
    sigqueue(getpid(), SIGRTMIN, v);
    sigqueue(getpid(), SIGUSR1, v);
  }
  sigprocmask(SIG_UNBLOCK, &m, NULL);
  EQ("deliveries", n, 7);
  for (int i = 0; i < n; i++) {
    int s = order[i] / 100, val = order[i] % 100;
    const char *name = s == SIGUSR1 ? "USR1" : s == SIGRTMIN ? "RTMIN" : "RTMIN+2";
    printf("delivery %d: %s value %d\n", i, name, val);
  }
  EQ("SIGRTMIN", SIGRTMIN, 34);
  EQ("SIGRTMAX", SIGRTMAX, 64);
  return t_done();
}
