/**
 * What the header check compares for each struct: the C type and headers,
 * abi's size and offset table, and (optionally) an encode/decode cross-check
 * in which C fills every listed field with a distinct value and abi must
 * decode the same values from C's bytes and re-encode the same bytes.
 */
import * as abi from "../src/index.js";

export interface StructSpec {
  /** Label for failures. */
  name: string;
  headers: string[];
  defines?: string[];
  /** Extra C declarations, e.g. hand-written mirrors of kernel structs. */
  prelude?: string;
  ctype: string;
  /** abi's sizeof, or undefined to skip (variable-length records). */
  size: number | undefined;
  sizeName?: string;
  offsets: Readonly<Record<string, number>>;
  /** offsets key -> C member designator, when the names differ. */
  cMember?: Readonly<Record<string, string>>;
  cross?: {
    decode: (dv: DataView, off: number) => unknown;
    encode: (dv: DataView, off: number, v: never) => unknown;
    /** [path in the decoded object, C member to set, C expression printing the expected value]. */
    fields: [string, string, string?][];
  };
}

const same = (names: readonly string[]): [string, string][] => names.map((n) => [n, n]);

const timespecSub = (p: string): [string, string][] => [
  [`${p}.tv_sec`, `${p}.tv_sec`],
  [`${p}.tv_nsec`, `${p}.tv_nsec`],
];
const timevalSub = (p: string): [string, string][] => [
  [`${p}.tv_sec`, `${p}.tv_sec`],
  [`${p}.tv_usec`, `${p}.tv_usec`],
];

const KSIGACTION_MIRROR = `
/* The x86-64 kernel's struct sigaction (include/linux/signal_types.h with
 * __ARCH_HAS_SA_RESTORER), mirrored by hand: no userspace header has it. */
struct kernel_sigaction {
  void *sa_handler;
  unsigned long sa_flags;
  void *sa_restorer;
  unsigned long sa_mask;
};
_Static_assert(sizeof(struct kernel_sigaction) == 32, "kernel sigaction is 32 bytes on x86-64");
`;

const RT_SIGFRAME_MIRROR = `
/* arch/x86/include/asm/sigframe.h (64-bit), mirrored by hand. */
struct rt_sigframe {
  char *pretcode;
  struct ucontext uc;
  siginfo_t info;
};
_Static_assert(sizeof(siginfo_t) == 128, "SI_MAX_SIZE");
`;

const LINUX_DIRENT_MIRROR = `
/* getdents(2)'s old struct linux_dirent, mirrored from the man page. */
struct linux_dirent {
  unsigned long d_ino;
  unsigned long d_off;
  unsigned short d_reclen;
  char d_name[];
};
`;

const LINUX_DIRENT64_MIRROR = `
/* getdents64(2)'s struct linux_dirent64, mirrored from the man page. */
struct linux_dirent64 {
  unsigned long long d_ino;
  long long d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};
`;

export const STRUCTS: StructSpec[] = [
  {
    name: "stat",
    headers: ["asm/stat.h"],
    defines: [],
    ctype: "struct stat",
    size: abi.STAT_SIZE,
    sizeName: "STAT_SIZE",
    offsets: abi.STAT_OFFSETS,
    cross: {
      decode: abi.decodeStat,
      encode: abi.encodeStat,
      fields: same(Object.keys(abi.STAT_OFFSETS).filter((k) => !k.startsWith("__"))),
    },
  },
  {
    name: "statx_timestamp",
    headers: ["linux/stat.h"],
    defines: [],
    ctype: "struct statx_timestamp",
    size: abi.STATX_TIMESTAMP_SIZE,
    sizeName: "STATX_TIMESTAMP_SIZE",
    offsets: abi.STATX_TIMESTAMP_OFFSETS,
    cross: {
      decode: abi.decodeStatxTimestamp,
      encode: abi.encodeStatxTimestamp,
      fields: same(["tv_sec", "tv_nsec"]),
    },
  },
  {
    name: "statx",
    headers: ["linux/stat.h"],
    defines: [],
    ctype: "struct statx",
    size: abi.STATX_STRUCT_SIZE,
    sizeName: "STATX_STRUCT_SIZE",
    offsets: abi.STATX_OFFSETS,
    cross: {
      decode: abi.decodeStatx,
      encode: abi.encodeStatx,
      fields: [
        ...same(
          Object.keys(abi.STATX_OFFSETS).filter((k) => !k.startsWith("__") && !/time$/.test(k)),
        ),
        ...["stx_atime", "stx_btime", "stx_ctime", "stx_mtime"].flatMap(timespecSub),
      ],
    },
  },
  {
    name: "timespec",
    headers: ["time.h"],
    ctype: "struct timespec",
    size: abi.TIMESPEC_SIZE,
    sizeName: "TIMESPEC_SIZE",
    offsets: abi.TIMESPEC_OFFSETS,
    cross: {
      decode: abi.decodeTimespec,
      encode: abi.encodeTimespec,
      fields: same(["tv_sec", "tv_nsec"]),
    },
  },
  {
    name: "timeval",
    headers: ["sys/time.h"],
    ctype: "struct timeval",
    size: abi.TIMEVAL_SIZE,
    sizeName: "TIMEVAL_SIZE",
    offsets: abi.TIMEVAL_OFFSETS,
    cross: {
      decode: abi.decodeTimeval,
      encode: abi.encodeTimeval,
      fields: same(["tv_sec", "tv_usec"]),
    },
  },
  {
    name: "itimerspec",
    headers: ["time.h"],
    ctype: "struct itimerspec",
    size: abi.ITIMERSPEC_SIZE,
    sizeName: "ITIMERSPEC_SIZE",
    offsets: abi.ITIMERSPEC_OFFSETS,
    cross: {
      decode: abi.decodeItimerspec,
      encode: abi.encodeItimerspec,
      fields: [...timespecSub("it_interval"), ...timespecSub("it_value")],
    },
  },
  {
    name: "itimerval",
    headers: ["sys/time.h"],
    ctype: "struct itimerval",
    size: abi.ITIMERVAL_SIZE,
    sizeName: "ITIMERVAL_SIZE",
    offsets: abi.ITIMERVAL_OFFSETS,
    cross: {
      decode: abi.decodeItimerval,
      encode: abi.encodeItimerval,
      fields: [...timevalSub("it_interval"), ...timevalSub("it_value")],
    },
  },
  {
    name: "timezone",
    headers: ["sys/time.h"],
    ctype: "struct timezone",
    size: abi.TIMEZONE_SIZE,
    sizeName: "TIMEZONE_SIZE",
    offsets: abi.TIMEZONE_OFFSETS,
    cross: {
      decode: abi.decodeTimezone,
      encode: abi.encodeTimezone,
      fields: same(["tz_minuteswest", "tz_dsttime"]),
    },
  },
  {
    name: "tms",
    headers: ["sys/times.h"],
    ctype: "struct tms",
    size: abi.TMS_SIZE,
    sizeName: "TMS_SIZE",
    offsets: abi.TMS_OFFSETS,
    cross: {
      decode: abi.decodeTms,
      encode: abi.encodeTms,
      fields: same(Object.keys(abi.TMS_OFFSETS)),
    },
  },
  {
    name: "rlimit",
    headers: ["sys/resource.h"],
    ctype: "struct rlimit",
    size: abi.RLIMIT_SIZE,
    sizeName: "RLIMIT_SIZE",
    offsets: abi.RLIMIT_OFFSETS,
    cross: {
      decode: abi.decodeRlimit,
      encode: abi.encodeRlimit,
      fields: same(["rlim_cur", "rlim_max"]),
    },
  },
  {
    name: "rusage",
    headers: ["sys/resource.h"],
    ctype: "struct rusage",
    size: abi.RUSAGE_SIZE,
    sizeName: "RUSAGE_SIZE",
    offsets: abi.RUSAGE_OFFSETS,
    cross: {
      decode: abi.decodeRusage,
      encode: abi.encodeRusage,
      fields: [
        ...timevalSub("ru_utime"),
        ...timevalSub("ru_stime"),
        ...same(Object.keys(abi.RUSAGE_OFFSETS).filter((k) => !/time$/.test(k))),
      ],
    },
  },
  {
    name: "sysinfo",
    headers: ["sys/sysinfo.h"],
    ctype: "struct sysinfo",
    size: abi.SYSINFO_SIZE,
    sizeName: "SYSINFO_SIZE",
    offsets: abi.SYSINFO_OFFSETS,
    cross: {
      decode: abi.decodeSysinfo,
      encode: abi.encodeSysinfo,
      fields: [
        ["loads.0", "loads[0]"],
        ["loads.1", "loads[1]"],
        ["loads.2", "loads[2]"],
        ...same(Object.keys(abi.SYSINFO_OFFSETS).filter((k) => k !== "loads" && k !== "pad")),
      ],
    },
  },
  {
    name: "utsname",
    headers: ["sys/utsname.h"],
    ctype: "struct utsname",
    size: abi.UTSNAME_SIZE,
    sizeName: "UTSNAME_SIZE",
    offsets: abi.UTSNAME_OFFSETS,
  },
  {
    name: "iovec",
    headers: ["sys/uio.h"],
    ctype: "struct iovec",
    size: abi.IOVEC_SIZE,
    sizeName: "IOVEC_SIZE",
    offsets: abi.IOVEC_OFFSETS,
    cross: {
      decode: abi.decodeIovec,
      encode: abi.encodeIovec,
      fields: same(["iov_base", "iov_len"]),
    },
  },
  {
    name: "msghdr",
    headers: ["sys/socket.h"],
    ctype: "struct msghdr",
    size: abi.MSGHDR_SIZE,
    sizeName: "MSGHDR_SIZE",
    offsets: abi.MSGHDR_OFFSETS,
    cross: {
      decode: abi.decodeMsghdr,
      encode: abi.encodeMsghdr,
      fields: same(Object.keys(abi.MSGHDR_OFFSETS)),
    },
  },
  {
    name: "cmsghdr",
    headers: ["sys/socket.h"],
    ctype: "struct cmsghdr",
    size: abi.CMSGHDR_SIZE,
    sizeName: "CMSGHDR_SIZE",
    offsets: abi.CMSGHDR_OFFSETS,
    cross: {
      decode: abi.decodeCmsghdr,
      encode: abi.encodeCmsghdr,
      fields: same(Object.keys(abi.CMSGHDR_OFFSETS)),
    },
  },
  {
    name: "sockaddr_un",
    headers: ["sys/un.h"],
    ctype: "struct sockaddr_un",
    size: abi.SOCKADDR_UN_SIZE,
    sizeName: "SOCKADDR_UN_SIZE",
    offsets: abi.SOCKADDR_UN_OFFSETS,
  },
  {
    name: "sockaddr_in",
    headers: ["netinet/in.h", "arpa/inet.h"],
    ctype: "struct sockaddr_in",
    size: abi.SOCKADDR_IN_SIZE,
    sizeName: "SOCKADDR_IN_SIZE",
    offsets: abi.SOCKADDR_IN_OFFSETS,
    cross: {
      decode: abi.decodeSockaddrIn,
      encode: abi.encodeSockaddrIn,
      fields: [
        ["sin_family", "sin_family"],
        ["sin_port", "sin_port", "ntohs(x.sin_port)"],
        ["sin_addr", "sin_addr.s_addr", "ntohl(x.sin_addr.s_addr)"],
      ],
    },
  },
  {
    name: "sockaddr_in6",
    headers: ["netinet/in.h", "arpa/inet.h"],
    ctype: "struct sockaddr_in6",
    size: abi.SOCKADDR_IN6_SIZE,
    sizeName: "SOCKADDR_IN6_SIZE",
    offsets: abi.SOCKADDR_IN6_OFFSETS,
    cross: {
      decode: abi.decodeSockaddrIn6,
      encode: abi.encodeSockaddrIn6,
      fields: [
        ["sin6_family", "sin6_family"],
        ["sin6_port", "sin6_port", "ntohs(x.sin6_port)"],
        ["sin6_flowinfo", "sin6_flowinfo", "ntohl(x.sin6_flowinfo)"],
        ["sin6_addr.0", "sin6_addr.s6_addr[0]"],
        ["sin6_addr.15", "sin6_addr.s6_addr[15]"],
        ["sin6_scope_id", "sin6_scope_id"],
      ],
    },
  },
  {
    name: "pollfd",
    headers: ["poll.h"],
    ctype: "struct pollfd",
    size: abi.POLLFD_SIZE,
    sizeName: "POLLFD_SIZE",
    offsets: abi.POLLFD_OFFSETS,
    cross: {
      decode: abi.decodePollfd,
      encode: abi.encodePollfd,
      fields: same(["fd", "events", "revents"]),
    },
  },
  {
    name: "epoll_event",
    headers: ["sys/epoll.h"],
    ctype: "struct epoll_event",
    size: abi.EPOLL_EVENT_SIZE,
    sizeName: "EPOLL_EVENT_SIZE",
    offsets: abi.EPOLL_EVENT_OFFSETS,
    cross: {
      decode: abi.decodeEpollEvent,
      encode: abi.encodeEpollEvent,
      fields: [
        ["events", "events"],
        ["data", "data.u64"],
      ],
    },
  },
  {
    name: "linux_dirent64 (man-page mirror)",
    headers: [],
    prelude: LINUX_DIRENT64_MIRROR,
    ctype: "struct linux_dirent64",
    size: undefined,
    offsets: abi.LINUX_DIRENT64_OFFSETS,
  },
  {
    name: "linux_dirent (man-page mirror)",
    headers: [],
    prelude: LINUX_DIRENT_MIRROR,
    ctype: "struct linux_dirent",
    size: undefined,
    offsets: abi.LINUX_DIRENT_OFFSETS,
  },
  {
    name: "linux_dirent64 vs glibc dirent64",
    headers: ["dirent.h"],
    ctype: "struct dirent64",
    size: undefined,
    offsets: abi.LINUX_DIRENT64_OFFSETS,
  },
  {
    name: "kernel sigaction (hand mirror)",
    headers: [],
    prelude: KSIGACTION_MIRROR,
    ctype: "struct kernel_sigaction",
    size: abi.KERNEL_SIGACTION_SIZE,
    sizeName: "KERNEL_SIGACTION_SIZE",
    offsets: abi.KERNEL_SIGACTION_OFFSETS,
    cross: {
      decode: abi.decodeKernelSigaction,
      encode: abi.encodeKernelSigaction,
      fields: same(Object.keys(abi.KERNEL_SIGACTION_OFFSETS)),
    },
  },
  {
    name: "sigset_t (kernel)",
    headers: ["asm/signal.h"],
    defines: [],
    ctype: "sigset_t",
    size: abi.SIGSET_SIZE,
    sizeName: "SIGSET_SIZE",
    offsets: {},
  },
  {
    name: "stack_t",
    headers: ["signal.h"],
    ctype: "stack_t",
    size: abi.STACK_T_SIZE,
    sizeName: "STACK_T_SIZE",
    offsets: abi.STACK_T_OFFSETS,
    cross: {
      decode: abi.decodeStackT,
      encode: abi.encodeStackT,
      fields: same(Object.keys(abi.STACK_T_OFFSETS)),
    },
  },
  {
    name: "siginfo_t",
    headers: ["signal.h"],
    ctype: "siginfo_t",
    size: abi.SIGINFO_SIZE,
    sizeName: "SIGINFO_SIZE",
    offsets: abi.SIGINFO_OFFSETS,
  },
  {
    name: "sigcontext",
    headers: ["asm/sigcontext.h"],
    defines: [],
    ctype: "struct sigcontext",
    size: abi.SIGCONTEXT_SIZE,
    sizeName: "SIGCONTEXT_SIZE",
    offsets: abi.SIGCONTEXT_OFFSETS,
    cross: {
      decode: abi.decodeSigcontext,
      encode: abi.encodeSigcontext,
      fields: same(Object.keys(abi.SIGCONTEXT_OFFSETS).filter((k) => k !== "reserved1")),
    },
  },
  {
    name: "_fpx_sw_bytes",
    headers: ["asm/sigcontext.h"],
    defines: [],
    ctype: "struct _fpx_sw_bytes",
    size: abi.FPX_SW_BYTES_SIZE,
    sizeName: "FPX_SW_BYTES_SIZE",
    offsets: abi.FPX_SW_BYTES_OFFSETS,
    cross: {
      decode: abi.decodeFpxSwBytes,
      encode: abi.encodeFpxSwBytes,
      fields: same(["magic1", "extended_size", "xfeatures", "xstate_size"]),
    },
  },
  {
    name: "_fpstate_64",
    headers: ["asm/sigcontext.h"],
    defines: [],
    ctype: "struct _fpstate_64",
    size: abi.FPSTATE_SIZE,
    sizeName: "FPSTATE_SIZE",
    offsets: abi.FPSTATE_OFFSETS,
    cross: {
      decode: abi.decodeFpstate,
      encode: abi.encodeFpstate,
      fields: [
        ...same(["cwd", "swd", "twd", "fop", "rip", "rdp", "mxcsr", "mxcsr_mask"]),
        ["st_space.0", "st_space[0]"],
        ["st_space.31", "st_space[31]"],
        ["xmm_space.0", "xmm_space[0]"],
        ["xmm_space.63", "xmm_space[63]"],
        ["sw_reserved.magic1", "sw_reserved.magic1"],
        ["sw_reserved.xfeatures", "sw_reserved.xfeatures"],
      ],
    },
  },
  {
    name: "ucontext (kernel)",
    headers: ["asm/signal.h", "asm/sigcontext.h", "asm/ucontext.h"],
    defines: [],
    ctype: "struct ucontext",
    size: abi.UCONTEXT_SIZE,
    sizeName: "UCONTEXT_SIZE",
    offsets: abi.UCONTEXT_OFFSETS,
    cross: {
      decode: abi.decodeUcontext,
      encode: abi.encodeUcontext,
      fields: [
        ...same(["uc_flags", "uc_link", "uc_sigmask"]),
        ["uc_stack.ss_sp", "uc_stack.ss_sp"],
        ["uc_stack.ss_flags", "uc_stack.ss_flags"],
        ["uc_stack.ss_size", "uc_stack.ss_size"],
        ["uc_mcontext.rip", "uc_mcontext.rip"],
        ["uc_mcontext.cr2", "uc_mcontext.cr2"],
      ],
    },
  },
  {
    name: "rt_sigframe (hand mirror)",
    headers: ["asm/signal.h", "asm/siginfo.h", "asm/sigcontext.h", "asm/ucontext.h"],
    defines: [],
    prelude: RT_SIGFRAME_MIRROR,
    ctype: "struct rt_sigframe",
    size: abi.RT_SIGFRAME_SIZE,
    sizeName: "RT_SIGFRAME_SIZE",
    offsets: abi.RT_SIGFRAME_OFFSETS,
  },
  {
    name: "user_regs_struct",
    headers: ["sys/user.h"],
    ctype: "struct user_regs_struct",
    size: abi.USER_REGS_STRUCT_SIZE,
    sizeName: "USER_REGS_STRUCT_SIZE",
    offsets: abi.USER_REGS_STRUCT_OFFSETS,
    cross: {
      decode: abi.decodeUserRegsStruct,
      encode: abi.encodeUserRegsStruct,
      fields: same(abi.USER_REGS_NAMES),
    },
  },
  {
    name: "user_fpregs_struct",
    headers: ["sys/user.h"],
    ctype: "struct user_fpregs_struct",
    size: abi.USER_FPREGS_STRUCT_SIZE,
    sizeName: "USER_FPREGS_STRUCT_SIZE",
    offsets: abi.USER_FPREGS_STRUCT_OFFSETS,
    cross: {
      decode: abi.decodeUserFpregsStruct,
      encode: abi.encodeUserFpregsStruct,
      fields: [
        ...same(["cwd", "swd", "ftw", "fop", "rip", "rdp", "mxcsr", "mxcr_mask"]),
        ["st_space.5", "st_space[5]"],
        ["xmm_space.17", "xmm_space[17]"],
        ["padding.23", "padding[23]"],
      ],
    },
  },
  {
    name: "termios (kernel)",
    headers: ["asm/termbits.h"],
    defines: [],
    ctype: "struct termios",
    size: abi.TERMIOS_SIZE,
    sizeName: "TERMIOS_SIZE",
    offsets: abi.TERMIOS_OFFSETS,
    cross: {
      decode: abi.decodeTermios,
      encode: abi.encodeTermios,
      fields: [
        ...same(["c_iflag", "c_oflag", "c_cflag", "c_lflag", "c_line"]),
        ["c_cc.0", "c_cc[0]"],
        ["c_cc.18", "c_cc[18]"],
      ],
    },
  },
  {
    name: "termios2 (kernel)",
    headers: ["asm/termbits.h"],
    defines: [],
    ctype: "struct termios2",
    size: abi.TERMIOS2_SIZE,
    sizeName: "TERMIOS2_SIZE",
    offsets: abi.TERMIOS2_OFFSETS,
    cross: {
      decode: abi.decodeTermios2,
      encode: abi.encodeTermios2,
      fields: [
        ...same(["c_iflag", "c_lflag", "c_line", "c_ispeed", "c_ospeed"]),
        ["c_cc.7", "c_cc[7]"],
      ],
    },
  },
  {
    name: "winsize",
    headers: ["sys/ioctl.h"],
    ctype: "struct winsize",
    size: abi.WINSIZE_SIZE,
    sizeName: "WINSIZE_SIZE",
    offsets: abi.WINSIZE_OFFSETS,
    cross: {
      decode: abi.decodeWinsize,
      encode: abi.encodeWinsize,
      fields: same(Object.keys(abi.WINSIZE_OFFSETS)),
    },
  },
  {
    name: "clone_args",
    headers: ["linux/sched.h"],
    ctype: "struct clone_args",
    size: abi.CLONE_ARGS_SIZE,
    sizeName: "CLONE_ARGS_SIZE",
    offsets: abi.CLONE_ARGS_OFFSETS,
    cross: {
      decode: abi.decodeCloneArgs,
      encode: abi.encodeCloneArgs,
      fields: same(Object.keys(abi.CLONE_ARGS_OFFSETS)),
    },
  },
  {
    name: "robust_list_head",
    headers: ["linux/futex.h"],
    ctype: "struct robust_list_head",
    size: abi.ROBUST_LIST_HEAD_SIZE,
    sizeName: "ROBUST_LIST_HEAD_SIZE",
    offsets: abi.ROBUST_LIST_HEAD_OFFSETS,
    cMember: { list: "list.next" },
    cross: {
      decode: abi.decodeRobustListHead,
      encode: abi.encodeRobustListHead,
      fields: [
        ["list", "list.next"],
        ["futex_offset", "futex_offset"],
        ["list_op_pending", "list_op_pending"],
      ],
    },
  },
  {
    name: "open_how",
    headers: ["linux/openat2.h"],
    ctype: "struct open_how",
    size: abi.OPEN_HOW_SIZE,
    sizeName: "OPEN_HOW_SIZE",
    offsets: abi.OPEN_HOW_OFFSETS,
    cross: {
      decode: abi.decodeOpenHow,
      encode: abi.encodeOpenHow,
      fields: same(["flags", "mode", "resolve"]),
    },
  },
  {
    name: "Elf64_Ehdr",
    headers: ["elf.h"],
    ctype: "Elf64_Ehdr",
    size: abi.ELF64_EHDR_SIZE,
    sizeName: "ELF64_EHDR_SIZE",
    offsets: abi.ELF64_EHDR_OFFSETS,
    cross: {
      decode: abi.decodeElf64Ehdr,
      encode: abi.encodeElf64Ehdr,
      fields: [
        ["e_ident.0", "e_ident[0]"],
        ["e_ident.15", "e_ident[15]"],
        ...same(Object.keys(abi.ELF64_EHDR_OFFSETS).filter((k) => k !== "e_ident")),
      ],
    },
  },
  {
    name: "Elf64_Phdr",
    headers: ["elf.h"],
    ctype: "Elf64_Phdr",
    size: abi.ELF64_PHDR_SIZE,
    sizeName: "ELF64_PHDR_SIZE",
    offsets: abi.ELF64_PHDR_OFFSETS,
    cross: {
      decode: abi.decodeElf64Phdr,
      encode: abi.encodeElf64Phdr,
      fields: same(Object.keys(abi.ELF64_PHDR_OFFSETS)),
    },
  },
  {
    name: "Elf64_Shdr",
    headers: ["elf.h"],
    ctype: "Elf64_Shdr",
    size: abi.ELF64_SHDR_SIZE,
    sizeName: "ELF64_SHDR_SIZE",
    offsets: abi.ELF64_SHDR_OFFSETS,
    cross: {
      decode: abi.decodeElf64Shdr,
      encode: abi.encodeElf64Shdr,
      fields: same(Object.keys(abi.ELF64_SHDR_OFFSETS)),
    },
  },
  {
    name: "Elf64_auxv_t",
    headers: ["elf.h"],
    ctype: "Elf64_auxv_t",
    size: abi.ELF64_AUXV_SIZE,
    sizeName: "ELF64_AUXV_SIZE",
    offsets: abi.ELF64_AUXV_OFFSETS,
    cMember: { a_val: "a_un.a_val" },
    cross: {
      decode: abi.decodeElf64Auxv,
      encode: abi.encodeElf64Auxv,
      fields: [
        ["a_type", "a_type"],
        ["a_val", "a_un.a_val"],
      ],
    },
  },
  {
    name: "statfs",
    headers: ["sys/vfs.h"],
    ctype: "struct statfs",
    size: abi.STATFS_SIZE,
    sizeName: "STATFS_SIZE",
    offsets: abi.STATFS_OFFSETS,
    cross: {
      decode: abi.decodeStatfs,
      encode: abi.encodeStatfs,
      fields: [
        ...same(Object.keys(abi.STATFS_OFFSETS).filter((k) => k !== "f_fsid" && k !== "f_spare")),
        ["f_fsid.0", "f_fsid.__val[0]"],
        ["f_fsid.1", "f_fsid.__val[1]"],
      ],
    },
  },
  {
    name: "statfs (kernel)",
    headers: ["asm/statfs.h"],
    defines: [],
    ctype: "struct statfs",
    size: abi.STATFS_SIZE,
    offsets: abi.STATFS_OFFSETS,
  },
  {
    name: "flock",
    headers: ["fcntl.h"],
    ctype: "struct flock",
    size: abi.FLOCK_SIZE,
    sizeName: "FLOCK_SIZE",
    offsets: abi.FLOCK_OFFSETS,
    cross: {
      decode: abi.decodeFlock,
      encode: abi.encodeFlock,
      fields: same(Object.keys(abi.FLOCK_OFFSETS)),
    },
  },
  {
    name: "f_owner_ex",
    headers: ["fcntl.h"],
    ctype: "struct f_owner_ex",
    size: abi.F_OWNER_EX_SIZE,
    sizeName: "F_OWNER_EX_SIZE",
    offsets: abi.F_OWNER_EX_OFFSETS,
    cross: {
      decode: abi.decodeFOwnerEx,
      encode: abi.encodeFOwnerEx,
      fields: same(["type", "pid"]),
    },
  },
  {
    name: "sockaddr",
    headers: ["sys/socket.h"],
    ctype: "struct sockaddr",
    size: abi.SOCKADDR_SIZE,
    sizeName: "SOCKADDR_SIZE",
    offsets: {},
  },
  {
    name: "sockaddr_storage",
    headers: ["sys/socket.h"],
    ctype: "struct sockaddr_storage",
    size: abi.SOCKADDR_STORAGE_SIZE,
    sizeName: "SOCKADDR_STORAGE_SIZE",
    offsets: {},
  },
  {
    name: "linger",
    headers: ["sys/socket.h"],
    ctype: "struct linger",
    size: abi.LINGER_SIZE,
    sizeName: "LINGER_SIZE",
    offsets: abi.LINGER_OFFSETS,
    cross: {
      decode: abi.decodeLinger,
      encode: abi.encodeLinger,
      fields: same(["l_onoff", "l_linger"]),
    },
  },
  {
    name: "ucred",
    headers: ["sys/socket.h"],
    ctype: "struct ucred",
    size: abi.UCRED_SIZE,
    sizeName: "UCRED_SIZE",
    offsets: abi.UCRED_OFFSETS,
    cross: {
      decode: abi.decodeUcred,
      encode: abi.encodeUcred,
      fields: same(["pid", "uid", "gid"]),
    },
  },
  {
    name: "mmsghdr",
    headers: ["sys/socket.h"],
    ctype: "struct mmsghdr",
    size: abi.MMSGHDR_SIZE,
    sizeName: "MMSGHDR_SIZE",
    offsets: abi.MMSGHDR_OFFSETS,
    cross: {
      decode: abi.decodeMmsghdr,
      encode: abi.encodeMmsghdr,
      fields: [
        ["msg_hdr.msg_namelen", "msg_hdr.msg_namelen"],
        ["msg_hdr.msg_flags", "msg_hdr.msg_flags"],
        ["msg_len", "msg_len"],
      ],
    },
  },
  {
    name: "signalfd_siginfo",
    headers: ["sys/signalfd.h"],
    ctype: "struct signalfd_siginfo",
    size: abi.SIGNALFD_SIGINFO_SIZE,
    sizeName: "SIGNALFD_SIGINFO_SIZE",
    offsets: abi.SIGNALFD_SIGINFO_OFFSETS,
    cross: {
      decode: abi.decodeSignalfdSiginfo,
      encode: abi.encodeSignalfdSiginfo,
      fields: same(Object.keys(abi.SIGNALFD_SIGINFO_OFFSETS).filter((k) => !k.startsWith("__"))),
    },
  },
  {
    name: "inotify_event",
    headers: ["sys/inotify.h"],
    ctype: "struct inotify_event",
    size: abi.INOTIFY_EVENT_HEADER_SIZE,
    sizeName: "INOTIFY_EVENT_HEADER_SIZE",
    offsets: abi.INOTIFY_EVENT_OFFSETS,
  },
  {
    name: "sigevent",
    headers: ["signal.h"],
    ctype: "struct sigevent",
    size: abi.SIGEVENT_SIZE,
    sizeName: "SIGEVENT_SIZE",
    offsets: abi.SIGEVENT_OFFSETS,
    cMember: { sigev_notify_thread_id: "_sigev_un._tid" },
    cross: {
      decode: abi.decodeSigevent,
      encode: abi.encodeSigevent,
      fields: [
        ["sigev_value", "sigev_value.sival_ptr"],
        ["sigev_signo", "sigev_signo"],
        ["sigev_notify", "sigev_notify"],
        ["sigev_notify_thread_id", "_sigev_un._tid"],
      ],
    },
  },
  {
    name: "seccomp_data",
    headers: ["linux/seccomp.h"],
    defines: [],
    ctype: "struct seccomp_data",
    size: abi.SECCOMP_DATA_SIZE,
    sizeName: "SECCOMP_DATA_SIZE",
    offsets: abi.SECCOMP_DATA_OFFSETS,
    cross: {
      decode: abi.decodeSeccompData,
      encode: abi.encodeSeccompData,
      fields: [
        ...same(["nr", "arch", "instruction_pointer"]),
        ["args.0", "args[0]"],
        ["args.5", "args[5]"],
      ],
    },
  },
  {
    name: "sock_filter",
    headers: ["linux/filter.h"],
    defines: [],
    ctype: "struct sock_filter",
    size: abi.SOCK_FILTER_SIZE,
    sizeName: "SOCK_FILTER_SIZE",
    offsets: abi.SOCK_FILTER_OFFSETS,
    cross: {
      decode: abi.decodeSockFilter,
      encode: abi.encodeSockFilter,
      fields: same(["code", "jt", "jf", "k"]),
    },
  },
  {
    name: "sock_fprog",
    headers: ["linux/filter.h"],
    defines: [],
    ctype: "struct sock_fprog",
    size: abi.SOCK_FPROG_SIZE,
    sizeName: "SOCK_FPROG_SIZE",
    offsets: abi.SOCK_FPROG_OFFSETS,
    cross: {
      decode: abi.decodeSockFprog,
      encode: abi.encodeSockFprog,
      fields: same(["len", "filter"]),
    },
  },
  {
    name: "__user_cap_header_struct",
    headers: ["linux/capability.h"],
    defines: [],
    ctype: "struct __user_cap_header_struct",
    size: abi.CAP_USER_HEADER_SIZE,
    sizeName: "CAP_USER_HEADER_SIZE",
    offsets: abi.CAP_USER_HEADER_OFFSETS,
    cross: {
      decode: abi.decodeCapUserHeader,
      encode: abi.encodeCapUserHeader,
      fields: same(["version", "pid"]),
    },
  },
  {
    name: "__user_cap_data_struct",
    headers: ["linux/capability.h"],
    defines: [],
    ctype: "struct __user_cap_data_struct",
    size: abi.CAP_USER_DATA_SIZE,
    sizeName: "CAP_USER_DATA_SIZE",
    offsets: abi.CAP_USER_DATA_OFFSETS,
    cross: {
      decode: abi.decodeCapUserData,
      encode: abi.encodeCapUserData,
      fields: same(["effective", "permitted", "inheritable"]),
    },
  },
  {
    name: "rseq",
    headers: ["linux/rseq.h"],
    defines: [],
    ctype: "struct rseq",
    size: abi.RSEQ_SIZE,
    sizeName: "RSEQ_SIZE",
    offsets: abi.RSEQ_OFFSETS,
    cross: {
      decode: abi.decodeRseq,
      encode: abi.encodeRseq,
      fields: same(["cpu_id_start", "cpu_id", "rseq_cs", "flags"]),
    },
  },
  {
    name: "utimbuf",
    headers: ["utime.h"],
    ctype: "struct utimbuf",
    size: abi.UTIMBUF_SIZE,
    sizeName: "UTIMBUF_SIZE",
    offsets: abi.UTIMBUF_OFFSETS,
    cross: {
      decode: abi.decodeUtimbuf,
      encode: abi.encodeUtimbuf,
      fields: same(["actime", "modtime"]),
    },
  },
  {
    name: "fd_set",
    headers: ["sys/select.h"],
    ctype: "fd_set",
    size: abi.FD_SET_SIZE,
    sizeName: "FD_SET_SIZE",
    offsets: {},
  },
];
