/* FUTEX_REQUEUE and FUTEX_CMP_REQUEUE. */
#include "t.h"
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>

static atomic_int a, b, started, done;

static void *waiter(void *arg) {
  atomic_fetch_add(&started, 1);
  syscall(SYS_futex, &a, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
  atomic_fetch_add(&done, 1);
  return NULL;
}

static void start(pthread_t *t, int n) {
  atomic_store(&started, 0);
  for (int i = 0; i < n; i++) pthread_create(&t[i], NULL, waiter, NULL);
  EXPECT("waiters blocked in FUTEX_WAIT", t_wait_threads_asleep(n));
}

int main(void) {
  pthread_t t[4];
  start(t, 4);
  /* Wake 1, move up to 2 to b: returns woken + requeued. */
  long r = syscall(SYS_futex, &a, FUTEX_REQUEUE_PRIVATE, 1, 2, &b, 0);
  EQ("REQUEUE returns woken+moved", r, 3);
  /* The woken thread needs CPU time to count itself: wait for it (a fixed
     sleep is too short on a loaded machine), then check no second one woke. */
  struct timespec s;
  clock_gettime(CLOCK_MONOTONIC, &s);
  while (atomic_load(&done) < 1 && t_ms_since(&s) < T_WAIT_MS) usleep(1000);
  EXPECT("the rest still blocked", t_wait_threads_asleep(3));
  EQ("one woke", atomic_load(&done), 1);
  EQ("wake on b wakes the moved ones", syscall(SYS_futex, &b, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0), 2);
  EQ("one left on a", syscall(SYS_futex, &a, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0), 1);
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  atomic_store(&done, 0);
  start(t, 2);
  ERR("CMP_REQUEUE value mismatch", syscall(SYS_futex, &a, FUTEX_CMP_REQUEUE_PRIVATE, 0, 1, &b, 5), EAGAIN);
  EQ("CMP_REQUEUE match: wake 0 move 2", syscall(SYS_futex, &a, FUTEX_CMP_REQUEUE_PRIVATE, 0, 2, &b, 0), 2);
  EQ("nothing left on a", syscall(SYS_futex, &a, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0), 0);
  EQ("both on b", syscall(SYS_futex, &b, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0), 2);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  ERR("CMP_REQUEUE negative count", syscall(SYS_futex, &a, FUTEX_CMP_REQUEUE_PRIVATE, -1, 1, &b, 0), EINVAL);
  ERR("CMP_REQUEUE same futex (PI-less ok?)", syscall(SYS_futex, &a, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, &a, 1), EAGAIN);
  return t_done();
}
