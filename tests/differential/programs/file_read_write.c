/* read/write: short reads, EOF, fd modes, zero-length calls. */
// @dynamic
#include "t.h"

int main(void) {
  char buf[64];
  int fd = open("f", O_CREAT | O_RDWR | O_TRUNC, 0644);
  EQ("write 10", write(fd, "0123456789", 10), 10);
  EQ("write 0", write(fd, "x", 0), 0);
  EQ("lseek 0", lseek(fd, 0, SEEK_SET), 0);
  EQ("read 4", read(fd, buf, 4), 4);
  EQ("read rest (short)", read(fd, buf, sizeof buf), 6);
  EQ("read at EOF", read(fd, buf, sizeof buf), 0);
  EQ("read 0", read(fd, buf, 0), 0);
  close(fd);
  fd = open("f", O_RDONLY);
  ERR("write on O_RDONLY", write(fd, "x", 1), EBADF);
  close(fd);
  fd = open("f", O_WRONLY);
  ERR("read on O_WRONLY", read(fd, buf, 1), EBADF);
  close(fd);
  fd = open(".", O_RDONLY);
  ERR("read on directory", read(fd, buf, 1), EISDIR);
  close(fd);
  fd = open("/dev/null", O_RDWR);
  EQ("write /dev/null", write(fd, buf, 64), 64);
  EQ("read /dev/null", read(fd, buf, 64), 0);
  close(fd);
  fd = open("/dev/zero", O_RDONLY);
  memset(buf, 1, sizeof buf);
  EQ("read /dev/zero", read(fd, buf, 64), 64);
  EXPECT("zeros", buf[0] == 0 && buf[63] == 0);
  close(fd);
  /* A large write and read back through the page cache. */
  static char big[200000];
  for (size_t i = 0; i < sizeof big; i++) big[i] = (char)(i * 7);
  fd = open("big", O_CREAT | O_RDWR | O_TRUNC, 0644);
  EQ("big write", write(fd, big, sizeof big), (long)sizeof big);
  lseek(fd, 0, SEEK_SET);
  static char back[200000];
  long got = 0, n;
  while ((n = read(fd, back + got, sizeof back - got)) > 0) got += n;
  EQ("big read", got, (long)sizeof big);
  EXPECT("big content", memcmp(big, back, sizeof big) == 0);
  close(fd);
  return t_done();
}
