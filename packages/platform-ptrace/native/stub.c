/*
 * tsvisor-stub: the process that application threads run in under the ptrace
 * platform. Built -nostdlib -static and linked at STUB_BASE (see binding.gyp),
 * above the application range [minUserAddress, maxUserAddress) the platform
 * advertises. The Sentry starts it with vfork + execve (PTRACE_TRACEME before
 * execve, PR_SET_PDEATHSIG(SIGKILL), only the memory file open as fd 3).
 *
 * At start it:
 *  1. resets every signal to SIG_DFL and unblocks all signals (the Sentry's
 *     mask and ignored signals would otherwise survive execve);
 *  2. unmaps everything outside its own image (the initial stack, vdso, vvar),
 *     so the application range is empty; it runs on a stack in its own .bss;
 *  3. sets no_new_privs and installs a seccomp filter that allows only the
 *     calls the Sentry injects (mmap of fd 3 MAP_SHARED|MAP_FIXED, munmap,
 *     mprotect, clone of a stub thread, exit); anything else kills the whole
 *     stub (SECCOMP_RET_KILL_PROCESS). Application syscalls run under
 *     PTRACE_SYSEMU, which stops before seccomp and never executes them;
 *  4. stops with int3 ("ready"). The instruction after that int3 is the
 *     injection gadget `syscall; int3`: the Sentry sets rip there with the
 *     registers of the call it wants, continues, and collects the result at
 *     the int3 stop.
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/syscall.h>

#define STUB_FD 3
#define TASK_TOP 0x7ffffffff000UL
#define MAP_SHARED_FIXED 0x11
#define CLONE_THREAD_FLAGS 0x50f00 /* VM|FS|FILES|SIGHAND|THREAD|SYSVSEM */

extern char __executable_start[];
extern char _end[];

static inline long sys6(long n, long a, long b, long c, long d, long e, long f)
{
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
#define KILL BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS)

static const struct sock_filter filter[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
    KILL,
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_munmap, 0, 1),
    ALLOW,
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mprotect, 0, 1),
    ALLOW,
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit, 0, 1),
    ALLOW,
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_rt_sigreturn, 0, 1),
    ALLOW,
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mmap, 0, 6),
    /* mmap: flags (arg 3) must be exactly MAP_SHARED|MAP_FIXED, fd (arg 4) STUB_FD. */
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(3)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, MAP_SHARED_FIXED, 0, 2),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(4)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, STUB_FD, 1, 0),
    KILL,
    ALLOW,
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 4),
    /* clone: only a new stub thread sharing everything. */
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, CLONE_THREAD_FLAGS, 0, 1),
    ALLOW,
    KILL,
    KILL,
};

static const struct sock_fprog prog = {
    .len = sizeof(filter) / sizeof(filter[0]),
    .filter = (struct sock_filter *)filter,
};

struct k_sigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    unsigned long mask;
};

__attribute__((noreturn, used)) void stub_main(void)
{
    static const struct k_sigaction dfl; /* all zero: SIG_DFL, no flags, empty mask */
    static const unsigned long empty_mask;
    for (long s = 1; s <= 64; s++) {
        if (s != 9 && s != 19)
            sys6(__NR_rt_sigaction, s, (long)&dfl, 0, 8, 0, 0);
    }
    sys6(__NR_rt_sigprocmask, 2 /* SIG_SETMASK */, (long)&empty_mask, 0, 8, 0, 0);

    unsigned long start = (unsigned long)__executable_start & ~0xfffUL;
    unsigned long end = ((unsigned long)_end + 0xfffUL) & ~0xfffUL;
    sys6(__NR_munmap, 0, start, 0, 0, 0, 0);
    sys6(__NR_munmap, end, TASK_TOP - end, 0, 0, 0, 0);

    if (sys6(__NR_prctl, 38 /* PR_SET_NO_NEW_PRIVS */, 1, 0, 0, 0, 0) != 0)
        sys6(__NR_exit, 2, 0, 0, 0, 0, 0);
    if (sys6(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)&prog, 0, 0, 0) != 0)
        sys6(__NR_exit, 3, 0, 0, 0, 0, 0);

    __asm__ volatile(
        "int3\n"          /* ready: rip now points at the gadget */
        "1: syscall\n"
        "int3\n"
        "jmp 1b\n");
    __builtin_unreachable();
}

char stub_stack[16384] __attribute__((aligned(16), used));

__asm__(".globl _start\n"
        "_start:\n"
        "  lea stub_stack+16384(%rip), %rsp\n"
        "  call stub_main\n"
        "  ud2\n");
