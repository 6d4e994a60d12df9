/* mprotect and SIGSEGV: si_addr and si_code for ACCERR and MAPERR. */
#include "t.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

static sigjmp_buf jb;
static volatile void *fault_addr;
static volatile int fault_code;
static void onsegv(int s, siginfo_t *si, void *u) {
  fault_addr = si->si_addr;
  fault_code = si->si_code;
  siglongjmp(jb, 1);
}

static int try_write(volatile char *p) {
  if (sigsetjmp(jb, 1)) return 1;
  *p = 1;
  return 0;
}
static int try_read(volatile char *p) {
  if (sigsetjmp(jb, 1)) return 1;
  volatile char c = *p;
  (void)c;
  return 0;
}

int main(void) {
  long pg = 4096;
  struct sigaction sa = {0};
  sa.sa_sigaction = onsegv;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);
  char *p = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  p[pg] = 5;
  OK("mprotect read-only", mprotect(p + pg, pg, PROT_READ));
  EQ("read allowed", try_read(p + pg + 10), 0);
  EQ("write faults", try_write(p + pg + 10), 1);
  EXPECT("si_addr is the address", fault_addr == p + pg + 10);
  EQ("si_code SEGV_ACCERR", fault_code, SEGV_ACCERR);
  EQ("neighbour writable", try_write(p + 2 * pg), 0);
  OK("PROT_NONE", mprotect(p, pg, PROT_NONE));
  EQ("read PROT_NONE faults", try_read(p + 1), 1);
  EQ("PROT_NONE si_code", fault_code, SEGV_ACCERR);
  OK("back to RW", mprotect(p, 3 * pg, PROT_READ | PROT_WRITE));
  EQ("write after restore", try_write(p + pg), 0);
  EQ("data kept across mprotect", p[pg], 1);
  munmap(p + 2 * pg, pg);
  EQ("unmapped faults", try_write(p + 2 * pg + 8), 1);
  EXPECT("unmapped si_addr", fault_addr == p + 2 * pg + 8);
  EQ("si_code SEGV_MAPERR", fault_code, SEGV_MAPERR);
  EQ("NULL read faults", try_read((char *)0), 1);
  EXPECT("NULL si_addr", fault_addr == 0);
  ERR("mprotect unaligned", mprotect(p + 1, pg, PROT_READ), EINVAL);
  ERR("mprotect unmapped", mprotect(p + 2 * pg, pg, PROT_READ), ENOMEM);
  ERR("mprotect bad prot", mprotect(p, pg, 0x100), EINVAL);
  /* Code pages are not writable. */
  EQ("write to text faults", try_write((char *)(uintptr_t)main), 1);
  EQ("text fault is ACCERR", fault_code, SEGV_ACCERR);
  /* A read-only file mapping can't be made writable if shared on O_RDONLY. */
  int fd = open("f", O_CREAT | O_RDWR, 0644);
  ftruncate(fd, pg);
  close(fd);
  fd = open("f", O_RDONLY);
  char *m = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0);
  ERR("mprotect shared RO to RW", mprotect(m, pg, PROT_READ | PROT_WRITE), EACCES);
  return t_done();
}
