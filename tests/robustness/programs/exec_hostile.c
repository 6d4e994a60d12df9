/*
 * Hostile execve(2)/execveat(2) calls, run natively and under tsvisor; the
 * test compares the output line for line. Usage: exec_hostile DIR CHILD,
 * where DIR is a fresh directory for the files made here and CHILD is the
 * static exec_child program.
 *
 * Failing calls run in this process: each prints "name: ERRNO", and at the
 * end "memory intact: yes" says a canary on the stack, the heap and a
 * mapped page survived every failed exec (the old image must stay intact).
 * Calls that may succeed run in a forked child; the parent prints
 * "name: exit N" or "name: signal N" after the exec'd program's own line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096UL
/* Linux's MAX_ARG_STRLEN (32 pages, counting the NUL). */
#define MAX_ARG_STRLEN (32 * PAGE)

static const char *dir;
static const char *child;
static char path[4096 + 64];
static char *env1[] = {"K=V", NULL};

static const char *p(const char *name) {
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return path;
}

static void put(const char *name, const char *content, mode_t mode) {
  const char *f = p(name);
  int fd = open(f, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, content, strlen(content)) < 0 || fchmod(fd, mode) < 0) {
    perror(f);
    exit(99);
  }
  close(fd);
}

/* Copies the first `n` bytes of `from` into `name`, mode 0755. */
static void truncated(const char *name, const char *from, size_t n) {
  int in = open(from, O_RDONLY);
  char *buf = malloc(n);
  ssize_t got = read(in, buf, n);
  close(in);
  int fd = open(p(name), O_WRONLY | O_CREAT | O_TRUNC, 0755);
  if (in < 0 || got != (ssize_t)n || fd < 0 || write(fd, buf, n) != (ssize_t)n) {
    perror(name);
    exit(99);
  }
  close(fd);
  free(buf);
}

static void report(const char *name, long r) {
  if (r >= 0)
    printf("%s: returned %ld\n", name, r);
  else
    printf("%s: %s\n", name, strerrorname_np(errno));
  fflush(stdout);
}

static long ex(const char *file, char *const *argv, char *const *envp) {
  return syscall(SYS_execve, file, argv, envp);
}

/* Runs execve in a child; prints how the child ended (after its output). */
static void forked(const char *name, const char *file, char *const *argv, char *const *envp) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    long r = ex(file, argv, envp);
    printf("  exec failed: %s\n", strerrorname_np(errno));
    fflush(stdout);
    _exit(r == 0 ? 0 : 100);
  }
  int st;
  waitpid(pid, &st, 0);
  if (WIFEXITED(st))
    printf("%s: exit %d\n", name, WEXITSTATUS(st));
  else
    printf("%s: signal %d\n", name, WTERMSIG(st));
  fflush(stdout);
}

/* A fresh mapped page whose next page is unmapped. */
static unsigned char *edge(void) {
  unsigned char *m = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(m + PAGE, PAGE);
  return m;
}

/* An argv of `n` strings of `len` bytes each (plus argv[0]), NULL-terminated. */
static char **bigv(int n, size_t len) {
  char **v = calloc(n + 2, sizeof *v);
  char *s = malloc(len + 1);
  memset(s, 'a', len);
  s[len] = 0;
  v[0] = (char *)child;
  for (int i = 1; i <= n; i++) v[i] = s;
  return v;
}

int main(int argc, char **argv) {
  if (argc != 3 && argc != 6) {
    fprintf(stderr, "usage: exec_hostile DIR CHILD [NOINTERP TEXTINTERP DIRINTERP]\n");
    return 2;
  }
  dir = argv[1];
  child = argv[2];
  if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
    perror(dir);
    return 99;
  }

  /* Canaries: the old image must be intact after every failed exec. */
  volatile char stack_canary[64];
  memset((char *)stack_canary, 0x5a, sizeof stack_canary);
  char *heap = malloc(1 << 20);
  memset(heap, 0xa5, 1 << 20);
  unsigned char *page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(page, 0x3c, PAGE);

  char *cargv[] = {(char *)child, "x", NULL};
  /* Each edge: a page followed by an unmapped one; `unmapped` is past it. */
  unsigned char *unmapped = edge() + PAGE;

  /* Files. */
  put("noexec", "#!/bin/sh\nexit 0\n", 0644);
  put("text", "just some text\n", 0755);
  put("empty", "", 0755);
  put("hashbang-only", "#!\n", 0755);
  put("hashbang-spaces", "#!   \t \n", 0755);
  put("nointerp", "#!/no/such/interpreter -x\n", 0755);
  snprintf(path, sizeof path, "#!%s/noexec\n", dir);
  char line[4200];
  strcpy(line, path);
  put("interp-noexec", line, 0755);
  snprintf(line, sizeof line, "#!%s\n", dir);
  put("interp-dir", line, 0755);
  snprintf(line, sizeof line, "#!%s/loop\n", dir);
  put("loop", line, 0755);
  snprintf(line, sizeof line, "#!%s/text\n", dir);
  put("interp-text", line, 0755);
  /* An interpreter path longer than the 256-byte buffer exec reads. */
  strcpy(line, "#!");
  for (int i = 0; i < 150; i++) strcat(line, "/a");
  strcat(line, "\n");
  put("longinterp", line, 0755);
  /* A NUL ends the interpreter name; the rest of the line is ignored. */
  {
    int fd = open(p("nul-in-line"), O_WRONLY | O_CREAT | O_TRUNC, 0755);
    char l[300];
    int n = snprintf(l, sizeof l, "#!%s", child);
    memcpy(l + n, "\0 junk\n", 8);
    if (fd < 0 || write(fd, l, n + 8) != n + 8) exit(99);
    close(fd);
  }
  /* No newline, a short file: the interpreter name ends at the file's end. */
  snprintf(line, sizeof line, "#!%s", child);
  put("no-newline", line, 0755);
  /* An argument with blanks around it and inside it. */
  snprintf(line, sizeof line, "#! \t%s \t an  arg \t \n", child);
  put("arg-blanks", line, 0755);
  /* chainN: a #! chain N scripts deep ending at the child ELF. */
  for (int n = 1; n <= 7; n++) {
    char name[32], next[32];
    snprintf(name, sizeof name, "chain%d", n);
    snprintf(next, sizeof next, "chain%d", n - 1);
    snprintf(line, sizeof line, "#!%s\n", n == 1 ? child : p(next));
    put(name, line, 0755);
  }
  truncated("trunc7", child, 7);
  truncated("trunc64", child, 64);   /* ELF header only, no program headers */
  truncated("trunc100", child, 100); /* program headers cut short */
  truncated("trunc4096", child, 4096); /* segments past end of file */
  mkdir(p("d"), 0755);

  /* Pointers. */
  report("path NULL", ex(NULL, cargv, env1));
  report("path unmapped", ex((char *)unmapped, cargv, env1));
  char *straddle = (char *)(edge() + PAGE - 3);
  memcpy(straddle, "/bi", 3); /* no NUL before the unmapped page */
  report("path straddling an unmapped page", ex(straddle, cargv, env1));
  report("path kernel address", ex((char *)0xffff800000000000UL, cargv, env1));
  report("argv unmapped", ex(child, (char **)unmapped, env1));
  report("argv 0x1", ex(child, (char **)1, env1));
  char **argv_end = (char **)(edge() + PAGE - 8);
  argv_end[0] = (char *)child; /* no NULL terminator before the unmapped page */
  report("argv without NULL before an unmapped page", ex(child, argv_end, env1));
  char *bad_str[] = {(char *)child, (char *)unmapped, NULL};
  report("argv[1] unmapped", ex(child, bad_str, env1));
  char *bad_env[] = {"A=1", (char *)1, NULL};
  report("envp[1] = 0x1", ex(child, cargv, bad_env));
  report("envp unmapped", ex(child, cargv, (char **)unmapped));
  char *env_straddle[] = {straddle, NULL};
  report("envp[0] straddling an unmapped page", ex(child, cargv, env_straddle));
  /* Bad pointers in argv are found even when the file does not exist? */
  /* Linux opens the file before it reads argv and envp, and looks at the
   * file's contents after. */
  report("missing file with argv unmapped", ex(p("nosuch"), (char **)unmapped, env1));
  report("directory with envp unmapped", ex(dir, cargv, (char **)unmapped));
  report("text file with argv unmapped", ex(p("text"), (char **)unmapped, env1));
  report("text file with envp[1] = 0x1", ex(p("text"), cargv, bad_env));

  /* Sizes. */
  char **one_big = bigv(1, MAX_ARG_STRLEN); /* MAX_ARG_STRLEN + 1 with the NUL */
  report("argv string of MAX_ARG_STRLEN bytes", ex(child, one_big, env1));
  char *env_big[] = {one_big[1], NULL};
  report("envp string of MAX_ARG_STRLEN bytes", ex(child, cargv, env_big));
  report("argv total 3 MiB (over RLIMIT_STACK/4)", ex(child, bigv(24, MAX_ARG_STRLEN - 1), env1));
  report("missing file with a too-long argv string", ex(p("nosuch"), one_big, env1));
  /* envp's strings are copied before argv's. */
  report("too-long argv string and envp[1] = 0x1", ex(child, one_big, bad_env));
  forked("argv string of MAX_ARG_STRLEN-1 bytes", child, bigv(1, MAX_ARG_STRLEN - 1), env1);
  forked("argv total 1.5 MiB (under RLIMIT_STACK/4)", child, bigv(12, MAX_ARG_STRLEN - 1), env1);
  {
    /* The limit follows RLIMIT_STACK: 1 MiB of stack allows 256 KiB. */
    struct rlimit old, small = {1 << 20, 1 << 20};
    getrlimit(RLIMIT_STACK, &old);
    small.rlim_max = old.rlim_max;
    setrlimit(RLIMIT_STACK, &small);
    report("argv total 384 KiB with RLIMIT_STACK 1 MiB", ex(child, bigv(3, MAX_ARG_STRLEN - 1), env1));
    forked("argv total 128 KiB with RLIMIT_STACK 1 MiB", child, bigv(1, MAX_ARG_STRLEN - 1), env1);
    setrlimit(RLIMIT_STACK, &old);
  }
  char longpath[4200];
  memset(longpath, 'x', sizeof longpath - 1);
  longpath[0] = '/';
  longpath[sizeof longpath - 1] = 0;
  report("path longer than PATH_MAX", ex(longpath, cargv, env1));

  /* Files. */
  report("path \"\"", ex("", cargv, env1));
  report("missing file", ex(p("nosuch"), cargv, env1));
  report("path through a file", ex(p("text/x"), cargv, env1));
  report("directory", ex(dir, cargv, env1));
  report("file without x bit", ex(p("noexec"), cargv, env1));
  report("text file", ex(p("text"), cargv, env1));
  report("empty file", ex(p("empty"), cargv, env1));
  report("#! with nothing after it", ex(p("hashbang-only"), cargv, env1));
  report("#! with only blanks", ex(p("hashbang-spaces"), cargv, env1));
  report("#! missing interpreter", ex(p("nointerp"), cargv, env1));
  report("#! interpreter without x bit", ex(p("interp-noexec"), cargv, env1));
  report("#! interpreter is a directory", ex(p("interp-dir"), cargv, env1));
  report("#! interpreter is a text file", ex(p("interp-text"), cargv, env1));
  report("#! interpreter is itself", ex(p("loop"), cargv, env1));
  report("#! interpreter longer than the buffer", ex(p("longinterp"), cargv, env1));
  forked("#! line with a NUL", p("nul-in-line"), cargv, env1);
  forked("#! line without a newline", p("no-newline"), cargv, env1);
  forked("#! argument with blanks", p("arg-blanks"), cargv, env1);
  report("truncated ELF (7 bytes)", ex(p("trunc7"), cargv, env1));
  report("truncated ELF (64 bytes)", ex(p("trunc64"), cargv, env1));
  report("truncated ELF (100 bytes)", ex(p("trunc100"), cargv, env1));
  forked("truncated ELF (4096 bytes)", p("trunc4096"), cargv, env1);
  if (argc == 6) {
    /* Dynamic programs whose PT_INTERP is missing, not ELF, a directory. */
    report("PT_INTERP missing", ex(argv[3], cargv, env1));
    report("PT_INTERP a shell script", ex(argv[4], cargv, env1));
    report("PT_INTERP a directory", ex(argv[5], cargv, env1));
  }
  for (int n = 1; n <= 7; n++) {
    char name[64];
    snprintf(name, sizeof name, "#! chain %d deep", n);
    snprintf(path, sizeof path, "%s/chain%d", dir, n);
    forked(name, path, cargv, env1);
  }

  /* NULL argv and envp: Linux >= 5.18 gives argc 1 with argv[0] "". */
  forked("argv NULL", child, NULL, env1);
  forked("envp NULL", child, cargv, NULL);
  char *empty_argv[] = {NULL};
  forked("argv {NULL}", child, empty_argv, env1);

  /* execveat. */
  int dfd = open(dir, O_RDONLY | O_DIRECTORY);
  int ffd = open(p("text"), O_RDONLY);
  report("execveat bad dirfd", syscall(SYS_execveat, 999, "text", cargv, env1, 0));
  report("execveat dirfd not a directory", syscall(SYS_execveat, ffd, "x", cargv, env1, 0));
  report("execveat bad flags", syscall(SYS_execveat, dfd, "text", cargv, env1, 0x4));
  report("execveat \"\" without AT_EMPTY_PATH", syscall(SYS_execveat, ffd, "", cargv, env1, 0));
  report("execveat AT_EMPTY_PATH bad fd", syscall(SYS_execveat, 999, "", cargv, env1, AT_EMPTY_PATH));
  report("execveat AT_EMPTY_PATH on a text file", syscall(SYS_execveat, ffd, "", cargv, env1, AT_EMPTY_PATH));
  symlink(child, p("link"));
  report("execveat AT_SYMLINK_NOFOLLOW on a symlink", syscall(SYS_execveat, dfd, "link", cargv, env1, AT_SYMLINK_NOFOLLOW));
  int cfd = open(child, O_RDONLY);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    syscall(SYS_execveat, cfd, "", cargv, env1, AT_EMPTY_PATH);
    printf("  exec failed: %s\n", strerrorname_np(errno));
    _exit(100);
  }
  int st;
  waitpid(pid, &st, 0);
  printf("execveat AT_EMPTY_PATH on the child: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

  /* The old image survived. */
  int ok = 1;
  for (size_t i = 0; i < sizeof stack_canary; i++) ok &= stack_canary[i] == 0x5a;
  for (size_t i = 0; i < (1 << 20); i++) ok &= (unsigned char)heap[i] == 0xa5;
  for (size_t i = 0; i < PAGE; i++) ok &= page[i] == 0x3c;
  printf("memory intact: %s\n", ok ? "yes" : "no");
  return 0;
}
