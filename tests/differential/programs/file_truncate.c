/* truncate/ftruncate: grow with zeros, shrink, errors. */
#include "t.h"
#include <sys/stat.h>

static long size(const char *p) {
  struct stat st;
  stat(p, &st);
  return st.st_size;
}

int main(void) {
  char buf[8];
  int fd = open("f", O_CREAT | O_RDWR, 0644);
  write(fd, "abcdefgh", 8);
  OK("ftruncate shrink", ftruncate(fd, 3));
  EQ("size 3", size("f"), 3);
  OK("truncate grow", truncate("f", 6));
  EQ("size 6", size("f"), 6);
  memset(buf, 1, sizeof buf);
  EQ("pread grown", pread(fd, buf, 8, 0), 6);
  EXPECT("old data kept", memcmp(buf, "abc", 3) == 0);
  EXPECT("grown part zero", buf[3] == 0 && buf[5] == 0);
  EQ("offset not moved", lseek(fd, 0, SEEK_CUR), 8);
  EQ("write past end after shrink", write(fd, "Z", 1), 1);
  EQ("size 9", size("f"), 9);
  ERR("ftruncate negative", ftruncate(fd, -1), EINVAL);
  ERR("truncate negative", truncate("f", -1), EINVAL);
  ERR("truncate dir", truncate(".", 0), EISDIR);
  ERR("truncate missing", truncate("nope", 0), ENOENT);
  int r = open("f", O_RDONLY);
  ERR("ftruncate read-only fd", ftruncate(r, 0), EINVAL);
  int p[2];
  pipe(p);
  ERR("ftruncate pipe", ftruncate(p[1], 0), EINVAL);
  ERR("ftruncate bad fd", ftruncate(99, 0), EBADF);
  OK("truncate to 0", truncate("f", 0));
  EQ("empty", size("f"), 0);
  return t_done();
}
