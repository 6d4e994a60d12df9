/* O_CLOEXEC / FD_CLOEXEC descriptors are closed by execve; others stay. */
#include "t.h"
#include <sys/wait.h>

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0) {
    for (int i = 2; i < argc; i++) {
      int fd = atoi(argv[i] + 2);
      int open_now = fcntl(fd, F_GETFD) != -1;
      printf("child %s fd: %s\n", argv[i], open_now ? "open" : "closed");
    }
    char b[8] = {0};
    lseek(3, 0, SEEK_SET);
    printf("child reads inherited fd: %ld\n", (long)read(3, b, 5));
    printf("child data: %s\n", b);
    return 0;
  }
  int keep = open("f", O_CREAT | O_RDWR, 0644); /* 3 */
  write(keep, "hello", 5);
  int ce = open("f", O_RDONLY | O_CLOEXEC);
  int setfd = open("f", O_RDONLY);
  fcntl(setfd, F_SETFD, FD_CLOEXEC);
  int dupce = fcntl(keep, F_DUPFD_CLOEXEC, 20);
  int cleared = open("f", O_RDONLY | O_CLOEXEC);
  fcntl(cleared, F_SETFD, 0);
  int p[2];
  pipe2(p, O_CLOEXEC);
  char a[5][16];
  snprintf(a[0], 16, "k=%d", keep);
  snprintf(a[1], 16, "c=%d", ce);
  snprintf(a[2], 16, "s=%d", setfd);
  snprintf(a[3], 16, "d=%d", dupce);
  snprintf(a[4], 16, "u=%d", cleared);
  char pw[16];
  snprintf(pw, 16, "p=%d", p[1]);
  pid_t c = fork();
  if (c == 0) {
    char *av[] = {argv[0], "child", a[0], a[1], a[2], a[3], a[4], pw, NULL};
    execv(argv[0], av);
    _exit(99);
  }
  int st;
  waitpid(c, &st, 0);
  EQ("child status", WEXITSTATUS(st), 0);
  /* Classic trick: a CLOEXEC pipe reports exec success as EOF. */
  pipe2(p, O_CLOEXEC);
  c = fork();
  if (c == 0) {
    close(p[0]);
    char *av[] = {"/bin/true", NULL};
    execv(av[0], av);
    _exit(99);
  }
  close(p[1]);
  char b;
  EQ("EOF means exec succeeded", read(p[0], &b, 1), 0);
  waitpid(c, &st, 0);
  return t_done();
}
