/* Trailing slashes: only directories (or links to them) may have them. */
#include "t.h"
#include <sys/stat.h>

int main(void) {
  struct stat st;
  close(open("f", O_CREAT | O_WRONLY, 0644));
  mkdir("d", 0755);
  symlink("d", "ld");
  symlink("f", "lf");
  ERR("stat file/", stat("f/", &st), ENOTDIR);
  OK("stat dir/", stat("d/", &st));
  OK("stat dir//", stat("d//", &st));
  OK("stat dir/.", stat("d/.", &st));
  ERR("open file/", open("f/", O_RDONLY), ENOTDIR);
  ERR("O_CREAT new/", open("new/", O_CREAT | O_WRONLY, 0644), EISDIR);
  OK("mkdir new/", mkdir("nd/", 0755));
  OK("rmdir nd/", rmdir("nd/"));
  ERR("unlink file/", unlink("f/"), ENOTDIR);
  OK("lstat ld/ follows", lstat("ld/", &st));
  EXPECT("ld/ is dir", S_ISDIR(st.st_mode));
  ERR("lstat lf/", lstat("lf/", &st), ENOTDIR);
  ERR("rename file to x/", rename("f", "x/"), ENOTDIR);
  OK("rename dir to d2/", rename("d/", "d2/"));
  ERR("rmdir dangling symlink/", rmdir("ld/"), ENOTDIR);
  symlink("d2", "ld2");
  ERR("rmdir symlink-to-dir/ (existing)", rmdir("ld2/"), ENOTDIR);
  ERR("unlink dir/", unlink("d2/"), EISDIR);
  ERR("symlink to x/", symlink("f", "q/"), ENOENT);
  ERR("link to x/", link("f", "q/"), ENOENT);
  OK("path with many slashes", stat("d2///.//", &st));
  return t_done();
}
