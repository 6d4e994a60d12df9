/* O_DIRECTORY, AT_EMPTY_PATH, ENAMETOOLONG, empty paths. */
#include "t.h"
#include <limits.h>
#include <sys/stat.h>

int main(void) {
  struct stat st;
  static char longname[300], longpath[PATH_MAX + 10];
  close(open("f", O_CREAT | O_WRONLY, 0644));
  mkdir("d", 0755);
  ERR("O_DIRECTORY on file", open("f", O_RDONLY | O_DIRECTORY), ENOTDIR);
  OK("O_DIRECTORY on dir", open("d", O_RDONLY | O_DIRECTORY));
  symlink("f", "lf");
  ERR("O_DIRECTORY on link to file", open("lf", O_RDONLY | O_DIRECTORY), ENOTDIR);
  int fd = open("f", O_RDONLY);
  OK("fstatat AT_EMPTY_PATH", fstatat(fd, "", &st, AT_EMPTY_PATH));
  EXPECT("is file", S_ISREG(st.st_mode));
  ERR("fstatat empty without flag", fstatat(fd, "", &st, 0), ENOENT);
  OK("fstatat AT_FDCWD empty path", fstatat(AT_FDCWD, "", &st, AT_EMPTY_PATH));
  EXPECT("cwd is dir", S_ISDIR(st.st_mode));
  memset(longname, 'n', 256);
  ERR("component > NAME_MAX", open(longname, O_RDONLY), ENAMETOOLONG);
  ERR("mkdir component > NAME_MAX", mkdir(longname, 0755), ENAMETOOLONG);
  longname[255] = 0;
  ERR("component == NAME_MAX missing", open(longname, O_RDONLY), ENOENT);
  OK("create 255-char name", open(longname, O_CREAT | O_WRONLY, 0644));
  for (int i = 0; i < PATH_MAX + 5; i += 2) { longpath[i] = 'a'; longpath[i + 1] = '/'; }
  ERR("path > PATH_MAX", stat(longpath, &st), ENAMETOOLONG);
  ERR("stat empty", stat("", &st), ENOENT);
  ERR("mkdirat empty", mkdirat(AT_FDCWD, "", 0755), ENOENT);
  int dfd = open("d", O_RDONLY);
  ERR("fchownat file fd empty path no flag", fchownat(fd, "", 0, 0, 0), ENOENT);
  OK("linkat AT_EMPTY_PATH", linkat(fd, "", dfd, "linked", AT_EMPTY_PATH));
  OK("linked exists", stat("d/linked", &st));
  return t_done();
}
