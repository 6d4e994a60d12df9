/*
 * launch: the harness's exec wrapper. Every run (native, and the tsvisor CLI
 * that runs the sandboxed side) starts as
 *
 *     launch PROGRAM ARGS...
 *
 * and this gives PROGRAM the same process state whatever the harness itself
 * inherited from CI (a runner's leaked descriptors, an ignored SIGINT from
 * nohup, a blocked mask, `ulimit -s unlimited`, another umask):
 *
 * - only fds 0, 1 and 2 are open (close_range(2) from 3 up): programs check
 *   "the lowest free fd is 3" and "fd 99 is EBADF";
 * - every signal has its default action and none is blocked (execve(2)
 *   keeps ignored dispositions and the mask);
 * - umask 022 (Linux's default for init);
 * - RLIMIT_CORE soft 0 (no core files in the working directory) and
 *   RLIMIT_STACK soft 8 MiB when the hard limit allows (an unlimited stack
 *   switches Linux to the legacy bottom-up mmap layout).
 *
 * Exits 127 with a message on stderr if PROGRAM cannot be executed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: launch PROGRAM [ARG...]\n");
    return 2;
  }
  if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0) {
    /* No close_range before Linux 5.9: close them one by one. */
    for (int fd = 3; fd < 65536; fd++) close(fd);
  }
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    sigaction(sig, &dfl, NULL); /* EINVAL for glibc's reserved 32, 33: fine */
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  umask(022);
  struct rlimit r;
  if (getrlimit(RLIMIT_CORE, &r) == 0) {
    r.rlim_cur = 0;
    setrlimit(RLIMIT_CORE, &r);
  }
  if (getrlimit(RLIMIT_STACK, &r) == 0) {
    rlim_t want = 8UL << 20;
    r.rlim_cur = r.rlim_max == RLIM_INFINITY || r.rlim_max >= want ? want : r.rlim_max;
    setrlimit(RLIMIT_STACK, &r);
  }
  execvp(argv[1], argv + 1);
  fprintf(stderr, "launch: %s: %s\n", argv[1], strerror(errno));
  return 127;
}
