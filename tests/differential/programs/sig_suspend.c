/* sigsuspend: atomically unblocks, waits, returns EINTR, restores the mask. */
#include "t.h"
#include <signal.h>
#include <sys/wait.h>

static volatile int hits, blocked_in_handler;
static void h(int s) {
  sigset_t cur;
  sigprocmask(SIG_BLOCK, NULL, &cur);
  blocked_in_handler = sigismember(&cur, SIGUSR2);
  hits++;
}

int main(void) {
  sigset_t block, wait_mask, after;
  signal(SIGUSR1, h);
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigaddset(&block, SIGUSR2);
  sigprocmask(SIG_BLOCK, &block, NULL);
  raise(SIGUSR1); /* pending before the suspend */
  sigemptyset(&wait_mask);
  sigaddset(&wait_mask, SIGUSR2);
  ERR("sigsuspend", sigsuspend(&wait_mask), EINTR);
  EQ("handler ran", hits, 1);
  EQ("suspend mask active in handler", blocked_in_handler, 1);
  sigprocmask(SIG_BLOCK, NULL, &after);
  EQ("mask restored: USR1 blocked again", sigismember(&after, SIGUSR1), 1);
  /* Signal from a child while suspended. */
  pid_t c = fork();
  if (c == 0) {
    usleep(50000);
    kill(getppid(), SIGUSR1);
    _exit(0);
  }
  ERR("woken by child's kill", sigsuspend(&wait_mask), EINTR);
  EQ("handler ran twice", hits, 2);
  waitpid(c, NULL, 0);
  /* pause() returns EINTR after a handled signal. */
  sigprocmask(SIG_UNBLOCK, &block, NULL);
  c = fork();
  if (c == 0) {
    /* SIGUSR1 is unblocked now: sent before the parent is in pause(), its
       handler would run early and pause() would never return. So wait
       until the parent sleeps (a fixed delay is too short under load). */
    t_wait_task_asleep(getppid(), getppid());
    kill(getppid(), SIGUSR1);
    _exit(0);
  }
  ERR("pause", pause(), EINTR);
  waitpid(c, NULL, 0);
  EQ("hits", hits, 3);
  return t_done();
}
