/* madvise: DONTNEED zeroes private anon pages and re-reads private file pages. */
#include "t.h"
#include <sys/mman.h>

int main(void) {
  long pg = 4096;
  char *p = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(p, 'd', 4 * pg);
  OK("MADV_DONTNEED", madvise(p + pg, 2 * pg, MADV_DONTNEED));
  EQ("dropped page zero", p[pg], 0);
  EQ("dropped page 2 zero", p[3 * pg - 1], 0);
  EQ("kept before", p[pg - 1], 'd');
  EQ("kept after", p[3 * pg], 'd');
  int fd = open("f", O_CREAT | O_RDWR, 0644);
  char data[4096];
  memset(data, 'F', sizeof data);
  write(fd, data, sizeof data);
  char *f = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  f[0] = 'x';
  madvise(f, pg, MADV_DONTNEED);
  EQ("private file page re-read", f[0], 'F');
  char *s = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  s[0] = 'S';
  madvise(s, pg, MADV_DONTNEED);
  EQ("shared anon kept", s[0], 'S');
  OK("MADV_NORMAL", madvise(p, pg, MADV_NORMAL));
  OK("MADV_WILLNEED", madvise(p, pg, MADV_WILLNEED));
  OK("MADV_SEQUENTIAL", madvise(p, pg, MADV_SEQUENTIAL));
  OK("MADV_DONTFORK", madvise(p, pg, MADV_DONTFORK));
  OK("MADV_DOFORK", madvise(p, pg, MADV_DOFORK));
  ERR("bad advice", madvise(p, pg, 12345), EINVAL);
  ERR("unaligned", madvise(p + 1, pg, MADV_NORMAL), EINVAL);
  munmap(p + 2 * pg, pg);
  ERR("range with hole", madvise(p, 4 * pg, MADV_NORMAL), ENOMEM);
  OK("length 0", madvise(p, 0, MADV_NORMAL));
  return t_done();
}
