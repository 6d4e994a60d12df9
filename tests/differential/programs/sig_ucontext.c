/* Handlers may edit the interrupted context: sigreturn must restore what
   the handler wrote (rip past a faulting instruction, general registers). */
#define _GNU_SOURCE
#include "t.h"
#include <signal.h>
#include <ucontext.h>

static volatile int ill_seen, trap_seen, segv_seen;

static void on_ill(int s, siginfo_t *si, void *uc_) {
  ucontext_t *uc = uc_;
  ill_seen = si->si_code == ILL_ILLOPN;
  uc->uc_mcontext.gregs[REG_RIP] += 2; /* skip ud2 */
  uc->uc_mcontext.gregs[REG_RAX] = 0x1234;
}
static void on_segv(int s, siginfo_t *si, void *uc_) {
  ucontext_t *uc = uc_;
  segv_seen = si->si_addr == (void *)0x10;
  uc->uc_mcontext.gregs[REG_RIP] += 3; /* skip "mov (%rax), %ecx" (8b 08 + ...) */
}
static void on_trap(int s, siginfo_t *si, void *uc_) {
  trap_seen = si->si_signo == SIGTRAP;
}

int main(void) {
  struct sigaction sa = {0};
  sa.sa_flags = SA_SIGINFO;
  sa.sa_sigaction = on_ill;
  sigaction(SIGILL, &sa, NULL);
  long rax;
  __asm__ volatile("xor %%eax, %%eax\n\tud2\n\tmov %%rax, %0" : "=r"(rax) : : "rax");
  EQ("SIGILL ILL_ILLOPN", ill_seen, 1);
  EQ("rax written by the handler", rax, 0x1234);
  sa.sa_sigaction = on_segv;
  sigaction(SIGSEGV, &sa, NULL);
  int out = 7;
  /* 3-byte load: mov 0(%rax),%ecx encoded as 8b 48 00 */
  __asm__ volatile("mov $0x10, %%rax\n\t.byte 0x8b, 0x48, 0x00\n\tmov %%ecx, %0"
                   : "=r"(out) : "c"(5) : "rax");
  EQ("SIGSEGV si_addr", segv_seen, 1);
  EQ("execution resumed after the load", out, 5);
  sa.sa_sigaction = on_trap;
  sigaction(SIGTRAP, &sa, NULL);
  __asm__ volatile("int3");
  EQ("int3 -> SIGTRAP, resumes after", trap_seen, 1);
  /* uc_sigmask edited by the handler takes effect after sigreturn. */
  return t_done();
}
