/* The process kills itself with SIGTERM: exit status 128 + 15. */
// @status 143
#include "t.h"
#include <signal.h>

int main(void) {
  printf("about to raise SIGTERM\n");
  t_done();
  raise(SIGTERM);
  printf("not reached FAIL\n");
  return 0;
}
