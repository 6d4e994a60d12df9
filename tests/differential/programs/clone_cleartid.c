/* Raw clone: CLONE_CHILD_CLEARTID wakes a futex at thread exit;
   CLONE_PARENT_SETTID and CLONE_CHILD_SETTID store the tid. */
#include "t.h"
#include <linux/futex.h>
#include <sched.h>
#include <sys/mman.h>

static volatile pid_t ctid = -1, ptid = -1, cset = -1;
static volatile int child_ran;

static int child(void *arg) {
  child_ran = 1;
  cset = (pid_t)syscall(SYS_gettid);
  return 0; /* exits this thread only: clone's fn return calls exit */
}

int main(void) {
  size_t sz = 256 * 1024;
  char *stack = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
              CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
  ctid = 12345;
  int tid = clone(child, stack + sz, flags, NULL, &ptid, NULL, &ctid);
  EXPECT("clone returns tid", tid > 0);
  EXPECT("PARENT_SETTID stored tid", ptid == tid);
  /* Wait until the kernel clears ctid and wakes us (what pthread_join does). */
  while (ctid != 0) {
    pid_t v = ctid;
    if (v != 0) syscall(SYS_futex, &ctid, FUTEX_WAIT, v, NULL, NULL, 0);
  }
  EQ("CHILD_CLEARTID cleared", ctid, 0);
  EQ("child ran", child_ran, 1);
  EXPECT("child's gettid == clone result", cset == tid);
  /* CLONE_CHILD_SETTID writes the tid in the child's memory (same VM here). */
  static volatile pid_t ctid2 = 0;
  child_ran = 0;
  int flags2 = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
               CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID;
  ctid2 = 0;
  int tid2 = clone(child, stack + sz, flags2, NULL, NULL, NULL, &ctid2);
  EXPECT("second clone", tid2 > 0);
  /* ctid2 goes 0 -> tid (CHILD_SETTID, in the child) -> 0 (CLEARTID at exit). */
  while (!child_ran || ctid2 != 0) {
    pid_t v = ctid2;
    if (v != 0) syscall(SYS_futex, &ctid2, FUTEX_WAIT, v, NULL, NULL, 0);
    else sched_yield();
  }
  EQ("cleared after exit", ctid2, 0);
  EQ("second child ran", child_ran, 1);
  /* set_tid_address returns the caller's tid. */
  static int dummy;
  EXPECT("set_tid_address returns tid", syscall(SYS_set_tid_address, &dummy) == getpid());
  return t_done();
}
