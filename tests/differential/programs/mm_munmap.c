/* munmap splitting a mapping; access to unmapped parts faults. */
#include "t.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

static sigjmp_buf jb;
static void onsegv(int s) { siglongjmp(jb, 1); }
static int probe(volatile char *p) {
  if (sigsetjmp(jb, 1)) return 0;
  volatile char c = *p;
  (void)c;
  return 1;
}

int main(void) {
  long pg = 4096;
  signal(SIGSEGV, onsegv);
  char *p = mmap(NULL, 5 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int i = 0; i < 5; i++) p[i * pg] = (char)('a' + i);
  OK("unmap middle", munmap(p + 2 * pg, pg));
  EQ("page 0", probe(p), 1);
  EQ("page 1", probe(p + pg), 1);
  EQ("page 2 gone", probe(p + 2 * pg), 0);
  EQ("page 3", probe(p + 3 * pg), 1);
  EQ("page 3 data", p[3 * pg], 'd');
  OK("unmap across hole", munmap(p + pg, 3 * pg));
  EQ("page 1 gone", probe(p + pg), 0);
  EQ("page 3 gone", probe(p + 3 * pg), 0);
  EQ("page 4 kept", p[4 * pg], 'e');
  OK("unmap with unaligned length", munmap(p + 4 * pg, 1));
  EQ("page 4 gone", probe(p + 4 * pg), 0);
  EQ("page 0 kept", p[0], 'a');
  /* Signal handlers reinstalled after siglongjmp (signal() is BSD semantics). */
  OK("munmap all", munmap(p, 5 * pg));
  EQ("page 0 gone", probe(p), 0);
  return t_done();
}
