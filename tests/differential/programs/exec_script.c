/* #! scripts: interpreter, optional argument, script path in argv. */
#include "t.h"
#include <sys/stat.h>
#include <sys/wait.h>

static void write_file(const char *p, const char *s, int mode) {
  int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, mode);
  write(fd, s, strlen(s));
  close(fd);
}

static int run(char *path, char *arg) {
  int st;
  pid_t c = fork();
  if (c == 0) {
    char *av[] = {path, arg, NULL};
    execv(path, av);
    printf("  exec %s: errno=%s\n", path, t_errname(errno));
    _exit(100);
  }
  waitpid(c, &st, 0);
  return WEXITSTATUS(st);
}

int main(int argc, char **argv) {
  if (argc > 1 && strncmp(argv[1], "interp", 6) == 0) {
    for (int i = 0; i < argc; i++) {
      const char *a = argv[i];
      if (i == 0) a = strcmp(a, "/proc/self/exe") == 0 || a[0] == '/' ? "<interpreter>" : a;
      printf("  argv[%d]: \"%s\"\n", i, a);
    }
    return 0;
  }
  char text[4200];
  snprintf(text, sizeof text, "#!%s interp\necho ignored\n", argv[0]);
  write_file("s1", text, 0755);
  EQ("script with arg", run("./s1", "extra"), 0);
  snprintf(text, sizeof text, "#! %s   interp   two words  \n", argv[0]);
  write_file("s2", text, 0755);
  EQ("spaces: one optional arg", run("./s2", "x"), 0);
  snprintf(text, sizeof text, "#!./s1\n");
  write_file("s3", text, 0755);
  EQ("nested script", run("./s3", "y"), 0);
  write_file("s4", "#!/nonexistent/interp\n", 0755);
  EQ("missing interpreter", run("./s4", "z"), 100);
  snprintf(text, sizeof text, "#!%s interp\n", argv[0]);
  write_file("s5", text, 0644);
  EQ("script not executable", run("./s5", "z"), 100);
  write_file("s6", "#!\n", 0755);
  EQ("empty interpreter", run("./s6", "z"), 100);
  write_file("s7", "#!/bin/sh\nexit 3\n", 0755);
  EQ("/bin/sh script exit", run("./s7", "z"), 3);
  /* A loop of scripts: each #! names the other. */
  write_file("loopA", "#!./loopB\n", 0755);
  write_file("loopB", "#!./loopA\n", 0755);
  EQ("interpreter loop", run("./loopA", "z"), 100);
  return t_done();
}
