/* getpid/getppid/gettid/getpgid/getsid: relations only. */
#include "t.h"
#include <pthread.h>
#include <sys/wait.h>

static pid_t thread_tid, thread_pid;
static void *thr(void *a) {
  thread_tid = gettid();
  thread_pid = getpid();
  return NULL;
}

int main(void) {
  pid_t pid = getpid();
  EXPECT("pid > 0", pid > 0);
  EXPECT("tid == pid in main thread", gettid() == pid);
  EXPECT("raw gettid", syscall(SYS_gettid) == pid);
  /* The sandbox's first process may be its PID namespace's init, whose
     ppid is 0; only relations that hold in both worlds are checked. */
  EXPECT("ppid != pid", getppid() != pid);
  EXPECT("ppid >= 0", getppid() >= 0);
  pthread_t t;
  pthread_create(&t, NULL, thr, NULL);
  pthread_join(t, NULL);
  EXPECT("thread shares pid", thread_pid == pid);
  EXPECT("thread tid differs", thread_tid != pid && thread_tid > 0);
  EXPECT("getpgid(0) > 0", getpgid(0) > 0);
  EXPECT("getpgid(0) == getpgrp", getpgid(0) == getpgrp());
  EXPECT("getsid(0) > 0", getsid(0) > 0);
  int p[2];
  pipe(p);
  pid_t c = fork();
  if (c == 0) {
    pid_t v[3] = {getpid(), getppid(), getpgid(0)};
    write(p[1], v, sizeof v);
    _exit(0);
  }
  pid_t v[3];
  read(p[0], v, sizeof v);
  int st;
  pid_t w = waitpid(c, &st, 0);
  EXPECT("fork returns child pid", v[0] == c);
  EXPECT("child's ppid is us", v[1] == pid);
  EXPECT("child inherits pgid", v[2] == getpgid(0));
  EXPECT("wait result == child pid", w == c);
  EXPECT("child pid != ours", c != pid);
  ERR("getpgid missing pid", getpgid(0x3fffffff), ESRCH);
  ERR("getsid missing pid", getsid(0x3fffffff), ESRCH);
  c = fork();
  if (c == 0) {
    int ok1 = setpgid(0, 0) == 0;
    _exit(ok1 && getpgid(0) == getpid() ? 0 : 1);
  }
  waitpid(c, &st, 0);
  EQ("child setpgid(0, 0) makes it a group leader", WEXITSTATUS(st), 0);
  ERR("setpgid missing pid", setpgid(0x3fffffff, 0), ESRCH);
  ERR("setpgid negative pgid", setpgid(0, -1), EINVAL);
  return t_done();
}
