/* Copy-on-write across fork; shared mappings stay shared. */
#include "t.h"
#include <sys/mman.h>
#include <sys/wait.h>

static int global = 1;

int main(void) {
  long pg = 4096;
  int st;
  char *priv = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *shared = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  char *heap = malloc(64);
  strcpy(heap, "parent");
  priv[0] = 'P';
  shared[0] = 'P';
  int fd = open("f", O_CREAT | O_RDWR, 0644);
  ftruncate(fd, pg);
  char *fshared = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  fshared[0] = 'P';
  pid_t c = fork();
  if (c == 0) {
    priv[0] = 'C';
    shared[0] = 'C';
    fshared[0] = 'C';
    global = 2;
    strcpy(heap, "child");
    _exit(priv[0] == 'C' && global == 2 ? 0 : 1);
  }
  waitpid(c, &st, 0);
  EQ("child saw its own writes", WEXITSTATUS(st), 0);
  EQ("private page isolated", priv[0], 'P');
  EQ("global isolated", global, 1);
  STREQ("heap isolated", heap, "parent");
  EQ("shared anon visible", shared[0], 'C');
  EQ("shared file visible", fshared[0], 'C');
  /* Parent writes after fork don't leak into the child either. */
  int p[2];
  pipe(p);
  c = fork();
  if (c == 0) {
    char b;
    read(p[0], &b, 1);
    _exit(priv[0]);
  }
  priv[0] = 'X';
  write(p[1], "g", 1);
  waitpid(c, &st, 0);
  EQ("child keeps pre-fork value", WEXITSTATUS(st), 'P');
  /* Many pages, many children. */
  char *big = mmap(NULL, 64 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int i = 0; i < 64; i++) big[i * pg] = (char)i;
  for (int k = 0; k < 4; k++) {
    c = fork();
    if (c == 0) {
      int okc = 1;
      for (int i = 0; i < 64; i++) {
        if (big[i * pg] != (char)i) okc = 0;
        big[i * pg] = (char)(100 + k);
      }
      _exit(okc ? 0 : 1);
    }
    waitpid(c, &st, 0);
    EQ("child sees pre-fork pages", WEXITSTATUS(st), 0);
  }
  int okp = 1;
  for (int i = 0; i < 64; i++) if (big[i * pg] != (char)i) okp = 0;
  EXPECT("parent pages intact", okp);
  return t_done();
}
