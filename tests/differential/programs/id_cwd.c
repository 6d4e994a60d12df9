/* getcwd/chdir/fchdir. The start directory's path is never printed. */
#include "t.h"
#include <limits.h>
#include <sys/stat.h>

int main(void) {
  char start[PATH_MAX], buf[PATH_MAX];
  EXPECT("getcwd", getcwd(start, sizeof start) != NULL);
  EXPECT("absolute", start[0] == '/');
  mkdir("sub", 0755);
  OK("chdir", chdir("sub"));
  getcwd(buf, sizeof buf);
  const char *tail = buf + strlen(start);
  EXPECT("prefix kept", strncmp(buf, start, strlen(start)) == 0);
  STREQ("new cwd tail", tail, "/sub");
  int fd = open("..", O_RDONLY);
  OK("fchdir", fchdir(fd));
  EXPECT("back", strcmp(getcwd(buf, sizeof buf), start) == 0);
  close(open("file", O_CREAT | O_WRONLY, 0644));
  ERR("chdir file", chdir("file"), ENOTDIR);
  ERR("chdir missing", chdir("nope"), ENOENT);
  int ffd = open("file", O_RDONLY);
  ERR("fchdir file", fchdir(ffd), ENOTDIR);
  ERR("fchdir bad fd", fchdir(99), EBADF);
  ERR("getcwd size 1", (long)syscall(SYS_getcwd, buf, 1), ERANGE);
  ERR("getcwd size 0", (long)syscall(SYS_getcwd, buf, 0), ERANGE);
  long n = syscall(SYS_getcwd, buf, sizeof buf);
  EQ("raw getcwd returns length incl NUL", n, (long)strlen(start) + 1);
  ERR("getcwd bad buffer", (long)syscall(SYS_getcwd, (void *)8, sizeof buf), EFAULT);
  chdir("/");
  STREQ("root", getcwd(buf, sizeof buf), "/");
  chdir("/usr/bin/../lib");
  STREQ("normalised", getcwd(buf, sizeof buf), "/usr/lib");
  chdir(start);
  chdir("sub");
  rmdir("../sub");
  ERR("cwd removed: getcwd", (long)syscall(SYS_getcwd, buf, sizeof buf), ENOENT);
  ERR("create in removed cwd", open("x", O_CREAT | O_WRONLY, 0644), ENOENT);
  return t_done();
}
