/* CLONE_SETTLS via pthreads: __thread variables are per thread; fs differs. */
#include "t.h"
#include <asm/prctl.h>
#include <pthread.h>

static __thread int tv = 42;
static __thread char tbuf[64];
static int seen[4];
static unsigned long fsbase[4];

static void *thr(void *a) {
  long i = (long)a;
  seen[i] = tv;
  tv = (int)i * 100;
  snprintf(tbuf, sizeof tbuf, "thread %ld", i);
  syscall(SYS_arch_prctl, ARCH_GET_FS, &fsbase[i]);
  usleep(10000);
  return (void *)(long)(tv == (int)i * 100 && strcmp(tbuf, "thread") > 0);
}

int main(void) {
  tv = 7;
  strcpy(tbuf, "main");
  pthread_t t[4];
  for (long i = 0; i < 4; i++) pthread_create(&t[i], NULL, thr, (void *)i);
  int ok = 0;
  for (int i = 0; i < 4; i++) {
    void *r;
    pthread_join(t[i], &r);
    ok += r != NULL;
  }
  EQ("each thread starts from the initial value", seen[0] + seen[1] + seen[2] + seen[3], 4 * 42);
  EQ("threads kept their own values", ok, 4);
  EQ("main value untouched", tv, 7);
  STREQ("main buffer untouched", tbuf, "main");
  unsigned long mine;
  syscall(SYS_arch_prctl, ARCH_GET_FS, &mine);
  int distinct = 1;
  for (int i = 0; i < 4; i++) {
    if (fsbase[i] == mine || fsbase[i] == 0) distinct = 0;
    for (int j = 0; j < i; j++) if (fsbase[i] == fsbase[j]) distinct = 0;
  }
  EXPECT("fs bases distinct", distinct);
  EXPECT("fs base points at the TCB (self pointer)", *(unsigned long *)mine == mine);
  return t_done();
}
