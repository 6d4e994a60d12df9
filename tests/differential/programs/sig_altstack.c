/* sigaltstack + SA_ONSTACK: handler runs on the alternate stack. */
#include "t.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

static char *alt;
static size_t altsz = 64 * 1024;
static volatile int on_alt, flags_inside, eperm_inside;
static void h(int s) {
  int local;
  on_alt = (char *)&local >= alt && (char *)&local < alt + altsz;
  stack_t cur;
  sigaltstack(NULL, &cur);
  flags_inside = cur.ss_flags;
  stack_t n = {.ss_sp = alt, .ss_size = altsz, .ss_flags = 0};
  eperm_inside = sigaltstack(&n, NULL) == -1 && errno == EPERM;
}

static volatile int depth;
static void overflow(int s) { _exit(42); }
static volatile int depth_limit = 1 << 30;
static int recurse(int n) {
  if (n > depth_limit) return 0;
  volatile char pad[1024];
  pad[0] = (char)n;
  return recurse(n + 1) + pad[0];
}

int main(void) {
  alt = mmap(NULL, altsz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  stack_t ss = {.ss_sp = alt, .ss_size = altsz, .ss_flags = 0}, old;
  OK("sigaltstack set", sigaltstack(&ss, &old));
  EQ("old was disabled", old.ss_flags, SS_DISABLE);
  struct sigaction sa = {0};
  sa.sa_handler = h;
  sa.sa_flags = SA_ONSTACK;
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
  EQ("ran on alt stack", on_alt, 1);
  EQ("SS_ONSTACK inside", flags_inside, SS_ONSTACK);
  EQ("EPERM changing while on it", eperm_inside, 1);
  sa.sa_flags = 0;
  sigaction(SIGUSR2, &sa, NULL);
  raise(SIGUSR2);
  EQ("without SA_ONSTACK: normal stack", on_alt, 0);
  sigaltstack(NULL, &old);
  EQ("outside: flags 0", old.ss_flags, 0);
  stack_t small = {.ss_sp = alt, .ss_size = 1024, .ss_flags = 0};
  ERR("too small", sigaltstack(&small, NULL), ENOMEM);
  stack_t badf = {.ss_sp = alt, .ss_size = altsz, .ss_flags = 0x5};
  ERR("bad flags", sigaltstack(&badf, NULL), EINVAL);
  stack_t dis = {.ss_flags = SS_DISABLE};
  OK("disable", sigaltstack(&dis, NULL));
  sigaltstack(NULL, &old);
  EQ("disabled", old.ss_flags, SS_DISABLE);
  /* Stack overflow: only an alternate stack lets the SIGSEGV handler run. */
  sigaltstack(&ss, NULL);
  sa.sa_handler = overflow;
  sa.sa_flags = SA_ONSTACK;
  sigaction(SIGSEGV, &sa, NULL);
  pid_t c = fork();
  if (c == 0) {
    struct rlimit { unsigned long a, b; } r = {1 << 20, 1 << 20};
    syscall(SYS_setrlimit, 3 /* RLIMIT_STACK */, &r);
    recurse(0);
    _exit(1);
  }
  int st;
  waitpid(c, &st, 0);
  EQ("overflow handled on alt stack", st >> 8, 42);
  return t_done();
}
