/* brk: query, grow, use, shrink; sbrk on top. */
#include "t.h"

int main(void) {
  long pg = 4096;
  char *b0 = (char *)syscall(SYS_brk, 0);
  EXPECT("brk(0) > 0", b0 != NULL);
  char *b1 = (char *)syscall(SYS_brk, b0 + 3 * pg);
  EXPECT("grow", b1 == b0 + 3 * pg);
  memset(b0, 'h', 3 * pg);
  EQ("heap usable", b0[3 * pg - 1], 'h');
  char *b2 = (char *)syscall(SYS_brk, b0 + pg);
  EXPECT("shrink", b2 == b0 + pg);
  char *b3 = (char *)syscall(SYS_brk, b0 + 3 * pg);
  EXPECT("regrow", b3 == b0 + 3 * pg);
  EQ("regrown page is zero", b0[2 * pg], 0);
  EQ("kept page", b0[0], 'h');
  char *b4 = (char *)syscall(SYS_brk, b0 - 0x10000000);
  EXPECT("below start refused (returns current)", b4 == b3);
  char *b5 = (char *)syscall(SYS_brk, (void *)0x7ffffffff000);
  EXPECT("absurd refused (returns current)", b5 == b3);
  char *b6 = (char *)syscall(SYS_brk, b0 + 3 * pg + 100);
  EXPECT("unaligned brk returned as asked", b6 == b0 + 3 * pg + 100);
  b6[10] = 1;
  printf("unaligned tail usable: ok\n");
  void *s0 = sbrk(0);
  void *s1 = sbrk(8192);
  EXPECT("sbrk returns old break", s0 == s1);
  EXPECT("sbrk advanced", (char *)sbrk(0) == (char *)s0 + 8192);
  char *m = malloc(100000);
  memset(m, 1, 100000);
  EXPECT("malloc works", m[99999] == 1);
  free(m);
  return t_done();
}
