/* MAP_FIXED replacement and MAP_FIXED_NOREPLACE. */
#include "t.h"
#include <sys/mman.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

int main(void) {
  long pg = 4096;
  char *base = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(base, 'a', 4 * pg);
  char *f = mmap(base + pg, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  EXPECT("MAP_FIXED at address", f == base + pg);
  EQ("replaced page is zero", f[0], 0);
  EQ("neighbour kept", base[0], 'a');
  EQ("neighbour after kept", base[2 * pg], 'a');
  ERR("NOREPLACE on mapped", (long)mmap(base + 2 * pg, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), EEXIST);
  munmap(base + 3 * pg, pg);
  char *n = mmap(base + 3 * pg, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  EXPECT("NOREPLACE in hole", n == base + 3 * pg);
  ERR("NOREPLACE partial overlap", (long)mmap(base + 2 * pg, 3 * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), EEXIST);
  /* A hint without MAP_FIXED is honoured when free. */
  void *hint = (void *)0x300000000000;
  char *h = mmap(hint, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  EXPECT("free hint honoured", h == hint);
  char *h2 = mmap(hint, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  EXPECT("busy hint moved elsewhere", h2 != MAP_FAILED && h2 != hint);
  /* TASK_SIZE on x86-64 (4-level paging) is 2^47 - one page. */
  ERR("MAP_FIXED at TASK_SIZE", (long)mmap((void *)0x7ffffffff000, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), ENOMEM);
  char *top = mmap((void *)(0x7ffffffff000 - pg), pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  EXPECT("last user page", top == (void *)(0x7ffffffff000 - pg));
  return t_done();
}
