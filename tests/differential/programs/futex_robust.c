/* Robust futexes: a thread (or process) dying while holding a robust mutex
   makes the next locker get EOWNERDEAD; set_robust_list/get_robust_list. */
#include "t.h"
#include <linux/futex.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>

static pthread_mutex_t m;

static void *die_holding(void *a) {
  pthread_mutex_lock(&m);
  return NULL; /* exits without unlocking */
}

int main(void) {
  pthread_mutexattr_t at;
  pthread_mutexattr_init(&at);
  pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&m, &at);
  pthread_t t;
  pthread_create(&t, NULL, die_holding, NULL);
  pthread_join(t, NULL);
  int r = pthread_mutex_lock(&m);
  STREQ("lock after owner thread died", t_errname(r), "EOWNERDEAD");
  EQ("make consistent", pthread_mutex_consistent(&m), 0);
  EQ("unlock", pthread_mutex_unlock(&m), 0);
  EQ("lock again normally", pthread_mutex_lock(&m), 0);
  pthread_mutex_unlock(&m);
  /* Across processes: a shared robust mutex held by a dead child. */
  pthread_mutex_t *sm = mmap(NULL, sizeof *sm, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  pthread_mutexattr_setpshared(&at, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(sm, &at);
  pid_t c = fork();
  if (c == 0) {
    pthread_mutex_lock(sm);
    _exit(0);
  }
  waitpid(c, NULL, 0);
  r = pthread_mutex_lock(sm);
  STREQ("lock after owner process died", t_errname(r), "EOWNERDEAD");
  /* Not made consistent: unlocking makes it unusable. */
  pthread_mutex_unlock(sm);
  r = pthread_mutex_lock(sm);
  STREQ("unrecoverable", t_errname(r), "ENOTRECOVERABLE");
  /* The raw list calls. */
  struct robust_list_head *head;
  size_t len;
  OK("get_robust_list self", syscall(SYS_get_robust_list, 0, &head, &len));
  EQ("head size", len, sizeof(struct robust_list_head));
  EXPECT("glibc registered a list", head != NULL);
  ERR("set_robust_list bad len", syscall(SYS_set_robust_list, head, 7), EINVAL);
  ERR("get_robust_list missing pid", syscall(SYS_get_robust_list, 0x3fffffff, &head, &len), ESRCH);
  return t_done();
}
