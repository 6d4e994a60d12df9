/* clone3: fork-like use, exit_signal, pidfd, child tid, errors. */
#include "t.h"
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

static volatile sig_atomic_t got_usr1;
static void h(int s) { got_usr1 = 1; }

int main(void) {
  struct clone_args ca;
  int st;
  memset(&ca, 0, sizeof ca);
  ca.exit_signal = SIGCHLD;
  long c = syscall(SYS_clone3, &ca, sizeof ca);
  if (c == 0) _exit(12);
  EXPECT("clone3 returns pid", c > 0);
  EXPECT("waitpid returns child", waitpid(c, &st, 0) == c);
  EQ("status", WEXITSTATUS(st), 12);
  /* exit_signal SIGUSR1: the parent gets SIGUSR1, and needs __WALL/__WCLONE to wait. */
  signal(SIGUSR1, h);
  memset(&ca, 0, sizeof ca);
  ca.exit_signal = SIGUSR1;
  c = syscall(SYS_clone3, &ca, sizeof ca);
  if (c == 0) _exit(13);
  EXPECT("waitpid __WCLONE", waitpid(c, &st, __WCLONE) == c);
  EQ("status", WEXITSTATUS(st), 13);
  EQ("parent got SIGUSR1", got_usr1, 1);
  int pidfd = -1;
  pid_t ptid = 0;
  memset(&ca, 0, sizeof ca);
  ca.flags = CLONE_PIDFD | CLONE_PARENT_SETTID;
  ca.pidfd = (uintptr_t)&pidfd;
  ca.parent_tid = (uintptr_t)&ptid;
  ca.exit_signal = SIGCHLD;
  c = syscall(SYS_clone3, &ca, sizeof ca);
  if (c == 0) { usleep(50000); _exit(14); }
  EXPECT("pidfd returned", pidfd >= 0);
  EXPECT("parent_tid stored", ptid == c);
  struct pollfd pfd = {pidfd, POLLIN, 0};
  /* The timeout only bounds a failure: a loaded machine may take seconds. */
  EQ("pidfd readable at exit", poll(&pfd, 1, 30000), 1);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  EQ("waitid P_PIDFD", waitid(P_PIDFD, pidfd, &si, WEXITED), 0);
  EQ("si_status", si.si_status, 14);
  memset(&ca, 0, sizeof ca);
  ERR("size too small", syscall(SYS_clone3, &ca, 16), EINVAL);
  ca.exit_signal = 200;
  ERR("bad exit_signal", syscall(SYS_clone3, &ca, sizeof ca), EINVAL);
  memset(&ca, 0, sizeof ca);
  ca.flags = CLONE_THREAD;
  ERR("THREAD without SIGHAND|VM", syscall(SYS_clone3, &ca, sizeof ca), EINVAL);
  memset(&ca, 0, sizeof ca);
  ca.stack_size = 4096;
  ERR("stack_size without stack", syscall(SYS_clone3, &ca, sizeof ca), EINVAL);
  ERR("bad pointer", syscall(SYS_clone3, (void *)8, sizeof ca), EFAULT);
  char big[sizeof ca + 8];
  memset(big, 0, sizeof big);
  big[sizeof ca] = 1;
  ERR("non-zero bytes past known size", syscall(SYS_clone3, big, sizeof big), E2BIG);
  return t_done();
}
