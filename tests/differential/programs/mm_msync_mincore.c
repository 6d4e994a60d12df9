/* msync and mincore. */
#include "t.h"
#include <sys/mman.h>

int main(void) {
  long pg = 4096;
  unsigned char vec[4];
  int fd = open("f", O_CREAT | O_RDWR, 0644);
  ftruncate(fd, 2 * pg);
  char *s = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  memcpy(s, "synced", 6);
  OK("msync MS_SYNC", msync(s, 2 * pg, MS_SYNC));
  OK("msync MS_ASYNC", msync(s, pg, MS_ASYNC));
  OK("msync MS_INVALIDATE", msync(s, pg, MS_INVALIDATE));
  char buf[8] = {0};
  pread(fd, buf, 6, 0);
  STREQ("data in file", buf, "synced");
  ERR("MS_SYNC|MS_ASYNC", msync(s, pg, MS_SYNC | MS_ASYNC), EINVAL);
  ERR("bad flag", msync(s, pg, 0x100), EINVAL);
  ERR("unaligned", msync(s + 1, pg, MS_SYNC), EINVAL);
  munmap(s + pg, pg);
  ERR("unmapped part", msync(s, 2 * pg, MS_SYNC), ENOMEM);
  char *a = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  a[0] = 1;
  a[2 * pg] = 1;
  OK("mincore", mincore(a, 4 * pg, vec));
  EQ("touched page resident", vec[0] & 1, 1);
  EQ("touched page 2 resident", vec[2] & 1, 1);
  EQ("untouched page not resident", vec[1] & 1, 0);
  ERR("mincore unaligned", mincore(a + 1, pg, vec), EINVAL);
  munmap(a + 3 * pg, pg);
  ERR("mincore unmapped", mincore(a, 4 * pg, vec), ENOMEM);
  ERR("mincore bad vec", mincore(a, pg, (unsigned char *)8), EFAULT);
  return t_done();
}
