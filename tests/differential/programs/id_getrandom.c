/* getrandom: lengths, flags, errors (values are never printed). */
#include "t.h"
#include <sys/random.h>

int main(void) {
  unsigned char a[64], b[64];
  memset(a, 0, sizeof a);
  EQ("64 bytes", getrandom(a, sizeof a, 0), 64);
  EQ("GRND_NONBLOCK", getrandom(b, sizeof b, GRND_NONBLOCK), 64);
  EXPECT("two draws differ", memcmp(a, b, sizeof a) != 0);
  int nz = 0;
  for (int i = 0; i < 64; i++) nz += a[i] != 0;
  EXPECT("not all zero", nz > 32);
  EQ("GRND_RANDOM", getrandom(a, 16, GRND_RANDOM), 16);
  EQ("length 0", getrandom(a, 0, 0), 0);
  static unsigned char big[1 << 20];
  long n = getrandom(big, sizeof big, 0);
  EXPECT("big request returns >= 256 bytes", n >= 256);
  ERR("bad flags", getrandom(a, 8, 0x100), EINVAL);
  ERR("bad pointer", syscall(SYS_getrandom, (void *)8, 8, 0), EFAULT);
  ERR("GRND_INSECURE|GRND_RANDOM", getrandom(a, 8, 0x4 | GRND_RANDOM), EINVAL);
  int fd = open("/dev/urandom", O_RDONLY);
  EQ("/dev/urandom read", read(fd, a, 32), 32);
  return t_done();
}
