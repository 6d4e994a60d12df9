/*
 * Shared-memory protocol between systrap stub threads (stub.c) and the
 * Sentry (addon.cc). The control file (a second memfd, fd 4 in the stub) is
 * an array of SYSTRAP_SLOT_SIZE slots. Slot 0 holds the globals and is mapped
 * into every stub at SYSTRAP_CTL_BASE; slot i > 0 belongs to one stub thread
 * and is mapped only into that thread's stub, at SYSTRAP_CTL_BASE + i * size.
 *
 * Slot layout: struct systrap_ctl at offset 0 (first page); the thread's
 * signal stack in [4096, 4096 + SYSTRAP_STACK_SIZE); its start-up stack
 * above that.
 *
 * Protocol (state word, futex): the handler publishes registers and sets
 * TRAPPED; the Sentry reads them, writes new ones and sets RUN; the handler
 * loads them, sets RUNNING and returns into the application. Either side
 * spins for a while, then sets its *_sleeping flag and futex-waits; the
 * other side wakes it when the flag is set (all accesses seq_cst).
 * Nothing the Sentry reads here is trusted beyond "these are the thread's
 * registers": application code in the same stub can write its own slots.
 */
#ifndef TSVISOR_SYSTRAP_H
#define TSVISOR_SYSTRAP_H

#define SYSTRAP_SLOT_SIZE 0x10000UL
#define SYSTRAP_STACK_SIZE 0xe000UL
#define SYSTRAP_CTL_BASE 0x7fffd0000000UL
#define SYSTRAP_KICK_SIGNAL 59
#define STUB_CTL_FD 4
#define SYSTRAP_STR2(x) #x
#define SYSTRAP_STR(x) SYSTRAP_STR2(x)

#define SYSTRAP_RUNNING 0
#define SYSTRAP_TRAPPED 1
#define SYSTRAP_RUN 2

/* user_regs_struct indices */
enum {
    SR_R15, SR_R14, SR_R13, SR_R12, SR_RBP, SR_RBX, SR_R11, SR_R10, SR_R9, SR_R8,
    SR_RAX, SR_RCX, SR_RDX, SR_RSI, SR_RDI, SR_ORIG_RAX, SR_RIP, SR_CS, SR_EFLAGS,
    SR_RSP, SR_SS, SR_FS_BASE, SR_GS_BASE, SR_DS, SR_ES, SR_FS, SR_GS, SR_NUM
};

struct systrap_globals {
    unsigned int seq;          /* bumped by a trap while any_waiting; futex for waitAny */
    unsigned int any_waiting;  /* the Sentry sleeps on seq */
    unsigned long spin_cycles; /* how long a handler spins before sleeping (TSC) */
    unsigned long fsgsbase;    /* the CPU and kernel allow rd/wrfsbase */
};

struct systrap_ctl {
    unsigned int state;
    unsigned int stub_sleeping;
    unsigned int sentry_sleeping;
    int signo;
    int code;
    int syscall;
    unsigned long addr;
    unsigned long err;
    unsigned long trapno;
    unsigned long fp_off; /* offset in the slot of the signal frame's XSAVE area */
    unsigned long cur_fs;
    unsigned long regs[SR_NUM];
    unsigned long cur_gs;
    /* The thread's tid while it lives; the kernel clears it (and wakes the
       futex) when the thread exits (CLONE_CHILD_SETTID|CLONE_CHILD_CLEARTID). */
    unsigned int tid_word;
    unsigned int arch; /* SIGSYS: si_arch (AUDIT_ARCH_*) */
};

#endif
