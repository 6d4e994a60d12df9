/*
 * Seeded syscall fuzzer: calls syscalls LO..HI (default 0..461) ITERS times
 * each with arguments drawn from a pool of hostile values (0, -1, small
 * ints, 2^63, 2^64-1, unmapped and kernel pointers, a read-only page,
 * pointers straddling the end of a mapping, valid zeroed buffers, bad fds).
 *
 *   fuzz SEED ITERS [LO HI] [skip,list]
 *
 * The fuzzing runs in a forked child with stdin/stdout/stderr on /dev/null;
 * the parent waits and prints "survived N calls" if the child finished, or
 * the last syscall and its arguments if it died. After every call the child
 * restores what the call may have broken that the fuzzer itself needs (FS
 * base, the arena mapping, signal dispositions and mask, the timer), so the
 * only way to die is a kernel that does something Linux would not.
 *
 * Never run natively: it calls every syscall as root with junk.
 *
 * Built -static -fno-stack-protector, and after the fork the child uses only
 * raw syscalls (no errno, no TLS, no malloc): the fuzzed calls may change FS.
 */
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef unsigned long u64;

static long raw6(long nr, u64 a, u64 b, u64 c, u64 d, u64 e, u64 f) {
  long ret;
  register u64 r10 __asm__("r10") = d;
  register u64 r8 __asm__("r8") = e;
  register u64 r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}
#define raw(nr, ...) raw6_(nr, __VA_ARGS__, 0, 0, 0, 0, 0, 0)
#define raw6_(nr, a, b, c, d, e, f, ...) raw6(nr, (u64)(a), (u64)(b), (u64)(c), (u64)(d), (u64)(e), (u64)(f))

enum {
  NR_read = 0, NR_write = 1, NR_open = 2, NR_mmap = 9, NR_mprotect = 10, NR_munmap = 11, NR_brk = 12,
  NR_rt_sigaction = 13, NR_rt_sigprocmask = 14, NR_rt_sigreturn = 15, NR_mremap = 25,
  NR_msync = 26, NR_mincore = 27, NR_madvise = 28, NR_shmat = 30, NR_setitimer = 38,
  NR_clone = 56, NR_fork = 57, NR_vfork = 58, NR_exit = 60, NR_shmdt = 67, NR_ptrace = 101,
  NR_mlock = 149, NR_munlock = 150, NR_arch_prctl = 158, NR_setrlimit = 160,
  NR_remap_file_pages = 216, NR_exit_group = 231, NR_mbind = 237, NR_prlimit64 = 302,
  NR_seccomp = 317, NR_mlock2 = 325, NR_pkey_mprotect = 329, NR_clone3 = 435,
  NR_process_madvise = 440, NR_map_shadow_stack = 453, NR_dup2 = 33,
};

#define PAGE 4096UL
/* The arena: 4 RW zeroed pages, 1 RO zeroed page, 1 RW page of 'a' bytes, then nothing. */
#define ARENA 0x300000000000UL
#define ARENA_PAGES 6
#define RO_PAGE (ARENA + 4 * PAGE)
#define A_PAGE (ARENA + 5 * PAGE)
#define ARENA_END (ARENA + ARENA_PAGES * PAGE)

static const u64 general_pool[] = {
    0, -1UL, 1, 2, 3, 7, 16, 64, 4096, 999, 1UL << 30, 0x7fffffffUL, 0x80000000UL, 1UL << 63,
    /* pointers */
    0x1, 0xdeadbeef000UL, 0xffff800000000000UL, RO_PAGE, RO_PAGE + 100, ARENA_END - 1, ARENA_END - 3,
    ARENA_END - 8, ARENA_END - 16, ARENA, ARENA + 64, ARENA + 2 * PAGE,
};
#define NGEN (sizeof general_pool / sizeof general_pool[0])

/* Addresses for syscalls that change mappings: never a small value that could cover the program. */
static const u64 mm_addr_pool[] = {
    0, 0x1, 0xdeadbeef000UL, 0xffff800000000000UL, ARENA, ARENA + PAGE, RO_PAGE, A_PAGE,
    ARENA_END, ARENA_END - 1, 1UL << 63, -4096UL, -1UL,
};
#define NMMA (sizeof mm_addr_pool / sizeof mm_addr_pool[0])
static const u64 mm_len_pool[] = {0, 1, 4096, 8192, ARENA_PAGES * PAGE, 64 * PAGE, 1UL << 63, -1UL, -4096UL};
#define NMML (sizeof mm_len_pool / sizeof mm_len_pool[0])

static int is_mm(long nr) {
  switch (nr) {
  case NR_mmap: case NR_mprotect: case NR_munmap: case NR_brk: case NR_mremap: case NR_msync:
  case NR_mincore: case NR_madvise: case NR_mlock: case NR_munlock: case NR_remap_file_pages:
  case NR_mbind: case NR_mlock2: case NR_pkey_mprotect: case NR_process_madvise:
  case NR_map_shadow_stack: case NR_shmdt:
    return 1;
  }
  return 0;
}

/* What the parent reads after the child: progress and the call in flight. */
struct shared {
  volatile u64 count;
  volatile long nr;
  volatile u64 iter;
  volatile u64 args[6];
  volatile long done;
};
static struct shared *sh;

static u64 rng;
static u64 next(void) { /* splitmix64 */
  u64 z = (rng += 0x9e3779b97f4a7c15UL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
  return z ^ (z >> 31);
}

struct ksigaction {
  u64 handler, flags, restorer, mask;
};
extern void rob_restorer(void);
__asm__(".text\n.globl rob_restorer\nrob_restorer:\n\tmov $15, %eax\n\tsyscall\n");
static void on_alarm(int sig) { (void)sig; }

static void set_signals(void) {
  for (int s = 1; s <= 64; s++) {
    if (s == 9 || s == 19 || s == 17) continue; /* SIGCHLD ignored would auto-reap the child */
    struct ksigaction a = {1 /* SIG_IGN */, 0x04000000 /* SA_RESTORER */, (u64)rob_restorer, 0};
    if (s == 14) a.handler = (u64)on_alarm; /* SIGALRM interrupts blocking calls: no SA_RESTART */
    raw(NR_rt_sigaction, s, &a, 0, 8);
  }
}
static void clear_mask(void) {
  u64 none = 0;
  raw(NR_rt_sigprocmask, 2 /* SIG_SETMASK */, &none, 0, 8);
}

static void set_arena(void) {
  long r = raw(NR_mmap, ARENA, ARENA_PAGES * PAGE, 3, 0x32 /* PRIVATE|ANON|FIXED */, -1, 0);
  if (r != (long)ARENA) raw(NR_exit_group, 90);
  raw(NR_munmap, ARENA_END, 64 * PAGE);
  memset((void *)A_PAGE, 'a', PAGE);
  raw(NR_mprotect, RO_PAGE, PAGE, 1);
}

struct itimerval_k {
  long iv_s, iv_us, v_s, v_us;
};
static void arm(long us) {
  struct itimerval_k t = {0, 0, 0, us};
  raw(NR_setitimer, 0, &t, 0);
}

static int skipped(long nr, const long *skip, int nskip) {
  for (int i = 0; i < nskip; i++) if (skip[i] == nr) return 1;
  switch (nr) {
  case NR_rt_sigreturn: case NR_clone: case NR_fork: case NR_vfork: case NR_exit:
  case NR_exit_group: case NR_clone3:
  case 335: /* uretprobe: Linux >= 6.11 sends SIGILL when called outside a uretprobe trampoline */
    return 1;
  }
  return 0;
}

/* Rewrites the few argument combinations that end the program on Linux too. */
static void tame(long nr, u64 *a) {
  switch (nr) {
  case NR_ptrace: /* TRACEME, ATTACH, SEIZE would tie the child to the parent */
    if (a[0] == 0 || a[0] == 16 || a[0] == 0x4206) a[0] = 3; /* PEEKUSER */
    break;
  case NR_seccomp: /* strict mode kills the next syscall */
    if (a[0] == 0) a[0] = 2;
    break;
  case NR_setrlimit: /* CPU, DATA, STACK, AS at 0 kill or starve the fuzzer */
    if (a[0] == 0 || a[0] == 2 || a[0] == 3 || a[0] == 9) a[0] = 1;
    break;
  case NR_prlimit64:
    if (a[1] == 0 || a[1] == 2 || a[1] == 3 || a[1] == 9) a[1] = 1;
    break;
  }
}

static void child(u64 seed, long iters, long lo, long hi, const long *skip, int nskip) {
  long fd = raw(NR_open, "/dev/null", 2);
  for (int i = 0; i < 3; i++) raw(NR_dup2, fd, i);
  if (fd > 2) raw(3 /* close */, fd);
  u64 fs = 0;
  raw(NR_arch_prctl, 0x1003 /* ARCH_GET_FS */, &fs);
  set_signals();
  clear_mask();
  set_arena();
  for (long nr = lo; nr <= hi; nr++) {
    if (skipped(nr, skip, nskip)) continue;
    rng = seed * 1000003UL + (u64)nr;
    for (long it = 0; it < iters; it++) {
      u64 a[6];
      for (int i = 0; i < 6; i++) a[i] = general_pool[next() % NGEN];
      if (is_mm(nr)) {
        a[0] = mm_addr_pool[next() % NMMA];
        a[1] = mm_len_pool[next() % NMML];
        if (nr == NR_mremap) {
          a[2] = mm_len_pool[next() % NMML];
          a[4] = mm_addr_pool[next() % NMMA];
        }
      }
      if (nr == NR_shmat) a[1] = mm_addr_pool[next() % NMMA];
      tame(nr, a);
      sh->nr = nr;
      sh->iter = (u64)it;
      for (int i = 0; i < 6; i++) sh->args[i] = a[i];
      arm(20000);
      raw6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
      arm(0);
      raw(NR_arch_prctl, 0x1002 /* ARCH_SET_FS */, fs);
      set_arena();
      if (nr == NR_rt_sigaction) set_signals();
      clear_mask();
      sh->count++;
    }
  }
  sh->done = 1;
  raw(NR_exit_group, 0);
}

static long parse(const char *s) {
  long v = 0;
  while (*s >= '0' && *s <= '9') v = v * 10 + (*s++ - '0');
  return v;
}

static void out(const char *s) { write(1, s, strlen(s)); }
static void outnum(const char *label, u64 v, int hex) {
  char b[40];
  int n = 0;
  char tmp[32];
  int t = 0;
  do {
    tmp[t++] = "0123456789abcdef"[v % (hex ? 16 : 10)];
    v /= hex ? 16 : 10;
  } while (v);
  if (hex) { b[n++] = '0'; b[n++] = 'x'; }
  while (t) b[n++] = tmp[--t];
  b[n] = 0;
  out(label);
  out(b);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    out("usage: fuzz SEED ITERS [LO HI] [skip,list]\n");
    return 2;
  }
  u64 seed = (u64)parse(argv[1]);
  long iters = parse(argv[2]);
  long lo = argc > 4 ? parse(argv[3]) : 0, hi = argc > 4 ? parse(argv[4]) : 461;
  long skip[512];
  int nskip = 0;
  if (argc > 5) {
    for (const char *p = argv[5]; *p && nskip < 512;) {
      skip[nskip++] = parse(p);
      while (*p && *p != ',') p++;
      if (*p == ',') p++;
    }
  }
  sh = (struct shared *)raw(NR_mmap, 0, PAGE, 3, 0x21 /* SHARED|ANON */, -1, 0);
  set_signals(); /* the child's kill(0, sig) reaches the parent too */
  long pid = fork();
  if (pid == 0) child(seed, iters, lo, hi, skip, nskip);
  int st = 0;
  while (waitpid((pid_t)pid, &st, 0) < 0) {
  }
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && sh->done) {
    outnum("survived ", sh->count, 0);
    out(" calls\n");
    return 0;
  }
  if (WIFSIGNALED(st)) outnum("child killed by signal ", (u64)WTERMSIG(st), 0);
  else outnum("child exited ", (u64)WEXITSTATUS(st), 0);
  outnum(" in syscall ", (u64)sh->nr, 0);
  outnum(" iteration ", sh->iter, 0);
  out(" args");
  for (int i = 0; i < 6; i++) outnum(" ", sh->args[i], 1);
  outnum(" after ", sh->count, 0);
  out(" calls\n");
  return 1;
}
