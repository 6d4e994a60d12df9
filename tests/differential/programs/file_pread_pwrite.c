/* pread64/pwrite64: positional I/O leaves the offset alone; errors. */
#include "t.h"

int main(void) {
  char buf[16] = {0};
  int p[2];
  int fd = open("f", O_CREAT | O_RDWR | O_TRUNC, 0644);
  write(fd, "abcdefghij", 10);
  EQ("pread at 3", pread(fd, buf, 4, 3), 4);
  STREQ("pread data", buf, "defg");
  EQ("offset unchanged", lseek(fd, 0, SEEK_CUR), 10);
  EQ("pwrite at 2", pwrite(fd, "XY", 2, 2), 2);
  EQ("offset still", lseek(fd, 0, SEEK_CUR), 10);
  memset(buf, 0, sizeof buf);
  pread(fd, buf, 10, 0);
  STREQ("after pwrite", buf, "abXYefghij");
  EQ("pread past EOF", pread(fd, buf, 4, 100), 0);
  EQ("pwrite past EOF makes hole", pwrite(fd, "Z", 1, 20), 1);
  EQ("pread hole", pread(fd, buf, 4, 12), 4);
  EXPECT("hole is zero", buf[0] == 0 && buf[3] == 0);
  ERR("pread negative offset", pread(fd, buf, 1, -1), EINVAL);
  ERR("pwrite negative offset", pwrite(fd, buf, 1, -5), EINVAL);
  close(fd);
  fd = open("f", O_WRONLY | O_APPEND);
  /* pwrite(2) BUGS: "if a file is opened with O_APPEND, pwrite() appends data
     to the end of the file, regardless of the value of offset." */
  EQ("pwrite O_APPEND", pwrite(fd, "END", 3, 0), 3);
  close(fd);
  fd = open("f", O_RDONLY);
  memset(buf, 0, sizeof buf);
  EQ("pread end", pread(fd, buf, 3, 21), 3);
  STREQ("appended at end", buf, "END");
  close(fd);
  pipe(p);
  ERR("pread on pipe", pread(p[0], buf, 1, 0), ESPIPE);
  ERR("pwrite on pipe", pwrite(p[1], buf, 1, 0), ESPIPE);
  ERR("pread bad fd", pread(77, buf, 1, 0), EBADF);
  return t_done();
}
