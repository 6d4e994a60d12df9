/* pipe/pipe2: data flow, EOF, flags, fstat. */
#include "t.h"
#include <sys/stat.h>
#include <sys/wait.h>

int main(void) {
  int p[2];
  char buf[64];
  OK("pipe", pipe(p));
  EQ("write", write(p[1], "hello", 5), 5);
  EQ("partial read", read(p[0], buf, 3), 3);
  EQ("rest", read(p[0], buf, 64), 2);
  ERR("read on write end", read(p[1], buf, 1), EBADF);
  ERR("write on read end", write(p[0], "x", 1), EBADF);
  close(p[1]);
  EQ("EOF when writers gone", read(p[0], buf, 64), 0);
  close(p[0]);
  OK("pipe2 O_CLOEXEC|O_NONBLOCK", pipe2(p, O_CLOEXEC | O_NONBLOCK));
  EQ("cloexec", fcntl(p[0], F_GETFD), FD_CLOEXEC);
  EQ("nonblock read end", fcntl(p[0], F_GETFL) & (O_NONBLOCK | O_ACCMODE), O_NONBLOCK | O_RDONLY);
  EQ("nonblock write end", fcntl(p[1], F_GETFL) & (O_NONBLOCK | O_ACCMODE), O_NONBLOCK | O_WRONLY);
  ERR("pipe2 bad flags", pipe2(p, O_APPEND), EINVAL);
  ERR("pipe bad pointer", syscall(SYS_pipe2, (void *)16, 0), EFAULT);
  /* Blocking read in the parent, child writes after a while then exits. */
  pipe(p);
  pid_t c = fork();
  if (c == 0) {
    close(p[0]);
    usleep(50000);
    write(p[1], "from child", 10);
    _exit(0);
  }
  close(p[1]);
  long n = read(p[0], buf, sizeof buf);
  EQ("blocking read gets child data", n, 10);
  EQ("then EOF after child exit", read(p[0], buf, sizeof buf), 0);
  waitpid(c, NULL, 0);
  EQ("F_GETPIPE_SZ", fcntl(p[0], F_GETPIPE_SZ), 65536);
  struct stat st;
  fstat(p[0], &st);
  EXPECT("fifo mode", S_ISFIFO(st.st_mode));
  return t_done();
}
