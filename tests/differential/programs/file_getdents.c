/* getdents64: every entry listed once, d_type, buffer and fd errors. */
#include "t.h"
#include <dirent.h>
#include <sys/stat.h>

struct d64 {
  uint64_t ino;
  int64_t off;
  unsigned short reclen;
  unsigned char type;
  char name[];
};

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(void) {
  char buf[512];
  char *names[64];
  int n = 0, types = 0;
  mkdir("d", 0755);
  mkdir("d/sub", 0755);
  close(open("d/file", O_CREAT | O_WRONLY, 0644));
  symlink("file", "d/link");
  for (int i = 0; i < 20; i++) {
    char p[32];
    snprintf(p, sizeof p, "d/many%02d", i);
    close(open(p, O_CREAT | O_WRONLY, 0644));
  }
  int fd = open("d", O_RDONLY | O_DIRECTORY);
  long r;
  /* Small buffer: forces several calls. */
  while ((r = syscall(SYS_getdents64, fd, buf, 200)) > 0) {
    for (long off = 0; off < r;) {
      struct d64 *d = (struct d64 *)(buf + off);
      names[n++] = strdup(d->name);
      if (strcmp(d->name, "sub") == 0 && d->type == DT_DIR) types |= 1;
      if (strcmp(d->name, "file") == 0 && d->type == DT_REG) types |= 2;
      if (strcmp(d->name, "link") == 0 && d->type == DT_LNK) types |= 4;
      if (strcmp(d->name, "..") == 0 && d->type == DT_DIR) types |= 8;
      off += d->reclen;
    }
  }
  EQ("end of directory", r, 0);
  EQ("entry count", n, 25);
  EQ("d_type of sub/file/link/..", types, 15);
  qsort(names, n, sizeof *names, cmp);
  for (int i = 0; i < n; i++) printf("entry: %s\n", names[i]);
  EQ("again at end", syscall(SYS_getdents64, fd, buf, sizeof buf), 0);
  lseek(fd, 0, SEEK_SET);
  EXPECT("rewind lists again", syscall(SYS_getdents64, fd, buf, sizeof buf) > 0);
  lseek(fd, 0, SEEK_SET);
  ERR("buffer too small", syscall(SYS_getdents64, fd, buf, 8), EINVAL);
  int f = open("d/file", O_RDONLY);
  ERR("not a directory", syscall(SYS_getdents64, f, buf, sizeof buf), ENOTDIR);
  ERR("bad fd", syscall(SYS_getdents64, 99, buf, sizeof buf), EBADF);
  ERR("bad buffer", syscall(SYS_getdents64, fd, (void *)8, sizeof buf), EFAULT);
  /* An entry removed while the directory is open is not listed again. */
  int fd2 = open("d", O_RDONLY | O_DIRECTORY);
  unlink("d/many05");
  n = 0;
  while ((r = syscall(SYS_getdents64, fd2, buf, sizeof buf)) > 0)
    for (long off = 0; off < r; off += ((struct d64 *)(buf + off))->reclen) n++;
  EQ("count after unlink", n, 24);
  return t_done();
}
