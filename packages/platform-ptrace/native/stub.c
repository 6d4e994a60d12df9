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
 *  4. stops with int3 ("ready").
 *
 * With argv[1] == "systrap" (see systrap.h) it also installs one signal
 * handler for SIGSYS/SIGSEGV/SIGBUS/SIGILL/SIGFPE/SIGTRAP and the kick
 * signal, and its filter instead: calls from the injection gadget ->
 * SECCOMP_RET_TRACE (so only the ptrace-stopped main thread can make them:
 * an untraced thread gets ENOSYS), the handler's own calls (futex,
 * rt_sigreturn, arch_prctl, sigaltstack, exit) -> allowed, anything else ->
 * SECCOMP_RET_TRAP (SIGSYS to the handler, which hands the registers to the
 * Sentry through shared memory: no ptrace stop per syscall). The instruction after that int3 is the
 *     injection gadget `syscall; int3`: the Sentry sets rip there with the
 *     registers of the call it wants, continues, and collects the result at
 *     the int3 stop.
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <asm/sigcontext.h>
#include <stddef.h>
#include <sys/syscall.h>

#include "systrap.h"

#pragma GCC visibility push(hidden)

#define STUB_FD 3
#define TASK_TOP 0x7ffffffff000UL
#define MAP_SHARED_FIXED 0x11
#define CLONE_THREAD_FLAGS 0x50f00 /* VM|FS|FILES|SIGHAND|THREAD|SYSVSEM */
/* systrap threads also get CHILD_SETTID|CHILD_CLEARTID on their slot's tid word,
   so the Sentry learns when one has exited and can reuse its slot. */
#define CLONE_SYSTRAP_THREAD_FLAGS (CLONE_THREAD_FLAGS | 0x01000000 | 0x00200000)

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

/* --- systrap mode ---------------------------------------------------------- */

struct k_sigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    unsigned long mask;
};


extern char __start_stubh[];
extern char __stop_stubh[];
extern char stub_gadget_after[];
void stub_restorer(void);
void stub_thread_entry(void);
void stub_thread_exit(void);

#define STUBH __attribute__((section("stubh"), used))

struct ksiginfo {
    int signo, errno_, code, pad;
    unsigned long addr; /* si_addr, or si_call_addr for SIGSYS */
    int syscall;        /* SIGSYS: si_syscall */
    unsigned arch;
};

struct kucontext {
    unsigned long uc_flags;
    unsigned long uc_link;
    unsigned long ss_sp;
    unsigned long ss_flags;
    unsigned long ss_size;
    struct sigcontext_64 mc;
    unsigned long sigmask;
};

STUBH static inline long hsys(long n, long a, long b, long c, long d)
{
    long ret;
    register long r10 __asm__("r10") = d;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
    return ret;
}

STUBH static inline unsigned long rdtsc(void)
{
    unsigned lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((unsigned long)hi << 32) | lo;
}

/*
 * The one signal handler of a systrap stub. Runs on the thread's alternate
 * stack inside its control slot (so the slot is found from the stack
 * address), with every signal blocked. It publishes the interrupted
 * registers and signal details in the slot, wakes the Sentry, waits until
 * the Sentry says RUN, loads the registers it left there, and returns
 * through rt_sigreturn into the application.
 */
STUBH static void stub_handler(int sig, struct ksiginfo *si, struct kucontext *uc)
{
    char *slot = (char *)((unsigned long)__builtin_frame_address(0) & ~(SYSTRAP_SLOT_SIZE - 1));
    struct systrap_ctl *c = (struct systrap_ctl *)slot;
    struct systrap_globals *g = (struct systrap_globals *)SYSTRAP_CTL_BASE;
    struct sigcontext_64 *m = &uc->mc;
    unsigned long *r = c->regs;
    r[SR_R15] = m->r15; r[SR_R14] = m->r14; r[SR_R13] = m->r13; r[SR_R12] = m->r12;
    r[SR_RBP] = m->bp; r[SR_RBX] = m->bx; r[SR_R11] = m->r11; r[SR_R10] = m->r10;
    r[SR_R9] = m->r9; r[SR_R8] = m->r8; r[SR_RAX] = m->ax; r[SR_RCX] = m->cx;
    r[SR_RDX] = m->dx; r[SR_RSI] = m->si; r[SR_RDI] = m->di; r[SR_RIP] = m->ip;
    r[SR_EFLAGS] = m->flags; r[SR_RSP] = m->sp;
    if (g->fsgsbase) {
        unsigned long fs, gs;
        __asm__ volatile("rdfsbase %0" : "=r"(fs));
        __asm__ volatile("rdgsbase %0" : "=r"(gs));
        c->cur_fs = fs;
        c->cur_gs = gs;
    }
    r[SR_FS_BASE] = c->cur_fs;
    r[SR_GS_BASE] = c->cur_gs;
    c->signo = sig;
    c->code = si->code;
    c->syscall = si->syscall;
    c->arch = si->arch;
    c->addr = si->addr;
    c->err = m->err;
    c->trapno = m->trapno;
    c->fp_off = (unsigned long)m->fpstate - (unsigned long)slot;

    __atomic_store_n(&c->state, SYSTRAP_TRAPPED, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&c->sentry_sleeping, __ATOMIC_SEQ_CST))
        hsys(__NR_futex, (long)&c->state, 1 /* FUTEX_WAKE */, 1, 0);
    /* seq is bumped only for a Sentry in waitAny: it sets any_waiting before
       its last scan of the slots, so a handler that read 0 here stored
       TRAPPED before that scan (all seq_cst) and is seen by it. Skipping the
       bump keeps a shared cache line out of the synchronous switch path. */
    if (__atomic_load_n(&g->any_waiting, __ATOMIC_SEQ_CST)) {
        __atomic_add_fetch(&g->seq, 1, __ATOMIC_SEQ_CST);
        hsys(__NR_futex, (long)&g->seq, 1 /* FUTEX_WAKE */, 1, 0);
    }

    unsigned long t0 = rdtsc();
    while (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) != SYSTRAP_RUN) {
        if (rdtsc() - t0 < g->spin_cycles) {
            __builtin_ia32_pause();
            continue;
        }
        __atomic_store_n(&c->stub_sleeping, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&c->state, __ATOMIC_SEQ_CST) != SYSTRAP_RUN)
            hsys(__NR_futex, (long)&c->state, 0 /* FUTEX_WAIT */, SYSTRAP_TRAPPED, 0);
        __atomic_store_n(&c->stub_sleeping, 0, __ATOMIC_SEQ_CST);
    }

    m->r15 = r[SR_R15]; m->r14 = r[SR_R14]; m->r13 = r[SR_R13]; m->r12 = r[SR_R12];
    m->bp = r[SR_RBP]; m->bx = r[SR_RBX]; m->r11 = r[SR_R11]; m->r10 = r[SR_R10];
    m->r9 = r[SR_R9]; m->r8 = r[SR_R8]; m->ax = r[SR_RAX]; m->cx = r[SR_RCX];
    m->dx = r[SR_RDX]; m->si = r[SR_RSI]; m->di = r[SR_RDI]; m->ip = r[SR_RIP];
    m->flags = r[SR_EFLAGS]; m->sp = r[SR_RSP];
    m->cs = 0x33;
    m->ss = 0x2b;
    if (r[SR_FS_BASE] != c->cur_fs) {
        if (g->fsgsbase)
            __asm__ volatile("wrfsbase %0" : : "r"(r[SR_FS_BASE]) : "memory");
        else
            hsys(__NR_arch_prctl, 0x1002 /* ARCH_SET_FS */, r[SR_FS_BASE], 0, 0);
        c->cur_fs = r[SR_FS_BASE];
    }
    if (r[SR_GS_BASE] != c->cur_gs) {
        if (g->fsgsbase)
            __asm__ volatile("wrgsbase %0" : : "r"(r[SR_GS_BASE]) : "memory");
        else
            hsys(__NR_arch_prctl, 0x1001 /* ARCH_SET_GS */, r[SR_GS_BASE], 0, 0);
        c->cur_gs = r[SR_GS_BASE];
    }
    __atomic_store_n(&c->state, SYSTRAP_RUNNING, __ATOMIC_RELEASE);
}

__asm__(".pushsection stubh, \"ax\"\n"
        ".globl stub_restorer, stub_thread_entry, stub_thread_exit\n"
        "stub_restorer:\n"
        "  mov $15, %eax\n" /* rt_sigreturn */
        "  syscall\n"
        "  ud2\n"
        /* A new stub thread starts here with rdi = its control slot (set by
           the Sentry over ptrace before it detaches the thread): it installs
           its signal stack in the slot and traps into the handler (ud2), where
           it waits for its first RUN. */
        "stub_thread_entry:\n"
        "  mov %rdi, %rbx\n"
        "  lea 4096(%rdi), %rax\n"
        "  mov %rax, -24(%rsp)\n"            /* ss_sp */
        "  movq $0, -16(%rsp)\n"             /* ss_flags */
        "  movq $" SYSTRAP_STR(SYSTRAP_STACK_SIZE) ", -8(%rsp)\n" /* ss_size */
        "  lea -24(%rsp), %rdi\n"
        "  xor %esi, %esi\n"
        "  mov $131, %eax\n" /* sigaltstack */
        "  syscall\n"
        "  ud2\n"
        "stub_thread_exit:\n"
        "  xor %edi, %edi\n"
        "  mov $60, %eax\n" /* exit (this thread only) */
        "  syscall\n"
        "  ud2\n"
        ".popsection\n");

#define LD_W(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define JEQ(k, t, f) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f))
#define JGE(k, t, f) BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (k), (t), (f))
#define RET(k) BPF_STMT(BPF_RET | BPF_K, (k))
#define IP_LO offsetof(struct seccomp_data, instruction_pointer)
#define IP_HI (offsetof(struct seccomp_data, instruction_pointer) + 4)

static struct sock_filter tfilter[64];

static long install_systrap(void)
{
    unsigned long gadget = (unsigned long)stub_gadget_after;
    unsigned long hs = (unsigned long)__start_stubh, he = (unsigned long)__stop_stubh;
    int n = 0;
    struct sock_filter *f = tfilter;
    f[n++] = (struct sock_filter)LD_W(offsetof(struct seccomp_data, arch));
    f[n++] = (struct sock_filter)JEQ(AUDIT_ARCH_X86_64, 1, 0);
    /* A 32-bit syscall (int $0x80) from application code: the handler
       reports it, the Sentry turns it into SIGSEGV (no ia32 emulation). */
    f[n++] = (struct sock_filter)RET(SECCOMP_RET_TRAP);
    /* All stub code is in one 4 GiB window: compare the high half once. */
    f[n++] = (struct sock_filter)LD_W(IP_HI);
    f[n++] = (struct sock_filter)JEQ(gadget >> 32, 1, 0);
    f[n++] = (struct sock_filter)RET(SECCOMP_RET_TRAP);
    f[n++] = (struct sock_filter)LD_W(IP_LO);
    f[n++] = (struct sock_filter)JEQ((unsigned)gadget, 0, 20); /* -> handler range check */
    /* From the gadget: the injectable calls, stopped for the tracer. */
    f[n++] = (struct sock_filter)LD_W(offsetof(struct seccomp_data, nr));
    f[n++] = (struct sock_filter)JEQ(__NR_munmap, 7, 0);
    f[n++] = (struct sock_filter)JEQ(__NR_mprotect, 6, 0);
    f[n++] = (struct sock_filter)JEQ(__NR_exit, 5, 0);
    f[n++] = (struct sock_filter)JEQ(__NR_mmap, 5, 0);
    f[n++] = (struct sock_filter)JEQ(__NR_clone, 1, 0);
    f[n++] = (struct sock_filter)RET(SECCOMP_RET_KILL_PROCESS);
    f[n++] = (struct sock_filter)LD_W(ARG_LO(0)); /* clone flags */
    f[n++] = (struct sock_filter)JEQ(CLONE_SYSTRAP_THREAD_FLAGS, 0, 9);
    f[n++] = (struct sock_filter)RET(SECCOMP_RET_TRACE);
    /* mmap: MAP_SHARED|MAP_FIXED of fd 3 (memory file) or fd 4 (control file). */
    f[n++] = (struct sock_filter)LD_W(ARG_LO(3));
    f[n++] = (struct sock_filter)JEQ(MAP_SHARED_FIXED, 0, 6);
    f[n++] = (struct sock_filter)LD_W(ARG_LO(4));
    f[n++] = (struct sock_filter)JEQ(STUB_FD, 1, 0);
    f[n++] = (struct sock_filter)JEQ(STUB_CTL_FD, 0, 3);
    f[n++] = (struct sock_filter)RET(SECCOMP_RET_TRACE);
    f[n++] = (struct sock_filter)RET(SECCOMP_RET_TRACE);
    f[n++] = (struct sock_filter)RET(SECCOMP_RET_TRACE);
    f[n++] = (struct sock_filter)RET(SECCOMP_RET_KILL_PROCESS);
    f[n++] = (struct sock_filter)RET(SECCOMP_RET_KILL_PROCESS);
    /* handler range check (ip_lo still in A) */
    f[n++] = (struct sock_filter)JGE((unsigned)hs, 0, 9);
    f[n++] = (struct sock_filter)JGE((unsigned)he, 8, 0);
    f[n++] = (struct sock_filter)LD_W(offsetof(struct seccomp_data, nr));
    f[n++] = (struct sock_filter)JEQ(__NR_futex, 5, 0);
    f[n++] = (struct sock_filter)JEQ(__NR_rt_sigreturn, 4, 0);
    f[n++] = (struct sock_filter)JEQ(__NR_arch_prctl, 3, 0);
    f[n++] = (struct sock_filter)JEQ(__NR_sigaltstack, 2, 0);
    f[n++] = (struct sock_filter)JEQ(__NR_exit, 1, 0);
    f[n++] = (struct sock_filter)RET(SECCOMP_RET_KILL_PROCESS);
    f[n++] = (struct sock_filter)RET(SECCOMP_RET_ALLOW);
    f[n++] = (struct sock_filter)RET(SECCOMP_RET_TRAP);
    struct sock_fprog tp = {.len = (unsigned short)n, .filter = f};

    static const int sigs[] = {31 /* SIGSYS */, 11, 7, 4, 8, 5, SYSTRAP_KICK_SIGNAL};
    for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        struct k_sigaction sa = {
            .handler = (void *)stub_handler,
            .flags = 0x04000000 /* SA_RESTORER */ | 0x08000000 /* SA_ONSTACK */ | 4 /* SA_SIGINFO */,
            .restorer = (void *)stub_restorer,
            .mask = ~0UL,
        };
        if (sys6(__NR_rt_sigaction, sigs[i], (long)&sa, 0, 8, 0, 0) != 0)
            return -1;
    }
    if (sys6(__NR_prctl, 38 /* PR_SET_NO_NEW_PRIVS */, 1, 0, 0, 0, 0) != 0)
        return -1;
    return sys6(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)&tp, 0, 0, 0);
}

__attribute__((noreturn, used)) void stub_main(long *sp)
{
    /* sp[0] = argc, sp[1..] = argv: systrap mode when argv[1] is "systrap". */
    int systrap = sp[0] >= 2 && ((char *)sp[2])[0] == 's' && ((char *)sp[2])[3] == 't';
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

    if (systrap) {
        if (install_systrap() != 0)
            sys6(__NR_exit, 4, 0, 0, 0, 0, 0);
    } else {
        if (sys6(__NR_prctl, 38 /* PR_SET_NO_NEW_PRIVS */, 1, 0, 0, 0, 0) != 0)
            sys6(__NR_exit, 2, 0, 0, 0, 0, 0);
        if (sys6(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)&prog, 0, 0, 0) != 0)
            sys6(__NR_exit, 3, 0, 0, 0, 0, 0);
    }

    /* At the ready stop, rbx and r12 tell the Sentry where a new systrap
       thread starts and how it exits. */
    register void *entry __asm__("rbx") = (void *)stub_thread_entry;
    register void *texit __asm__("r12") = (void *)stub_thread_exit;
    __asm__ volatile(
        "int3\n"          /* ready: rip now points at the gadget */
        "1: syscall\n"
        ".globl stub_gadget_after\n"
        "stub_gadget_after:\n"
        "int3\n"
        "jmp 1b\n"
        :
        : "r"(entry), "r"(texit));
    __builtin_unreachable();
}

char stub_stack[16384] __attribute__((aligned(16), used));

__asm__(".globl _start\n"
        "_start:\n"
        "  mov %rsp, %rdi\n"
        "  lea stub_stack+16384(%rip), %rsp\n"
        "  call stub_main\n"
        "  ud2\n");
