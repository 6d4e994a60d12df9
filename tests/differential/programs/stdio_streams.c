/* stdin/stdout/stderr: reading fed input, writing to both streams. */
// @dynamic
// @stdin line one\nline two\n\nlast line without newline
#include "t.h"
#include <sys/stat.h>

int main(void) {
  char line[128];
  int n = 0;
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\n")] = 0;
    printf("stdin line %d: \"%s\"\n", ++n, line);
  }
  EQ("lines read", n, 4);
  EQ("read at EOF", read(0, line, 1), 0);
  fprintf(stderr, "to stderr: %d\n", 42);
  EQ("write(2)", write(2, "raw stderr\n", 11), 11);
  struct stat st;
  fstat(1, &st);
  EXPECT("stdout is not a terminal", !isatty(1));
  EXPECT("fds 0-2 open", fcntl(0, F_GETFD) >= 0 && fcntl(1, F_GETFD) >= 0 && fcntl(2, F_GETFD) >= 0);
  EQ("fd 3 closed", fcntl(3, F_GETFD) == -1 && errno == EBADF, 1);
  /* Big output in many pieces. */
  for (int i = 0; i < 2000; i++) printf("bulk %04d %s\n", i, "abcdefghijklmnopqrstuvwxyz");
  const char *env = getenv("DIFF_MARKER");
  STREQ("environment passed", env ? env : "(unset)", "tsvisor-differential");
  return t_done();
}
