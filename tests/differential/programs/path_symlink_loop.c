/* Symlink loops and limits: ELOOP, O_NOFOLLOW, O_PATH. */
#include "t.h"
#include <sys/stat.h>

int main(void) {
  struct stat st;
  char a[16], b[16];
  symlink("loop2", "loop1");
  symlink("loop1", "loop2");
  symlink("self", "self");
  ERR("two-link loop", open("loop1", O_RDONLY), ELOOP);
  ERR("self loop", stat("self", &st), ELOOP);
  ERR("loop as dir component", stat("loop1/x", &st), ELOOP);
  OK("lstat loop itself", lstat("loop1", &st));
  close(open("f", O_CREAT | O_WRONLY, 0644));
  /* path_resolution(7): at most 40 symlinks per lookup. Chain of 40 is fine, 41 fails. */
  snprintf(a, sizeof a, "c0");
  symlink("f", "c0");
  for (int i = 1; i <= 41; i++) {
    snprintf(a, sizeof a, "c%d", i);
    snprintf(b, sizeof b, "c%d", i - 1);
    symlink(b, a);
  }
  OK("chain of 40 links", stat("c39", &st));
  ERR("chain of 41 links", stat("c40", &st), ELOOP);
  ERR("chain of 42 links", stat("c41", &st), ELOOP);
  symlink("f", "lf");
  ERR("O_NOFOLLOW on symlink", open("lf", O_RDONLY | O_NOFOLLOW), ELOOP);
  OK("O_NOFOLLOW on file", open("f", O_RDONLY | O_NOFOLLOW));
  int fd = open("lf", O_PATH | O_NOFOLLOW);
  EXPECT("O_PATH|O_NOFOLLOW opens the link", fd >= 0);
  fstat(fd, &st);
  EXPECT("fstat O_PATH link", S_ISLNK(st.st_mode));
  char buf[8] = {0};
  ERR("read O_PATH fd", read(fd, buf, 1), EBADF);
  EQ("readlinkat empty path", readlinkat(fd, "", buf, sizeof buf), 1);
  mkdir("d", 0755);
  symlink("d", "ld");
  ERR("O_NOFOLLOW only final component", open("ld/../lf", O_RDONLY | O_NOFOLLOW), ELOOP);
  OK("intermediate symlink followed", open("ld/../f", O_RDONLY | O_NOFOLLOW));
  ERR("O_CREAT on loop", open("loop1", O_CREAT | O_WRONLY, 0644), ELOOP);
  return t_done();
}
