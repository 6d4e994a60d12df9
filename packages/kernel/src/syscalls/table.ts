/**
 * The x86-64 syscall table: every number Linux defines, with its handler and
 * support level as data (`tsvisor syscalls` prints it). A number with no
 * entry here is unimplemented and returns -ENOSYS (counted per sandbox).
 *
 * File syscalls (read/write/open/stat/pipes/...) come from the file-system
 * helpers' sys-file.ts & co.; they are merged in by {@link buildTable}.
 *
 * Inspired by gVisor's pkg/sentry/syscalls/linux/linux64.go.
 */
import { ENOSYS, EPERM, SYSCALL_NAMES } from "@tsvisor/abi";
import {
  sysCapget,
  sysCapset,
  sysMlock,
  sysMlock2,
  sysMlockall,
  sysMunlockall,
  sysPersonality,
} from "./sys-capability.js";
import { sysFutex, sysRestartSyscall } from "./sys-futex.js";
import {
  sysGetegid,
  sysGeteuid,
  sysGetgid,
  sysGetgroups,
  sysGetresgid,
  sysGetresuid,
  sysGetuid,
  sysSetfsgid,
  sysSetfsuid,
  sysSetgid,
  sysSetgroups,
  sysSetregid,
  sysSetresgid,
  sysSetresuid,
  sysSetreuid,
  sysSetuid,
} from "./sys-identity.js";
import {
  sysBrk,
  sysMadvise,
  sysMincore,
  sysMmap,
  sysMprotect,
  sysMremap,
  sysMsync,
  sysMunmap,
} from "./sys-mmap.js";
import { sysPrctl } from "./sys-prctl.js";
import { sysGetrandom } from "./sys-random.js";
import { sysShmat, sysShmctl, sysShmdt, sysShmget } from "./sys-shm.js";
import { sysGetrlimit, sysPrlimit64, sysSetrlimit } from "./sys-rlimit.js";
import {
  sysGetpriority,
  sysSchedGetaffinity,
  sysSchedGetparam,
  sysSchedGetPriorityMax,
  sysSchedGetPriorityMin,
  sysSchedGetscheduler,
  sysSchedSetaffinity,
  sysSchedSetparam,
  sysSchedSetscheduler,
  sysSchedYield,
  sysSetpriority,
} from "./sys-sched.js";
import { sysGetpgid, sysGetpgrp, sysGetsid, sysSetpgid, sysSetsid } from "./sys-session.js";
import {
  sysKill,
  sysPause,
  sysRtSigaction,
  sysRtSigpending,
  sysRtSigprocmask,
  sysRtSigqueueinfo,
  sysRtSigreturn,
  sysUretprobe,
  SYS_uretprobe,
  sysRtSigsuspend,
  sysRtSigtimedwait,
  sysRtTgsigqueueinfo,
  sysSigaltstack,
  sysTgkill,
  sysTkill,
} from "./sys-signal.js";
import {
  sysAccept,
  sysAccept4,
  sysBind,
  sysConnect,
  sysGetpeername,
  sysGetsockname,
  sysGetsockopt,
  sysListen,
  sysRecvfrom,
  sysRecvmsg,
  sysSendmsg,
  sysSendto,
  sysSetsockopt,
  sysShutdown,
  sysSocket,
  sysSocketpair,
} from "./sys-socket.js";
import { sysGetcpu, sysGetrusage, sysSysinfo } from "./sys-sysinfo.js";
import {
  sysClone,
  sysClone3,
  sysExecve,
  sysExecveat,
  sysExit,
  sysExitGroup,
  sysFork,
  sysGetpid,
  sysGetppid,
  sysGetRobustList,
  sysGettid,
  sysPidfdOpen,
  sysPidfdSendSignal,
  sysSetRobustList,
  sysSetTidAddress,
  sysUnshare,
  sysVfork,
  sysWait4,
  sysWaitid,
} from "./sys-thread.js";
import {
  sysAlarm,
  sysClockGetres,
  sysClockGettime,
  sysClockNanosleep,
  sysClockSettime,
  sysSettimeofday,
  sysGetitimer,
  sysGettimeofday,
  sysNanosleep,
  sysSetitimer,
  sysTime,
  sysTimes,
} from "./sys-time.js";
import {
  sysTimerCreate,
  sysTimerDelete,
  sysTimerGetoverrun,
  sysTimerGettime,
  sysTimerSettime,
} from "./sys-timer.js";
import { sysArchPrctl } from "./sys-tls.js";
import { sysSetdomainname, sysSethostname, sysUname } from "./sys-utsname.js";
import { partial, type SyscallEntry, type SyscallFn, supported, unimplemented } from "./syscall.js";

/** Entry helpers keyed by name; numbers come from @tsvisor/abi. */
function nr(name: string): number {
  const i = SYSCALL_NAMES.indexOf(name);
  if (i < 0) throw new Error(`unknown syscall ${name}`);
  return i;
}

const S = (name: string, fn: SyscallFn, note = ""): SyscallEntry =>
  supported(nr(name), name, fn, note);
const P = (name: string, fn: SyscallFn, note: string): SyscallEntry =>
  partial(nr(name), name, fn, note);
const U = (name: string, note: string, errno = ENOSYS): SyscallEntry =>
  unimplemented(nr(name), name, errno, note);

/** The kernel core's syscalls (everything but the file-system families). */
export const coreSyscalls: readonly SyscallEntry[] = [
  // Memory.
  P(
    "mmap",
    sysMmap,
    "MAP_FIXED below mmap_min_addr (64 KiB) is EPERM even for root: the platforms cannot map page 0.",
  ),
  S("munmap", sysMunmap),
  S("mprotect", sysMprotect),
  S("mremap", sysMremap),
  S("brk", sysBrk),
  S("madvise", sysMadvise),
  P("msync", sysMsync, "No durability guarantee."),
  S("mincore", sysMincore),
  // Signals.
  S("rt_sigaction", sysRtSigaction),
  S("rt_sigprocmask", sysRtSigprocmask),
  S("rt_sigreturn", sysRtSigreturn),
  // Not in SYSCALL_NAMES (abi lists the classic table): numbered directly.
  supported(SYS_uretprobe, "uretprobe", sysUretprobe),
  S("sigaltstack", sysSigaltstack),
  S("kill", sysKill),
  S("tgkill", sysTgkill),
  S("tkill", sysTkill),
  S("rt_sigqueueinfo", sysRtSigqueueinfo),
  S("rt_tgsigqueueinfo", sysRtTgsigqueueinfo),
  S("rt_sigpending", sysRtSigpending),
  S("rt_sigsuspend", sysRtSigsuspend),
  S("rt_sigtimedwait", sysRtSigtimedwait),
  S("pause", sysPause),
  S("restart_syscall", sysRestartSyscall),
  // Tasks.
  S("getpid", sysGetpid),
  S("gettid", sysGettid),
  S("getppid", sysGetppid),
  S("exit", sysExit),
  S("exit_group", sysExitGroup),
  P("clone", sysClone, "No new namespaces (EPERM)."),
  P("clone3", sysClone3, "No set_tid or cgroups (EINVAL)."),
  S("fork", sysFork),
  S("vfork", sysVfork),
  P("execve", sysExecve, "Static and static-PIE ELF, PT_INTERP, #! scripts; no setuid bits."),
  P("execveat", sysExecveat, "As execve."),
  P("wait4", sysWait4, "rusage: user time only."),
  P("waitid", sysWaitid, "rusage: user time only."),
  S("set_tid_address", sysSetTidAddress),
  S("pidfd_open", sysPidfdOpen),
  P("unshare", sysUnshare, "CLONE_FILES/CLONE_FS only; new namespaces are EPERM."),
  P("pidfd_send_signal", sysPidfdSendSignal, "No explicit siginfo (EINVAL)."),
  S("set_robust_list", sysSetRobustList),
  S("get_robust_list", sysGetRobustList),
  P("futex", sysFutex, "PI futexes without priority boosting; no requeue-PI or FUTEX_FD."),
  P("arch_prctl", sysArchPrctl, "FS/GS bases only; CPUID faulting is EINVAL."),
  P(
    "prctl",
    sysPrctl,
    "Common options only (names, pdeathsig, dumpable, no_new_privs, subreaper).",
  ),
  U("rseq", "glibc falls back when rseq is unavailable."),
  // Sessions.
  S("setsid", sysSetsid),
  S("setpgid", sysSetpgid),
  S("getpgid", sysGetpgid),
  S("getpgrp", sysGetpgrp),
  S("getsid", sysGetsid),
  // Identity.
  S("getuid", sysGetuid),
  S("geteuid", sysGeteuid),
  S("getgid", sysGetgid),
  S("getegid", sysGetegid),
  S("getresuid", sysGetresuid),
  S("getresgid", sysGetresgid),
  S("setuid", sysSetuid),
  S("setgid", sysSetgid),
  S("setreuid", sysSetreuid),
  S("setregid", sysSetregid),
  S("setresuid", sysSetresuid),
  S("setresgid", sysSetresgid),
  S("setfsuid", sysSetfsuid),
  S("setfsgid", sysSetfsgid),
  S("getgroups", sysGetgroups),
  S("setgroups", sysSetgroups),
  // Time.
  P("clock_gettime", sysClockGettime, "CPU-time clocks count time switched in to the application."),
  S("clock_getres", sysClockGetres),
  S("gettimeofday", sysGettimeofday),
  P("clock_settime", sysClockSettime, "The host clock cannot be set (EPERM)."),
  P("settimeofday", sysSettimeofday, "The host clock cannot be set (EPERM)."),
  S("time", sysTime),
  S("nanosleep", sysNanosleep),
  S("clock_nanosleep", sysClockNanosleep),
  P("times", sysTimes, "User time as time switched in; system time 0."),
  S("alarm", sysAlarm),
  P("timer_create", sysTimerCreate, "CPU-time clocks expire on elapsed time."),
  S("timer_settime", sysTimerSettime),
  S("timer_gettime", sysTimerGettime),
  S("timer_getoverrun", sysTimerGetoverrun),
  S("timer_delete", sysTimerDelete),
  P("getitimer", sysGetitimer, "ITIMER_VIRTUAL and ITIMER_PROF both count time switched in."),
  P("setitimer", sysSetitimer, "ITIMER_VIRTUAL and ITIMER_PROF both count time switched in."),
  // System information.
  S("uname", sysUname),
  S("sethostname", sysSethostname),
  S("setdomainname", sysSetdomainname),
  S("getrandom", sysGetrandom),
  S("getrlimit", sysGetrlimit),
  S("setrlimit", sysSetrlimit),
  S("prlimit64", sysPrlimit64),
  P("sysinfo", sysSysinfo, "Host memory and load figures."),
  P("getrusage", sysGetrusage, "User time and maxrss only; other counters 0."),
  P("getcpu", sysGetcpu, "Always CPU 0, node 0."),
  // Scheduling.
  S("sched_yield", sysSchedYield),
  P("sched_getaffinity", sysSchedGetaffinity, "Reports every host CPU."),
  P("sched_setaffinity", sysSchedSetaffinity, "Accepted, not enforced."),
  P("sched_getscheduler", sysSchedGetscheduler, "Always SCHED_OTHER."),
  P("sched_getparam", sysSchedGetparam, "Priority 0."),
  P("sched_setscheduler", sysSchedSetscheduler, "Real-time policies are EPERM."),
  P("sched_setparam", sysSchedSetparam, "Priority 0 only."),
  S("sched_get_priority_max", sysSchedGetPriorityMax),
  S("sched_get_priority_min", sysSchedGetPriorityMin),
  P("getpriority", sysGetpriority, "Always nice 0."),
  P("setpriority", sysSetpriority, "Accepted, not enforced."),
  // Sockets (AF_UNIX only: the sandbox has no network).
  P("socket", sysSocket, "AF_UNIX only (EAFNOSUPPORT otherwise)."),
  P("socketpair", sysSocketpair, "AF_UNIX only."),
  S("bind", sysBind),
  S("listen", sysListen),
  S("connect", sysConnect),
  S("accept", sysAccept),
  S("accept4", sysAccept4),
  S("shutdown", sysShutdown),
  S("getsockname", sysGetsockname),
  S("getpeername", sysGetpeername),
  S("sendto", sysSendto),
  S("recvfrom", sysRecvfrom),
  P("sendmsg", sysSendmsg, "SCM_RIGHTS only; no credentials."),
  P("recvmsg", sysRecvmsg, "SCM_RIGHTS only; no credentials."),
  P("getsockopt", sysGetsockopt, "SOL_SOCKET basics."),
  P("setsockopt", sysSetsockopt, "Accepted without effect."),
  // System V shared memory.
  P("shmget", sysShmget, "One IPC namespace per sandbox."),
  P("shmat", sysShmat, "nattch does not count attachments inherited by fork."),
  S("shmdt", sysShmdt),
  P("shmctl", sysShmctl, "IPC_STAT, IPC_SET, IPC_RMID."),
  // Capabilities, personality, memory locking.
  P("capget", sysCapget, "uid 0 holds every capability, others none."),
  P("capset", sysCapset, "Can only keep or drop what uid 0 implies."),
  P("personality", sysPersonality, "Recorded only; no behaviour changes."),
  P("mlock", sysMlock, "Memory is never paged out: always succeeds."),
  P("munlock", sysMlock, "No-op."),
  P("mlock2", sysMlock2, "Memory is never paged out: always succeeds."),
  P("mlockall", sysMlockall, "Memory is never paged out: always succeeds."),
  S("munlockall", sysMunlockall),
  // Refused on purpose.
  U("ptrace", "Not supported inside the sandbox.", EPERM),
  U("reboot", "The sandbox cannot be rebooted.", EPERM),
  U("kexec_load", "Not permitted.", EPERM),
  U("init_module", "Not permitted.", EPERM),
  U("finit_module", "Not permitted.", EPERM),
  U("delete_module", "Not permitted.", EPERM),
];

/**
 * Builds the full table: the core entries, then `extra` (file syscalls and
 * others) overriding by number, then ENOSYS for every other known number.
 */
export function buildTable(extra: readonly SyscallEntry[] = []): SyscallEntry[] {
  const byNr = new Map<number, SyscallEntry>();
  for (const e of coreSyscalls) byNr.set(e.nr, e);
  for (const e of extra) byNr.set(e.nr, e);
  SYSCALL_NAMES.forEach((name, i) => {
    if (name !== undefined && !byNr.has(i)) byNr.set(i, unimplemented(i, name, ENOSYS, ""));
  });
  return [...byNr.values()].sort((a, b) => a.nr - b.nr);
}
