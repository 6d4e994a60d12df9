/* Signals and threads: tgkill targets one thread, per-thread masks choose
   who gets a process-directed signal, a fault is delivered to the faulting
   thread, sigwait in a dedicated thread. */
#include "t.h"
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>

static _Atomic pid_t handled_by;
static atomic_int ready;
static pid_t worker_tid;
static void h(int s) { atomic_store(&handled_by, gettid()); }

static void *worker(void *a) {
  worker_tid = gettid();
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGUSR2);
  pthread_sigmask(SIG_UNBLOCK, &m, NULL);
  atomic_store(&ready, 1);
  while (atomic_load(&ready) != 2) usleep(1000);
  return NULL;
}

static sigjmp_buf jb;
static _Atomic pid_t segv_tid;
static void onsegv(int s) {
  atomic_store(&segv_tid, gettid());
  siglongjmp(jb, 1);
}
static void *faulter(void *a) {
  if (sigsetjmp(jb, 1) == 0) *(volatile int *)8 = 1;
  return (void *)(long)gettid();
}

static void *waiter(void *a) {
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGRTMIN);
  int sig = 0;
  sigwait(&m, &sig);
  return (void *)(long)sig;
}

int main(void) {
  signal(SIGUSR1, h);
  signal(SIGUSR2, h);
  /* Main blocks SIGUSR2; the worker unblocks it. */
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &m, NULL);
  pthread_t t;
  pthread_create(&t, NULL, worker, NULL);
  while (atomic_load(&ready) != 1) usleep(1000);
  kill(getpid(), SIGUSR2);
  for (int i = 0; i < 15000 && atomic_load(&handled_by) == 0; i++) usleep(1000);
  EXPECT("process signal goes to the thread that does not block it", atomic_load(&handled_by) == worker_tid);
  atomic_store(&handled_by, 0);
  syscall(SYS_tgkill, getpid(), worker_tid, SIGUSR1);
  for (int i = 0; i < 15000 && atomic_load(&handled_by) == 0; i++) usleep(1000);
  EXPECT("tgkill runs the handler on the target thread", atomic_load(&handled_by) == worker_tid);
  atomic_store(&handled_by, 0);
  raise(SIGUSR1);
  EXPECT("raise runs the handler on the calling thread", atomic_load(&handled_by) == gettid());
  atomic_store(&ready, 2);
  pthread_join(t, NULL);
  /* (tgkill to the joined thread is racy: pthread_join returns at
     CLONE_CHILD_CLEARTID, before the kernel has released the tid.) */
  signal(SIGSEGV, onsegv);
  void *ftid;
  pthread_create(&t, NULL, faulter, NULL);
  pthread_join(t, &ftid);
  EXPECT("fault delivered to the faulting thread", atomic_load(&segv_tid) == (pid_t)(long)ftid);
  sigemptyset(&m);
  sigaddset(&m, SIGRTMIN);
  pthread_sigmask(SIG_BLOCK, &m, NULL);
  void *got;
  pthread_create(&t, NULL, waiter, NULL);
  usleep(20000);
  kill(getpid(), SIGRTMIN);
  pthread_join(t, &got);
  EQ("sigwait thread got it", (long)got, SIGRTMIN);
  sigset_t pend;
  sigpending(&pend);
  EQ("not left pending", sigismember(&pend, SIGRTMIN), 0);
  /* Thread-directed pending signals are visible only to that thread. */
  sigemptyset(&m);
  sigaddset(&m, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &m, NULL);
  syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1);
  sigpending(&pend);
  EQ("own pending", sigismember(&pend, SIGUSR1), 1);
  return t_done();
}
