/* EFAULT from system calls given bad buffers; the process survives. */
#include "t.h"
#include <poll.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>

#define BAD ((void *)8)
#define KERNEL ((void *)0xffffffff81000000UL)
#define NONCANON ((void *)0x0000900000000000UL)

int main(void) {
  int fd = open("f", O_CREAT | O_RDWR, 0644);
  write(fd, "data", 4);
  lseek(fd, 0, SEEK_SET);
  ERR("read into bad buffer", syscall(SYS_read, fd, BAD, 4), EFAULT);
  ERR("read into kernel address", syscall(SYS_read, fd, KERNEL, 4), EFAULT);
  ERR("read into non-canonical", syscall(SYS_read, fd, NONCANON, 4), EFAULT);
  EQ("offset not advanced by failed read", lseek(fd, 0, SEEK_CUR), 0);
  ERR("write from bad buffer", syscall(SYS_write, fd, BAD, 4), EFAULT);
  EQ("read with bad buffer but 0 length", syscall(SYS_read, fd, BAD, 0), 0);
  ERR("stat bad path", syscall(SYS_stat, BAD, BAD), EFAULT);
  ERR("stat bad buf", syscall(SYS_stat, "f", BAD), EFAULT);
  ERR("fstat bad buf", syscall(SYS_fstat, fd, BAD), EFAULT);
  ERR("open bad path", syscall(SYS_open, BAD, O_RDONLY), EFAULT);
  ERR("openat kernel path", syscall(SYS_openat, AT_FDCWD, KERNEL, O_RDONLY), EFAULT);
  ERR("mkdir bad path", syscall(SYS_mkdir, BAD, 0755), EFAULT);
  ERR("readlink bad buf", syscall(SYS_readlink, "/proc/self/exe", BAD, 100), EFAULT);
  struct iovec iov[1] = {{BAD, 4}};
  ERR("readv bad iov base", readv(fd, iov, 1), EFAULT);
  ERR("readv bad iov array", syscall(SYS_readv, fd, BAD, 1), EFAULT);
  ERR("pipe bad array", syscall(SYS_pipe, BAD), EFAULT);
  ERR("clock_gettime bad", syscall(SYS_clock_gettime, CLOCK_REALTIME, BAD), EFAULT);
  ERR("gettimeofday bad", syscall(SYS_gettimeofday, BAD, NULL), EFAULT);
  ERR("uname bad", syscall(SYS_uname, BAD), EFAULT);
  ERR("poll bad fds", syscall(SYS_poll, BAD, 1, 0), EFAULT);
  ERR("getcwd bad", syscall(SYS_getcwd, BAD, 100), EFAULT);
  ERR("chdir bad", syscall(SYS_chdir, BAD), EFAULT);
  ERR("execve bad", syscall(SYS_execve, BAD, NULL, NULL), EFAULT);
  ERR("nanosleep bad", syscall(SYS_nanosleep, BAD, NULL), EFAULT);
  ERR("rt_sigaction bad", syscall(SYS_rt_sigaction, 10, BAD, NULL, 8), EFAULT);
  ERR("getdents64 bad", syscall(SYS_getdents64, open(".", O_RDONLY), BAD, 4096), EFAULT);
  printf("survived: ok\n");
  return t_done();
}
