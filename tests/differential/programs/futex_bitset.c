/* FUTEX_WAIT_BITSET / FUTEX_WAKE_BITSET: selective wake-up. */
#include "t.h"
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>

static atomic_int word, started, woke_mask;

static void *waiter(void *arg) {
  int bits = (int)(long)arg;
  atomic_fetch_add(&started, 1);
  syscall(SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, bits);
  atomic_fetch_or(&woke_mask, bits);
  return NULL;
}

int main(void) {
  pthread_t t[3];
  int bits[3] = {1, 2, 4};
  for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, waiter, (void *)(long)bits[i]);
  EXPECT("3 waiters blocked in FUTEX_WAIT", t_wait_threads_asleep(3));
  EQ("wake bit 2 only", syscall(SYS_futex, &word, FUTEX_WAKE_BITSET_PRIVATE, 10, NULL, NULL, 2), 1);
  pthread_join(t[1], NULL);
  EQ("mask after first", atomic_load(&woke_mask), 2);
  EQ("wake bits 8: nobody", syscall(SYS_futex, &word, FUTEX_WAKE_BITSET_PRIVATE, 10, NULL, NULL, 8), 0);
  EQ("wake bits 1|4", syscall(SYS_futex, &word, FUTEX_WAKE_BITSET_PRIVATE, 10, NULL, NULL, 5), 2);
  pthread_join(t[0], NULL);
  pthread_join(t[2], NULL);
  EQ("all woken", atomic_load(&woke_mask), 7);
  ERR("WAIT_BITSET bitset 0", syscall(SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, 0), EINVAL);
  ERR("WAKE_BITSET bitset 0", syscall(SYS_futex, &word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0), EINVAL);
  ERR("WAIT_BITSET mismatch", syscall(SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE, 1, NULL, NULL, 1), EAGAIN);
  /* Plain FUTEX_WAKE wakes bitset waiters (it uses MATCH_ANY). */
  atomic_store(&started, 0);
  pthread_create(&t[0], NULL, waiter, (void *)16L);
  EXPECT("waiter blocked in FUTEX_WAIT", t_wait_threads_asleep(1));
  EQ("plain WAKE matches any bitset", syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 1);
  pthread_join(t[0], NULL);
  return t_done();
}
