/**
 * The constant families of @tsvisor/abi: for each generated `src/<file>.ts`,
 * the host headers that define its constants and the patterns that pick
 * them. Shared by the generator (scripts/gen-consts.mjs) and documented in
 * the generated files. Names are exactly the C names.
 *
 * A family's candidates are the object-like macros (`gcc -dM -E`) and enum
 * constants (parsed from `gcc -E`) visible after including `headers`, kept
 * when they match `include` and not `exclude`, plus `extra`.
 */

/** Arch-specific ELF names we do not want (other machines). */
const OTHER_ARCH =
  /(MIPS|PPC|ALPHA|IA_64|SPARC|PARISC|ARM|AARCH64|S390|SH_|LOONGARCH|RISCV|NIOS|HP_|SUNW|CSKY|C6000|TILE|MN10|M32R|M68K|OR1K|ARC_|CRIS|HEX|BPF|METAG|MICROBLAZE|NDS32|XTENSA|BLACKFIN|FRV|ALTERA|SCORE|IRIX|LINUX_A|I386|386|SYMINFO|VERSYM|VER_|ODK|OEX|RHF|LL_|DN_|DF_1|ELF_NOTE|GNU_PROPERTY_(?!X86)|IBT|_IA64|NT_VMCOREDD)/;

/** @type {Array<{file: string, title: string, doc: string, headers: string[], defines?: string[], include: RegExp, exclude?: RegExp, extra?: string[], decimal?: boolean}>} */
export const FAMILIES = [
  {
    file: "signal",
    title: "Signals and signal-handling flags",
    doc: "Signal numbers (SIGHUP..SIGSYS), sigaction(2) SA_* flags, sigprocmask(2) `how` values and sigaltstack(2) SS_* flags, from <signal.h>.",
    headers: ["signal.h"],
    include:
      /^(SIG[A-Z]+[0-9]*|SA_[A-Z_]+|SIG_(BLOCK|UNBLOCK|SETMASK)|SS_[A-Z_]+|SIGEV_[A-Z_]+|NSIG)$/,
    exclude:
      /^(SIGRTMIN|SIGRTMAX|SIGSTKSZ|SIG_DFL|SIG_IGN|SIG_ERR|SIG_HOLD|SA_INTERRUPT|SIGCLD|NSIG)$/,
  },
  {
    file: "signal",
    title: "Kernel-only signal constants",
    doc: "From the kernel's <asm/signal.h>, which glibc hides: SA_RESTORER (the x86-64 kernel requires it; glibc always sets it), SS_AUTODISARM, the start of the kernel's real-time range SIGRTMIN (32; glibc reserves 32 and 33 and reports SIGRTMIN as 34), and the kernel's MINSIGSTKSZ/SIGSTKSZ (glibc makes SIGSTKSZ a sysconf() call under _GNU_SOURCE). SIGRTMAX and _NSIG (64) are in signal-table.ts: the header defines them through a kernel-only macro.",
    headers: ["asm/signal.h", "linux/signal.h"],
    defines: [],
    include:
      /^(SA_RESTORER|SA_UNSUPPORTED|SA_EXPOSE_TAGBITS|SS_AUTODISARM|SS_FLAG_BITS|MINSIGSTKSZ|SIGSTKSZ|SIGRTMIN|SIGRTMAX|_NSIG|_NSIG_BPW|_NSIG_WORDS)$/,
  },
  {
    file: "siginfo",
    title: "siginfo_t si_code values",
    doc: "Values of `siginfo_t.si_code` (sigaction(2)): SI_* sources, and per-signal codes ILL_*, FPE_*, SEGV_*, BUS_*, TRAP_*, CLD_*, POLL_*, SYS_* (SIGSYS).",
    headers: ["signal.h"],
    include:
      /^(SI_[A-Z]+|ILL_[A-Z]+|FPE_[A-Z]+|SEGV_[A-Z]+|BUS_[A-Z_]+|TRAP_[A-Z]+|CLD_[A-Z]+|POLL_(IN|OUT|MSG|ERR|PRI|HUP)|SYS_SECCOMP|SYS_USER_DISPATCH)$/,
  },
  {
    file: "siginfo",
    title: "Kernel-only si_code values",
    doc: "si_codes glibc does not export (SIGSYS's SYS_SECCOMP and SYS_USER_DISPATCH, SIGTRAP's TRAP_PERF) and the per-signal code counts NSIG* that bound each signal's specific codes in the kernel's siginfo_layout(), from the kernel's <asm/siginfo.h>.",
    headers: ["asm/siginfo.h"],
    defines: [],
    include:
      /^(SI_[A-Z]+|ILL_[A-Z]+|FPE_[A-Z]+|SEGV_[A-Z]+|BUS_[A-Z_]+|TRAP_[A-Z]+|CLD_[A-Z]+|SYS_SECCOMP|SYS_USER_DISPATCH|NSIG(ILL|FPE|SEGV|BUS|TRAP|CHLD|POLL|SYS))$/,
    exclude: /^(SI_MAX_SIZE|SI_EXPANSION_SIZE)$/,
  },
  {
    file: "fcntl",
    title: "File flags: open(2), fcntl(2), *at(2), lseek(2), renameat2(2)",
    doc: "O_* open flags, F_* fcntl commands, FD_CLOEXEC, AT_* flags of the *at() calls, LOCK_* (flock), POSIX_FADV_*, FALLOC_FL_*, SEEK_*, access(2) modes, RENAME_*, SPLICE_F_*, F_SEAL_*, UTIME_NOW/UTIME_OMIT, RWF_* and openat2(2) RESOLVE_*.",
    headers: [
      "fcntl.h",
      "unistd.h",
      "stdio.h",
      "sys/stat.h",
      "sys/uio.h",
      "linux/openat2.h",
      "linux/falloc.h",
    ],
    include:
      /^(O_[A-Z]+|F_[A-Z_0-9]+|FD_CLOEXEC|AT_(FDCWD|SYMLINK_NOFOLLOW|SYMLINK_FOLLOW|REMOVEDIR|EACCESS|NO_AUTOMOUNT|EMPTY_PATH|RECURSIVE|STATX_[A-Z_]+)|LOCK_[A-Z]+|POSIX_FADV_[A-Z]+|FALLOC_FL_[A-Z_]+|SEEK_[A-Z]+|[RWXF]_OK|RENAME_[A-Z]+|SPLICE_F_[A-Z]+|UTIME_(NOW|OMIT)|RWF_[A-Z]+|RESOLVE_[A-Z_]+|DN_[A-Z]+|CLOSE_RANGE_[A-Z]+|SYNC_FILE_RANGE_[A-Z_]+)$/,
    exclude:
      /^(F_LOCK|F_TLOCK|F_ULOCK|F_TEST|O_RSYNC|O_FSYNC|O_NDELAY|F_SETLK64|F_SETLKW64|F_GETLK64|RWF_WRITE_LIFE_NOT_SET|O_LARGEFILE_.*)$/,
    extra: ["O_LARGEFILE"],
  },
  {
    file: "stat",
    title: "File types and modes, statx(2) masks, dirent types",
    doc: "S_IF* file types and S_I* permission bits (inode(7)), STATX_* request masks and STATX_ATTR_* attributes (statx(2)), and the DT_* types in `linux_dirent64.d_type` (getdents64(2)).",
    headers: ["sys/stat.h", "dirent.h", "linux/stat.h"],
    include:
      /^(S_IF[A-Z]+|S_I[RWX](USR|GRP|OTH|WXU|WXG|WXO)|S_IS(UID|GID|VTX)|S_IRWX[UGO]|STATX_[A-Z_]+|DT_(UNKNOWN|FIFO|CHR|DIR|BLK|REG|LNK|SOCK|WHT))$/,
  },
  {
    file: "mman",
    title:
      "Memory mapping: mmap(2), mprotect(2), mremap(2), madvise(2), msync(2), mlock(2), memfd_create(2)",
    doc: "PROT_*, MAP_*, MREMAP_*, MADV_*, MS_* (msync), MCL_*, MLOCK_*, MFD_* and PKEY_* constants from <sys/mman.h>.",
    headers: ["sys/mman.h", "linux/mman.h"],
    include:
      /^(PROT_[A-Z_]+|MAP_[A-Z_0-9]+|MREMAP_[A-Z_]+|MADV_[A-Z_]+|MS_(ASYNC|SYNC|INVALIDATE)|MCL_[A-Z]+|MLOCK_[A-Z]+|MFD_[A-Z_]+|PKEY_[A-Z_]+)$/,
    exclude:
      /^(MAP_FAILED|MAP_ANON|MAP_FILE|MAP_HUGE_(16KB|32KB|512KB|1MB|8MB|16MB|32MB|256MB|512MB|16GB|64KB|2MB|1GB|2GB)|MFD_HUGE_.*|PKEY_DISABLE_EXECUTE|PKEY_UNRESTRICTED)$/,
  },
  {
    file: "sched",
    title: "clone(2) flags and scheduling policies",
    doc: "CLONE_* flags of clone(2) and clone3(2), CSIGNAL, and SCHED_* policies, from <linux/sched.h>.",
    headers: ["linux/sched.h"],
    include: /^(CLONE_[A-Z_]+|CSIGNAL|SCHED_[A-Z_]+)$/,
    exclude: /^(CLONE_ARGS_SIZE_VER[0-9]|SCHED_FLAG_.*)$/,
  },
  {
    file: "wait",
    title: "wait4(2) / waitid(2) options and id types",
    doc: "W* options of wait4(2)/waitid(2) (including the Linux-only __WNOTHREAD, __WALL, __WCLONE) and the P_* id types of waitid(2).",
    headers: ["sys/wait.h"],
    include:
      /^(WNOHANG|WUNTRACED|WSTOPPED|WEXITED|WCONTINUED|WNOWAIT|__WNOTHREAD|__WALL|__WCLONE|P_(ALL|PID|PGID|PIDFD))$/,
  },
  {
    file: "poll",
    title: "poll(2) events",
    doc: "POLL* event bits of `struct pollfd` (poll(2)).",
    headers: ["poll.h"],
    include: /^POLL[A-Z]+$/,
  },
  {
    file: "epoll",
    title: "epoll(7) flags and events",
    doc: "EPOLL* event bits, epoll_ctl(2) operations and epoll_create1(2) flags.",
    headers: ["sys/epoll.h"],
    include: /^EPOLL[A-Z_]+$/,
  },
  {
    file: "futex",
    title: "futex(2) operations and flags",
    doc: "FUTEX_* operations, FUTEX_PRIVATE_FLAG/FUTEX_CLOCK_REALTIME, the robust-futex word bits (FUTEX_WAITERS, FUTEX_OWNER_DIED, FUTEX_TID_MASK), FUTEX_BITSET_MATCH_ANY and the FUTEX_WAKE_OP encoding (FUTEX_OP_*), from <linux/futex.h>.",
    headers: ["linux/futex.h"],
    include: /^(FUTEX_[A-Z_0-9]+|ROBUST_LIST_LIMIT)$/,
    exclude: /^FUTEX_32$/,
  },
  {
    file: "prctl",
    title: "prctl(2) options and arch_prctl(2) codes",
    doc: "PR_* options of prctl(2) (from <linux/prctl.h>) and ARCH_* codes of arch_prctl(2) (from <asm/prctl.h>).",
    headers: ["sys/prctl.h", "asm/prctl.h"],
    include: /^(PR_[A-Z_0-9]+|ARCH_[A-Z_0-9]+)$/,
  },
  {
    file: "resource",
    title: "Resource limits and usage",
    doc: "RLIMIT_* resources of getrlimit(2)/prlimit(2), RUSAGE_* of getrusage(2), PRIO_* of getpriority(2). RLIM_INFINITY is in structs/rlimit.ts (it does not fit a double).",
    headers: ["sys/resource.h"],
    include: /^(RLIMIT_[A-Z]+|RLIM_NLIMITS|RUSAGE_[A-Z]+|PRIO_[A-Z]+)$/,
  },
  {
    file: "time",
    title: "Clocks and timers",
    doc: "CLOCK_* ids (clock_gettime(2)), TIMER_ABSTIME, ITIMER_* (setitimer(2)), TFD_* (timerfd_create(2)).",
    headers: ["time.h", "sys/time.h", "sys/timerfd.h"],
    include: /^(CLOCK_[A-Z_]+|TIMER_ABSTIME|ITIMER_[A-Z]+|TFD_[A-Z_]+)$/,
    exclude: /^CLOCKS_PER_SEC$/,
  },
  {
    file: "eventfd",
    title: "eventfd(2), signalfd(2), inotify(7) and getrandom(2) flags",
    doc: "EFD_* (eventfd2), SFD_* (signalfd4), IN_* (inotify) and GRND_* (getrandom).",
    headers: ["sys/eventfd.h", "sys/signalfd.h", "sys/inotify.h", "sys/random.h"],
    include: /^(EFD_[A-Z]+|SFD_[A-Z]+|IN_[A-Z_]+|GRND_[A-Z]+)$/,
  },
  {
    file: "socket",
    title: "Sockets",
    doc: "SOCK_* types and flags, AF_* families, SOL_* levels, SO_* options, MSG_* flags, SHUT_* (shutdown(2)), SCM_* ancillary types, IPPROTO_*, INADDR_*, IP_* / IPV6_* options (ip(7), ipv6(7)) and TCP_* options and states (tcp(7)) from <sys/socket.h>, <netinet/in.h> and <netinet/tcp.h>.",
    headers: ["sys/socket.h", "netinet/in.h", "sys/un.h", "netinet/tcp.h"],
    include:
      /^(SOCK_[A-Z]+|AF_[A-Z0-9]+|SOL_[A-Z0-9]+|SO_[A-Z_0-9]+|MSG_[A-Z_]+|SHUT_[A-Z]+|SCM_[A-Z_]+|IPPROTO_[A-Z0-9]+|INADDR_[A-Z_]+|SOMAXCONN|IP_[A-Z_0-9]+|IPV6_[A-Z_0-9]+|TCP_[A-Z_0-9]+|SOL_TCP)$/,
    exclude: /^(SO_.*_NEW|SO_.*_OLD|SCM_SRCRT)$/,
  },
  {
    file: "ioctl",
    title: "Terminal and file ioctl(2) requests",
    doc: "TC* and TIOC* terminal ioctls (ioctl_tty(2)) and FIO* file ioctls, from <asm/ioctls.h>.",
    headers: ["asm/termbits.h", "asm/ioctls.h", "linux/serial.h"],
    defines: [],
    include: /^(TC[A-Z0-9]+|TIOC[A-Z_0-9]+|FIO[A-Z]+)$/,
    exclude:
      /^(TCSANOW|TCSADRAIN|TCSAFLUSH|TCIFLUSH|TCOFLUSH|TCIOFLUSH|TCOOFF|TCOON|TCIOFF|TCION|TIOCSER_TEMT|TIOCPKT_[A-Z]+|TIOCM_[A-Z0-9]+)$/,
  },
  {
    file: "termios",
    title: "Terminal attributes (kernel termios)",
    doc: "c_iflag/c_oflag/c_cflag/c_lflag bits, c_cc indices (V*), baud rates (B*), tcsetattr actions and tcflush/tcflow arguments, from the kernel's <asm/termbits.h>. NCCS here is the kernel's 19, not glibc's 32: the kernel `struct termios` (TCGETS) is 36 bytes, glibc's is 60.",
    headers: ["asm/termbits.h"],
    defines: [],
    include:
      /^(NCCS|V[A-Z]+|I[A-Z]+|O[A-Z]+|C[A-Z0-9]+|N?L[A-Z]*|[A-Z]+DLY|[A-Z]+[0-9]|B[0-9]+|BOTHER|IBSHIFT|EXT[AB]|HUPCL|PAR[A-Z]+|ECHO[A-Z]*|ISIG|ICANON|XCASE|NOFLSH|TOSTOP|FLUSHO|PENDIN|IEXTEN|EXTPROC|TC(SANOW|SADRAIN|SAFLUSH|IFLUSH|OFLUSH|IOFLUSH|OOFF|OON|IOFF|ION)|TIOCPKT_[A-Z]+|TIOCM_[A-Z0-9]+|TIOCSER_TEMT|ADDRB|CMSPAR|CRTSCTS)$/,
    exclude: /^(IOCSIZE_MASK|IOCSIZE_SHIFT)$/,
  },
  {
    file: "elf",
    title: "ELF64 constants",
    doc: "e_ident indices and values (EI_*, ELFMAG*, ELFCLASS*, ELFDATA*, EV_*, ELFOSABI_*), ET_* types, EM_* machines, PT_* / PF_* program headers, SHT_* / SHF_* / SHN_* sections, STB_/STT_/STV_ symbols, DT_* dynamic tags, NT_* notes, R_X86_64_* relocations, and the AT_* auxiliary vector keys, from <elf.h>.",
    headers: ["elf.h"],
    include:
      /^(EI_[A-Z]+|ELFMAG[0-3]|SELFMAG|ELFCLASS[A-Z0-9]+|ELFDATA[A-Z0-9]+|EV_[A-Z]+|ELFOSABI_[A-Z0-9_]+|ET_[A-Z]+|EM_(NONE|386|X86_64)|PT_[A-Z_0-9]+|PF_[A-Z]+|SHT_[A-Z_0-9]+|SHF_[A-Z_]+|SHN_[A-Z]+|STB_[A-Z]+|STT_[A-Z_]+|STV_[A-Z]+|DT_[A-Z_0-9]+|NT_[A-Z_0-9]+|R_X86_64_[A-Z_0-9]+|AT_[A-Z_0-9]+|ELF_NOTE_GNU)$/,
    exclude: OTHER_ARCH,
    extra: ["EM_386"],
  },
  {
    file: "ptrace",
    title: "ptrace(2) requests, options and events",
    doc: "PTRACE_* requests, PTRACE_O_* options and PTRACE_EVENT_* stop codes, from <sys/ptrace.h>.",
    headers: ["sys/ptrace.h"],
    include: /^PTRACE_[A-Z_0-9]+$/,
  },
  {
    file: "mount",
    title: "mount(2), umount2(2) and statfs(2) flags",
    doc: "MS_* mount flags (not the msync MS_ASYNC/MS_SYNC/MS_INVALIDATE, which are in mman.ts), MNT_* / UMOUNT_* flags of umount2(2), ST_* flags of statvfs(3) / statfs `f_flags`, and the *_MAGIC file system types of statfs(2) `f_type` (<linux/magic.h>).",
    headers: ["sys/mount.h", "sys/statvfs.h", "linux/magic.h"],
    include: /^(MS_[A-Z_]+|MNT_[A-Z]+|UMOUNT_[A-Z]+|ST_[A-Z]+|[A-Z0-9_]+_MAGIC[0-9]*)$/,
    exclude: /^(MS_ASYNC|MS_SYNC|MS_INVALIDATE|MS_MGC_MSK|MS_RMT_MASK|ST_NOSUID_|STACK_END_MAGIC)$/,
  },
  {
    file: "xattr",
    title: "Extended attribute flags",
    doc: "XATTR_CREATE and XATTR_REPLACE (setxattr(2)).",
    headers: ["sys/xattr.h"],
    include: /^XATTR_(CREATE|REPLACE)$/,
  },
  {
    file: "seccomp",
    title: "seccomp(2) and classic BPF",
    doc: "SECCOMP_* modes, operations, flags and filter return actions (<linux/seccomp.h>), the classic BPF opcode parts BPF_* (<linux/filter.h>), and AUDIT_ARCH_X86_64 (the `arch` of seccomp_data on x86-64).",
    headers: ["linux/seccomp.h", "linux/filter.h", "linux/audit.h"],
    defines: [],
    include:
      /^(SECCOMP_[A-Z_0-9]+|BPF_[A-Z]+|BPF_MAXINSNS|BPF_MEMWORDS|AUDIT_ARCH_X86_64|AUDIT_ARCH_I386)$/,
    exclude: /^(SECCOMP_IOCTL_.*|BPF_MAJOR_VERSION|BPF_MINOR_VERSION)$/,
  },
  {
    file: "capability",
    title: "Capabilities",
    doc: "CAP_* capability numbers and the capget(2)/capset(2) header versions, from <linux/capability.h>.",
    headers: ["linux/capability.h"],
    defines: [],
    include:
      /^(CAP_[A-Z_]+|_LINUX_CAPABILITY_VERSION_[0-9]|_LINUX_CAPABILITY_U32S_[0-9]|VFS_CAP_[A-Z_0-9]+)$/,
    exclude: /^(CAP_TO_INDEX|CAP_TO_MASK|CAP_FS_MASK_B[01]|VFS_CAP_U32.*)$/,
  },
  {
    file: "ipc",
    title: "System V IPC and misc process flags",
    doc: "IPC_* and SHM_* (svipc(7), shmget(2)), FD_SETSIZE (select(2)), personality(2) PER_* / ADDR_* flags, and membarrier(2) MEMBARRIER_CMD_*.",
    headers: ["sys/ipc.h", "sys/shm.h", "sys/select.h", "sys/personality.h", "linux/membarrier.h"],
    include:
      /^(IPC_[A-Z]+|SHM_[A-Z]+|FD_SETSIZE|PER_[A-Z_0-9]+|ADDR_[A-Z_0-9]+|MMAP_PAGE_ZERO|READ_IMPLIES_EXEC|SHORT_INODE|WHOLE_SECONDS|STICKY_TIMEOUTS|UNAME26|FDPIC_FUNCPTRS|MEMBARRIER_CMD_[A-Z_]+)$/,
    exclude: /^(SHM_HUGE_.*)$/,
  },
  {
    file: "limits",
    decimal: true,
    title: "Kernel limits",
    doc: "Limits from <linux/limits.h> (PATH_MAX, NAME_MAX, PIPE_BUF, XATTR_*_MAX, NGROUPS_MAX, ...), execve(2)'s MAX_ARG_STRLEN / MAX_ARG_STRINGS / BINPRM_BUF_SIZE (<linux/binfmts.h>) and the x86-64 page size (<sys/user.h>). execve(2): ARG_MAX is historical; the real limit on argv+envp is a quarter of RLIMIT_STACK (at least 32 pages), with each string at most MAX_ARG_STRLEN.",
    headers: ["sys/user.h", "linux/limits.h", "linux/binfmts.h"],
    defines: [],
    include:
      /^(NR_OPEN|NGROUPS_MAX|ARG_MAX|LINK_MAX|MAX_CANON|MAX_INPUT|NAME_MAX|PATH_MAX|PIPE_BUF|XATTR_(NAME|SIZE|LIST)_MAX|RTSIG_MAX|MAX_ARG_STRLEN|MAX_ARG_STRINGS|BINPRM_BUF_SIZE|PAGE_SHIFT|PAGE_SIZE|AT_FLAGS_PRESERVE_ARGV0)$/,
  },
  {
    file: "rseq",
    title: "Restartable sequences",
    doc: "rseq(2) flags and cpu_id states from <linux/rseq.h>. glibc 2.35+ registers a struct rseq for every thread at start-up and carries on if the call fails.",
    headers: ["linux/rseq.h"],
    defines: [],
    include: /^RSEQ_[A-Z_]+$/,
  },
];
