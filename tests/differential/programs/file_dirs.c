/* mkdir/mkdirat/rmdir/unlink/unlinkat: directory lifecycle and errors. */
#include "t.h"
#include <sys/stat.h>

int main(void) {
  struct stat st;
  OK("mkdir", mkdir("d", 0750));
  stat("d", &st);
  EQ("mode masked by umask", st.st_mode & 0777, 0750 & ~022);
  ERR("mkdir exists", mkdir("d", 0755), EEXIST);
  ERR("mkdir missing parent", mkdir("x/y", 0755), ENOENT);
  int dfd = open("d", O_RDONLY | O_DIRECTORY);
  OK("mkdirat", mkdirat(dfd, "sub", 0755));
  OK("stat sub", stat("d/sub", &st));
  close(open("d/f", O_CREAT | O_WRONLY, 0644));
  ERR("rmdir non-empty", rmdir("d"), ENOTEMPTY);
  ERR("rmdir file", rmdir("d/f"), ENOTDIR);
  ERR("rmdir dot", rmdir("d/sub/."), EINVAL);
  ERR("rmdir dotdot", rmdir("d/sub/.."), ENOTEMPTY);
  ERR("unlink dir", unlink("d/sub"), EISDIR);
  ERR("unlinkat dir without flag", unlinkat(dfd, "sub", 0), EISDIR);
  ERR("unlinkat file with AT_REMOVEDIR", unlinkat(dfd, "f", AT_REMOVEDIR), ENOTDIR);
  ERR("unlinkat bad flag", unlinkat(dfd, "f", 0x1), EINVAL);
  OK("unlinkat file", unlinkat(dfd, "f", 0));
  OK("unlinkat AT_REMOVEDIR", unlinkat(dfd, "sub", AT_REMOVEDIR));
  ERR("unlink missing", unlink("d/f"), ENOENT);
  OK("rmdir", rmdir("d"));
  ERR("stat removed", stat("d", &st), ENOENT);
  /* The open fd to a removed directory still works for fstat, but not for creating. */
  OK("fstat removed dir", fstat(dfd, &st));
  EQ("removed dir nlink", st.st_nlink, 0);
  ERR("create in removed dir", openat(dfd, "n", O_CREAT | O_WRONLY, 0644), ENOENT);
  /* An open file stays readable after unlink. */
  int fd = open("g", O_CREAT | O_RDWR, 0644);
  write(fd, "keep", 4);
  OK("unlink open file", unlink("g"));
  char b[5] = {0};
  EQ("read unlinked", pread(fd, b, 4, 0), 4);
  STREQ("unlinked data", b, "keep");
  ERR("mkdir empty", mkdir("", 0755), ENOENT);
  ERR("mkdir root", mkdir("/", 0755), EEXIST);
  return t_done();
}
