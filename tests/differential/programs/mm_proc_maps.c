/* /proc/self/maps: only relations (addresses and inodes differ between runs). */
#include "t.h"
#include <sys/mman.h>

static int find(void *addr, char *perms, char *name, size_t nlen) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[512];
  int found = 0;
  if (!f) return -1;
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    char pm[8];
    int pos = 0;
    if (sscanf(line, "%lx-%lx %7s %*s %*s %*s%n", &lo, &hi, pm, &pos) < 3) continue;
    if ((unsigned long)addr >= lo && (unsigned long)addr < hi) {
      strcpy(perms, pm);
      char *n = line + pos;
      while (*n == ' ') n++;
      n[strcspn(n, "\n")] = 0;
      snprintf(name, nlen, "%s", n);
      found = 1;
    }
  }
  fclose(f);
  return found;
}

int main(void) {
  char perms[8], name[256];
  long pg = 4096;
  char *a = mmap(NULL, 2 * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  EQ("anon listed", find(a, perms, name, sizeof name), 1);
  STREQ("anon perms", perms, "r--p");
  STREQ("anon no name", name, "");
  mprotect(a + pg, pg, PROT_READ | PROT_WRITE);
  find(a + pg, perms, name, sizeof name);
  STREQ("split perms", perms, "rw-p");
  char *s = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  find(s, perms, name, sizeof name);
  STREQ("shared perms", perms, "rw-s");
  int fd = open("mapped_file", O_CREAT | O_RDWR, 0644);
  ftruncate(fd, pg);
  char *f = mmap(NULL, pg, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
  find(f, perms, name, sizeof name);
  STREQ("file perms", perms, "r-xp");
  const char *base = strrchr(name, '/');
  STREQ("file name", base ? base + 1 : name, "mapped_file");
  int local;
  find(&local, perms, name, sizeof name);
  STREQ("stack named", name, "[stack]");
  STREQ("stack perms", perms, "rw-p");
  find((void *)(uintptr_t)main, perms, name, sizeof name);
  STREQ("text perms", perms, "r-xp");
  EXPECT("text is the program", name[0] == '/');
  munmap(a, 2 * pg);
  EQ("unmapped gone", find(a, perms, name, sizeof name), 0);
  void *brk0 = sbrk(0);
  sbrk(pg * 4);
  EQ("heap listed", find(brk0, perms, name, sizeof name), 1);
  STREQ("heap named", name, "[heap]");
  return t_done();
}
