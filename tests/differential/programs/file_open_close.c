/* open/openat/creat/close: flags, modes and their errors. */
#include "t.h"
#include <sys/stat.h>

int main(void) {
  int fd, dfd;
  char buf[16];
  ERR("open missing", open("nofile", O_RDONLY), ENOENT);
  fd = open("a.txt", O_CREAT | O_WRONLY, 0644);
  EXPECT("open O_CREAT", fd >= 3);
  EQ("write", write(fd, "hello", 5), 5);
  OK("close", close(fd));
  ERR("close again", close(fd), EBADF);
  ERR("O_CREAT|O_EXCL existing", open("a.txt", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
  fd = open("a.txt", O_RDWR | O_APPEND);
  EQ("append write", write(fd, "!", 1), 1);
  EQ("append offset", lseek(fd, 0, SEEK_CUR), 6);
  close(fd);
  fd = open("a.txt", O_RDONLY);
  EQ("read back", read(fd, buf, sizeof buf), 6);
  buf[6] = 0;
  STREQ("content", buf, "hello!");
  close(fd);
  fd = open("a.txt", O_WRONLY | O_TRUNC);
  struct stat st;
  fstat(fd, &st);
  EQ("O_TRUNC size", st.st_size, 0);
  close(fd);
  fd = creat("b.txt", 0600);
  EXPECT("creat", fd >= 0);
  ERR("creat fd is write-only", read(fd, buf, 1), EBADF);
  close(fd);
  mkdir("d", 0755);
  ERR("open dir O_WRONLY", open("d", O_WRONLY), EISDIR);
  ERR("open dir O_RDWR", open("d", O_RDWR), EISDIR);
  dfd = open("d", O_RDONLY | O_DIRECTORY);
  EXPECT("open dir O_RDONLY", dfd >= 0);
  fd = openat(dfd, "in.txt", O_CREAT | O_RDWR, 0644);
  EXPECT("openat relative to dirfd", fd >= 0);
  close(fd);
  OK("stat openat file", stat("d/in.txt", &st));
  ERR("openat bad dirfd", openat(999, "x", O_RDONLY), EBADF);
  fd = open("a.txt", O_RDONLY);
  ERR("openat file as dirfd", openat(fd, "x", O_RDONLY), ENOTDIR);
  EXPECT("openat absolute ignores dirfd", (dfd = openat(fd, "/", O_RDONLY)) >= 0);
  close(dfd);
  close(fd);
  EXPECT("lowest fd reused", (fd = open("a.txt", O_RDONLY)) == 3 || fd == 4);
  ERR("open bad flags O_CREAT|O_DIRECTORY", open("zz", O_CREAT | O_DIRECTORY | O_RDWR, 0644), EINVAL);
  ERR("open empty path", open("", O_RDONLY), ENOENT);
  ERR("O_CREAT in missing dir", open("nodir/x", O_CREAT | O_WRONLY, 0644), ENOENT);
  ERR("open file as dir component", open("a.txt/x", O_RDONLY), ENOTDIR);
  return t_done();
}
