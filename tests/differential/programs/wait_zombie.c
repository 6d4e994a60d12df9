/* Zombies: an exited child stays waitable until reaped; WNOWAIT peeks. */
#include "t.h"
#include <signal.h>
#include <sys/wait.h>

static char state_of(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return '-';
  long n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return '?';
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  return p && p[1] == ' ' ? p[2] : '?';
}

int main(void) {
  pid_t c = fork();
  if (c == 0) _exit(9);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  EQ("waitid WNOWAIT", waitid(P_PID, c, &si, WEXITED | WNOWAIT), 0);
  EXPECT("si_pid", si.si_pid == c);
  EQ("si_status", si.si_status, 9);
  EQ("si_code CLD_EXITED", si.si_code, CLD_EXITED);
  printf("zombie state: %c\n", state_of(c));
  EQ("kill zombie succeeds", kill(c, 0), 0);
  EQ("SIGKILL to zombie ok", kill(c, SIGKILL), 0);
  int st;
  EXPECT("still reapable", waitpid(c, &st, 0) == c);
  EQ("status unchanged by late SIGKILL", WEXITSTATUS(st), 9);
  ERR("reaped: ECHILD", waitpid(c, &st, 0), ECHILD);
  ERR("reaped: kill ESRCH", kill(c, 0), ESRCH);
  printf("reaped state: %c\n", state_of(c));
  /* A zombie keeps its pid busy: getpgid works until reaped. */
  c = fork();
  if (c == 0) _exit(0);
  usleep(20000);
  EXPECT("getpgid of zombie", getpgid(c) > 0);
  waitpid(c, NULL, 0);
  return t_done();
}
