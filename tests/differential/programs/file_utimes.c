/* utimensat/futimens: explicit times, UTIME_NOW, UTIME_OMIT, errors. */
#include "t.h"
#include <sys/stat.h>
#include <time.h>

int main(void) {
  struct stat st;
  struct timespec before;
  int fd = open("f", O_CREAT | O_RDWR, 0644);
  struct timespec ts[2] = {{1000000000, 123456789}, {1200000000, 5}};
  OK("utimensat explicit", utimensat(AT_FDCWD, "f", ts, 0));
  stat("f", &st);
  EQ("atime sec", st.st_atim.tv_sec, 1000000000);
  EQ("atime nsec", st.st_atim.tv_nsec, 123456789);
  EQ("mtime sec", st.st_mtim.tv_sec, 1200000000);
  EQ("mtime nsec", st.st_mtim.tv_nsec, 5);
  struct timespec omit[2] = {{0, UTIME_OMIT}, {1300000000, 0}};
  OK("UTIME_OMIT atime", futimens(fd, omit));
  fstat(fd, &st);
  EQ("atime kept", st.st_atim.tv_sec, 1000000000);
  EQ("mtime changed", st.st_mtim.tv_sec, 1300000000);
  clock_gettime(CLOCK_REALTIME, &before);
  struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
  OK("UTIME_NOW", utimensat(AT_FDCWD, "f", now, 0));
  stat("f", &st);
  EXPECT("mtime >= before - 1s", st.st_mtim.tv_sec >= before.tv_sec - 1);
  OK("NULL times = now", utimensat(AT_FDCWD, "f", NULL, 0));
  struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
  ERR("bad nsec", utimensat(AT_FDCWD, "f", bad, 0), EINVAL);
  ERR("bad flags", utimensat(AT_FDCWD, "f", NULL, 0x1), EINVAL);
  ERR("missing file", utimensat(AT_FDCWD, "nope", NULL, 0), ENOENT);
  symlink("f", "l");
  struct timespec lt[2] = {{1100000000, 0}, {1100000000, 0}};
  OK("AT_SYMLINK_NOFOLLOW", utimensat(AT_FDCWD, "l", lt, AT_SYMLINK_NOFOLLOW));
  lstat("l", &st);
  EQ("link mtime", st.st_mtim.tv_sec, 1100000000);
  stat("f", &st);
  EXPECT("target untouched", st.st_mtim.tv_sec != 1100000000);
  /* A write updates mtime and ctime. */
  futimens(fd, ts);
  write(fd, "x", 1);
  fstat(fd, &st);
  EXPECT("write bumps mtime", st.st_mtim.tv_sec >= before.tv_sec - 1);
  ERR("futimens bad fd", futimens(99, NULL), EBADF);
  return t_done();
}
