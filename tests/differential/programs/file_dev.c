/* Device files: /dev/null, /dev/zero, /dev/full, /dev/urandom, /dev/tty. */
#include "t.h"
#include <sys/stat.h>
#include <sys/sysmacros.h>

int main(void) {
  char buf[64];
  struct stat st;
  int full = open("/dev/full", O_WRONLY);
  ERR("write /dev/full", write(full, "x", 1), ENOSPC);
  int fr = open("/dev/full", O_RDONLY);
  memset(buf, 1, sizeof buf);
  EQ("read /dev/full gives zeros", read(fr, buf, 16), 16);
  EQ("zero", buf[15], 0);
  stat("/dev/zero", &st);
  EXPECT("/dev/zero is 1:5", S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 5);
  stat("/dev/full", &st);
  EXPECT("/dev/full is 1:7", major(st.st_rdev) == 1 && minor(st.st_rdev) == 7);
  stat("/dev/urandom", &st);
  EXPECT("/dev/urandom is 1:9", major(st.st_rdev) == 1 && minor(st.st_rdev) == 9);
  int z = open("/dev/zero", O_RDWR);
  EQ("write /dev/zero discards", write(z, buf, 64), 64);
  EQ("lseek /dev/zero", lseek(z, 100, SEEK_SET), 0);
  int n = open("/dev/null", O_WRONLY | O_APPEND);
  EQ("O_APPEND /dev/null", write(n, "abc", 3), 3);
  EQ("fstat /dev/null size", (fstat(n, &st), st.st_size), 0);
  /* No controlling terminal (new session): /dev/tty is ENXIO. */
  ERR("/dev/tty without a terminal", open("/dev/tty", O_RDWR), ENXIO);
  return t_done();
}
