/* arch_prctl: FS/GS base get/set, errors. */
#include "t.h"
#include <asm/prctl.h>

static unsigned long tls_block[64];

int main(void) {
  unsigned long fs = 0, gs = 123;
  OK("ARCH_GET_FS", syscall(SYS_arch_prctl, ARCH_GET_FS, &fs));
  EXPECT("fs set by libc", fs != 0);
  EXPECT("fs points at TCB self pointer", *(unsigned long *)fs == fs);
  OK("ARCH_GET_GS", syscall(SYS_arch_prctl, ARCH_GET_GS, &gs));
  EQ("gs 0 initially", gs, 0);
  OK("ARCH_SET_GS", syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)tls_block));
  tls_block[2] = 0x1234;
  unsigned long v;
  __asm__ volatile("movq %%gs:16, %0" : "=r"(v));
  EQ("read through %gs", v, 0x1234);
  OK("ARCH_GET_GS after set", syscall(SYS_arch_prctl, ARCH_GET_GS, &gs));
  EXPECT("gs round trip", gs == (unsigned long)tls_block);
  /* Temporarily move fs and read through it, then restore before libc needs it. */
  tls_block[0] = 0xabcdef;
  long r = syscall(SYS_arch_prctl, ARCH_SET_FS, (unsigned long)tls_block);
  unsigned long w;
  __asm__ volatile("movq %%fs:0, %0" : "=r"(w));
  syscall(SYS_arch_prctl, ARCH_SET_FS, fs);
  EQ("ARCH_SET_FS", r, 0);
  EQ("read through %fs", w, 0xabcdef);
  ERR("bad code", syscall(SYS_arch_prctl, 0x9999, 0), EINVAL);
  ERR("non-canonical fs", syscall(SYS_arch_prctl, ARCH_SET_GS, 0x800000000000UL), EPERM);
  ERR("GET_FS bad pointer", syscall(SYS_arch_prctl, ARCH_GET_FS, (void *)8), EFAULT);
  EQ("ARCH_GET_CPUID", syscall(SYS_arch_prctl, 0x1011 /* ARCH_GET_CPUID */, 0), 1);
  return t_done();
}
