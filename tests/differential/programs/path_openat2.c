/* openat2: struct size checks and RESOLVE_* restrictions. */
#include "t.h"
#include <linux/openat2.h>
#include <sys/stat.h>

static long o2(int dfd, const char *p, uint64_t flags, uint64_t resolve) {
  struct open_how how = {.flags = flags, .mode = 0, .resolve = resolve};
  return syscall(SYS_openat2, dfd, p, &how, sizeof how);
}

int main(void) {
  mkdir("root", 0755);
  mkdir("root/d", 0755);
  close(open("root/d/f", O_CREAT | O_WRONLY, 0644));
  close(open("outside", O_CREAT | O_WRONLY, 0644));
  symlink("d/f", "root/lnk");
  symlink("../outside", "root/escape");
  symlink("/etc/os-release", "root/abs");
  int dfd = open("root", O_RDONLY | O_DIRECTORY);
  OK("plain openat2", o2(dfd, "d/f", O_RDONLY, 0));
  OK("BENEATH inside", o2(dfd, "d/f", O_RDONLY, RESOLVE_BENEATH));
  ERR("BENEATH .. escape", o2(dfd, "../outside", O_RDONLY, RESOLVE_BENEATH), EXDEV);
  ERR("BENEATH symlink escape", o2(dfd, "escape", O_RDONLY, RESOLVE_BENEATH), EXDEV);
  ERR("BENEATH absolute", o2(dfd, "/etc/os-release", O_RDONLY, RESOLVE_BENEATH), EXDEV);
  ERR("NO_SYMLINKS", o2(dfd, "lnk", O_RDONLY, RESOLVE_NO_SYMLINKS), ELOOP);
  OK("NO_SYMLINKS without links", o2(dfd, "d/f", O_RDONLY, RESOLVE_NO_SYMLINKS));
  OK("IN_ROOT .. clamps at root", o2(dfd, "../../d/f", O_RDONLY, RESOLVE_IN_ROOT));
  ERR("IN_ROOT absolute symlink resolved in root", o2(dfd, "abs", O_RDONLY, RESOLVE_IN_ROOT), ENOENT);
  ERR("NO_MAGICLINKS /proc/self/exe", o2(AT_FDCWD, "/proc/self/exe", O_RDONLY, RESOLVE_NO_MAGICLINKS), ELOOP);
  ERR("BENEATH|IN_ROOT", o2(dfd, "d/f", O_RDONLY, RESOLVE_BENEATH | RESOLVE_IN_ROOT), EINVAL);
  ERR("unknown resolve bit", o2(dfd, "d/f", O_RDONLY, 1ULL << 40), EINVAL);
  ERR("unknown open flag", o2(dfd, "d/f", 1ULL << 40, 0), EINVAL);
  struct open_how how = {.flags = O_RDONLY, .mode = 0644};
  ERR("mode without O_CREAT", syscall(SYS_openat2, dfd, "d/f", &how, sizeof how), EINVAL);
  ERR("size too small", syscall(SYS_openat2, dfd, "d/f", &how, 8), EINVAL);
  char big[sizeof how + 8];
  memset(big, 0, sizeof big);
  memcpy(big, &(struct open_how){.flags = O_RDONLY}, sizeof how);
  OK("bigger size, zero tail", syscall(SYS_openat2, dfd, "d/f", big, sizeof big));
  big[sizeof how] = 1;
  ERR("bigger size, non-zero tail", syscall(SYS_openat2, dfd, "d/f", big, sizeof big), E2BIG);
  return t_done();
}
