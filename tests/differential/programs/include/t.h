/*
 * t.h: the tiny test vocabulary of the differential corpus.
 *
 * Every check prints one line "case: result" to stdout, so a diff between
 * the native run and the tsvisor run names the failing case. Each check also
 * asserts what Linux is expected to do; a mismatch prints "FAIL" on that line
 * and makes t_done() return 1 (the native side of the harness requires no
 * FAIL lines, so the corpus itself is checked against Linux).
 *
 * Nothing printed may depend on the host run: no pids, addresses or times,
 * only relations between them.
 *
 * stdout is line-buffered (set before main), so fork() never duplicates
 * half-written buffers as long as every line ends with "\n".
 */
#ifndef T_H
#define T_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static int t_failures;

__attribute__((constructor)) static void t_init(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
}

/* The symbolic name of an errno ("ENOENT"), or "0" for no error. */
static inline const char *t_errname(int e) {
  static char buf[32];
  const char *n;
  if (e == 0) return "0";
  n = strerrorname_np(e);
  if (n != NULL) return n;
  snprintf(buf, sizeof buf, "E#%d", e);
  return buf;
}

/* Prints "name: ok" when cond holds, else "name: FAIL <cond> errno=...". */
#define EXPECT(name, cond)                                                  \
  do {                                                                      \
    int t_e_ = errno;                                                       \
    if (cond) {                                                             \
      printf("%s: ok\n", (name));                                           \
    } else {                                                                \
      printf("%s: FAIL %s errno=%s\n", (name), #cond, t_errname(t_e_));     \
      t_failures++;                                                         \
    }                                                                       \
  } while (0)

/*
 * Runs expr (a call returning -1 and setting errno on failure) and expects it
 * to fail with want. Prints "name: -1 errno=EXXX" (the actual errno).
 */
#define ERR(name, expr, want)                                               \
  do {                                                                      \
    errno = 0;                                                              \
    long t_r_ = (long)(expr);                                               \
    int t_e_ = errno;                                                       \
    if (t_r_ == -1 && t_e_ == (want)) {                                     \
      printf("%s: -1 errno=%s\n", (name), t_errname(t_e_));                 \
    } else {                                                                \
      printf("%s: FAIL ret=%ld errno=%s want errno=%s\n", (name), t_r_,     \
             t_errname(t_e_), t_errname(want));                             \
      t_failures++;                                                         \
    }                                                                       \
  } while (0)

/* Runs expr and expects it not to return -1. Prints "name: ok". */
#define OK(name, expr)                                                      \
  do {                                                                      \
    errno = 0;                                                              \
    long t_r_ = (long)(expr);                                               \
    int t_e_ = errno;                                                       \
    if (t_r_ != -1) {                                                       \
      printf("%s: ok\n", (name));                                           \
    } else {                                                                \
      printf("%s: FAIL ret=-1 errno=%s\n", (name), t_errname(t_e_));        \
      t_failures++;                                                         \
    }                                                                       \
  } while (0)

/* Runs expr and expects the value want (both as long). Prints "name: <value>". */
#define EQ(name, expr, want)                                                \
  do {                                                                      \
    errno = 0;                                                              \
    long t_r_ = (long)(expr);                                               \
    int t_e_ = errno;                                                       \
    long t_w_ = (long)(want);                                               \
    if (t_r_ == t_w_) {                                                     \
      printf("%s: %ld\n", (name), t_r_);                                    \
    } else {                                                                \
      printf("%s: FAIL got %ld want %ld errno=%s\n", (name), t_r_, t_w_,    \
             t_errname(t_e_));                                              \
      t_failures++;                                                         \
    }                                                                       \
  } while (0)

/* Compares two strings. Prints "name: <value>". */
#define STREQ(name, got, want)                                              \
  do {                                                                      \
    const char *t_g_ = (got), *t_w_ = (want);                               \
    if (t_g_ != NULL && strcmp(t_g_, t_w_) == 0) {                          \
      printf("%s: \"%s\"\n", (name), t_g_);                                 \
    } else {                                                                \
      printf("%s: FAIL got \"%s\" want \"%s\"\n", (name),                   \
             t_g_ ? t_g_ : "(null)", t_w_);                                 \
      t_failures++;                                                         \
    }                                                                       \
  } while (0)

/* Raw syscall that returns -errno instead of setting errno (for printing). */
#define RAW(...) ({ long t_x_ = syscall(__VA_ARGS__); t_x_ == -1 ? -(long)errno : t_x_; })

/* Prints the summary line and returns main's exit status. */
static inline int t_done(void) {
  printf("failures: %d\n", t_failures);
  return t_failures ? 1 : 0;
}

/* Milliseconds elapsed on CLOCK_MONOTONIC since *start. */
#include <time.h>
static inline long t_ms_since(const struct timespec *start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - start->tv_sec) * 1000L + (now.tv_nsec - start->tv_nsec) / 1000000L;
}

/*
 * How long the t_wait_* helpers below wait at most. A fixed sleep ("give the
 * other thread 200ms to block") is a flake on a loaded CI machine (load
 * 5-15 on 2 cores) and under a sandbox; these wait for the condition itself
 * and only give up after this generous bound.
 */
#define T_WAIT_MS 15000L

/*
 * The one-letter state of thread tid of process pid, from
 * /proc/PID/task/TID/stat (proc(5): field 3, after the parenthesised comm):
 * 'R' running, 'S' sleeping in an interruptible wait, ...; '-' if unreadable.
 */
static inline char t_task_state(pid_t pid, pid_t tid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return '-';
  long n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return '-';
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  return p != NULL && p[1] == ' ' ? p[2] : '-';
}

/*
 * Waits (up to T_WAIT_MS) until thread tid of process pid is asleep ('S'),
 * e.g. blocked in read(2), pause(2) or FUTEX_WAIT. Returns 1 when it is.
 * The caller must know the thread has no other reason to sleep.
 */
static inline int t_wait_task_asleep(pid_t pid, pid_t tid) {
  struct timespec s;
  clock_gettime(CLOCK_MONOTONIC, &s);
  while (t_task_state(pid, tid) != 'S') {
    if (t_ms_since(&s) > T_WAIT_MS) return 0;
    usleep(1000);
  }
  return 1;
}

/*
 * Waits (up to T_WAIT_MS) until at least n threads of this process other
 * than the caller are asleep ('S' in /proc/self/task/TID/stat). Returns 1
 * when they are. Used to know that waiter threads are really blocked in
 * FUTEX_WAIT before waking them, so that wake counts are exact.
 */
#include <dirent.h>
static inline int t_wait_threads_asleep(int n) {
  struct timespec s;
  clock_gettime(CLOCK_MONOTONIC, &s);
  pid_t self = (pid_t)syscall(SYS_gettid), pid = getpid();
  for (;;) {
    int asleep = 0;
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
      pid_t tid = (pid_t)atoi(e->d_name);
      if (tid > 0 && tid != self && t_task_state(pid, tid) == 'S') asleep++;
    }
    if (d != NULL) closedir(d);
    if (asleep >= n) return 1;
    if (t_ms_since(&s) > T_WAIT_MS) return 0;
    usleep(1000);
  }
}

#endif
