/* umask: previous value returned, applied to creat/mkdir/mknod. */
#include "t.h"
#include <sys/stat.h>

static unsigned mode(const char *p) {
  struct stat st;
  stat(p, &st);
  return st.st_mode & 0777;
}

int main(void) {
  EQ("initial umask", umask(027), 022);
  EQ("returns previous", umask(077), 027);
  close(open("f", O_CREAT | O_WRONLY, 0666));
  EQ("file mode masked", mode("f"), 0600);
  mkdir("d", 0777);
  EQ("dir mode masked", mode("d"), 0700);
  umask(0);
  close(open("g", O_CREAT | O_WRONLY, 0666));
  EQ("umask 0", mode("g"), 0666);
  EQ("only low 9 bits kept", umask(07777), 0);
  EQ("stored 0777", umask(022), 0777);
  mkfifo("fifo", 0666);
  EQ("mkfifo masked", mode("fifo"), 0644);
  chmod("g", 0777);
  EQ("chmod ignores umask", mode("g"), 0777);
  return t_done();
}
