/* chmod/fchmod/fchmodat and chown/fchown/lchown/fchownat (as root). */
#include "t.h"
#include <sys/stat.h>

static unsigned mode(const char *p) {
  struct stat st;
  lstat(p, &st);
  return st.st_mode & 07777;
}

int main(void) {
  struct stat st;
  int fd = open("f", O_CREAT | O_RDWR, 0644);
  OK("chmod", chmod("f", 0600));
  EQ("mode 0600", mode("f"), 0600);
  OK("fchmod", fchmod(fd, 04755));
  EQ("mode 04755", mode("f"), 04755);
  OK("fchmodat", fchmodat(AT_FDCWD, "f", 0400, 0));
  EQ("mode 0400", mode("f"), 0400);
  ERR("chmod missing", chmod("nope", 0644), ENOENT);
  ERR("fchmod bad fd", fchmod(99, 0644), EBADF);
  symlink("f", "l");
  /* glibc emulates AT_SYMLINK_NOFOLLOW with O_PATH and /proc/self/fd. */
  OK("fchmodat nofollow on file", fchmodat(AT_FDCWD, "f", 0440, AT_SYMLINK_NOFOLLOW));
  EQ("mode 0440", mode("f"), 0440);
  ERR("fchmodat nofollow on symlink", fchmodat(AT_FDCWD, "l", 0400, AT_SYMLINK_NOFOLLOW), EOPNOTSUPP);
  chmod("l", 0640);
  EQ("chmod follows symlink", mode("f"), 0640);
  EQ("getuid root", getuid(), 0);
  OK("chown", chown("f", 1234, 5678));
  stat("f", &st);
  EXPECT("owner", st.st_uid == 1234 && st.st_gid == 5678);
  OK("fchown -1 keeps uid", fchown(fd, -1, 42));
  fstat(fd, &st);
  EXPECT("fchown", st.st_uid == 1234 && st.st_gid == 42);
  OK("lchown", lchown("l", 7, 8));
  lstat("l", &st);
  EXPECT("lchown changes link", st.st_uid == 7 && st.st_gid == 8);
  stat("f", &st);
  EXPECT("lchown leaves target", st.st_uid == 1234);
  OK("fchownat nofollow", fchownat(AT_FDCWD, "l", 9, 9, AT_SYMLINK_NOFOLLOW));
  lstat("l", &st);
  EQ("fchownat link uid", st.st_uid, 9);
  OK("fchownat AT_EMPTY_PATH", fchownat(fd, "", 0, 0, AT_EMPTY_PATH));
  fstat(fd, &st);
  EXPECT("empty path chown", st.st_uid == 0 && st.st_gid == 0);
  ERR("fchownat bad flag", fchownat(AT_FDCWD, "f", 0, 0, 0x1), EINVAL);
  /* chown(2): "When the owner or group of an executable file is changed by an
     unprivileged user, the S_ISUID and S_ISGID mode bits are cleared." Linux
     clears S_ISUID for root too on a regular file. */
  chmod("f", 04755);
  chown("f", 1, 1);
  EQ("setuid cleared by chown", mode("f"), 0755);
  return t_done();
}
