/* Default actions: terminate, core, ignore, stop, continue. */
#include "t.h"
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

static int child_with(int sig, int *stopped) {
  int st;
  pid_t c = fork();
  if (c == 0) {
    /* A group of its own with the parent outside it is not orphaned, so
       job-control stop signals are not discarded (setsid'd callers too). */
    setpgid(0, 0);
    signal(sig, SIG_DFL);
    raise(sig);
    _exit(100); /* reached when the default action is ignore or continue */
  }
  waitpid(c, &st, WUNTRACED);
  *stopped = WIFSTOPPED(st);
  if (WIFSTOPPED(st)) {
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
  }
  return st;
}

int main(void) {
  struct rlimit r = {0, 0};
  setrlimit(RLIMIT_CORE, &r);
  static const struct { int sig; const char *name; } sigs[] = {
      {SIGHUP, "HUP"},   {SIGINT, "INT"},   {SIGQUIT, "QUIT"}, {SIGILL, "ILL"},
      {SIGTRAP, "TRAP"}, {SIGABRT, "ABRT"}, {SIGBUS, "BUS"},   {SIGFPE, "FPE"},
      {SIGUSR1, "USR1"}, {SIGSEGV, "SEGV"}, {SIGUSR2, "USR2"}, {SIGPIPE, "PIPE"},
      {SIGALRM, "ALRM"}, {SIGTERM, "TERM"}, {SIGCHLD, "CHLD"}, {SIGCONT, "CONT"},
      {SIGTSTP, "TSTP"}, {SIGTTIN, "TTIN"}, {SIGTTOU, "TTOU"}, {SIGURG, "URG"},
      {SIGXCPU, "XCPU"}, {SIGXFSZ, "XFSZ"}, {SIGVTALRM, "VTALRM"}, {SIGPROF, "PROF"},
      {SIGWINCH, "WINCH"}, {SIGSYS, "SYS"}, {SIGSTOP, "STOP"},  {34, "RTMIN"},
  };
  for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
    int stopped;
    int st = child_with(sigs[i].sig, &stopped);
    if (stopped)
      printf("SIG%s: stopped by %d\n", sigs[i].name, WSTOPSIG(st));
    else if (WIFSIGNALED(st))
      printf("SIG%s: killed by %d core=%d\n", sigs[i].name, WTERMSIG(st), WCOREDUMP(st) ? 1 : 0);
    else
      printf("SIG%s: exited %d\n", sigs[i].name, WEXITSTATUS(st));
  }
  return t_done();
}
