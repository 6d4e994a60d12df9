/* waitid: P_PID/P_ALL/P_PGID, si_code for exit and kill, WNOHANG, errors. */
#include "t.h"
#include <signal.h>
#include <sys/wait.h>

int main(void) {
  siginfo_t si;
  pid_t c = fork();
  if (c == 0) _exit(77);
  memset(&si, 0, sizeof si);
  EQ("P_PID", waitid(P_PID, c, &si, WEXITED), 0);
  EQ("si_signo SIGCHLD", si.si_signo, SIGCHLD);
  EQ("si_code CLD_EXITED", si.si_code, CLD_EXITED);
  EQ("si_status 77", si.si_status, 77);
  EXPECT("si_pid", si.si_pid == c);
  EXPECT("si_uid", si.si_uid == getuid());
  c = fork();
  if (c == 0) { for (;;) pause(); }
  kill(c, SIGKILL);
  memset(&si, 0, sizeof si);
  EQ("P_ALL", waitid(P_ALL, 0, &si, WEXITED), 0);
  EQ("si_code CLD_KILLED", si.si_code, CLD_KILLED);
  EQ("si_status SIGKILL", si.si_status, SIGKILL);
  c = fork();
  if (c == 0) { for (;;) pause(); }
  memset(&si, 0xff, sizeof si);
  EQ("WNOHANG running", waitid(P_PID, c, &si, WEXITED | WNOHANG), 0);
  EQ("si_pid zeroed when nothing", si.si_pid, 0);
  kill(c, SIGTERM);
  EQ("P_PGID", waitid(P_PGID, getpgid(0), &si, WEXITED), 0);
  EQ("si_status SIGTERM", si.si_status, SIGTERM);
  ERR("no options", waitid(P_ALL, 0, &si, 0), EINVAL);
  ERR("bad idtype", waitid(42, 0, &si, WEXITED), EINVAL);
  ERR("no children", waitid(P_ALL, 0, &si, WEXITED), ECHILD);
  /* SIGABRT dumps core (status CLD_DUMPED) unless RLIMIT_CORE is 0... the
     code stays CLD_KILLED when no core is written. */
  c = fork();
  if (c == 0) abort();
  memset(&si, 0, sizeof si);
  waitid(P_PID, c, &si, WEXITED);
  EQ("abort signal", si.si_status, SIGABRT);
  EXPECT("abort code killed or dumped", si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED);
  return t_done();
}
