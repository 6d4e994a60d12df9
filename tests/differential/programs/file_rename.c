/* rename/renameat/renameat2: replacement rules, NOREPLACE, EXCHANGE. */
#include "t.h"
#include <stdio.h>
#include <sys/stat.h>

static void put(const char *p, const char *s) {
  int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
  write(fd, s, strlen(s));
  close(fd);
}
static const char *get(const char *p) {
  static char b[32];
  memset(b, 0, sizeof b);
  int fd = open(p, O_RDONLY);
  if (fd < 0) return "(missing)";
  read(fd, b, sizeof b - 1);
  close(fd);
  return b;
}

int main(void) {
  struct stat st;
  put("a", "A");
  put("b", "B");
  OK("rename over file", rename("a", "b"));
  STREQ("b has A", get("b"), "A");
  ERR("a gone", stat("a", &st), ENOENT);
  OK("rename same", rename("b", "b"));
  mkdir("d1", 0755);
  mkdir("d2", 0755);
  put("d2/x", "X");
  ERR("file over dir", rename("b", "d1"), EISDIR);
  ERR("dir over file", rename("d1", "b"), ENOTDIR);
  ERR("dir over non-empty dir", rename("d1", "d2"), ENOTEMPTY);
  ERR("dir into itself", rename("d2", "d2/sub"), EINVAL);
  mkdir("d3", 0755);
  OK("dir over empty dir", rename("d1", "d3"));
  ERR("missing source", rename("zz", "yy"), ENOENT);
  int dfd = open("d2", O_RDONLY);
  OK("renameat", renameat(dfd, "x", AT_FDCWD, "x2"));
  STREQ("moved across dirs", get("x2"), "X");
  put("c", "C");
  ERR("NOREPLACE existing", renameat2(AT_FDCWD, "c", AT_FDCWD, "b", RENAME_NOREPLACE), EEXIST);
  OK("NOREPLACE new", renameat2(AT_FDCWD, "c", AT_FDCWD, "c2", RENAME_NOREPLACE));
  OK("EXCHANGE", renameat2(AT_FDCWD, "b", AT_FDCWD, "c2", RENAME_EXCHANGE));
  STREQ("b now C", get("b"), "C");
  STREQ("c2 now A", get("c2"), "A");
  ERR("EXCHANGE missing", renameat2(AT_FDCWD, "b", AT_FDCWD, "nope", RENAME_EXCHANGE), ENOENT);
  ERR("NOREPLACE|EXCHANGE", renameat2(AT_FDCWD, "b", AT_FDCWD, "c2", RENAME_NOREPLACE | RENAME_EXCHANGE), EINVAL);
  ERR("bad flags", renameat2(AT_FDCWD, "b", AT_FDCWD, "c2", 0x100), EINVAL);
  ERR("rename dot", rename("d3/.", "d4"), EBUSY);
  symlink("b", "sl");
  OK("rename symlink itself", rename("sl", "sl2"));
  lstat("sl2", &st);
  EXPECT("still a symlink", S_ISLNK(st.st_mode));
  int fd = open("b", O_RDONLY);
  rename("b", "b_moved");
  char buf[4] = {0};
  read(fd, buf, 1);
  STREQ("open fd follows renamed file", buf, "C");
  return t_done();
}
