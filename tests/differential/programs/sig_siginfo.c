/* SA_SIGINFO: si_code and fields for kill, tgkill, sigqueue, raise. */
#include "t.h"
#include <signal.h>

static volatile int signo, scode, sval, spid_ok, suid_ok, count;
static void h(int s, siginfo_t *si, void *uc) {
  signo = si->si_signo;
  scode = si->si_code;
  sval = si->si_value.sival_int;
  spid_ok = si->si_pid == getpid();
  suid_ok = si->si_uid == getuid();
  count++;
}

int main(void) {
  struct sigaction sa = {0};
  sa.sa_sigaction = h;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGRTMIN, &sa, NULL);
  kill(getpid(), SIGUSR1);
  EQ("kill: signo", signo, SIGUSR1);
  EQ("kill: SI_USER", scode, SI_USER);
  EQ("kill: si_pid is sender", spid_ok, 1);
  EQ("kill: si_uid", suid_ok, 1);
  syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1);
  EQ("tgkill: SI_TKILL", scode, SI_TKILL);
  syscall(SYS_tkill, gettid(), SIGUSR1);
  EQ("tkill: SI_TKILL", scode, SI_TKILL);
  union sigval v = {.sival_int = 4242};
  OK("sigqueue", sigqueue(getpid(), SIGUSR1, v));
  EQ("sigqueue: SI_QUEUE", scode, SI_QUEUE);
  EQ("sigqueue: value", sval, 4242);
  v.sival_int = -7;
  sigqueue(getpid(), SIGRTMIN, v);
  EQ("rt sigqueue value", sval, -7);
  EQ("rt signo", signo, SIGRTMIN);
  raise(SIGUSR1);
  EQ("raise is tgkill", scode, SI_TKILL);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  si.si_code = SI_QUEUE;
  si.si_value.sival_int = 99;
  si.si_pid = getpid();
  si.si_uid = getuid();
  OK("rt_sigqueueinfo to self", syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, &si));
  EQ("queueinfo value", sval, 99);
  EQ("handler count", count, 7);
  ERR("sigqueue bad signal", sigqueue(getpid(), 0xff, v), EINVAL);
  ERR("sigqueue missing pid", sigqueue(0x3fffffff, SIGUSR1, v), ESRCH);
  return t_done();
}
