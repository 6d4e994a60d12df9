/* pthreads (clone with CLONE_VM|CLONE_THREAD|...): shared memory, join, detach. */
// @dynamic
#include "t.h"
#include <pthread.h>
#include <stdatomic.h>

#define N 8
static atomic_int counter;
static int slots[N];
static pid_t tids[N];

static void *work(void *arg) {
  long i = (long)arg;
  for (int k = 0; k < 10000; k++) atomic_fetch_add(&counter, 1);
  slots[i] = (int)i * 10;
  tids[i] = gettid();
  return (void *)(i + 100);
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready;
static void *waiter(void *a) {
  pthread_mutex_lock(&mu);
  while (!ready) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  return (void *)7;
}

int main(void) {
  pthread_t t[N];
  for (long i = 0; i < N; i++) pthread_create(&t[i], NULL, work, (void *)i);
  int rets = 0;
  for (int i = 0; i < N; i++) {
    void *r;
    pthread_join(t[i], &r);
    if ((long)r == i + 100) rets++;
  }
  EQ("join return values", rets, N);
  EQ("atomic counter", atomic_load(&counter), N * 10000);
  int ok = 1, distinct = 1;
  for (int i = 0; i < N; i++) {
    if (slots[i] != i * 10) ok = 0;
    for (int j = 0; j < i; j++) if (tids[i] == tids[j]) distinct = 0;
    if (tids[i] == getpid()) distinct = 0;
  }
  EXPECT("shared memory writes", ok);
  EXPECT("distinct tids", distinct);
  pthread_t w;
  pthread_create(&w, NULL, waiter, NULL);
  usleep(20000);
  pthread_mutex_lock(&mu);
  ready = 1;
  pthread_cond_signal(&cv);
  pthread_mutex_unlock(&mu);
  void *r;
  pthread_join(w, &r);
  EQ("condvar handoff", (long)r, 7);
  pthread_attr_t at;
  pthread_attr_init(&at);
  pthread_attr_setstacksize(&at, 1 << 20);
  EQ("create with attr", pthread_create(&w, &at, work, (void *)0), 0);
  EQ("join", pthread_join(w, NULL), 0);
  EQ("join twice is an error", pthread_join(w, NULL) != 0, 1);
  return t_done();
}
