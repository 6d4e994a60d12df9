/* epoll: registration errors, level and edge triggering, timeouts. */
#include "t.h"
#include <sys/epoll.h>
#include <time.h>

int main(void) {
  int p[2];
  pipe(p);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  EXPECT("epoll_create1", ep >= 0);
  EQ("cloexec", fcntl(ep, F_GETFD), FD_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1234};
  OK("ADD", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
  ERR("ADD twice", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), EEXIST);
  ERR("MOD unknown", epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev), ENOENT);
  ERR("DEL unknown", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], &ev), ENOENT);
  ERR("add self", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), EINVAL);
  int f = open("f", O_CREAT | O_RDWR, 0644);
  ERR("regular file", epoll_ctl(ep, EPOLL_CTL_ADD, f, &ev), EPERM);
  ERR("bad fd", epoll_ctl(ep, EPOLL_CTL_ADD, 99, &ev), EBADF);
  ERR("not an epoll fd", epoll_ctl(f, EPOLL_CTL_ADD, p[0], &ev), EINVAL);
  struct epoll_event out[4];
  struct timespec s;
  clock_gettime(CLOCK_MONOTONIC, &s);
  EQ("timeout", epoll_wait(ep, out, 4, 50), 0);
  EXPECT("waited >= 50ms", t_ms_since(&s) >= 50);
  write(p[1], "ab", 2);
  EQ("ready", epoll_wait(ep, out, 4, 0), 1);
  EXPECT("data returned", out[0].data.u64 == 0x1234 && out[0].events == EPOLLIN);
  EQ("level-triggered: still ready", epoll_wait(ep, out, 4, 0), 1);
  ev.events = EPOLLIN | EPOLLET;
  OK("MOD to edge-triggered", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
  EQ("ET: reported once after MOD", epoll_wait(ep, out, 4, 0), 1);
  EQ("ET: not again without new data", epoll_wait(ep, out, 4, 0), 0);
  write(p[1], "c", 1);
  EQ("ET: new data reported", epoll_wait(ep, out, 4, 0), 1);
  ev.events = EPOLLIN | EPOLLONESHOT;
  epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev);
  EQ("ONESHOT first", epoll_wait(ep, out, 4, 0), 1);
  EQ("ONESHOT disabled", epoll_wait(ep, out, 4, 0), 0);
  OK("DEL", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
  ev.events = EPOLLOUT;
  epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev);
  EQ("write end ready", epoll_wait(ep, out, 4, 0), 1);
  close(p[0]);
  epoll_wait(ep, out, 4, 0);
  EQ("EPOLLERR when readers gone", out[0].events & EPOLLERR, EPOLLERR);
  ERR("maxevents 0", epoll_wait(ep, out, 0, 0), EINVAL);
  ERR("create1 bad flags", epoll_create1(1), EINVAL);
  ERR("create size 0", epoll_create(0), EINVAL);
  return t_done();
}
