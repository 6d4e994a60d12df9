/**
 * Linux's results where the order of its checks, or a partial copy, decides
 * them (cases the robustness errno differential found): a C program prints
 * each result natively (on tmpfs) and under tsvisor on every platform, and
 * the outputs must be identical. Ends by calling uretprobe outside a
 * trampoline, which Linux answers with SIGILL.
 */
import { describe, expect, it } from "vitest";
import { availablePlatforms, compileC, runInSandbox, runNative } from "./helpers.js";

const platforms = await availablePlatforms();

const SOURCE = String.raw`#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define R(expr) do { errno = 0; long _r = (long)(expr); printf("%-64s = %ld %s\n", #expr, _r, _r < 0 ? strerrorname_np(errno) : ""); fflush(stdout); } while (0)

int main(void) {
  /* Linux's tmpfs is the oracle: /dev/shm natively, the sandbox's /tmp is tmpfs. */
  char shm[] = "/dev/shm/eo-XXXXXX", tmp[] = "/tmp/eo-XXXXXX";
  char *dir = mkdtemp(shm) ? shm : mkdtemp(tmp);
  if (!dir || chdir(dir)) return 1;
  int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
  R(write(fd, "0123456789abcdefghij", 20));
  R(lseek(fd, 0, SEEK_SET));
  /* Three accessible bytes before an unmapped page. */
  char *p = mmap(0, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(p + 4096, 4096);
  char *straddle = p + 4096 - 3;
  R(read(fd, straddle, 64));
  printf("copied %.3s\n", straddle);
  R(lseek(fd, 0, SEEK_CUR));
  R(read(fd, p, 1UL << 63));
  memcpy(straddle, "XYZ", 3);
  R(pwrite(fd, straddle, 64, 0));
  R(pread(fd, p, 8, 0));
  printf("file %.8s\n", p);
  R(write(open("/dev/null", O_WRONLY), NULL, 1));
  R(write(fd, NULL, 1));
  R(pread(-1, NULL, 0, -1));
  R(pwrite(-1, NULL, 0, -1));
  R(ftruncate(-1, -1));
  R(truncate(NULL, -1));
  /* Offsets up to MAX_LFS_FILESIZE. */
  R(lseek(fd, 1L << 62, SEEK_SET));
  R(lseek(fd, 1L << 62, SEEK_END));
  R(lseek(fd, 1L << 62, SEEK_CUR));
  /* A sparse write near 2^62 (sizes above 2^53 are doubles in tsvisor: keep this one exact). */
  R(pwrite(fd, p, 1024, (1L << 62) - 4096));
  struct stat st;
  R(fstat(fd, &st));
  printf("size %lld\n", (long long)st.st_size);
  R(ftruncate(fd, 4));
  R(fstat(fd, &st));
  printf("size %lld blocks %lld\n", (long long)st.st_size, (long long)st.st_blocks);
  /* open(2) ignores unknown flags: -1 is an O_PATH|O_DIRECTORY|O_NOFOLLOW open. */
  mkdir("d", 0755);
  R(open("f", -1));
  R(open("d", -1) >= 0);
  R(syscall(SYS_newfstatat, AT_FDCWD, 1, NULL, -1));
  R(access(NULL, 8));
  R(syscall(SYS_getdents64, open("d", O_RDONLY | O_DIRECTORY), NULL, -1UL));
  R(fcntl(fd, F_GETPIPE_SZ));
  R(fcntl(open("d", O_RDONLY), F_SETFL, O_DIRECT));
  R(fcntl(fd, F_SETFL, O_DIRECT));
  R(syscall(SYS_mmap, 0, 0, PROT_READ, MAP_SHARED, -1, 0));
  R(syscall(SYS_mmap, 0, 4096, -1, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) > 0);
  R(syscall(SYS_mprotect, 0xdeadbeef000L, -4096L, 0x10));
  unlink("f");
  rmdir("d");
  rmdir(dir);
  printf("uretprobe\n");
  fflush(stdout);
  syscall(335);
  printf("survived uretprobe\n");
  return 0;
}
`;

describe.each(platforms.map((p) => ({ name: p.name, p })))("errno order on $name", ({ p }) => {
  it("matches Linux: check order, partial copies, huge offsets, uretprobe's SIGILL", async () => {
    const bin = compileC("errno-order", SOURCE);
    const native = runNative([bin]);
    // Killed by SIGILL in uretprobe, after everything else ran.
    expect(native.status).toBe(128 + 4);
    expect(native.stdout).toMatch(/^read\(fd, straddle, 64\) += 3 $/m);
    expect(native.stdout).toMatch(/\nuretprobe\n$/);
    const ours = await runInSandbox(p, [bin]);
    expect(ours.stderr).toBe("");
    expect(ours.stdout.split("\n")).toEqual(native.stdout.split("\n"));
    expect(ours.status).toBe(native.status);
  });
});

it.skipIf(platforms.length > 0)("the errno-order tests need a platform that probes ok", () => {
  expect(platforms.length).toBe(0);
});
