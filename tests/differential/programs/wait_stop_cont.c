/* WUNTRACED / WCONTINUED with SIGSTOP and SIGCONT. */
#include "t.h"
#include <signal.h>
#include <sys/wait.h>

int main(void) {
  int st;
  pid_t c = fork();
  if (c == 0) {
    setpgid(0, 0); /* not an orphaned group: SIGTSTP stops it */
    for (;;) pause();
  }
  setpgid(c, c); /* both sides, so it holds before any signal */
  kill(c, SIGSTOP);
  EXPECT("WUNTRACED reports stop", waitpid(c, &st, WUNTRACED) == c);
  EXPECT("WIFSTOPPED", WIFSTOPPED(st));
  EQ("WSTOPSIG", WSTOPSIG(st), SIGSTOP);
  EQ("stop reported once", waitpid(c, &st, WUNTRACED | WNOHANG), 0);
  kill(c, SIGCONT);
  EXPECT("WCONTINUED reports continue", waitpid(c, &st, WCONTINUED) == c);
  EXPECT("WIFCONTINUED", WIFCONTINUED(st));
  EQ("raw continued status", st, 0xffff);
  kill(c, SIGTSTP);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  EQ("waitid WSTOPPED", waitid(P_PID, c, &si, WSTOPPED), 0);
  EQ("si_code CLD_STOPPED", si.si_code, CLD_STOPPED);
  EQ("si_status SIGTSTP", si.si_status, SIGTSTP);
  kill(c, SIGCONT);
  memset(&si, 0, sizeof si);
  EQ("waitid WCONTINUED", waitid(P_PID, c, &si, WCONTINUED), 0);
  EQ("si_code CLD_CONTINUED", si.si_code, CLD_CONTINUED);
  EQ("si_status SIGCONT", si.si_status, SIGCONT);
  /* A stopped process still dies of SIGKILL. */
  kill(c, SIGSTOP);
  waitpid(c, &st, WUNTRACED);
  kill(c, SIGKILL);
  waitpid(c, &st, 0);
  EXPECT("killed while stopped", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  /* SIGTERM to a stopped process is held until SIGCONT. */
  c = fork();
  if (c == 0) { for (;;) pause(); }
  kill(c, SIGSTOP);
  waitpid(c, &st, WUNTRACED);
  kill(c, SIGTERM);
  usleep(30000);
  EQ("still stopped (no exit yet)", waitpid(c, &st, WNOHANG), 0);
  kill(c, SIGCONT);
  waitpid(c, &st, 0);
  EXPECT("then dies of SIGTERM", WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
  return t_done();
}
