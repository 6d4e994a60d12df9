/* AF_UNIX socketpair: stream and datagram semantics, SCM_RIGHTS, shutdown. */
#include "t.h"
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

int main(void) {
  int sv[2];
  char buf[64];
  OK("socketpair STREAM", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  EQ("send", write(sv[0], "hello", 5), 5);
  EQ("send more", write(sv[0], "world", 5), 5);
  EQ("stream merges", read(sv[1], buf, sizeof buf), 10);
  EQ("reverse direction", write(sv[1], "pong", 4), 4);
  EQ("read reverse", read(sv[0], buf, sizeof buf), 4);
  EQ("MSG_DONTWAIT empty", recv(sv[1], buf, 1, MSG_DONTWAIT) == -1 ? errno : 0, EAGAIN);
  write(sv[0], "peek", 4);
  EQ("MSG_PEEK", recv(sv[1], buf, sizeof buf, MSG_PEEK), 4);
  EQ("still there", read(sv[1], buf, sizeof buf), 4);
  OK("shutdown WR", shutdown(sv[0], SHUT_WR));
  EQ("EOF after peer SHUT_WR", read(sv[1], buf, sizeof buf), 0);
  signal(SIGPIPE, SIG_IGN);
  ERR("write after SHUT_WR", write(sv[0], "x", 1), EPIPE);
  ERR("MSG_NOSIGNAL after SHUT_WR", send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
  close(sv[0]);
  close(sv[1]);
  OK("socketpair DGRAM", socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
  send(sv[0], "one", 3, 0);
  send(sv[0], "two!", 4, 0);
  EQ("datagram boundaries kept", recv(sv[1], buf, sizeof buf, 0), 3);
  EQ("second datagram", recv(sv[1], buf, 2, 0), 2);
  EQ("truncated rest dropped", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT) == -1 ? errno : 0, EAGAIN);
  send(sv[0], "trunc", 5, 0);
  EQ("MSG_TRUNC returns real length", recv(sv[1], buf, 2, MSG_TRUNC), 5);
  /* SCM_RIGHTS: pass an fd to a child over a socket. */
  int s2[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, s2);
  pid_t c = fork();
  if (c == 0) {
    struct msghdr m = {0};
    char data;
    struct iovec iov = {&data, 1};
    char ctl[CMSG_SPACE(sizeof(int))];
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = ctl;
    m.msg_controllen = sizeof ctl;
    if (recvmsg(s2[1], &m, 0) != 1) _exit(1);
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    if (!cm || cm->cmsg_type != SCM_RIGHTS) _exit(2);
    int fd;
    memcpy(&fd, CMSG_DATA(cm), sizeof fd);
    char b[8] = {0};
    pread(fd, b, 6, 0);
    _exit(strcmp(b, "passed") == 0 ? 0 : 3);
  }
  int f = open("f", O_CREAT | O_RDWR, 0644);
  write(f, "passed", 6);
  struct msghdr m = {0};
  char data = 'x';
  struct iovec iov = {&data, 1};
  char ctl[CMSG_SPACE(sizeof(int))];
  memset(ctl, 0, sizeof ctl);
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = ctl;
  m.msg_controllen = sizeof ctl;
  struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &f, sizeof f);
  EQ("sendmsg with fd", sendmsg(s2[0], &m, 0), 1);
  int st;
  waitpid(c, &st, 0);
  EQ("child read through passed fd", WEXITSTATUS(st), 0);
  ERR("socketpair AF_INET", socketpair(AF_INET, SOCK_STREAM, 0, sv), EOPNOTSUPP);
  ERR("bad domain", socket(12345, SOCK_STREAM, 0), EAFNOSUPPORT);
  ERR("send on non-socket", send(f, "x", 1, 0), ENOTSOCK);
  /* Named socket in the cwd: bind, listen, connect, accept. */
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  strcpy(a.sun_path, "sock");
  OK("bind", bind(l, (struct sockaddr *)&a, sizeof a));
  ERR("bind again: EADDRINUSE", bind(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&a, sizeof a), EADDRINUSE);
  OK("listen", listen(l, 4));
  int cl = socket(AF_UNIX, SOCK_STREAM, 0);
  OK("connect", connect(cl, (struct sockaddr *)&a, sizeof a));
  int acc = accept(l, NULL, NULL);
  EXPECT("accept", acc >= 0);
  write(cl, "hi", 2);
  EQ("accepted reads", read(acc, buf, sizeof buf), 2);
  struct sockaddr_un bad = {.sun_family = AF_UNIX};
  strcpy(bad.sun_path, "nosuch");
  ERR("connect missing", connect(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&bad, sizeof bad), ENOENT);
  return t_done();
}
