/* access/faccessat/faccessat2 as root: existence, X_OK, flags. */
#include "t.h"
#include <sys/stat.h>

int main(void) {
  close(open("f", O_CREAT | O_WRONLY, 0000));
  close(open("x", O_CREAT | O_WRONLY, 0700));
  EQ("running as root (the corpus assumes it)", getuid(), 0);
  OK("F_OK", access("f", F_OK));
  OK("root R_OK on 0000", access("f", R_OK));
  OK("root W_OK on 0000", access("f", W_OK));
  ERR("root X_OK on 0000", access("f", X_OK), EACCES);
  OK("X_OK on 0700", access("x", X_OK));
  OK("X_OK on dir", access(".", X_OK));
  ERR("missing", access("nope", F_OK), ENOENT);
  ERR("bad mode", access("f", 8), EINVAL);
  ERR("ENOTDIR", access("f/y", F_OK), ENOTDIR);
  OK("faccessat", faccessat(AT_FDCWD, "x", X_OK, 0));
  OK("faccessat2 AT_EACCESS", syscall(SYS_faccessat2, AT_FDCWD, "x", X_OK, AT_EACCESS));
  symlink("nope", "dang");
  ERR("dangling follows", access("dang", F_OK), ENOENT);
  OK("faccessat2 nofollow", syscall(SYS_faccessat2, AT_FDCWD, "dang", F_OK, AT_SYMLINK_NOFOLLOW));
  int fd = open("x", O_RDONLY);
  OK("faccessat2 AT_EMPTY_PATH", syscall(SYS_faccessat2, fd, "", X_OK, AT_EMPTY_PATH));
  ERR("faccessat2 bad flag", syscall(SYS_faccessat2, AT_FDCWD, "x", F_OK, 0x1), EINVAL);
  ERR("faccessat bad dirfd", faccessat(99, "x", F_OK, 0), EBADF);
  OK("faccessat absolute", faccessat(99, "/", F_OK, 0));
  return t_done();
}
