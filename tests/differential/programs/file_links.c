/* link/linkat/symlink/symlinkat/readlink/readlinkat. */
#include "t.h"
#include <sys/stat.h>

int main(void) {
  struct stat st;
  char buf[64];
  close(open("f", O_CREAT | O_WRONLY, 0644));
  OK("link", link("f", "h"));
  stat("f", &st);
  EQ("nlink 2", st.st_nlink, 2);
  ERR("link exists", link("f", "h"), EEXIST);
  ERR("link missing", link("nope", "h2"), ENOENT);
  mkdir("d", 0755);
  ERR("link dir", link("d", "dl"), EPERM);
  OK("linkat", linkat(AT_FDCWD, "f", AT_FDCWD, "d/h3", 0));
  stat("f", &st);
  EQ("nlink 3", st.st_nlink, 3);
  unlink("h");
  stat("f", &st);
  EQ("nlink after unlink", st.st_nlink, 2);
  OK("symlink", symlink("f", "s"));
  OK("symlink dangling", symlink("does/not/exist", "dang"));
  ERR("symlink exists", symlink("x", "s"), EEXIST);
  ERR("symlink empty target", symlink("", "e"), ENOENT);
  memset(buf, 0, sizeof buf);
  EQ("readlink", readlink("dang", buf, sizeof buf), 14);
  STREQ("readlink target", buf, "does/not/exist");
  memset(buf, 0, sizeof buf);
  EQ("readlink truncates", readlink("dang", buf, 4), 4);
  STREQ("truncated", buf, "does");
  ERR("readlink not link", readlink("f", buf, sizeof buf), EINVAL);
  ERR("readlink zero size", readlink("s", buf, 0), EINVAL);
  ERR("readlink missing", readlink("zz", buf, sizeof buf), ENOENT);
  int dfd = open("d", O_RDONLY);
  OK("symlinkat", symlinkat("../f", dfd, "up"));
  memset(buf, 0, sizeof buf);
  EQ("readlinkat", readlinkat(dfd, "up", buf, sizeof buf), 4);
  STREQ("readlinkat target", buf, "../f");
  OK("stat through relative link", stat("d/up", &st));
  EXPECT("resolved to file", S_ISREG(st.st_mode));
  /* linkat on a symlink: without AT_SYMLINK_FOLLOW the link itself is linked. */
  OK("linkat symlink nofollow", linkat(AT_FDCWD, "s", AT_FDCWD, "s_hard", 0));
  lstat("s_hard", &st);
  EXPECT("hard link to symlink", S_ISLNK(st.st_mode));
  OK("linkat AT_SYMLINK_FOLLOW", linkat(AT_FDCWD, "s", AT_FDCWD, "f_hard", AT_SYMLINK_FOLLOW));
  lstat("f_hard", &st);
  EXPECT("hard link to target", S_ISREG(st.st_mode));
  ERR("linkat bad flags", linkat(AT_FDCWD, "f", AT_FDCWD, "q", 0x1), EINVAL);
  ERR("open dangling", open("dang", O_RDONLY), ENOENT);
  int fd = open("dang2", O_CREAT | O_EXCL | O_WRONLY, 0644);
  EXPECT("O_EXCL on new", fd >= 0);
  symlink("target_new", "dl2");
  ERR("O_CREAT|O_EXCL on dangling symlink", open("dl2", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
  OK("O_CREAT through dangling symlink creates target", open("dl2", O_CREAT | O_WRONLY, 0644));
  OK("target created", stat("target_new", &st));
  return t_done();
}
