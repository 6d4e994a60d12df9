/* execve errors: ENOENT, EACCES, ENOEXEC, ENOTDIR, EFAULT; the caller survives. */
#include "t.h"
#include <sys/stat.h>

int main(int argc, char **argv) {
  char *av[] = {"x", NULL};
  char *ev[] = {NULL};
  ERR("missing file", execve("./nope", av, ev), ENOENT);
  ERR("missing dir", execve("./nodir/prog", av, ev), ENOENT);
  close(open("noexec", O_CREAT | O_WRONLY, 0644));
  ERR("no x bit", execve("./noexec", av, ev), EACCES);
  int fd = open("garbage", O_CREAT | O_WRONLY, 0755);
  write(fd, "this is not an ELF file\n", 24);
  close(fd);
  ERR("garbage file", execve("./garbage", av, ev), ENOEXEC);
  close(open("empty", O_CREAT | O_WRONLY, 0755));
  ERR("empty file", execve("./empty", av, ev), ENOEXEC);
  mkdir("dir", 0755);
  ERR("directory", execve("./dir", av, ev), EACCES);
  ERR("ENOTDIR", execve("./garbage/x", av, ev), ENOTDIR);
  ERR("bad path pointer", syscall(SYS_execve, (void *)8, av, ev), EFAULT);
  ERR("bad argv pointer", syscall(SYS_execve, argv[0], (void *)8, ev), EFAULT);
  char *badav[] = {"x", (char *)8, NULL};
  ERR("bad argv element", syscall(SYS_execve, argv[0], badav, ev), EFAULT);
  ERR("empty path", execve("", av, ev), ENOENT);
  ERR("/dev/null", execve("/dev/null", av, ev), EACCES);
  symlink("loop", "loop");
  ERR("symlink loop", execve("./loop", av, ev), ELOOP);
  ERR("execveat bad flags", syscall(SYS_execveat, AT_FDCWD, argv[0], av, ev, 0x1), EINVAL);
  int dfd = open("dir", O_RDONLY);
  ERR("execveat AT_EMPTY_PATH on dir", syscall(SYS_execveat, dfd, "", av, ev, AT_EMPTY_PATH), EACCES);
  printf("caller still alive: ok\n");
  /* State survives failed execs: fds, cwd, heap. */
  EXPECT("fd still open", fcntl(dfd, F_GETFD) >= 0);
  char *m = malloc(10);
  EXPECT("malloc after failed exec", m != NULL);
  return t_done();
}
