/* stat/fstat/lstat/newfstatat: types, sizes, links, errors. */
#include "t.h"
#include <sys/stat.h>
#include <sys/sysmacros.h>

int main(void) {
  struct stat st, st2;
  int fd = open("f", O_CREAT | O_RDWR | O_TRUNC, 0640);
  write(fd, "12345", 5);
  OK("stat", stat("f", &st));
  EXPECT("S_ISREG", S_ISREG(st.st_mode));
  EQ("perm", st.st_mode & 07777, 0640 & ~022 & 07777);
  EQ("size", st.st_size, 5);
  EQ("nlink", st.st_nlink, 1);
  OK("fstat", fstat(fd, &st2));
  EXPECT("same ino", st.st_ino == st2.st_ino && st.st_dev == st2.st_dev);
  EXPECT("blksize > 0", st.st_blksize > 0);
  mkdir("d", 0755);
  stat("d", &st);
  EXPECT("S_ISDIR", S_ISDIR(st.st_mode));
  EQ("empty dir nlink", st.st_nlink, 2);
  mkdir("d/sub", 0755);
  stat("d", &st);
  EQ("dir nlink with subdir", st.st_nlink, 3);
  symlink("f", "l");
  OK("lstat", lstat("l", &st));
  EXPECT("S_ISLNK", S_ISLNK(st.st_mode));
  EQ("symlink size = target length", st.st_size, 1);
  stat("l", &st);
  EXPECT("stat follows", S_ISREG(st.st_mode) && st.st_size == 5);
  OK("fstatat AT_SYMLINK_NOFOLLOW", fstatat(AT_FDCWD, "l", &st, AT_SYMLINK_NOFOLLOW));
  EXPECT("fstatat is link", S_ISLNK(st.st_mode));
  int dfd = open("d", O_RDONLY);
  OK("fstatat relative", fstatat(dfd, "sub", &st, 0));
  EXPECT("fstatat dir", S_ISDIR(st.st_mode));
  ERR("fstatat bad flags", fstatat(AT_FDCWD, "f", &st, 0x1), EINVAL);
  ERR("stat missing", stat("nope", &st), ENOENT);
  ERR("stat ENOTDIR", stat("f/x", &st), ENOTDIR);
  ERR("fstat bad fd", fstat(123, &st), EBADF);
  stat("/dev/null", &st);
  EXPECT("/dev/null is chr", S_ISCHR(st.st_mode));
  EQ("/dev/null rdev", st.st_rdev, makedev(1, 3));
  int p[2];
  pipe(p);
  fstat(p[0], &st);
  EXPECT("pipe is fifo", S_ISFIFO(st.st_mode));
  stat("/", &st);
  EXPECT("root is dir", S_ISDIR(st.st_mode));
  return t_done();
}
