/* FUTEX_WAIT / FUTEX_WAKE between threads; EAGAIN on value mismatch. */
#include "t.h"
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>

static atomic_int word, woken, started;

static long futex(atomic_int *uaddr, int op, int val, const struct timespec *to, atomic_int *u2, int v3) {
  return syscall(SYS_futex, uaddr, op, val, to, u2, v3);
}
static void *waiter(void *a) {
  atomic_fetch_add(&started, 1);
  while (atomic_load(&word) == 0) futex(&word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
  atomic_fetch_add(&woken, 1);
  return NULL;
}

int main(void) {
  ERR("value mismatch", futex(&word, FUTEX_WAIT, 1, NULL, NULL, 0), EAGAIN);
  EQ("wake nobody", futex(&word, FUTEX_WAKE, 1, NULL, NULL, 0), 0);
  pthread_t t[4];
  for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, waiter, NULL);
  EXPECT("waiters blocked in FUTEX_WAIT", t_wait_threads_asleep(4));
  EQ("nobody woken yet", atomic_load(&woken), 0);
  atomic_store(&word, 1);
  long n = futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  EXPECT("wake 1 wakes at most 1", n <= 1);
  n += futex(&word, FUTEX_WAKE_PRIVATE, 100, NULL, NULL, 0);
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  EQ("all woken", atomic_load(&woken), 4);
  EXPECT("wake counts add up to <= 4", n <= 4);
  ERR("unaligned address", syscall(SYS_futex, (char *)&word + 1, FUTEX_WAIT, 0, NULL, NULL, 0), EINVAL);
  ERR("bad address", syscall(SYS_futex, (void *)8, FUTEX_WAIT, 0, NULL, NULL, 0), EFAULT);
  ERR("bad op", futex(&word, 99, 0, NULL, NULL, 0), ENOSYS);
  /* Shared (non-private) futex across fork via MAP_SHARED. */
  return t_done();
}
