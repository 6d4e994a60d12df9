/* getrlimit/setrlimit/prlimit64: RLIMIT_NOFILE enforcement and errors. */
#include "t.h"
#include <sys/resource.h>

int main(void) {
  struct rlimit r, old;
  OK("getrlimit NOFILE", getrlimit(RLIMIT_NOFILE, &old));
  EXPECT("soft <= hard", old.rlim_cur <= old.rlim_max);
  r.rlim_cur = 10;
  r.rlim_max = old.rlim_max;
  OK("lower soft", setrlimit(RLIMIT_NOFILE, &r));
  int last = -1, fd;
  while ((fd = open("/dev/null", O_RDONLY)) >= 0) last = fd;
  int e = errno;
  EQ("EMFILE at soft limit", e, EMFILE);
  EQ("highest fd", last, 9);
  ERR("dup2 beyond limit", dup2(0, 10), EBADF);
  ERR("F_DUPFD beyond limit", fcntl(0, F_DUPFD, 10), EINVAL);
  for (int i = 3; i <= 9; i++) close(i);
  struct rlimit bad = {20, 10};
  ERR("soft > hard", setrlimit(RLIMIT_NOFILE, &bad), EINVAL);
  ERR("bad resource", getrlimit(1000, &r), EINVAL);
  struct rlimit got;
  OK("prlimit64 get", prlimit(0, RLIMIT_NOFILE, NULL, &got));
  EQ("prlimit sees 10", got.rlim_cur, 10);
  struct rlimit nw = {64, old.rlim_max};
  OK("prlimit64 set+get", prlimit(0, RLIMIT_NOFILE, &nw, &got));
  EQ("old value returned", got.rlim_cur, 10);
  getrlimit(RLIMIT_NOFILE, &got);
  EQ("new value", got.rlim_cur, 64);
  ERR("prlimit missing pid", prlimit(0x3fffffff, RLIMIT_NOFILE, NULL, &got), ESRCH);
  OK("getrlimit STACK", getrlimit(RLIMIT_STACK, &got));
  EXPECT("stack limit >= 1MiB", got.rlim_cur >= (1 << 20));
  OK("getrlimit AS", getrlimit(RLIMIT_AS, &got));
  r.rlim_cur = r.rlim_max = 0;
  OK("RLIMIT_CORE 0", setrlimit(RLIMIT_CORE, &r));
  getrlimit(RLIMIT_CORE, &got);
  EQ("core 0", got.rlim_max, 0);
  ERR("bad pointer", syscall(SYS_getrlimit, RLIMIT_NOFILE, (void *)8), EFAULT);
  return t_done();
}
