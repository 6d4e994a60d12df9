/* Futex timeouts: relative for WAIT, absolute for WAIT_BITSET. */
#include "t.h"
#include <linux/futex.h>
#include <time.h>

static int word;

int main(void) {
  struct timespec to = {0, 60 * 1000000}, s;
  clock_gettime(CLOCK_MONOTONIC, &s);
  ERR("WAIT relative timeout", syscall(SYS_futex, &word, FUTEX_WAIT, 0, &to, NULL, 0), ETIMEDOUT);
  EXPECT("waited >= 60ms", t_ms_since(&s) >= 60);
  struct timespec abs;
  clock_gettime(CLOCK_MONOTONIC, &abs);
  abs.tv_nsec += 50 * 1000000;
  if (abs.tv_nsec >= 1000000000) { abs.tv_sec++; abs.tv_nsec -= 1000000000; }
  clock_gettime(CLOCK_MONOTONIC, &s);
  ERR("WAIT_BITSET absolute monotonic", syscall(SYS_futex, &word, FUTEX_WAIT_BITSET, 0, &abs, NULL, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
  EXPECT("abs waited >= 49ms", t_ms_since(&s) >= 49);
  clock_gettime(CLOCK_REALTIME, &abs);
  abs.tv_nsec += 30 * 1000000;
  if (abs.tv_nsec >= 1000000000) { abs.tv_sec++; abs.tv_nsec -= 1000000000; }
  ERR("WAIT_BITSET CLOCK_REALTIME", syscall(SYS_futex, &word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 0, &abs, NULL, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
  struct timespec past = {1, 0};
  ERR("absolute in the past", syscall(SYS_futex, &word, FUTEX_WAIT_BITSET, 0, &past, NULL, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
  struct timespec bad = {0, 1000000000};
  ERR("bad timespec", syscall(SYS_futex, &word, FUTEX_WAIT, 0, &bad, NULL, 0), EINVAL);
  struct timespec neg = {-1, 0};
  ERR("negative timeout", syscall(SYS_futex, &word, FUTEX_WAIT, 0, &neg, NULL, 0), EINVAL);
  struct timespec zero = {0, 0};
  ERR("zero timeout", syscall(SYS_futex, &word, FUTEX_WAIT, 0, &zero, NULL, 0), ETIMEDOUT);
  ERR("CLOCK_REALTIME with plain WAIT", syscall(SYS_futex, &word, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 0, &zero, NULL, 0), ENOSYS);
  ERR("CLOCK_REALTIME with WAKE", syscall(SYS_futex, &word, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0), ENOSYS);
  ERR("bad timeout pointer", syscall(SYS_futex, &word, FUTEX_WAIT, 0, (void *)8, NULL, 0), EFAULT);
  return t_done();
}
