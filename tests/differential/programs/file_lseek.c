/* lseek: whence values, holes, and errors. */
#include "t.h"

int main(void) {
  char buf[8];
  int p[2];
  int fd = open("f", O_CREAT | O_RDWR | O_TRUNC, 0644);
  write(fd, "0123456789", 10);
  EQ("SEEK_SET", lseek(fd, 3, SEEK_SET), 3);
  EQ("SEEK_CUR +2", lseek(fd, 2, SEEK_CUR), 5);
  EQ("SEEK_CUR -1", lseek(fd, -1, SEEK_CUR), 4);
  EQ("SEEK_END", lseek(fd, 0, SEEK_END), 10);
  EQ("SEEK_END -3", lseek(fd, -3, SEEK_END), 7);
  read(fd, buf, 1);
  EQ("read after seek", buf[0], '7');
  ERR("negative result", lseek(fd, -100, SEEK_CUR), EINVAL);
  ERR("bad whence", lseek(fd, 0, 42), EINVAL);
  EQ("offset kept after error", lseek(fd, 0, SEEK_CUR), 8);
  EQ("beyond EOF", lseek(fd, 100, SEEK_SET), 100);
  EQ("write makes hole", write(fd, "X", 1), 1);
  EQ("size", lseek(fd, 0, SEEK_END), 101);
  pread(fd, buf, 4, 50);
  EXPECT("hole reads zeros", buf[0] == 0 && buf[3] == 0);
  EQ("SEEK_DATA at 0", lseek(fd, 0, SEEK_DATA), 0);
  ERR("SEEK_DATA past EOF", lseek(fd, 200, SEEK_DATA), ENXIO);
  ERR("SEEK_HOLE past EOF", lseek(fd, 200, SEEK_HOLE), ENXIO);
  close(fd);
  pipe(p);
  ERR("lseek pipe", lseek(p[0], 0, SEEK_SET), ESPIPE);
  ERR("lseek bad fd", lseek(55, 0, SEEK_SET), EBADF);
  fd = open("/dev/null", O_RDONLY);
  EQ("lseek /dev/null", lseek(fd, 123, SEEK_SET), 0);
  close(fd);
  return t_done();
}
