/* statx: masks, AT_EMPTY_PATH, errors. */
#include "t.h"
#include <sys/stat.h>

int main(void) {
  struct statx sx;
  int fd = open("f", O_CREAT | O_RDWR | O_TRUNC, 0600);
  write(fd, "abcdef", 6);
  OK("statx", statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS, &sx));
  EXPECT("basic mask", (sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS);
  EQ("size", sx.stx_size, 6);
  EQ("mode", sx.stx_mode, S_IFREG | 0600);
  EQ("nlink", sx.stx_nlink, 1);
  EXPECT("mtime set", sx.stx_mtime.tv_sec > 1500000000);
  memset(&sx, 0, sizeof sx);
  OK("statx AT_EMPTY_PATH", statx(fd, "", AT_EMPTY_PATH, STATX_SIZE, &sx));
  EQ("empty path size", sx.stx_size, 6);
  ERR("empty path without flag", statx(fd, "", 0, STATX_SIZE, &sx), ENOENT);
  ERR("bad flags", statx(AT_FDCWD, "f", 0x40000000, STATX_SIZE, &sx), EINVAL);
  ERR("reserved mask bit", statx(AT_FDCWD, "f", 0, 0x80000000U, &sx), EINVAL);
  symlink("f", "l");
  OK("statx nofollow", statx(AT_FDCWD, "l", AT_SYMLINK_NOFOLLOW, STATX_TYPE, &sx));
  EXPECT("is link", S_ISLNK(sx.stx_mode));
  ERR("missing", statx(AT_FDCWD, "zz", 0, STATX_SIZE, &sx), ENOENT);
  ERR("bad dirfd", statx(77, "f", 0, STATX_SIZE, &sx), EBADF);
  return t_done();
}
