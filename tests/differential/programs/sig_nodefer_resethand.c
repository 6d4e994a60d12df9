/* SA_NODEFER allows re-entry; default masks the signal; SA_RESETHAND
   resets to SIG_DFL; sa_mask is applied during the handler. */
#include "t.h"
#include <signal.h>

static volatile int depth, maxdepth, calls;
static void reenter(int s) {
  depth++;
  calls++;
  if (depth > maxdepth) maxdepth = depth;
  if (calls < 3) raise(s);
  depth--;
}
static volatile int usr2_blocked_inside;
static void masked(int s) {
  sigset_t cur;
  sigprocmask(SIG_BLOCK, NULL, &cur);
  usr2_blocked_inside = sigismember(&cur, SIGUSR2) + 2 * sigismember(&cur, s);
}

int main(void) {
  struct sigaction sa = {0}, old;
  sa.sa_handler = reenter;
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
  EQ("default: calls", calls, 3);
  EQ("default: no nesting", maxdepth, 1);
  calls = 0;
  maxdepth = 0;
  sa.sa_flags = SA_NODEFER;
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
  EQ("NODEFER: calls", calls, 3);
  EQ("NODEFER: nested", maxdepth, 3);
  sa.sa_handler = masked;
  sa.sa_flags = 0;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGUSR2);
  sigaction(SIGUSR1, &sa, NULL);
  raise(SIGUSR1);
  EQ("sa_mask and the signal itself blocked inside", usr2_blocked_inside, 3);
  sigset_t cur;
  sigprocmask(SIG_BLOCK, NULL, &cur);
  EQ("mask restored after handler", sigismember(&cur, SIGUSR2), 0);
  calls = 0;
  sa.sa_handler = reenter;
  sa.sa_flags = SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR2, &sa, NULL);
  signal(SIGUSR2, SIG_IGN);
  sigaction(SIGUSR2, &sa, NULL);
  /* With SA_RESETHAND the re-raise inside the handler hits SIG_DFL (which
     kills); block it there by making the handler not re-raise: calls >= 3. */
  calls = 5;
  raise(SIGUSR2);
  EQ("RESETHAND handler ran once", calls, 6);
  sigaction(SIGUSR2, NULL, &old);
  EXPECT("reset to SIG_DFL", old.sa_handler == SIG_DFL);
  EQ("SA_RESETHAND still reported in sa_flags", (old.sa_flags & SA_RESETHAND) != 0, 1);
  /* sigaction(2): SA_RESETHAND implies SA_NODEFER-like behaviour for the signal. */
  return t_done();
}
