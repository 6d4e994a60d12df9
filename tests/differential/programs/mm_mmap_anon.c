/* Anonymous mmap: zero fill, access, argument errors. */
#include "t.h"
#include <sys/mman.h>

int main(void) {
  long pg = sysconf(_SC_PAGESIZE);
  EQ("page size", pg, 4096);
  char *p = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  EXPECT("mmap anon", p != MAP_FAILED);
  EXPECT("page aligned", ((uintptr_t)p & (pg - 1)) == 0);
  int zero = 1;
  for (long i = 0; i < 3 * pg; i++) if (p[i]) zero = 0;
  EXPECT("zero filled", zero);
  p[0] = 1; p[3 * pg - 1] = 2;
  EXPECT("write/read", p[0] == 1 && p[3 * pg - 1] == 2);
  OK("munmap", munmap(p, 3 * pg));
  char *q = mmap(NULL, 100, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  EXPECT("unaligned length rounds up", q != MAP_FAILED);
  q[pg - 1] = 'x';
  EXPECT("whole page usable", q[pg - 1] == 'x');
  munmap(q, 100);
  ERR("length 0", (long)mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
  ERR("no PRIVATE/SHARED", (long)mmap(NULL, pg, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL);
  ERR("both PRIVATE and SHARED", (long)mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_SHARED | MAP_ANONYMOUS, -1, 0), EINVAL);
  ERR("MAP_FIXED unaligned", (long)mmap((void *)0x10000001, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), EINVAL);
  ERR("huge length", (long)mmap(NULL, (size_t)1 << 62, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ENOMEM);
  ERR("file mapping bad fd", (long)mmap(NULL, pg, PROT_READ, MAP_PRIVATE, 99, 0), EBADF);
  ERR("unaligned offset", (long)mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 5), EINVAL);
  ERR("munmap unaligned", munmap((void *)0x10001, pg), EINVAL);
  ERR("munmap len 0", munmap((void *)0x100000, 0), EINVAL);
  OK("munmap unmapped range", munmap((void *)0x200000000, pg));
  char *r = mmap(NULL, pg, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  EXPECT("PROT_EXEC mapping", r != MAP_FAILED);
  r[0] = (char)0xc3; /* ret */
  ((void (*)(void))r)();
  printf("executed code in anon mapping: ok\n");
  /* A big sparse mapping costs nothing until touched. */
  char *big = mmap(NULL, 1L << 32, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  EXPECT("4 GiB NORESERVE", big != MAP_FAILED);
  big[(1L << 32) - 1] = 7;
  EXPECT("touch end", big[(1L << 32) - 1] == 7);
  OK("munmap big", munmap(big, 1L << 32));
  return t_done();
}
