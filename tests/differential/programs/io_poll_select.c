/* poll/ppoll/select/pselect6 over pipes and regular files. */
#include "t.h"
#include <poll.h>
#include <signal.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>

static volatile int hits;
static void on_usr1(int s) { hits++; }

int main(void) {
  int p[2];
  pipe(p);
  struct pollfd fds[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
  EQ("poll: only write end ready", poll(fds, 2, 0), 1);
  EQ("read end revents", fds[0].revents, 0);
  EQ("write end revents", fds[1].revents, POLLOUT);
  write(p[1], "x", 1);
  EQ("poll: both ready", poll(fds, 2, 0), 2);
  EQ("POLLIN", fds[0].revents, POLLIN);
  struct timespec s;
  char b;
  read(p[0], &b, 1);
  clock_gettime(CLOCK_MONOTONIC, &s);
  EQ("poll timeout", poll(fds, 1, 50), 0);
  EXPECT("waited >= 50ms", t_ms_since(&s) >= 50);
  pid_t c = fork();
  if (c == 0) {
    usleep(50000);
    write(p[1], "y", 1);
    _exit(0);
  }
  /* The timeout only bounds a failure: a loaded machine may take seconds. */
  EQ("poll wakes on data", poll(fds, 1, 30000), 1);
  waitpid(c, NULL, 0);
  read(p[0], &b, 1);
  close(p[1]);
  EQ("POLLHUP after writer closed", (poll(fds, 1, 0), fds[0].revents), POLLHUP);
  struct pollfd bad = {-1, POLLIN, 7};
  EQ("negative fd ignored", poll(&bad, 1, 0), 0);
  EQ("negative fd revents 0", bad.revents, 0);
  int f = open("f", O_CREAT | O_RDWR, 0644);
  struct pollfd ff = {f, POLLIN | POLLOUT, 0};
  EQ("regular file always ready", poll(&ff, 1, 0), 1);
  EQ("regular file revents", ff.revents, POLLIN | POLLOUT);
  ERR("poll bad nfds", syscall(SYS_poll, fds, 1 << 30, 0), EINVAL);
  /* select */
  int q[2];
  pipe(q);
  fd_set r, w;
  FD_ZERO(&r);
  FD_ZERO(&w);
  FD_SET(q[0], &r);
  FD_SET(q[1], &w);
  struct timeval tv = {0, 0};
  EQ("select: write ready", select(q[1] + 1, &r, &w, NULL, &tv), 1);
  EQ("select: read not set", FD_ISSET(q[0], &r), 0);
  EQ("select: write set", FD_ISSET(q[1], &w) != 0, 1);
  FD_ZERO(&r);
  FD_SET(q[0], &r);
  tv.tv_sec = 0;
  tv.tv_usec = 40000;
  clock_gettime(CLOCK_MONOTONIC, &s);
  EQ("select timeout", select(q[0] + 1, &r, NULL, NULL, &tv), 0);
  EXPECT("select waited >= 40ms", t_ms_since(&s) >= 40);
  EXPECT("select updated timeout (Linux)", tv.tv_sec == 0 && tv.tv_usec == 0);
  /* select(2): "EBADF An invalid file descriptor was given in one of the
   * sets."  Linux only checks fds below the fd table's current size
   * (64 until the table grows), so use a just-closed low fd: a fixed high
   * number like 99 is silently ignored when few fds were ever open. */
  int closed_fd = open("/dev/null", O_RDONLY);
  close(closed_fd);
  FD_ZERO(&r);
  FD_SET(closed_fd, &r);
  ERR("select bad fd", select(closed_fd + 1, &r, NULL, NULL, &tv), EBADF);
  ERR("select negative nfds", select(-1, NULL, NULL, NULL, &tv), EINVAL);
  /* ppoll/pselect with a mask that unblocks a pending SIGUSR1: EINTR at once. */
  sigset_t block, during;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigprocmask(SIG_BLOCK, &block, NULL);
  signal(SIGUSR1, on_usr1);
  raise(SIGUSR1);
  sigemptyset(&during);
  /* A long timeout: "no full wait" below needs no tight upper bound. */
  struct timespec one = {20, 0};
  FD_ZERO(&r);
  FD_SET(q[0], &r);
  struct pollfd qfd = {q[0], POLLIN, 0};
  clock_gettime(CLOCK_MONOTONIC, &s);
  ERR("ppoll EINTR", ppoll(&qfd, 1, &one, &during), EINTR);
  EQ("handler ran", hits, 1);
  raise(SIGUSR1);
  ERR("pselect EINTR", pselect(q[0] + 1, &r, NULL, NULL, &one, &during), EINTR);
  EQ("handler ran again", hits, 2);
  EXPECT("no full wait", t_ms_since(&s) < 10000);
  sigset_t now;
  sigprocmask(SIG_BLOCK, NULL, &now);
  EQ("mask restored", sigismember(&now, SIGUSR1), 1);
  return t_done();
}
