/* O_NONBLOCK pipes: EAGAIN on empty read and on full write; capacity. */
#include "t.h"

int main(void) {
  int p[2];
  char buf[4096];
  pipe2(p, O_NONBLOCK);
  ERR("read empty", read(p[0], buf, 1), EAGAIN);
  memset(buf, 'x', sizeof buf);
  long total = 0, n;
  while ((n = write(p[1], buf, sizeof buf)) > 0) total += n;
  int e = errno;
  EQ("last write fails EAGAIN", e, EAGAIN);
  EQ("capacity", total, 65536);
  ERR("write 1 byte full", write(p[1], buf, 1), EAGAIN);
  EQ("read 100", read(p[0], buf, 100), 100);
  /* pipe(7): a write of <= PIPE_BUF bytes with O_NONBLOCK either succeeds
     entirely or fails with EAGAIN. 100 bytes free is not a whole page. */
  ERR("atomic write needs room", write(p[1], buf, 200), EAGAIN);
  long drained = 100;
  while ((n = read(p[0], buf, sizeof buf)) > 0) drained += n;
  e = errno;
  EQ("drained", drained, 65536);
  EQ("empty again", e, EAGAIN);
  close(p[1]);
  EQ("nonblock EOF", read(p[0], buf, 1), 0);
  /* F_SETFL toggles the mode. */
  int q[2];
  pipe(q);
  fcntl(q[0], F_SETFL, O_NONBLOCK);
  ERR("after F_SETFL", read(q[0], buf, 1), EAGAIN);
  EQ("F_SETPIPE_SZ", fcntl(q[0], F_SETPIPE_SZ, 4096 * 4), 16384);
  EQ("F_GETPIPE_SZ", fcntl(q[1], F_GETPIPE_SZ), 16384);
  return t_done();
}
