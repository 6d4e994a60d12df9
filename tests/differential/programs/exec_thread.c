/* A non-leader thread calls execve: the new image keeps the process's pid
   and the other threads are gone. */
#include "t.h"
#include <dirent.h>
#include <pthread.h>
#include <sys/wait.h>

static char *self;
static char pidarg[32];

static void *thr(void *a) {
  char *av[] = {self, "after", pidarg, NULL};
  execv(self, av);
  printf("exec failed FAIL\n");
  _exit(98);
}
static void *sleeper(void *a) {
  for (;;) pause();
  return NULL;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "after") == 0) {
    printf("after exec: pid %s\n", atoi(argv[2]) == getpid() ? "== old pid" : "!= old pid");
    printf("after exec: tid %s\n", gettid() == getpid() ? "== pid" : "!= pid");
    int threads = 0;
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    while (d && (e = readdir(d))) if (e->d_name[0] != '.') threads++;
    printf("after exec: threads %d\n", threads);
    return 5;
  }
  self = argv[0];
  pid_t c = fork();
  if (c == 0) {
    snprintf(pidarg, sizeof pidarg, "%d", getpid());
    pthread_t a, b;
    pthread_create(&b, NULL, sleeper, NULL);
    pthread_create(&a, NULL, thr, NULL);
    for (;;) pause();
  }
  int st;
  pid_t w = waitpid(c, &st, 0);
  EXPECT("wait returns the original pid", w == c);
  EXPECT("exited normally", WIFEXITED(st));
  EQ("exit status", WEXITSTATUS(st), 5);
  return t_done();
}
