/* FUTEX_WAKE_OP: atomically modify uaddr2, wake on uaddr, conditionally on uaddr2. */
#include "t.h"
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>

static atomic_int f1, f2, started, done;

static void *w1(void *a) {
  atomic_fetch_add(&started, 1);
  syscall(SYS_futex, &f1, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
  atomic_fetch_add(&done, 1);
  return NULL;
}
static void *w2(void *a) {
  atomic_fetch_add(&started, 1);
  syscall(SYS_futex, &f2, FUTEX_WAIT_PRIVATE, atomic_load(&f2), NULL, NULL, 0);
  atomic_fetch_add(&done, 10);
  return NULL;
}

#define OP(op, oparg, cmp, cmparg) FUTEX_OP(op, oparg, cmp, cmparg)

int main(void) {
  /* No waiters: only the op applies; returns 0. */
  atomic_store(&f2, 5);
  EQ("op ADD no waiters", syscall(SYS_futex, &f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2, OP(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_EQ, 5)), 0);
  EQ("f2 after ADD 3", atomic_load(&f2), 8);
  syscall(SYS_futex, &f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2, OP(FUTEX_OP_SET, 2, FUTEX_OP_CMP_EQ, 0));
  EQ("SET", atomic_load(&f2), 2);
  syscall(SYS_futex, &f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2, OP(FUTEX_OP_OR, 4, FUTEX_OP_CMP_EQ, 0));
  EQ("OR", atomic_load(&f2), 6);
  syscall(SYS_futex, &f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2, OP(FUTEX_OP_ANDN, 2, FUTEX_OP_CMP_EQ, 0));
  EQ("ANDN", atomic_load(&f2), 4);
  syscall(SYS_futex, &f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2, OP(FUTEX_OP_XOR, 5, FUTEX_OP_CMP_EQ, 0));
  EQ("XOR", atomic_load(&f2), 1);
  syscall(SYS_futex, &f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2, OP((FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT), 3, FUTEX_OP_CMP_EQ, 0));
  EQ("SET with OPARG_SHIFT (1<<3)", atomic_load(&f2), 8);
  /* With waiters on both: old value 8 > 7 is true, so wake on f2 too. */
  pthread_t a, b;
  pthread_create(&a, NULL, w1, NULL);
  pthread_create(&b, NULL, w2, NULL);
  EXPECT("waiters blocked in FUTEX_WAIT", t_wait_threads_asleep(2));
  long r = syscall(SYS_futex, &f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2, OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_GT, 7));
  EQ("woke both (cmp true)", r, 2);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  EQ("both done", atomic_load(&done), 11);
  EQ("f2 after ADD 1", atomic_load(&f2), 9);
  /* Condition false: only f1's waiter wakes. */
  atomic_store(&started, 0);
  atomic_store(&done, 0);
  pthread_create(&a, NULL, w1, NULL);
  pthread_create(&b, NULL, w2, NULL);
  EXPECT("waiters blocked in FUTEX_WAIT", t_wait_threads_asleep(2));
  r = syscall(SYS_futex, &f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2, OP(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_LT, 0));
  EQ("woke one (cmp false)", r, 1);
  pthread_join(a, NULL);
  usleep(20000);
  EQ("f2 waiter still asleep", atomic_load(&done), 1);
  syscall(SYS_futex, &f2, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  pthread_join(b, NULL);
  ERR("bad uaddr2", syscall(SYS_futex, &f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, (void *)8, OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0)), EFAULT);
  ERR("bad op code", syscall(SYS_futex, &f1, FUTEX_WAKE_OP_PRIVATE, 1, 1, &f2, OP(7, 1, FUTEX_OP_CMP_EQ, 0)), ENOSYS);
  return t_done();
}
