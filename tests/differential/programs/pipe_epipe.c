/* Writing to a pipe with no readers: SIGPIPE, or EPIPE when it is ignored. */
#include "t.h"
#include <signal.h>
#include <sys/wait.h>

static volatile sig_atomic_t got;
static void h(int s) { got = s; }

int main(void) {
  int p[2], st;
  pipe(p);
  close(p[0]);
  pid_t c = fork();
  if (c == 0) {
    write(p[1], "x", 1);
    _exit(0); /* not reached */
  }
  waitpid(c, &st, 0);
  EXPECT("child killed", WIFSIGNALED(st));
  EQ("by SIGPIPE", WTERMSIG(st), SIGPIPE);
  signal(SIGPIPE, SIG_IGN);
  ERR("ignored: EPIPE", write(p[1], "x", 1), EPIPE);
  struct sigaction sa = {0};
  sa.sa_handler = h;
  sigaction(SIGPIPE, &sa, NULL);
  ERR("caught: EPIPE", write(p[1], "x", 1), EPIPE);
  EQ("handler ran", got, SIGPIPE);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  sigprocmask(SIG_BLOCK, &set, NULL);
  got = 0;
  ERR("blocked: EPIPE", write(p[1], "x", 1), EPIPE);
  sigset_t pend;
  sigpending(&pend);
  EQ("SIGPIPE pending", sigismember(&pend, SIGPIPE), 1);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  EQ("delivered on unblock", got, SIGPIPE);
  /* Readers gone after data was queued: still EPIPE. */
  int q[2];
  pipe(q);
  write(q[1], "abc", 3);
  close(q[0]);
  ERR("EPIPE with data queued", write(q[1], "d", 1), EPIPE);
  return t_done();
}
