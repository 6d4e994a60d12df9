/* Priority-inheritance mutexes (FUTEX_LOCK_PI/UNLOCK_PI via glibc) and
   error-checking/recursive mutex kinds. */
#include "t.h"
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>

static pthread_mutex_t pi;
static atomic_int inside, maxinside, total;

static void *worker(void *a) {
  for (int i = 0; i < 2000; i++) {
    pthread_mutex_lock(&pi);
    int n = atomic_fetch_add(&inside, 1) + 1;
    if (n > atomic_load(&maxinside)) atomic_store(&maxinside, n);
    atomic_fetch_add(&total, 1);
    atomic_fetch_sub(&inside, 1);
    pthread_mutex_unlock(&pi);
  }
  return NULL;
}

int main(void) {
  pthread_mutexattr_t at;
  pthread_mutexattr_init(&at);
  EQ("PRIO_INHERIT", pthread_mutexattr_setprotocol(&at, PTHREAD_PRIO_INHERIT), 0);
  pthread_mutex_init(&pi, &at);
  pthread_t t[4];
  for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, worker, NULL);
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  EQ("mutual exclusion", atomic_load(&maxinside), 1);
  EQ("all increments", atomic_load(&total), 8000);
  /* Raw PI futex: the word holds the owner's tid. */
  static unsigned int word;
  EQ("LOCK_PI uncontended", syscall(SYS_futex, &word, FUTEX_LOCK_PI, 0, NULL, NULL, 0), 0);
  EXPECT("owner tid stored", (word & FUTEX_TID_MASK) == (unsigned)gettid());
  ERR("LOCK_PI again: EDEADLK", syscall(SYS_futex, &word, FUTEX_LOCK_PI, 0, NULL, NULL, 0), EDEADLK);
  EQ("UNLOCK_PI", syscall(SYS_futex, &word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0), 0);
  EQ("word cleared", word, 0);
  ERR("UNLOCK_PI not owner", syscall(SYS_futex, &word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0), EPERM);
  EQ("TRYLOCK_PI", syscall(SYS_futex, &word, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0), 0);
  syscall(SYS_futex, &word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
  /* Error-checking and recursive mutexes. */
  pthread_mutex_t ec, rec;
  pthread_mutexattr_t a2;
  pthread_mutexattr_init(&a2);
  pthread_mutexattr_settype(&a2, PTHREAD_MUTEX_ERRORCHECK);
  pthread_mutex_init(&ec, &a2);
  pthread_mutex_lock(&ec);
  STREQ("errorcheck relock", t_errname(pthread_mutex_lock(&ec)), "EDEADLK");
  pthread_mutex_unlock(&ec);
  STREQ("errorcheck unlock unowned", t_errname(pthread_mutex_unlock(&ec)), "EPERM");
  pthread_mutexattr_settype(&a2, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&rec, &a2);
  EQ("recursive lock 1", pthread_mutex_lock(&rec), 0);
  EQ("recursive lock 2", pthread_mutex_lock(&rec), 0);
  EQ("recursive unlock 1", pthread_mutex_unlock(&rec), 0);
  EQ("recursive unlock 2", pthread_mutex_unlock(&rec), 0);
  return t_done();
}
