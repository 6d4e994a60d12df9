/* Across execve: handled signals reset to default, ignored stay ignored,
   the blocked mask and pending signals are kept. */
#include "t.h"
#include <signal.h>
#include <sys/wait.h>

static void h(int s) {}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0) {
    struct sigaction sa;
    sigaction(SIGUSR1, NULL, &sa);
    printf("child SIGUSR1: %s\n", sa.sa_handler == SIG_DFL ? "default" : "other");
    sigaction(SIGUSR2, NULL, &sa);
    printf("child SIGUSR2: %s\n", sa.sa_handler == SIG_IGN ? "ignored" : "other");
    sigaction(SIGTERM, NULL, &sa);
    printf("child SIGTERM: %s\n", sa.sa_handler == SIG_DFL ? "default" : "other");
    sigset_t m, p;
    sigprocmask(SIG_BLOCK, NULL, &m);
    printf("child SIGINT blocked: %d\n", sigismember(&m, SIGINT));
    printf("child SIGUSR1 blocked: %d\n", sigismember(&m, SIGUSR1));
    sigpending(&p);
    printf("child SIGINT pending: %d\n", sigismember(&p, SIGINT));
    stack_t ss;
    sigaltstack(NULL, &ss);
    printf("child altstack disabled: %d\n", (ss.ss_flags & SS_DISABLE) != 0);
    return 0;
  }
  struct sigaction sa = {0};
  sa.sa_handler = h;
  sigaction(SIGUSR1, &sa, NULL);
  sa.sa_handler = SIG_IGN;
  sigaction(SIGUSR2, &sa, NULL);
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGINT);
  sigprocmask(SIG_BLOCK, &m, NULL);
  static char alt[65536];
  stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0};
  sigaltstack(&ss, NULL);
  pid_t c = fork();
  if (c == 0) {
    kill(getpid(), SIGINT);
    char *av[] = {argv[0], "child", NULL};
    execv(argv[0], av);
    _exit(99);
  }
  int st;
  waitpid(c, &st, 0);
  EQ("child status", WEXITSTATUS(st), 0);
  return t_done();
}
