/* "." and ".." resolution, including ".." at the root. */
#include "t.h"
#include <sys/stat.h>

int main(void) {
  struct stat root, st;
  char buf[4096];
  stat("/", &root);
  OK("stat /..", stat("/..", &st));
  EXPECT("/.. is /", st.st_ino == root.st_ino && st.st_dev == root.st_dev);
  stat("/../../..", &st);
  EXPECT("/../../.. is /", st.st_ino == root.st_ino);
  stat("/./.", &st);
  EXPECT("/./. is /", st.st_ino == root.st_ino);
  mkdir("a", 0755);
  mkdir("a/b", 0755);
  close(open("a/c", O_CREAT | O_WRONLY, 0644));
  OK("a/b/../c", stat("a/b/../c", &st));
  EXPECT("a/b/../c is file", S_ISREG(st.st_mode));
  ERR("file/..", stat("a/c/..", &st), ENOTDIR);
  symlink("a/b", "lb");
  /* ".." after a symlink goes up from the target, not from the link. */
  OK("lb/../c", stat("lb/../c", &st));
  char here[4096];
  getcwd(here, sizeof here);
  OK("chdir /", chdir("/"));
  OK("chdir ..", chdir(".."));
  STREQ("cwd stays /", getcwd(buf, sizeof buf), "/");
  chdir(here);
  OK("chdir a/b", chdir("a/b"));
  OK("chdir ../..", chdir("../.."));
  EXPECT("back home", strcmp(getcwd(buf, sizeof buf), here) == 0);
  int dfd = open("a/b", O_RDONLY);
  OK("openat dirfd ..", openat(dfd, "../c", O_RDONLY));
  OK("fstatat dirfd .", fstatat(dfd, ".", &st, 0));
  EXPECT("dot is dir", S_ISDIR(st.st_mode));
  ERR("create named .", mkdir("a/.", 0755), EEXIST);
  ERR("create named ..", mkdir("a/..", 0755), EEXIST);
  ERR("unlink ..", unlink(".."), EISDIR);
  return t_done();
}
