/* clone flag combinations Linux rejects with EINVAL. */
#include "t.h"
#include <sched.h>

static long rawclone(unsigned long flags) {
  /* No stack: only reached for combinations that fail before creating a task. */
  return syscall(SYS_clone, flags, 0, 0, 0, 0);
}

int main(void) {
  ERR("THREAD without SIGHAND", rawclone(CLONE_THREAD | CLONE_VM), EINVAL);
  ERR("SIGHAND without VM", rawclone(CLONE_SIGHAND), EINVAL);
  ERR("NEWNS with FS", rawclone(CLONE_NEWNS | CLONE_FS), EINVAL);
  ERR("NEWUSER with FS", rawclone(CLONE_NEWUSER | CLONE_FS), EINVAL);
  ERR("THREAD|SIGHAND|VM with NEWPID... PARENT and init", rawclone(CLONE_THREAD | CLONE_SIGHAND | CLONE_VM | CLONE_NEWUSER), EINVAL);
  ERR("PIDFD with PARENT_SETTID (same pointer)", syscall(SYS_clone, CLONE_PIDFD | CLONE_PARENT_SETTID, 0, 0, 0, 0), EINVAL);
  ERR("PIDFD with DETACHED", rawclone(CLONE_PIDFD | CLONE_DETACHED), EINVAL);
  ERR("clone3 size too small", syscall(SYS_clone3, (void *)0, 8), EINVAL);
  printf("caller unaffected: ok\n");
  return t_done();
}
