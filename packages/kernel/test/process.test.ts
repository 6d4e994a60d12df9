/**
 * End-to-end: C programs for the kernel core (signals and their frames,
 * threads and futexes, fork/exec/wait, job control) run natively and under
 * tsvisor on every available platform; stdout and the exit status must
 * match exactly.
 */
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createSandbox } from "@tsvisor/kernel";
import type { PlatformProvider } from "@tsvisor/platform";
import { describe, expect, it } from "vitest";
import { availablePlatforms, compileC, runNative, scratchDir, testRoot } from "./helpers.js";

const platforms = await availablePlatforms();

/** Runs `argv` under tsvisor with stdout/stderr captured in host files. */
async function runSandboxed(
  p: PlatformProvider,
  argv: string[],
): Promise<{ stdout: string; status: number }> {
  const out = join(scratchDir(), `out-${process.hrtime.bigint()}`);
  const fd = openSync(out, "w");
  const nul = openSync("/dev/null", "r");
  const platform = p.create();
  try {
    const k = createSandbox({ platform, root: testRoot() });
    const r = await k.run(argv, { env: ["PATH=/usr/bin:/bin"], stdio: [nul, fd, fd] });
    return {
      stdout: readFileSync(out, "utf8"),
      status: r.signal !== null ? 128 + r.signal : (r.status ?? -1),
    };
  } finally {
    platform.release();
    closeSync(fd);
    closeSync(nul);
  }
}

const PROGRAMS: Record<string, string> = {
  // The rt_sigframe: a SIGSEGV handler reads siginfo and the ucontext, then
  // skips the faulting instruction by editing RIP; sigreturn must honour it
  // and restore everything else (callee-saved registers, mask, FP state).
  sigframe: String.raw`
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>
static volatile int hits; static void *fault_addr; static int code, onalt, fpal, masked;
static char alt[65536];
static void h(int sig, siginfo_t *si, void *uv) {
  ucontext_t *uc = uv; int local;
  hits++; fault_addr = si->si_addr; code = si->si_code;
  onalt = (char *)&local >= alt && (char *)&local < alt + sizeof alt;
  fpal = ((uintptr_t)uc->uc_mcontext.fpregs % 64) == 0;
  masked = sigismember(&uc->uc_sigmask, SIGUSR2);
  uc->uc_mcontext.gregs[REG_RIP] += 3; /* skip "movl $1,(%rax)"-like 3-byte store below */
}
int main(void) {
  stack_t ss = { .ss_sp = alt, .ss_size = sizeof alt };
  sigaltstack(&ss, 0);
  struct sigaction sa; memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = h; sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigaction(SIGSEGV, &sa, 0);
  sigset_t m; sigemptyset(&m); sigaddset(&m, SIGUSR2); sigprocmask(SIG_BLOCK, &m, 0);
  volatile double d = 1.5;
  register long keep asm("r12") = 0x1234567890L;
  void *p = (void *)0x10;
  asm volatile("movb $1, (%0)\n\tnop" :: "r"(p) : "memory"); /* 3 bytes: c6 00 01 */
  printf("hits=%d addr=%p code=%d onalt=%d fpaligned=%d uc_sigmask_has_usr2=%d\n", hits, fault_addr, code, onalt, fpal, masked);
  asm volatile("" :: "r"(keep));
  printf("r12 kept=%d fp kept=%d\n", keep == 0x1234567890L, d == 1.5);
  return 0;
}`,
  // Threads: a mutex-protected counter, condition variables, TLS, join
  // (CLONE_CHILD_CLEARTID futex wake).
  threads: String.raw`
#include <pthread.h>
#include <stdio.h>
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long counter, ready; static __thread long mine;
static void *work(void *arg) {
  long id = (long)arg; mine = id * 10;
  for (int i = 0; i < 2000; i++) { pthread_mutex_lock(&mu); counter++; pthread_mutex_unlock(&mu); }
  pthread_mutex_lock(&mu); ready++; pthread_cond_broadcast(&cv); pthread_mutex_unlock(&mu);
  return (void *)(mine + 1);
}
int main(void) {
  pthread_t t[6]; long sum = 0;
  for (long i = 0; i < 6; i++) pthread_create(&t[i], 0, work, (void *)i);
  pthread_mutex_lock(&mu); while (ready < 6) pthread_cond_wait(&cv, &mu); pthread_mutex_unlock(&mu);
  for (int i = 0; i < 6; i++) { void *r; pthread_join(t[i], &r); sum += (long)r; }
  printf("counter=%ld sum=%ld mine=%ld\n", counter, sum, mine);
  return 0;
}`,
  // fork/wait statuses, job control, exec failure and success.
  waitexec: String.raw`
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc > 1) return atoi(argv[1]);
  int st; pid_t c;
  if ((c = fork()) == 0) _exit(7);
  printf("wait=%d ", waitpid(c, &st, 0) == c); printf("exited=%d code=%d\n", WIFEXITED(st), WEXITSTATUS(st));
  if ((c = fork()) == 0) { for (;;) pause(); }
  kill(c, SIGTERM); waitpid(c, &st, 0); printf("signaled=%d sig=%d core=%d\n", WIFSIGNALED(st), WTERMSIG(st), WCOREDUMP(st));
  if ((c = fork()) == 0) { *(volatile int *)0 = 1; _exit(0); }
  waitpid(c, &st, 0); printf("segv sig=%d core=%d\n", WTERMSIG(st), WCOREDUMP(st));
  if ((c = fork()) == 0) { for (;;) pause(); }
  kill(c, SIGSTOP); waitpid(c, &st, WUNTRACED); printf("stopped=%d sig=%d\n", WIFSTOPPED(st), WSTOPSIG(st));
  kill(c, SIGCONT); waitpid(c, &st, WCONTINUED); printf("continued=%d\n", WIFCONTINUED(st));
  kill(c, SIGKILL); waitpid(c, &st, 0); printf("killed sig=%d\n", WTERMSIG(st));
  printf("no children: %d %s\n", waitpid(-1, &st, WNOHANG), strerror(errno));
  char *bad[] = {"/nonexistent/prog", 0};
  execv(bad[0], bad); printf("exec failed: %s\n", strerror(errno));
  if ((c = fork()) == 0) { char *a[] = {argv[0], "42", 0}; execv(argv[0], a); _exit(99); }
  waitpid(c, &st, 0); printf("exec child code=%d\n", WEXITSTATUS(st));
  if ((c = vfork()) == 0) { char *a[] = {argv[0], "5", 0}; execv(argv[0], a); _exit(98); }
  waitpid(c, &st, 0); printf("vfork child code=%d ppid_ok=%d\n", WEXITSTATUS(st), getppid() > 0);
  fflush(stdout);
  return 3;
}`,
  // AF_UNIX: stream and datagram pairs, SCM_RIGHTS, shutdown, errors.
  unix: String.raw`
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
  signal(SIGPIPE, SIG_IGN);
  int sv[2], dg[2], pp[2]; char buf[64];
  printf("pair=%d ", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  write(sv[0], "ab", 2); write(sv[0], "cd", 2);
  printf("stream=%zd ", read(sv[1], buf, sizeof buf));
  socketpair(AF_UNIX, SOCK_DGRAM, 0, dg);
  send(dg[0], "xyz", 3, 0); send(dg[0], "12345", 5, 0);
  printf("dgram=%zd,%zd ", recv(dg[1], buf, sizeof buf, 0), recv(dg[1], buf, 2, MSG_TRUNC));
  pipe(pp); write(pp[1], "via-fd", 6);
  struct msghdr m = {0}; struct iovec io = {"!", 1};
  char ctl[CMSG_SPACE(sizeof(int))]; memset(ctl, 0, sizeof ctl);
  m.msg_iov = &io; m.msg_iovlen = 1; m.msg_control = ctl; m.msg_controllen = sizeof ctl;
  struct cmsghdr *c = CMSG_FIRSTHDR(&m); c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int)); memcpy(CMSG_DATA(c), &pp[0], sizeof(int));
  printf("sendmsg=%zd\n", sendmsg(sv[0], &m, 0));
  pid_t ch = fork();
  if (ch == 0) {
    struct msghdr r = {0}; char b1; struct iovec ri = {&b1, 1}; char rc[CMSG_SPACE(sizeof(int))];
    r.msg_iov = &ri; r.msg_iovlen = 1; r.msg_control = rc; r.msg_controllen = sizeof rc;
    if (recvmsg(sv[1], &r, 0) != 1) _exit(2);
    int fd; memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&r)), sizeof fd);
    _exit(read(fd, buf, sizeof buf) == 6 && memcmp(buf, "via-fd", 6) == 0 ? 0 : 3);
  }
  int st; waitpid(ch, &st, 0); printf("child=%d ", WEXITSTATUS(st));
  shutdown(sv[0], SHUT_WR);
  printf("eof=%zd ", read(sv[1], buf, sizeof buf));
  printf("epipe=%d ", write(sv[0], "x", 1) == -1 && errno == EPIPE);
  printf("baddomain=%d notsock=%d\n", socket(12345, SOCK_STREAM, 0) == -1 && errno == EAFNOSUPPORT,
         send(pp[1], "x", 1, 0) == -1 && errno == ENOTSOCK);
  return 0;
}`,
  // POSIX timers: periodic SIGEV_SIGNAL with a value, gettime, delete,
  // and glibc's SIGEV_THREAD (a helper thread in sigtimedwait).
  ptimer: String.raw`
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <string.h>
static volatile int hits; static volatile int val, code;
static void h(int s, siginfo_t *si, void *u){ hits++; val = si->si_value.sival_int; code = si->si_code; }
static volatile int thr;
static void tf(union sigval v){ thr = v.sival_int; }
int main(){
  struct sigaction sa; memset(&sa,0,sizeof sa); sa.sa_sigaction=h; sa.sa_flags=SA_SIGINFO; sigaction(SIGRTMIN,&sa,0);
  timer_t t; struct sigevent ev; memset(&ev,0,sizeof ev); ev.sigev_notify=SIGEV_SIGNAL; ev.sigev_signo=SIGRTMIN; ev.sigev_value.sival_int=77;
  printf("create=%d\n", timer_create(CLOCK_MONOTONIC,&ev,&t));
  struct itimerspec its={{0,20000000},{0,20000000}}; printf("set=%d\n", timer_settime(t,0,&its,0));
  while (hits < 5) pause();
  struct itimerspec cur; timer_gettime(t,&cur); printf("hits>=5 val=%d code_is_timer=%d interval_ms=%ld\n", val, code==SI_TIMER, cur.it_interval.tv_nsec/1000000);
  printf("delete=%d again=%d\n", timer_delete(t), timer_delete(t));
  memset(&ev,0,sizeof ev); ev.sigev_notify=SIGEV_THREAD; ev.sigev_notify_function=tf; ev.sigev_value.sival_int=42;
  timer_t t2; timer_create(CLOCK_REALTIME,&ev,&t2); struct itimerspec one={{0,0},{0,30000000}}; timer_settime(t2,0,&one,0);
  for (int i=0;i<100 && !thr;i++) usleep(10000);
  printf("thread notify=%d\n", thr);
  return 0;
}
`,
  // CPU-time clocks and getrusage count time running, not sleeping.
  cputime: String.raw`
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
int main(){ struct timespec a,b,c; clock_gettime(CLOCK_PROCESS_CPUTIME_ID,&a); usleep(200000); clock_gettime(CLOCK_PROCESS_CPUTIME_ID,&b);
 volatile unsigned long x=0; for(unsigned long i=0;i<300000000;i++) x+=i; clock_gettime(CLOCK_PROCESS_CPUTIME_ID,&c);
 double sl=(b.tv_sec-a.tv_sec)*1e3+(b.tv_nsec-a.tv_nsec)/1e6, wk=(c.tv_sec-b.tv_sec)*1e3+(c.tv_nsec-b.tv_nsec)/1e6;
 struct rusage ru; getrusage(RUSAGE_SELF,&ru); printf("sleep cpu<20ms=%d work cpu>50ms=%d ru_ok=%d\n", sl<20, wk>50, ru.ru_utime.tv_sec*1000+ru.ru_utime.tv_usec/1000 >= 50); return 0;}
`,
  // System V shared memory across fork, keys, IPC_STAT/IPC_RMID.
  shm: String.raw`
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>
int main(){
  int id = shmget(IPC_PRIVATE, 10000, IPC_CREAT|0600); printf("id>=0: %d\n", id>=0);
  char *p = shmat(id, 0, 0); printf("attached: %d\n", p != (void*)-1);
  strcpy(p, "parent");
  pid_t c = fork();
  if (c == 0) { char *q = shmat(id, 0, 0); strcpy(q + 100, "child"); printf("child sees: %s\n", p); _exit(0); }
  waitpid(c, 0, 0);
  printf("parent sees: %s\n", p + 100);
  struct shmid_ds ds; shmctl(id, IPC_STAT, &ds); printf("segsz=%zu mode=%o\n", ds.shm_segsz, ds.shm_perm.mode & 0777);
  printf("key missing: %d %d\n", shmget(0x1234, 10, 0), errno == ENOENT);
  int k = shmget(0x1234, 4096, IPC_CREAT|0644); printf("excl: %d %d\n", shmget(0x1234, 4096, IPC_CREAT|IPC_EXCL), errno == EEXIST);
  printf("same key: %d\n", shmget(0x1234, 100, 0) == k);
  printf("dt=%d dt-again=%d\n", shmdt(p), shmdt(p));
  printf("rmid=%d rm-again=%d\n", shmctl(id, IPC_RMID, 0), shmctl(id, IPC_RMID, 0) == -1);
  shmctl(k, IPC_RMID, 0);
  return 0;
}
`,
  // The page-fault error code and trap number in the sigcontext.
  faulterr: String.raw`
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <setjmp.h>
#include <sys/mman.h>
#include <ucontext.h>
static sigjmp_buf jb; static long err, trapno;
static void h(int s, siginfo_t *si, void *u){ ucontext_t *uc=u; err=uc->uc_mcontext.gregs[REG_ERR]; trapno=uc->uc_mcontext.gregs[REG_TRAPNO]; siglongjmp(jb,1); }
int main(){ struct sigaction sa={0}; sa.sa_sigaction=h; sa.sa_flags=SA_SIGINFO; sigaction(SIGSEGV,&sa,0);
 char *ro = mmap(0,4096,PROT_READ,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
 if(!sigsetjmp(jb,1)) *(volatile char*)8 = 1; printf("write unmapped err=%ld trapno=%ld\n", err, trapno);
 if(!sigsetjmp(jb,1)) (void)*(volatile char*)8; printf("read unmapped err=%ld\n", err);
 if(!sigsetjmp(jb,1)) *(volatile char*)ro = 1; printf("write ro err=%ld\n", err);
 return 0;}
`,
  // SIGILL / SIGTRAP from the CPU: si_code and the sigcontext trap number.
  traps: String.raw`
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <setjmp.h>
#include <ucontext.h>
static sigjmp_buf jb; static long trapno, code;
static void h(int s, siginfo_t *si, void *u){ ucontext_t *uc=u; trapno=uc->uc_mcontext.gregs[REG_TRAPNO]; code=si->si_code; siglongjmp(jb,1); }
int main(){ struct sigaction sa={0}; sa.sa_sigaction=h; sa.sa_flags=SA_SIGINFO|SA_NODEFER;
 sigaction(SIGILL,&sa,0); sigaction(SIGFPE,&sa,0); sigaction(SIGTRAP,&sa,0);
 if(!sigsetjmp(jb,1)) asm volatile("ud2"); printf("ill trapno=%ld code=%ld\n", trapno, code);
 volatile int z=0; if(!sigsetjmp(jb,1)) { volatile int x = 1/z; (void)x; } printf("fpe trapno=%ld code=%ld\n", trapno, code);
 if(!sigsetjmp(jb,1)) asm volatile("int3"); printf("trap trapno=%ld code=%ld\n", trapno, code);
 return 0;}
`,
  // ITIMER_PROF / ITIMER_VIRTUAL expire on CPU time, not while sleeping.
  cputimers: String.raw`
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>
#include <unistd.h>
static volatile int prof, vt;
static void hp(int s){ prof++; }
static void hv(int s){ vt++; }
int main(){
  signal(SIGPROF, hp); signal(SIGVTALRM, hv);
  struct itimerval p = {{0, 20000}, {0, 20000}}; setitimer(ITIMER_PROF, &p, 0);
  while (prof < 5) { volatile long x = 0; for (int i = 0; i < 100000; i++) x += i; }
  struct itimerval off = {{0,0},{0,0}}; setitimer(ITIMER_PROF, &off, 0);
  struct itimerval v = {{0, 0}, {0, 30000}}; setitimer(ITIMER_VIRTUAL, &v, 0);
  usleep(100000); int during_sleep = vt;
  while (!vt) { volatile long x = 0; for (int i = 0; i < 100000; i++) x += i; }
  struct itimerval cur; getitimer(ITIMER_VIRTUAL, &cur);
  printf("prof>=5: %d, no vtalrm while sleeping: %d, vtalrm after work: %d, disarmed: %d\n", prof >= 5, during_sleep == 0, vt == 1, cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);
  return 0;
}
`,
};

describe.each(platforms.map((p) => ({ name: p.name, p })))("kernel core on $name", ({ p }) => {
  it.each(Object.keys(PROGRAMS))("%s matches Linux", async (name) => {
    const bin = compileC(`core-${name}`, PROGRAMS[name]!, ["-static", "-O1", "-pthread", "-lrt"]);
    const native = runNative([bin]);
    const got = await runSandboxed(p, [bin]);
    expect(got.stdout).toBe(native.stdout);
    expect(got.status).toBe(native.status);
  });
});
