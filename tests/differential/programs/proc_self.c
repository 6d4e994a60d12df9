/* /proc/self: exe, cwd, fd, cmdline, status, stat — relations only. */
// @args first second-arg
#include "t.h"
#include <dirent.h>
#include <limits.h>
#include <sys/wait.h>

int main(int argc, char **argv) {
  char buf[PATH_MAX], cwd[PATH_MAX];
  long n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  EXPECT("exe readable", n > 0);
  buf[n > 0 ? n : 0] = 0;
  EXPECT("exe is argv[0]", strcmp(buf, argv[0]) == 0);
  pid_t child = fork();
  if (child == 0) {
    char cb[PATH_MAX];
    long m = readlink("/proc/self/exe", cb, sizeof cb - 1);
    if (m > 0) cb[m] = 0;
    _exit(m > 0 && strcmp(cb, argv[0]) == 0 ? 0 : 1);
  }
  int st;
  waitpid(child, &st, 0);
  EQ("exe readable in a forked child", WEXITSTATUS(st), 0);
  getcwd(cwd, sizeof cwd);
  n = readlink("/proc/self/cwd", buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  EXPECT("cwd link == getcwd", strcmp(buf, cwd) == 0);
  int fd = open("marker", O_CREAT | O_RDWR, 0644);
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  n = readlink(path, buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  const char *base = strrchr(buf, '/');
  STREQ("fd link names the file", base ? base + 1 : buf, "marker");
  int count[2] = {0, 0};
  for (int k = 0; k < 2; k++) {
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    while (d && (e = readdir(d))) if (e->d_name[0] != '.') count[k]++;
    closedir(d);
    if (k == 0) open("marker", O_RDONLY);
  }
  EQ("one more fd listed after open", count[1] - count[0], 1);
  int c = open("/proc/self/cmdline", O_RDONLY);
  n = read(c, buf, sizeof buf);
  int args = 0;
  for (long i = 0; i < n; i++) if (buf[i] == 0) args++;
  EQ("cmdline NUL-separated args", args, argc);
  EXPECT("cmdline arg 2", n > 0 && memmem(buf, n, "second-arg", 11) != NULL);
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  int pid_ok = 0, threads = 0;
  while (f && fgets(line, sizeof line, f)) {
    int v;
    if (sscanf(line, "Pid: %d", &v) == 1) pid_ok = v == getpid();
    if (sscanf(line, "Threads: %d", &v) == 1) threads = v;
  }
  EQ("status Pid", pid_ok, 1);
  EQ("status Threads", threads, 1);
  f = fopen("/proc/self/stat", "r");
  int spid = 0;
  char state = 0;
  if (f && fscanf(f, "%d %*s %c", &spid, &state) == 2) {
  }
  EXPECT("stat pid", spid == getpid());
  EQ("stat state R", state, 'R');
  EXPECT("/proc/self is a link to our pid", readlink("/proc/self", buf, sizeof buf) > 0 && atoi(buf) == getpid());
  return t_done();
}
