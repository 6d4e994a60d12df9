/* kill/tgkill/tkill argument handling. */
#include "t.h"
#include <signal.h>
#include <sys/wait.h>

int main(void) {
  setpgid(0, 0); /* our own group: kill(0, ...) reaches nobody outside */
  OK("kill self sig 0", kill(getpid(), 0));
  ERR("kill missing pid", kill(0x3fffffff, 0), ESRCH);
  ERR("kill bad signal", kill(getpid(), 65), EINVAL);
  ERR("kill negative signal", kill(getpid(), -1), EINVAL);
  OK("kill group sig 0", kill(0, 0));
  ERR("kill missing group", kill(-0x3fffffff, 0), ESRCH);
  OK("tgkill self 0", syscall(SYS_tgkill, getpid(), gettid(), 0));
  ERR("tgkill wrong tgid", syscall(SYS_tgkill, 0x3fffffff, gettid(), 0), ESRCH);
  ERR("tgkill tgid 0", syscall(SYS_tgkill, 0, gettid(), 0), EINVAL);
  ERR("tgkill tid 0", syscall(SYS_tgkill, getpid(), 0, 0), EINVAL);
  ERR("tkill bad tid", syscall(SYS_tkill, -1, 0), EINVAL);
  ERR("tkill missing", syscall(SYS_tkill, 0x3fffffff, 0), ESRCH);
  /* kill(-1, sig) signals every process we may signal except ourselves and init;
     here, inside a fresh group, a child gets it. Use sig 0 only. */
  pid_t c = fork();
  if (c == 0) { for (;;) pause(); }
  OK("kill child sig 0", kill(c, 0));
  OK("kill child SIGTERM", kill(c, SIGTERM));
  int st;
  waitpid(c, &st, 0);
  EXPECT("child killed", WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
  /* Sending to our own process group reaches a child in the group. */
  c = fork();
  if (c == 0) { signal(SIGUSR1, SIG_DFL); for (;;) pause(); }
  signal(SIGUSR1, SIG_IGN);
  usleep(20000);
  OK("kill(0, SIGUSR1)", kill(0, SIGUSR1));
  waitpid(c, &st, 0);
  EXPECT("group member killed", WIFSIGNALED(st) && WTERMSIG(st) == SIGUSR1);
  return t_done();
}
