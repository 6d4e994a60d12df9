/* execve of a static program (itself) with argv and envp. */
#include "t.h"
#include <sys/wait.h>

extern char **environ;

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0) {
    printf("child argc: %d\n", argc);
    for (int i = 1; i < argc; i++) if (i != 2) printf("child argv[%d]: \"%s\"\n", i, argv[i]);
    int n = 0;
    for (char **e = environ; *e; e++) printf("child env[%d]: \"%s\"\n", n++, *e);
    printf("child env count: %d\n", n);
    printf("child pid relation: %s\n", atoi(argv[2]) == getpid() ? "same pid" : "different pid");
    fflush(stdout);
    return 7;
  }
  char pidbuf[32];
  snprintf(pidbuf, sizeof pidbuf, "%d", getpid());
  pid_t c = fork();
  if (c == 0) {
    snprintf(pidbuf, sizeof pidbuf, "%d", getpid());
    char *av[] = {argv[0], "child", pidbuf, "", "with space", "x=y", NULL};
    char *ev[] = {"A=1", "EMPTY=", "B=two words", NULL};
    execve(argv[0], av, ev);
    _exit(99);
  }
  int st;
  waitpid(c, &st, 0);
  EQ("exit status of exec'd image", WEXITSTATUS(st), 7);
  c = fork();
  if (c == 0) {
    char *av[] = {argv[0], "child", pidbuf, NULL};
    char *ev[] = {NULL};
    execve(argv[0], av, ev);
    _exit(99);
  }
  waitpid(c, &st, 0);
  EQ("empty env exec", WEXITSTATUS(st), 7);
  c = fork();
  if (c == 0) {
    /* argv may be empty; Linux (since 5.18) then passes argv[0] = "". */
    char *ev[] = {NULL};
    execve("/bin/true", (char *[]){NULL}, ev);
    _exit(99);
  }
  waitpid(c, &st, 0);
  EXPECT("exec with empty argv runs", WIFEXITED(st) && WEXITSTATUS(st) != 99);
  return t_done();
}
