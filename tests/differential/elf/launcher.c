/*
 * Launcher for the malformed-ELF set: execs argv[1] in a child and reports
 * what Linux did: the execve errno, or, when the kernel got past the point
 * of no return, how the new image ended. Then proves it is still alive.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int p[2], st, err = 0;
  if (argc != 2) return 2;
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (pipe2(p, O_CLOEXEC) != 0) return 3;
  pid_t c = fork();
  if (c == 0) {
    char *av[] = {argv[1], NULL};
    char *ev[] = {NULL};
    execve(argv[1], av, ev);
    err = errno;
    write(p[1], &err, sizeof err);
    _exit(127);
  }
  close(p[1]);
  long n = read(p[0], &err, sizeof err);
  waitpid(c, &st, 0);
  if (n == sizeof err) {
    const char *name = strerrorname_np(err);
    printf("execve: -1 errno=%s\n", name ? name : "?");
  } else if (WIFEXITED(st)) {
    printf("execve: ok, exited %d\n", WEXITSTATUS(st));
  } else if (WIFSIGNALED(st)) {
    printf("execve: ok, killed by signal %d\n", WTERMSIG(st));
  }
  /* The same in this process: a failed execve must leave the caller intact. */
  if (n == sizeof err) {
    char *av[] = {argv[1], NULL};
    char *ev[] = {NULL};
    execve(argv[1], av, ev);
    const char *name = strerrorname_np(errno);
    printf("in-process execve: -1 errno=%s\n", name ? name : "?");
  }
  printf("launcher alive\n");
  return 0;
}
