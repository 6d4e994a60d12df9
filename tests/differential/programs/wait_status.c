/* Exit status encoding: exit codes modulo 256, termination by signals. */
#include "t.h"
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

static int run_exit(int code) {
  int st;
  pid_t c = fork();
  if (c == 0) _exit(code);
  waitpid(c, &st, 0);
  return st;
}
static int run_sig(int sig) {
  int st;
  pid_t c = fork();
  if (c == 0) {
    signal(sig, SIG_DFL);
    kill(getpid(), sig);
    for (;;) pause();
  }
  waitpid(c, &st, 0);
  return st;
}

int main(void) {
  struct rlimit r = {0, 0};
  setrlimit(RLIMIT_CORE, &r);
  EQ("exit 0 raw", run_exit(0), 0);
  EQ("exit 1 raw", run_exit(1), 0x100);
  EQ("exit 255 raw", run_exit(255), 0xff00);
  EQ("exit 256 -> 0", run_exit(256), 0);
  EQ("exit -1 -> 255", WEXITSTATUS(run_exit(-1)), 255);
  int st = run_sig(SIGTERM);
  EXPECT("SIGTERM signaled", WIFSIGNALED(st) && !WIFEXITED(st));
  EQ("SIGTERM raw", st, SIGTERM);
  EQ("SIGKILL raw", run_sig(SIGKILL), SIGKILL);
  EQ("SIGSEGV raw (no core: RLIMIT_CORE 0)", run_sig(SIGSEGV), SIGSEGV);
  EQ("SIGUSR1 raw", run_sig(SIGUSR1), SIGUSR1);
  EQ("SIGALRM", run_sig(SIGALRM), SIGALRM);
  /* exit_group from a thread-less process, and the raw exit syscall. */
  pid_t c = fork();
  if (c == 0) syscall(SYS_exit_group, 44);
  waitpid(c, &st, 0);
  EQ("exit_group", WEXITSTATUS(st), 44);
  c = fork();
  if (c == 0) syscall(SYS_exit, 45);
  waitpid(c, &st, 0);
  EQ("exit (single thread)", WEXITSTATUS(st), 45);
  /* atexit handlers and stdio flush run on exit(), not on _exit(). */
  int p[2];
  pipe(p);
  c = fork();
  if (c == 0) {
    dup2(p[1], 1);
    printf("buffered");
    setvbuf(stdout, NULL, _IOFBF, 0);
    exit(0);
  }
  waitpid(c, &st, 0);
  char buf[16] = {0};
  read(p[0], buf, sizeof buf - 1);
  STREQ("exit flushes stdio", buf, "buffered");
  return t_done();
}
