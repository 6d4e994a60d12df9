/* mremap: grow, shrink, MAYMOVE, FIXED, and errors. */
#include "t.h"
#include <sys/mman.h>

int main(void) {
  long pg = 4096;
  char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(p, 'x', 2 * pg);
  /* Make sure the page after is free so the in-place grow can succeed. */
  munmap(p + 2 * pg, 4 * pg);
  char *q = mremap(p, 2 * pg, 4 * pg, 0);
  EXPECT("grow in place", q == p);
  EQ("old data", q[2 * pg - 1], 'x');
  EQ("new part zero", q[3 * pg], 0);
  q = mremap(p, 4 * pg, pg, 0);
  EXPECT("shrink in place", q == p);
  EQ("shrunk data", q[0], 'x');
  /* Block the next page, then grow: fails without MAYMOVE. */
  char *blk = mmap(p + pg, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  EXPECT("blocker", blk == p + pg);
  ERR("grow blocked", (long)mremap(p, pg, 2 * pg, 0), ENOMEM);
  char *m = mremap(p, pg, 8 * pg, MREMAP_MAYMOVE);
  EXPECT("MAYMOVE moved", m != MAP_FAILED && m != p);
  EQ("moved data", m[0], 'x');
  EQ("moved tail zero", m[8 * pg - 1], 0);
  void *target = (void *)0x350000000000;
  char *f = mremap(m, 8 * pg, 8 * pg, MREMAP_MAYMOVE | MREMAP_FIXED, target);
  EXPECT("MREMAP_FIXED to target", f == target);
  EQ("fixed data", f[0], 'x');
  ERR("FIXED without MAYMOVE", (long)mremap(f, pg, pg, MREMAP_FIXED, (void *)0x360000000000), EINVAL);
  ERR("bad flags", (long)mremap(f, pg, pg, 0x80), EINVAL);
  ERR("unaligned old", (long)mremap(f + 1, pg, pg, 0), EINVAL);
  ERR("new size 0", (long)mremap(f, pg, 0, 0), EINVAL);
  ERR("not mapped", (long)mremap((void *)0x370000000000, pg, 2 * pg, MREMAP_MAYMOVE), EFAULT);
  /* Shared anonymous: old_size 0 duplicates the mapping. */
  char *s = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  char *dup = mremap(s, 0, pg, MREMAP_MAYMOVE);
  EXPECT("old_size 0 duplicate", dup != MAP_FAILED && dup != s);
  s[7] = 'S';
  EQ("duplicate shares pages", dup[7], 'S');
  return t_done();
}
