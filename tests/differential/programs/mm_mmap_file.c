/* File mappings: private copies, shared writes through, SIGBUS past EOF. */
#include "t.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

static sigjmp_buf jb;
static void onbus(int s, siginfo_t *si, void *u) { siglongjmp(jb, s); }

int main(void) {
  long pg = 4096;
  char buf[16] = {0};
  int fd = open("f", O_CREAT | O_RDWR | O_TRUNC, 0644);
  static char data[8192];
  for (int i = 0; i < 8192; i++) data[i] = 'a' + i % 26;
  write(fd, data, 8192);
  char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  EXPECT("private map", p != MAP_FAILED);
  EXPECT("contents", memcmp(p, data, 8192) == 0);
  p[0] = 'Z';
  pread(fd, buf, 1, 0);
  EQ("private write not in file", buf[0], 'a');
  pwrite(fd, "Q", 1, 4096 + 1);
  /* Unmodified private pages may see later file writes (not guaranteed by
     POSIX, but Linux shares the page cache until the page is copied). */
  EQ("file write visible in untouched private page", p[4097], 'Q');
  char *s = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  EXPECT("shared map", s != MAP_FAILED);
  s[10] = '!';
  pread(fd, buf, 1, 10);
  EQ("shared write reaches file", buf[0], '!');
  pwrite(fd, "#", 1, 20);
  EQ("file write reaches shared map", s[20], '#');
  char *off = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, pg);
  EQ("offset mapping", off[1], 'Q');
  munmap(off, pg);
  munmap(s, 2 * pg);
  munmap(p, 2 * pg);
  int r = open("f", O_RDONLY);
  ERR("shared writable on O_RDONLY", (long)mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, r, 0), EACCES);
  p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, r, 0);
  EXPECT("private writable on O_RDONLY", p != MAP_FAILED);
  int w = open("f", O_WRONLY);
  ERR("map O_WRONLY fd", (long)mmap(NULL, pg, PROT_READ, MAP_SHARED, w, 0), EACCES);
  int d = open(".", O_RDONLY);
  ERR("map directory", (long)mmap(NULL, pg, PROT_READ, MAP_PRIVATE, d, 0), ENODEV);
  /* Mapping past EOF: the partial page reads zeros past the end, full pages beyond give SIGBUS. */
  ftruncate(fd, 100);
  char *e = mmap(NULL, 3 * pg, PROT_READ, MAP_SHARED, fd, 0);
  EQ("byte before EOF", e[99], 'v');
  EQ("zero after EOF in last page", e[200], 0);
  struct sigaction sa = {0};
  sa.sa_sigaction = onbus;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGBUS, &sa, NULL);
  volatile int sig = sigsetjmp(jb, 1);
  if (sig == 0) {
    volatile char c = e[pg + 5];
    (void)c;
    printf("read past EOF page: no signal FAIL\n");
    t_failures++;
  } else {
    EQ("SIGBUS past EOF", sig, SIGBUS);
  }
  /* Growing the file makes the page valid. */
  ftruncate(fd, 2 * pg);
  EQ("valid after growth", e[pg + 5], 0);
  return t_done();
}
