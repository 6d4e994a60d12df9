/*
 * Errno-for-errno differential over a curated set of file and memory
 * syscalls that are safe to run natively (everything happens in the working
 * directory, a fresh temporary directory holding f, d and l -> f). Each call
 * is the cross product of small pools of hostile arguments; one line per
 * call: "name(arg labels) = ERRNO" or "= value" (or "= ok" where the value
 * depends on address-space layout). The test diffs these lines with Linux.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE 4096UL
#define ARENA 0x300000000000UL
#define RO_PAGE (ARENA + 4 * PAGE)
#define A_PAGE (ARENA + 5 * PAGE)
#define ARENA_END (ARENA + 6 * PAGE)

struct val {
  const char *label;
  unsigned long v;
};
#define N(a) (int)(sizeof(a) / sizeof(a[0]))

static struct val FD[] = {{"-1", -1UL}, {"999", 999}, {"1<<30", 1UL << 30}, {"file", 0}, {"dir", 0}, {"pipe_r", 0}, {"pipe_w", 0}, {"devnull", 0}};
static struct val PTR[] = {{"null", 0}, {"0x1", 1}, {"unmapped", 0xdeadbeef000UL}, {"kernel", 0xffff800000000000UL}, {"ro", RO_PAGE}, {"straddle", ARENA_END - 3}, {"buf", ARENA}};
static struct val LEN[] = {{"0", 0}, {"1", 1}, {"64", 64}, {"4096", 4096}, {"2^63", 1UL << 63}, {"2^64-1", -1UL}};
static struct val SMALLLEN[] = {{"0", 0}, {"1", 1}, {"64", 64}, {"2^63", 1UL << 63}, {"2^64-1", -1UL}};
static struct val PATH[] = {{"null", 0}, {"0x1", 1}, {"kernel", 0xffff800000000000UL}, {"straddle", ARENA_END - 3}, {"\"\"", 0}, {"f", 0}, {"d", 0}, {"l", 0}, {"nope", 0}, {"f/x", 0}, {"d/x", 0}, {"long", 0}};
static struct val OFLAGS[] = {{"RDONLY", O_RDONLY}, {"WRONLY|CREAT", O_WRONLY | O_CREAT}, {"RDWR|CREAT|EXCL", O_RDWR | O_CREAT | O_EXCL}, {"DIRECTORY", O_DIRECTORY}, {"RDWR|TRUNC", O_RDWR | O_TRUNC}, {"-1", -1UL}, {"3", 3}};
static struct val MODE[] = {{"0644", 0644}};
static struct val WHENCE[] = {{"SET", 0}, {"CUR", 1}, {"END", 2}, {"DATA", 3}, {"HOLE", 4}, {"5", 5}, {"-1", -1UL}};
static struct val OFF[] = {{"0", 0}, {"-1", -1UL}, {"1", 1}, {"2^62", 1UL << 62}, {"2^63", 1UL << 63}};
static struct val MMADDR[] = {{"0", 0}, {"0x1", 1}, {"unmapped", 0xdeadbeef000UL}, {"kernel", 0xffff800000000000UL}, {"arena", ARENA}, {"ro", RO_PAGE}, {"end", ARENA_END}, {"2^63", 1UL << 63}};
static struct val MMLEN[] = {{"0", 0}, {"1", 1}, {"4096", 4096}, {"6p", 6 * PAGE}, {"2^63", 1UL << 63}, {"-4096", -4096UL}};
static struct val MMADDR2[] = {{"0", 0}, {"0x1", 1}, {"unmapped", 0xdeadbeef000UL}, {"kernel", 0xffff800000000000UL}, {"arena", ARENA}};
static struct val MMLEN2[] = {{"0", 0}, {"4096", 4096}, {"2^63", 1UL << 63}, {"-4096", -4096UL}};
static struct val PROT2[] = {{"NONE", 0}, {"RW", 3}, {"-1", -1UL}};
static struct val MMFD[] = {{"-1", -1UL}, {"file", 0}, {"dir", 0}, {"pipe_r", 0}, {"devnull", 0}};
static struct val MMOFF[] = {{"0", 0}, {"1", 1}, {"2^63", 1UL << 63}};
static struct val PROT[] = {{"NONE", 0}, {"R", 1}, {"RW", 3}, {"0x10", 0x10}, {"-1", -1UL}};
static struct val MMFLAGS[] = {{"PRIV|ANON", 0x22}, {"SHARED", 1}, {"PRIV", 2}, {"0", 0}, {"PRIV|ANON|FIXED", 0x32}, {"-1", -1UL}};
static struct val FCNTLCMD[] = {{"DUPFD", 0}, {"GETFD", 1}, {"SETFD", 2}, {"GETFL", 3}, {"SETFL", 4}, {"GETLK", 5}, {"DUPFD_CLOEXEC", 1030}, {"GETPIPE_SZ", 1032}, {"-1", -1UL}, {"9999", 9999}};
static struct val FCNTLARG[] = {{"0", 0}, {"-1", -1UL}, {"3", 3}, {"buf", ARENA}, {"unmapped", 0xdeadbeef000UL}};
static struct val PIPEFL[] = {{"0", 0}, {"CLOEXEC", O_CLOEXEC}, {"NONBLOCK", O_NONBLOCK}, {"DIRECT", O_DIRECT}, {"-1", -1UL}};
static struct val DUP3FL[] = {{"0", 0}, {"CLOEXEC", O_CLOEXEC}, {"1", 1}};
static struct val NEWFD[] = {{"-1", -1UL}, {"100", 100}, {"1<<30", 1UL << 30}, {"file", 0}};
static struct val AMODE[] = {{"F_OK", 0}, {"R_OK", 4}, {"X_OK", 1}, {"8", 8}};
static struct val DIRFD[] = {{"AT_FDCWD", (unsigned long)AT_FDCWD}, {"-1", -1UL}, {"999", 999}, {"file", 0}, {"dir", 0}};
static struct val ATFLAGS[] = {{"0", 0}, {"SYMLINK_NOFOLLOW", AT_SYMLINK_NOFOLLOW}, {"EMPTY_PATH", AT_EMPTY_PATH}, {"-1", -1UL}};

static char longname[300], longpath[5000];
static int fd_file, fd_dir, fd_pipe_r, fd_pipe_w, fd_devnull;

static void fix_pools(void) {
  memset(longname, 'x', sizeof longname - 1);
  for (int i = 0; i < (int)sizeof longpath - 1; i++) longpath[i] = i % 2 ? '/' : 'y';
  FD[3].v = fd_file, FD[4].v = fd_dir, FD[5].v = fd_pipe_r, FD[6].v = fd_pipe_w, FD[7].v = fd_devnull;
  NEWFD[3].v = fd_file;
  MMFD[1].v = fd_file, MMFD[2].v = fd_dir, MMFD[3].v = fd_pipe_r, MMFD[4].v = fd_devnull;
  DIRFD[3].v = fd_file, DIRFD[4].v = fd_dir;
  PATH[4].v = ARENA;
  PATH[5].v = (unsigned long)"f", PATH[6].v = (unsigned long)"d", PATH[7].v = (unsigned long)"l";
  PATH[8].v = (unsigned long)"nope", PATH[9].v = (unsigned long)"f/x", PATH[10].v = (unsigned long)"d/x";
  PATH[11].v = (unsigned long)longname;
  (void)longpath;
}

/* Undoes what the previous call did to the shared objects, so mismatches do not cascade. */
static void reset_fds(void) {
  static const char content[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  char drain[4096];
  dup2(200, fd_file), dup2(201, fd_dir), dup2(202, fd_pipe_r), dup2(203, fd_pipe_w), dup2(204, fd_devnull);
  fcntl(200, F_SETFL, 0);
  ftruncate(200, 0);
  pwrite(200, content, sizeof content - 1, 0);
  lseek(200, 0, SEEK_SET);
  lseek(201, 0, SEEK_SET);
  fcntl(202, F_SETFL, O_NONBLOCK);
  fcntl(203, F_SETFL, O_NONBLOCK);
  while (read(202, drain, sizeof drain) > 0) {
  }
}

static void set_arena(void) {
  mmap((void *)ARENA, 6 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  munmap((void *)ARENA_END, 64 * PAGE);
  memset((void *)A_PAGE, 'a', PAGE);
  mprotect((void *)RO_PAGE, PAGE, PROT_READ);
}

enum shape { VALUE, OK_ONLY, FD_RESULT, BRK };

struct call {
  const char *name;
  long nr;
  enum shape shape;
  int nargs;
  struct val *pools[6];
  int sizes[6];
};
#define P(x) x
#define S(x) N(x)

static void run(const struct call *c) {
  int idx[6] = {0};
  for (;;) {
    unsigned long a[6] = {0};
    char line[512];
    int n = snprintf(line, sizeof line, "%s(", c->name);
    for (int i = 0; i < c->nargs; i++) {
      a[i] = c->pools[i][idx[i]].v;
      n += snprintf(line + n, sizeof line - n, "%s%s", i ? ", " : "", c->pools[i][idx[i]].label);
    }
    reset_fds();
    void *before = (void *)syscall(SYS_brk, 0);
    errno = 0;
    long r = syscall(c->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    int e = errno;
    if (r == -1 && e != 0 && c->shape != BRK) {
      printf("%s) = %s\n", line, strerrorname_np(e));
    } else if (c->shape == VALUE) {
      printf("%s) = %ld\n", line, r);
    } else if (c->shape == FD_RESULT) {
      printf("%s) = fd\n", line);
      if (r > 2 && r != fd_file && r != fd_dir && r != fd_pipe_r && r != fd_pipe_w && r != fd_devnull) close((int)r);
    } else if (c->shape == BRK) {
      printf("%s) = %s\n", line, (void *)r == before ? "unchanged" : "moved");
      syscall(SYS_brk, before);
    } else {
      printf("%s) = ok\n", line);
    }
    fflush(stdout);
    set_arena();
    int i = c->nargs - 1;
    while (i >= 0 && ++idx[i] == c->sizes[i]) idx[i--] = 0;
    if (i < 0) break;
  }
}

#define CALL(nm, shp, ...) \
  { \
    struct val *pp[] = {__VA_ARGS__}; \
    struct call c = {#nm, SYS_##nm, shp, N(pp), {0}, {0}}; \
    for (int k = 0; k < N(pp); k++) c.pools[k] = pp[k]; \
    run_sized(&c, __VA_ARGS__); \
  }

static void run_sized_impl(struct call *c, int *sizes) {
  for (int k = 0; k < c->nargs; k++) c->sizes[k] = sizes[k];
  run(c);
}
#define SZ(x) N(x)
#define run_sized(c, ...) run_sized_impl(c, (int[]){MAP_SIZES(__VA_ARGS__)})
#define MAP_SIZES(...) MAP_SIZES_(__VA_ARGS__, 0, 0, 0, 0, 0, 0)
#define MAP_SIZES_(a, b, c, d, e, f, ...) SZ_OR0(a), SZ_OR0(b), SZ_OR0(c), SZ_OR0(d), SZ_OR0(e), SZ_OR0(f)
#define SZ_OR0(x) _Generic((x), int: 0, default: (int)(sizeof(x) / sizeof(struct val)))

int main(void) {
  setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  int p[2];
  close(creat("f", 0644));
  mkdir("d", 0755);
  symlink("f", "l");
  fd_file = open("f", O_RDWR);
  fd_dir = open("d", O_RDONLY | O_DIRECTORY);
  pipe2(p, O_NONBLOCK);
  fd_pipe_r = p[0], fd_pipe_w = p[1];
  fd_devnull = open("/dev/null", O_RDWR);
  dup2(fd_file, 200), dup2(fd_dir, 201), dup2(fd_pipe_r, 202), dup2(fd_pipe_w, 203), dup2(fd_devnull, 204);
  fix_pools();
  set_arena();

  CALL(read, VALUE, FD, PTR, LEN);
  CALL(write, VALUE, FD, PTR, LEN);
  CALL(pread64, VALUE, FD, PTR, SMALLLEN, OFF);
  CALL(pwrite64, VALUE, FD, PTR, SMALLLEN, OFF);
  CALL(lseek, VALUE, FD, OFF, WHENCE);
  CALL(open, FD_RESULT, PATH, OFLAGS, MODE);
  CALL(openat, FD_RESULT, DIRFD, PATH, OFLAGS, MODE);
  CALL(stat, VALUE, PATH, PTR);
  CALL(lstat, VALUE, PATH, PTR);
  CALL(fstat, VALUE, FD, PTR);
  CALL(newfstatat, VALUE, DIRFD, PATH, PTR, ATFLAGS);
  CALL(access, VALUE, PATH, AMODE);
  CALL(faccessat, VALUE, DIRFD, PATH, AMODE);
  CALL(readlink, VALUE, PATH, PTR, SMALLLEN);
  CALL(readlinkat, VALUE, DIRFD, PATH, PTR, SMALLLEN);
  CALL(getdents64, VALUE, FD, PTR, LEN);
  CALL(getcwd, OK_ONLY, PTR, LEN); /* the length depends on the directory name */
  CALL(dup, FD_RESULT, FD);
  CALL(dup2, FD_RESULT, FD, NEWFD);
  CALL(dup3, FD_RESULT, FD, NEWFD, DUP3FL);
  CALL(fcntl, VALUE, FD, FCNTLCMD, FCNTLARG);
  CALL(pipe2, VALUE, PTR, PIPEFL);
  CALL(mmap, OK_ONLY, MMADDR2, MMLEN2, PROT2, MMFLAGS, MMFD, MMOFF);
  CALL(munmap, VALUE, MMADDR, MMLEN);
  CALL(mprotect, VALUE, MMADDR, MMLEN, PROT);
  CALL(brk, BRK, MMADDR);
  CALL(ftruncate, VALUE, FD, OFF);
  CALL(truncate, VALUE, PATH, OFF);
  CALL(mkdir, VALUE, PATH, MODE);
  CALL(rmdir, VALUE, PATH);
  CALL(unlink, VALUE, PATH);
  CALL(chdir, VALUE, PATH);
  CALL(fchdir, VALUE, FD);
  CALL(close, VALUE, NEWFD);
  return 0;
}
