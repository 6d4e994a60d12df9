/* sched_yield, sched_getaffinity, getcpu, scheduling policy queries. */
#include "t.h"
#include <sched.h>

int main(void) {
  cpu_set_t set;
  EQ("sched_yield", sched_yield(), 0);
  OK("getaffinity", sched_getaffinity(0, sizeof set, &set));
  int n = CPU_COUNT(&set);
  EXPECT("at least one cpu", n >= 1);
  long raw = syscall(SYS_sched_getaffinity, 0, sizeof set, &set);
  EXPECT("raw returns size in bytes (multiple of 8)", raw > 0 && raw % 8 == 0);
  ERR("size too small", syscall(SYS_sched_getaffinity, 0, 1, &set), EINVAL);
  ERR("unaligned size", syscall(SYS_sched_getaffinity, 0, 9, &set), EINVAL);
  ERR("missing pid", sched_getaffinity(0x3fffffff, sizeof set, &set), ESRCH);
  cpu_set_t one;
  CPU_ZERO(&one);
  int first = -1;
  for (int i = 0; i < CPU_SETSIZE; i++) if (CPU_ISSET(i, &set)) { first = i; break; }
  CPU_SET(first, &one);
  OK("setaffinity one cpu", sched_setaffinity(0, sizeof one, &one));
  unsigned cpu = 99, node = 99;
  OK("getcpu", syscall(SYS_getcpu, &cpu, &node, NULL));
  EXPECT("pinned cpu", (int)cpu == first);
  sched_setaffinity(0, sizeof set, &set);
  EQ("getscheduler", sched_getscheduler(0), SCHED_OTHER);
  struct sched_param sp;
  OK("getparam", sched_getparam(0, &sp));
  EQ("priority 0", sp.sched_priority, 0);
  EQ("max prio FIFO", sched_get_priority_max(SCHED_FIFO), 99);
  EQ("min prio OTHER", sched_get_priority_min(SCHED_OTHER), 0);
  ERR("bad policy", sched_get_priority_max(1234), EINVAL);
  return t_done();
}
