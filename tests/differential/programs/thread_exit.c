/* Thread exits: pthread_exit in main leaves the process running; exit_group
   from any thread ends all; the last thread's exit sets the status. */
#include "t.h"
#include <pthread.h>
#include <sys/wait.h>

static void *late(void *a) {
  usleep(50000);
  printf("late thread still runs after main's pthread_exit\n");
  fflush(stdout);
  return NULL; /* last thread: process exits with status 0 */
}
static void *exiter(void *a) {
  usleep(20000);
  exit(23); /* exit_group from a non-main thread */
}
static void *spinner(void *a) {
  for (;;) usleep(1000);
  return NULL;
}
static void *raw_exit(void *a) {
  usleep(20000);
  syscall(SYS_exit, 0); /* only this thread */
  return NULL;
}

int main(int argc, char **argv) {
  int st;
  pid_t c = fork();
  if (c == 0) {
    pthread_t t;
    pthread_create(&t, NULL, late, NULL);
    pthread_exit(NULL);
  }
  waitpid(c, &st, 0);
  EXPECT("process outlives main thread", WIFEXITED(st) && WEXITSTATUS(st) == 0);
  c = fork();
  if (c == 0) {
    pthread_t t1, t2;
    pthread_create(&t1, NULL, spinner, NULL);
    pthread_create(&t2, NULL, exiter, NULL);
    for (;;) pause();
  }
  waitpid(c, &st, 0);
  EQ("exit() in a thread ends the process", WEXITSTATUS(st), 23);
  c = fork();
  if (c == 0) {
    pthread_t t;
    pthread_create(&t, NULL, raw_exit, NULL);
    pthread_join(t, NULL);
    _exit(24);
  }
  waitpid(c, &st, 0);
  EQ("SYS_exit ends one thread only", WEXITSTATUS(st), 24);
  c = fork();
  if (c == 0) {
    pthread_t t;
    pthread_create(&t, NULL, spinner, NULL);
    usleep(20000);
    *(volatile int *)8 = 0; /* a fault kills every thread */
  }
  waitpid(c, &st, 0);
  EXPECT("fault kills the whole process", WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
  return t_done();
}
