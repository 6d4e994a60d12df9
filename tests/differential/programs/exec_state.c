/* What execve keeps: pid, ppid, cwd, umask, rlimits, fd offsets and flags;
   what it drops: close-on-exec descriptors and the old address space. */
#include "t.h"
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "after") == 0) {
    char buf[4096];
    printf("after: pid %s\n", atoi(argv[2]) == getpid() ? "kept" : "changed");
    printf("after: ppid %s\n", atoi(argv[3]) == getppid() ? "kept" : "changed");
    getcwd(buf, sizeof buf);
    const char *tail = strrchr(buf, '/');
    printf("after: cwd tail %s\n", tail ? tail : buf);
    mode_t um = umask(0);
    printf("after: umask %03o\n", um);
    struct rlimit r;
    getrlimit(RLIMIT_NOFILE, &r);
    printf("after: RLIMIT_NOFILE soft %ld\n", (long)r.rlim_cur);
    printf("after: fd 5 offset %ld\n", (long)lseek(5, 0, SEEK_CUR));
    printf("after: fd 5 flags append=%d\n", (fcntl(5, F_GETFL) & O_APPEND) != 0);
    printf("after: fd 6 %s\n", fcntl(6, F_GETFD) == -1 ? "closed" : "open");
    char *brk0 = sbrk(0);
    printf("after: fresh heap %s\n", brk0 != NULL ? "yes" : "no");
    return 0;
  }
  mkdir("sub", 0755);
  chdir("sub");
  umask(027);
  struct rlimit r = {200, 200};
  getrlimit(RLIMIT_NOFILE, &r);
  r.rlim_cur = 200;
  setrlimit(RLIMIT_NOFILE, &r);
  int fd = open("f", O_CREAT | O_RDWR | O_APPEND, 0644);
  write(fd, "0123456789", 10);
  lseek(fd, 3, SEEK_SET);
  dup2(fd, 5);
  int ce = open("f", O_RDONLY | O_CLOEXEC);
  dup3(ce, 6, O_CLOEXEC);
  pid_t c = fork();
  if (c == 0) {
    char pid[16], ppid[16];
    snprintf(pid, sizeof pid, "%d", getpid());
    snprintf(ppid, sizeof ppid, "%d", getppid());
    char *av[] = {argv[0], "after", pid, ppid, NULL};
    execv(argv[0], av);
    _exit(99);
  }
  int st;
  waitpid(c, &st, 0);
  EQ("child status", WEXITSTATUS(st), 0);
  return t_done();
}
