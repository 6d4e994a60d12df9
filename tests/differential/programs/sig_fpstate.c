/* FP/SSE state is saved around a handler that clobbers it. */
#include "t.h"
#include <signal.h>
#include <xmmintrin.h>

static volatile double hd;
static void h(int s) {
  volatile double x = 1.0;
  for (int i = 0; i < 100; i++) x = x * 3.7 + 1.1;
  hd = x;
  __asm__ volatile("pxor %%xmm0, %%xmm0\n\tpxor %%xmm1, %%xmm1\n\tpxor %%xmm7, %%xmm7\n\tpxor %%xmm15, %%xmm15" ::: "xmm0", "xmm1", "xmm7", "xmm15");
  _mm_setcsr(0x1f80 | 0x6000); /* round toward zero inside the handler */
}

int main(void) {
  signal(SIGUSR1, h);
  unsigned int csr = _mm_getcsr();
  _mm_setcsr((csr & ~0x6000) | 0x2000); /* round down */
  double a = 1.0, b = 3.0;
  register double keep __asm__("xmm7");
  __asm__ volatile("movsd %1, %0" : "=x"(keep) : "m"(a));
  double before = a / b;
  raise(SIGUSR1);
  double after;
  __asm__ volatile("movsd %1, %0" : "=x"(after) : "x"(keep));
  EXPECT("xmm7 preserved", after == 1.0);
  EQ("mxcsr rounding preserved", (_mm_getcsr() >> 13) & 3, 1);
  volatile double again = a / b;
  EXPECT("same rounding result", again == before);
  _mm_setcsr(csr);
  /* x87 state too. */
  long double ld = 1.0L / 3.0L;
  raise(SIGUSR1);
  EXPECT("x87 value intact", ld * 3.0L > 0.99L && ld * 3.0L < 1.01L);
  unsigned short cw;
  __asm__ volatile("fnstcw %0" : "=m"(cw));
  EQ("x87 control word default", cw, 0x37f);
  EXPECT("handler computed", hd > 1.0);
  return t_done();
}
