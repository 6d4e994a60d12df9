/* uname: only the stable fields. */
// @dynamic
#include "t.h"
#include <sys/utsname.h>

int main(void) {
  struct utsname u;
  OK("uname", uname(&u));
  STREQ("sysname", u.sysname, "Linux");
  STREQ("machine", u.machine, "x86_64");
  EXPECT("release non-empty", u.release[0] != 0);
  EXPECT("nodename non-empty", u.nodename[0] != 0);
  int major = 0;
  sscanf(u.release, "%d", &major);
  EXPECT("release >= 4", major >= 4);
  ERR("bad pointer", syscall(SYS_uname, (void *)8), EFAULT);
  return t_done();
}
