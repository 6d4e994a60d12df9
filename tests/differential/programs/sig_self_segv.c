/* A NULL dereference with no handler: killed by SIGSEGV (status 128 + 11). */
// @status 139
#include "t.h"
#include <sys/resource.h>

int main(void) {
  struct rlimit r = {0, 0};
  setrlimit(RLIMIT_CORE, &r);
  printf("about to fault\n");
  t_done();
  volatile int *p = (int *)(uintptr_t)16;
  *p = 1;
  printf("not reached FAIL\n");
  return 0;
}
