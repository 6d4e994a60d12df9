import { describe, expect, it } from "vitest";
import * as abi from "../src/index.js";
import { getCString, getI64, getU64, setCString, setU64 } from "../src/structs/bytes.js";

type Case = [
  string,
  number,
  (dv: DataView, off: number, v: never) => unknown,
  (dv: DataView, off: number) => unknown,
  unknown,
];

const ts = (s: number, n: number) => ({ tv_sec: s, tv_nsec: n });
const tv = (s: number, u: number) => ({ tv_sec: s, tv_usec: u });
const u32s = (n: number, k: number) => Uint32Array.from({ length: n }, (_, i) => (i * k + 1) >>> 0);
const sigctx = (): abi.Sigcontext => {
  const s = {} as abi.Sigcontext;
  abi.SIGCONTEXT_GREGS.forEach((r, i) => {
    s[r] = 0xffff_ffff_ffff_fff0n - BigInt(i);
  });
  return Object.assign(s, {
    cs: 0x33,
    gs: 0,
    fs: 0,
    ss: 0x2b,
    err: 4n,
    trapno: 14n,
    oldmask: 0n,
    cr2: 0xdeadn,
    fpstate: 0x7ffc_0000_1000,
  });
};
const swb = {
  magic1: abi.FP_XSTATE_MAGIC1,
  extended_size: 2696,
  xfeatures: 0x2e7n,
  xstate_size: 2688,
};

/** [name, size, encode, decode, sample]: encode at an offset, decode back, nothing outside touched. */
const CASES: Case[] = [
  ["timespec", abi.TIMESPEC_SIZE, abi.encodeTimespec, abi.decodeTimespec, ts(-1, 999_999_999)],
  ["timeval", abi.TIMEVAL_SIZE, abi.encodeTimeval, abi.decodeTimeval, tv(2 ** 40, 999_999)],
  [
    "itimerspec",
    abi.ITIMERSPEC_SIZE,
    abi.encodeItimerspec,
    abi.decodeItimerspec,
    { it_interval: ts(0, 5), it_value: ts(7, 0) },
  ],
  [
    "itimerval",
    abi.ITIMERVAL_SIZE,
    abi.encodeItimerval,
    abi.decodeItimerval,
    { it_interval: tv(1, 2), it_value: tv(3, 4) },
  ],
  [
    "timezone",
    abi.TIMEZONE_SIZE,
    abi.encodeTimezone,
    abi.decodeTimezone,
    { tz_minuteswest: -60, tz_dsttime: 0 },
  ],
  [
    "tms",
    abi.TMS_SIZE,
    abi.encodeTms,
    abi.decodeTms,
    { tms_utime: 1, tms_stime: 2, tms_cutime: 3, tms_cstime: 2 ** 33 },
  ],
  [
    "stat",
    abi.STAT_SIZE,
    abi.encodeStat,
    abi.decodeStat,
    {
      st_dev: abi.makedev(8, 1),
      st_ino: 2 ** 40 + 7,
      st_nlink: 3,
      st_mode: abi.S_IFREG | 0o644,
      st_uid: 0xffff_fffe,
      st_gid: 1000,
      st_rdev: 0,
      st_size: 2 ** 52,
      st_blksize: 4096,
      st_blocks: 8,
      st_atime: -5,
      st_atime_nsec: 1,
      st_mtime: 1_700_000_000,
      st_mtime_nsec: 999_999_999,
      st_ctime: 0,
      st_ctime_nsec: 0,
    },
  ],
  [
    "statx_timestamp",
    abi.STATX_TIMESTAMP_SIZE,
    abi.encodeStatxTimestamp,
    abi.decodeStatxTimestamp,
    ts(-2, 3),
  ],
  [
    "statx",
    abi.STATX_STRUCT_SIZE,
    abi.encodeStatx,
    abi.decodeStatx,
    {
      stx_mask: abi.STATX_BASIC_STATS | abi.STATX_BTIME,
      stx_blksize: 4096,
      stx_attributes: abi.STATX_ATTR_IMMUTABLE,
      stx_nlink: 1,
      stx_uid: 1,
      stx_gid: 2,
      stx_mode: abi.S_IFDIR | 0o755,
      stx_ino: 99,
      stx_size: 2 ** 45,
      stx_blocks: 3,
      stx_attributes_mask: 0xff,
      stx_atime: ts(1, 2),
      stx_btime: ts(3, 4),
      stx_ctime: ts(5, 6),
      stx_mtime: ts(7, 8),
      stx_rdev_major: 136,
      stx_rdev_minor: 2,
      stx_dev_major: 0,
      stx_dev_minor: 23,
      stx_mnt_id: 31,
      stx_dio_mem_align: 0,
      stx_dio_offset_align: 0,
    },
  ],
  [
    "rlimit",
    abi.RLIMIT_SIZE,
    abi.encodeRlimit,
    abi.decodeRlimit,
    { rlim_cur: 8n << 20n, rlim_max: abi.RLIM_INFINITY },
  ],
  [
    "rusage",
    abi.RUSAGE_SIZE,
    abi.encodeRusage,
    abi.decodeRusage,
    {
      ru_utime: tv(1, 2),
      ru_stime: tv(3, 4),
      ru_maxrss: 5,
      ru_ixrss: 6,
      ru_idrss: 7,
      ru_isrss: 8,
      ru_minflt: 9,
      ru_majflt: 10,
      ru_nswap: 11,
      ru_inblock: 12,
      ru_oublock: 13,
      ru_msgsnd: 14,
      ru_msgrcv: 15,
      ru_nsignals: 16,
      ru_nvcsw: 17,
      ru_nivcsw: 18,
    },
  ],
  [
    "sysinfo",
    abi.SYSINFO_SIZE,
    abi.encodeSysinfo,
    abi.decodeSysinfo,
    {
      uptime: 100,
      loads: [1 << 16, 2 << 16, 3 << 16],
      totalram: 2 ** 34,
      freeram: 2 ** 33,
      sharedram: 0,
      bufferram: 1,
      totalswap: 0,
      freeswap: 0,
      procs: 65535,
      totalhigh: 0,
      freehigh: 0,
      mem_unit: 1,
    },
  ],
  [
    "utsname",
    abi.UTSNAME_SIZE,
    abi.encodeUtsname,
    abi.decodeUtsname,
    {
      sysname: "Linux",
      nodename: "tsvisor",
      release: "6.1.0",
      version: "#1 SMP",
      machine: "x86_64",
      domainname: "(none)",
    },
  ],
  [
    "iovec",
    abi.IOVEC_SIZE,
    abi.encodeIovec,
    abi.decodeIovec,
    { iov_base: 0x7fff_ffff_f000, iov_len: 4096 },
  ],
  [
    "msghdr",
    abi.MSGHDR_SIZE,
    abi.encodeMsghdr,
    abi.decodeMsghdr,
    {
      msg_name: 0x1000,
      msg_namelen: 110,
      msg_iov: 0x2000,
      msg_iovlen: 2,
      msg_control: 0,
      msg_controllen: 0,
      msg_flags: abi.MSG_TRUNC,
    },
  ],
  [
    "cmsghdr",
    abi.CMSGHDR_SIZE,
    abi.encodeCmsghdr,
    abi.decodeCmsghdr,
    { cmsg_len: abi.CMSG_LEN(8), cmsg_level: abi.SOL_SOCKET, cmsg_type: abi.SCM_RIGHTS },
  ],
  [
    "sockaddr_in",
    abi.SOCKADDR_IN_SIZE,
    abi.encodeSockaddrIn,
    abi.decodeSockaddrIn,
    { sin_family: abi.AF_INET, sin_port: 8080, sin_addr: 0x7f000001 },
  ],
  [
    "sockaddr_in6",
    abi.SOCKADDR_IN6_SIZE,
    abi.encodeSockaddrIn6,
    abi.decodeSockaddrIn6,
    {
      sin6_family: abi.AF_INET6,
      sin6_port: 443,
      sin6_flowinfo: 0x12345,
      sin6_addr: Uint8Array.from({ length: 16 }, (_, i) => (i === 15 ? 1 : 0)),
      sin6_scope_id: 2,
    },
  ],
  [
    "pollfd",
    abi.POLLFD_SIZE,
    abi.encodePollfd,
    abi.decodePollfd,
    { fd: -1, events: abi.POLLIN | abi.POLLOUT, revents: abi.POLLNVAL },
  ],
  [
    "epoll_event",
    abi.EPOLL_EVENT_SIZE,
    abi.encodeEpollEvent,
    abi.decodeEpollEvent,
    { events: (abi.EPOLLIN | abi.EPOLLET) >>> 0, data: 0xffff_ffff_ffff_ffffn },
  ],
  [
    "kernel sigaction",
    abi.KERNEL_SIGACTION_SIZE,
    abi.encodeKernelSigaction,
    abi.decodeKernelSigaction,
    {
      sa_handler: abi.SIG_IGN,
      sa_flags: abi.SA_RESTORER | abi.SA_ONSTACK,
      sa_restorer: 0x401000,
      sa_mask: abi.sigmask(64) | abi.sigmask(1),
    },
  ],
  [
    "stack_t",
    abi.STACK_T_SIZE,
    abi.encodeStackT,
    abi.decodeStackT,
    { ss_sp: 0x10000, ss_flags: abi.SS_ONSTACK, ss_size: abi.SIGSTKSZ },
  ],
  ["sigcontext", abi.SIGCONTEXT_SIZE, abi.encodeSigcontext, abi.decodeSigcontext, sigctx()],
  ["_fpx_sw_bytes", abi.FPX_SW_BYTES_SIZE, abi.encodeFpxSwBytes, abi.decodeFpxSwBytes, swb],
  [
    "_fpstate_64",
    abi.FPSTATE_SIZE,
    abi.encodeFpstate,
    abi.decodeFpstate,
    {
      cwd: 0x37f,
      swd: 0,
      twd: 0,
      fop: 0,
      rip: 0n,
      rdp: 0n,
      mxcsr: 0x1f80,
      mxcsr_mask: 0xffff,
      st_space: u32s(32, 3),
      xmm_space: u32s(64, 0x01010101),
      sw_reserved: swb,
    },
  ],
  [
    "ucontext",
    abi.UCONTEXT_SIZE,
    abi.encodeUcontext,
    abi.decodeUcontext,
    {
      uc_flags: abi.UC_FP_XSTATE | abi.UC_SIGCONTEXT_SS,
      uc_link: 0,
      uc_stack: { ss_sp: 0, ss_flags: abi.SS_DISABLE, ss_size: 0 },
      uc_mcontext: sigctx(),
      uc_sigmask: abi.sigmask(abi.SIGCHLD),
    },
  ],
  [
    "user_regs_struct",
    abi.USER_REGS_STRUCT_SIZE,
    abi.encodeUserRegsStruct,
    abi.decodeUserRegsStruct,
    Object.fromEntries(abi.USER_REGS_NAMES.map((r, i) => [r, (1n << 63n) + BigInt(i)])),
  ],
  [
    "user_fpregs_struct",
    abi.USER_FPREGS_STRUCT_SIZE,
    abi.encodeUserFpregsStruct,
    abi.decodeUserFpregsStruct,
    {
      cwd: 1,
      swd: 2,
      ftw: 3,
      fop: 4,
      rip: 5n,
      rdp: 6n,
      mxcsr: 7,
      mxcr_mask: 8,
      st_space: u32s(32, 5),
      xmm_space: u32s(64, 7),
      padding: u32s(24, 9),
    },
  ],
  [
    "termios",
    abi.TERMIOS_SIZE,
    abi.encodeTermios,
    abi.decodeTermios,
    {
      c_iflag: abi.ICRNL | abi.IXON,
      c_oflag: abi.OPOST | abi.ONLCR,
      c_cflag: abi.CS8 | abi.CREAD | abi.B38400,
      c_lflag: abi.ICANON | abi.ECHO | abi.ISIG,
      c_line: 0,
      c_cc: Uint8Array.from({ length: 19 }, (_, i) => i + 1),
    },
  ],
  [
    "termios2",
    abi.TERMIOS2_SIZE,
    abi.encodeTermios2,
    abi.decodeTermios2,
    {
      c_iflag: 0,
      c_oflag: 0,
      c_cflag: abi.BOTHER,
      c_lflag: 0,
      c_line: 1,
      c_cc: new Uint8Array(19),
      c_ispeed: 250000,
      c_ospeed: 250000,
    },
  ],
  [
    "winsize",
    abi.WINSIZE_SIZE,
    abi.encodeWinsize,
    abi.decodeWinsize,
    { ws_row: 50, ws_col: 132, ws_xpixel: 0, ws_ypixel: 0 },
  ],
  [
    "clone_args",
    abi.CLONE_ARGS_SIZE,
    abi.encodeCloneArgs,
    abi.decodeCloneArgs,
    {
      flags: BigInt(abi.CLONE_CLEAR_SIGHAND) | BigInt(abi.CLONE_VM),
      pidfd: 0,
      child_tid: 0x1000,
      parent_tid: 0x2000,
      exit_signal: abi.SIGCHLD,
      stack: 0x7000,
      stack_size: 0x1000,
      tls: 0x3000,
      set_tid: 0x4000,
      set_tid_size: 1,
      cgroup: 3,
    },
  ],
  [
    "robust_list_head",
    abi.ROBUST_LIST_HEAD_SIZE,
    abi.encodeRobustListHead,
    abi.decodeRobustListHead,
    { list: 0x5000, futex_offset: -32, list_op_pending: 0 },
  ],
  [
    "open_how",
    abi.OPEN_HOW_SIZE,
    abi.encodeOpenHow,
    abi.decodeOpenHow,
    { flags: BigInt(abi.O_RDONLY | abi.O_CLOEXEC), mode: 0n, resolve: BigInt(abi.RESOLVE_BENEATH) },
  ],
  [
    "Elf64_Ehdr",
    abi.ELF64_EHDR_SIZE,
    abi.encodeElf64Ehdr,
    abi.decodeElf64Ehdr,
    {
      e_ident: Uint8Array.of(
        ...abi.ELFMAG,
        abi.ELFCLASS64,
        abi.ELFDATA2LSB,
        abi.EV_CURRENT,
        abi.ELFOSABI_SYSV,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
      ),
      e_type: abi.ET_DYN,
      e_machine: abi.EM_X86_64,
      e_version: abi.EV_CURRENT,
      e_entry: 0x1040,
      e_phoff: 64,
      e_shoff: 14000,
      e_flags: 0,
      e_ehsize: abi.ELF64_EHDR_SIZE,
      e_phentsize: abi.ELF64_PHDR_SIZE,
      e_phnum: 13,
      e_shentsize: abi.ELF64_SHDR_SIZE,
      e_shnum: 31,
      e_shstrndx: 30,
    },
  ],
  [
    "Elf64_Phdr",
    abi.ELF64_PHDR_SIZE,
    abi.encodeElf64Phdr,
    abi.decodeElf64Phdr,
    {
      p_type: abi.PT_GNU_STACK,
      p_flags: abi.PF_R | abi.PF_W,
      p_offset: 0,
      p_vaddr: 0,
      p_paddr: 0,
      p_filesz: 0,
      p_memsz: 0,
      p_align: 16,
    },
  ],
  [
    "Elf64_Shdr",
    abi.ELF64_SHDR_SIZE,
    abi.encodeElf64Shdr,
    abi.decodeElf64Shdr,
    {
      sh_name: 1,
      sh_type: abi.SHT_PROGBITS,
      sh_flags: abi.SHF_ALLOC | abi.SHF_EXECINSTR,
      sh_addr: 0x1000,
      sh_offset: 0x1000,
      sh_size: 0x200,
      sh_link: 0,
      sh_info: 0,
      sh_addralign: 16,
      sh_entsize: 0,
    },
  ],
  [
    "statfs",
    abi.STATFS_SIZE,
    abi.encodeStatfs,
    abi.decodeStatfs,
    {
      f_type: abi.TMPFS_MAGIC,
      f_bsize: 4096,
      f_blocks: 1000,
      f_bfree: 900,
      f_bavail: 900,
      f_files: 100,
      f_ffree: 50,
      f_fsid: [-1, 7],
      f_namelen: 255,
      f_frsize: 4096,
      f_flags: abi.ST_NOSUID | abi.ST_NODEV,
    },
  ],
  [
    "flock",
    abi.FLOCK_SIZE,
    abi.encodeFlock,
    abi.decodeFlock,
    { l_type: abi.F_WRLCK, l_whence: abi.SEEK_END, l_start: -10, l_len: 0, l_pid: 0 },
  ],
  [
    "f_owner_ex",
    abi.F_OWNER_EX_SIZE,
    abi.encodeFOwnerEx,
    abi.decodeFOwnerEx,
    { type: abi.F_OWNER_PGRP, pid: 12 },
  ],
  ["linger", abi.LINGER_SIZE, abi.encodeLinger, abi.decodeLinger, { l_onoff: 1, l_linger: 30 }],
  [
    "ucred",
    abi.UCRED_SIZE,
    abi.encodeUcred,
    abi.decodeUcred,
    { pid: 1, uid: 0xffff_ffff, gid: 65534 },
  ],
  [
    "mmsghdr",
    abi.MMSGHDR_SIZE,
    abi.encodeMmsghdr,
    abi.decodeMmsghdr,
    {
      msg_hdr: {
        msg_name: 0,
        msg_namelen: 0,
        msg_iov: 0x1000,
        msg_iovlen: 1,
        msg_control: 0,
        msg_controllen: 0,
        msg_flags: 0,
      },
      msg_len: 512,
    },
  ],
  [
    "signalfd_siginfo",
    abi.SIGNALFD_SIGINFO_SIZE,
    abi.encodeSignalfdSiginfo,
    abi.decodeSignalfdSiginfo,
    {
      ssi_signo: abi.SIGCHLD,
      ssi_errno: 0,
      ssi_code: abi.CLD_EXITED,
      ssi_pid: 5,
      ssi_uid: 6,
      ssi_fd: -1,
      ssi_tid: 7,
      ssi_band: 8,
      ssi_overrun: 9,
      ssi_trapno: 10,
      ssi_status: 3,
      ssi_int: -4,
      ssi_ptr: 1n << 63n,
      ssi_utime: 11,
      ssi_stime: 12,
      ssi_addr: 0x4000,
      ssi_addr_lsb: 12,
      ssi_syscall: 60,
      ssi_call_addr: 0x401000,
      ssi_arch: 0xc000003e,
    },
  ],
  [
    "sigevent",
    abi.SIGEVENT_SIZE,
    abi.encodeSigevent,
    abi.decodeSigevent,
    {
      sigev_value: 0xabcn,
      sigev_signo: abi.SIGALRM,
      sigev_notify: abi.SIGEV_THREAD_ID,
      sigev_notify_thread_id: 77,
    },
  ],
  [
    "seccomp_data",
    abi.SECCOMP_DATA_SIZE,
    abi.encodeSeccompData,
    abi.decodeSeccompData,
    {
      nr: abi.SYS_openat,
      arch: abi.AUDIT_ARCH_X86_64,
      instruction_pointer: 0x7f00_0000_1000,
      args: [1n, 2n, 3n, 4n, 5n, (1n << 64n) - 1n],
    },
  ],
  [
    "sock_filter",
    abi.SOCK_FILTER_SIZE,
    abi.encodeSockFilter,
    abi.decodeSockFilter,
    abi.BPF_JUMP(abi.BPF_JMP | abi.BPF_JEQ | abi.BPF_K, abi.AUDIT_ARCH_X86_64, 1, 0),
  ],
  [
    "sock_fprog",
    abi.SOCK_FPROG_SIZE,
    abi.encodeSockFprog,
    abi.decodeSockFprog,
    { len: 4, filter: 0x5000 },
  ],
  [
    "cap header",
    abi.CAP_USER_HEADER_SIZE,
    abi.encodeCapUserHeader,
    abi.decodeCapUserHeader,
    { version: abi._LINUX_CAPABILITY_VERSION_3, pid: 0 },
  ],
  [
    "cap data",
    abi.CAP_USER_DATA_SIZE,
    abi.encodeCapUserData,
    abi.decodeCapUserData,
    { effective: 0xffff_ffff, permitted: 1 << abi.CAP_SYS_ADMIN, inheritable: 0 },
  ],
  [
    "rseq",
    abi.RSEQ_SIZE,
    abi.encodeRseq,
    abi.decodeRseq,
    { cpu_id_start: 1, cpu_id: abi.RSEQ_CPU_ID_UNINITIALIZED, rseq_cs: 0x7000, flags: 0 },
  ],
  [
    "utimbuf",
    abi.UTIMBUF_SIZE,
    abi.encodeUtimbuf,
    abi.decodeUtimbuf,
    { actime: -1, modtime: 2 ** 40 },
  ],
  [
    "Elf64_auxv_t",
    abi.ELF64_AUXV_SIZE,
    abi.encodeElf64Auxv,
    abi.decodeElf64Auxv,
    { a_type: abi.AT_PAGESZ, a_val: 4096 },
  ],
];

describe("encode/decode round trips", () => {
  it.each(CASES)("%s", (_name, size, encode, decode, sample) => {
    const buf = new Uint8Array(size + 32).fill(0xaa);
    const dv = new DataView(buf.buffer);
    encode(dv, 16, sample as never);
    expect(decode(dv, 16)).toEqual(sample);
    // Nothing outside [16, 16 + size) was touched.
    expect(buf.subarray(0, 16).every((b) => b === 0xaa)).toBe(true);
    expect(buf.subarray(16 + size).every((b) => b === 0xaa)).toBe(true);
    // Encoding is deterministic: padding is written, not left as it was.
    const other = new Uint8Array(size + 32).fill(0x55);
    encode(new DataView(other.buffer), 16, sample as never);
    expect(Buffer.from(other.subarray(16, 16 + size))).toEqual(
      Buffer.from(buf.subarray(16, 16 + size)),
    );
  });
});

describe("byte helpers", () => {
  it("64-bit numbers, signed and unsigned", () => {
    const dv = new DataView(new ArrayBuffer(8));
    for (const v of [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1]) {
      setU64(dv, 0, v);
      expect(getU64(dv, 0)).toBe(v);
      expect(getI64(dv, 0)).toBe(v);
      expect(dv.getBigUint64(0, true)).toBe(BigInt(v));
    }
    for (const v of [-1, -100, -(2 ** 32), -(2 ** 53) + 1]) {
      setU64(dv, 0, v);
      expect(getI64(dv, 0)).toBe(v);
      expect(dv.getBigInt64(0, true)).toBe(BigInt(v));
    }
  });
  it("C strings stop at NUL and are truncated to leave room for it", () => {
    const dv = new DataView(new ArrayBuffer(8).slice(0));
    new Uint8Array(dv.buffer).fill(0x41);
    setCString(dv, 0, 8, "hello, world");
    expect(getCString(dv, 0, 8)).toBe("hello, ");
    expect(dv.getUint8(7)).toBe(0);
    setCString(dv, 0, 8, "hi");
    expect([...new Uint8Array(dv.buffer)]).toEqual([0x68, 0x69, 0, 0, 0, 0, 0, 0]);
  });
});

describe("struct helpers", () => {
  it("rlimit number conversions keep RLIM_INFINITY", () => {
    expect(abi.rlimitToNumber(abi.RLIM_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(abi.rlimitToNumber(1024n)).toBe(1024);
    expect(abi.rlimitFromNumber(Number.POSITIVE_INFINITY)).toBe(abi.RLIM_INFINITY);
    expect(abi.rlimitFromNumber(8 << 20)).toBe(8n << 20n);
  });

  it("sockaddr_un keeps abstract names and returns the address length", () => {
    const dv = new DataView(new ArrayBuffer(abi.SOCKADDR_UN_SIZE));
    const path = Uint8Array.of(0, ...Buffer.from("tsvisor"));
    const len = abi.encodeSockaddrUn(dv, 0, { sun_family: abi.AF_UNIX, sun_path: path });
    expect(len).toBe(2 + path.length);
    expect(abi.decodeSockaddrUn(dv, 0, len)).toEqual({ sun_family: abi.AF_UNIX, sun_path: path });
    expect(abi.decodeSockaddrUn(dv, 0).sun_path.length).toBe(abi.UNIX_PATH_MAX);
  });

  it("sockaddr_in stores port and address in network byte order", () => {
    const dv = new DataView(new ArrayBuffer(abi.SOCKADDR_IN_SIZE));
    abi.encodeSockaddrIn(dv, 0, {
      sin_family: abi.AF_INET,
      sin_port: 0x1f90,
      sin_addr: 0x7f000001,
    });
    expect([...new Uint8Array(dv.buffer, 2, 6)]).toEqual([0x1f, 0x90, 127, 0, 0, 1]);
  });

  it("linux_dirent64 records are 8-byte aligned with a NUL after the name", () => {
    expect(abi.linuxDirent64Reclen(1)).toBe(24);
    expect(abi.linuxDirent64Reclen(4)).toBe(24);
    expect(abi.linuxDirent64Reclen(5)).toBe(32);
    const dv = new DataView(new ArrayBuffer(64).slice(0));
    new Uint8Array(dv.buffer).fill(0xee);
    const d = { d_ino: 5, d_off: -1n, d_reclen: 0, d_type: abi.DT_REG, d_name: "héllo" };
    const reclen = abi.encodeLinuxDirent64(dv, 0, d);
    expect(reclen).toBe(abi.linuxDirent64Reclen(Buffer.byteLength("héllo")));
    expect(abi.decodeLinuxDirent64(dv, 0)).toEqual({ ...d, d_reclen: reclen });
    expect(dv.getUint8(reclen)).toBe(0xee);
  });

  it("inotify events pad the name to 16 bytes with NULs", () => {
    expect(abi.inotifyNameLen(0)).toBe(0);
    expect(abi.inotifyNameLen(1)).toBe(16);
    expect(abi.inotifyNameLen(15)).toBe(16);
    expect(abi.inotifyNameLen(16)).toBe(32);
    const dv = new DataView(new ArrayBuffer(64));
    const ev = {
      wd: 1,
      mask: (abi.IN_CREATE | abi.IN_ISDIR) >>> 0,
      cookie: 0,
      len: 0,
      name: "dir",
    };
    const size = abi.encodeInotifyEvent(dv, 0, ev);
    expect(size).toBe(32);
    expect(abi.decodeInotifyEvent(dv, 0)).toEqual({ ...ev, len: 16 });
    const bare = abi.encodeInotifyEvent(dv, 0, { ...ev, name: "" });
    expect(bare).toBe(abi.INOTIFY_EVENT_HEADER_SIZE);
  });

  it("clone_args of an older size reads missing fields as 0", () => {
    const dv = new DataView(new ArrayBuffer(abi.CLONE_ARGS_SIZE));
    for (let i = 0; i < abi.CLONE_ARGS_SIZE; i += 8) dv.setBigUint64(i, 7n, true);
    const v0 = abi.decodeCloneArgs(dv, 0, abi.CLONE_ARGS_SIZE_VER0);
    expect(v0.tls).toBe(7);
    expect(v0.set_tid).toBe(0);
    expect(v0.cgroup).toBe(0);
    expect(abi.decodeCloneArgs(dv, 0, abi.CLONE_ARGS_SIZE_VER1).set_tid_size).toBe(7);
    expect(abi.decodeCloneArgs(dv, 0, abi.CLONE_ARGS_SIZE_VER1).cgroup).toBe(0);
  });

  it("sigmask sets the bit of signal n at n - 1", () => {
    expect(abi.sigmask(1)).toBe(1n);
    expect(abi.sigmask(abi.SIGKILL)).toBe(0x100n);
    expect(abi.sigmask(64)).toBe(1n << 63n);
  });
});

describe("siginfo", () => {
  it("siginfoLayout follows the kernel's siginfo_layout()", () => {
    const cases: [number, number, abi.SiginfoLayout][] = [
      [abi.SIGSEGV, abi.SEGV_MAPERR, "fault"],
      [abi.SIGSEGV, abi.SEGV_ACCERR, "fault"],
      [abi.SIGSEGV, abi.SEGV_BNDERR, "fault_bnderr"],
      [abi.SIGSEGV, abi.SEGV_PKUERR, "fault_pkuerr"],
      [abi.SIGBUS, abi.BUS_ADRERR, "fault"],
      [abi.SIGBUS, abi.BUS_MCEERR_AR, "fault_mce"],
      [abi.SIGILL, abi.ILL_ILLOPN, "fault"],
      [abi.SIGFPE, abi.FPE_INTDIV, "fault"],
      [abi.SIGTRAP, abi.TRAP_BRKPT, "fault"],
      [abi.SIGCHLD, abi.CLD_EXITED, "chld"],
      [abi.SIGCHLD, abi.SI_USER, "kill"],
      [abi.SIGIO, abi.POLL_IN, "poll"],
      [abi.SIGIO, abi.SI_SIGIO, "poll"],
      [abi.SIGUSR1, 3, "poll"],
      [abi.SIGUSR1, 100, "kill"],
      [abi.SIGILL, 12, "kill"],
      [abi.SIGSYS, abi.SYS_SECCOMP, "sys"],
      [abi.SIGALRM, abi.SI_TIMER, "timer"],
      [abi.SIGUSR1, abi.SI_QUEUE, "rt"],
      [abi.SIGUSR1, abi.SI_TKILL, "rt"],
      [abi.SIGKILL, abi.SI_KERNEL, "kill"],
      [abi.SIGTERM, abi.SI_USER, "kill"],
    ];
    for (const [sig, code, layout] of cases)
      expect(abi.siginfoLayout(sig, code), `${sig}/${code}`).toBe(layout);
  });

  it("every layout round-trips and clears the rest of the 128 bytes", () => {
    const c = (si_signo: number, si_code: number) => ({ si_signo, si_errno: 0, si_code });
    const samples: abi.Siginfo[] = [
      { ...c(abi.SIGTERM, abi.SI_USER), layout: "kill", si_pid: 42, si_uid: 1000 },
      {
        ...c(abi.SIGALRM, abi.SI_TIMER),
        layout: "timer",
        si_timerid: 3,
        si_overrun: 1,
        si_value: 0xffff_ffff_ffff_ffffn,
      },
      { ...c(abi.SIGRTMIN, abi.SI_QUEUE), layout: "rt", si_pid: 1, si_uid: 0, si_value: 77n },
      {
        ...c(abi.SIGCHLD, abi.CLD_KILLED),
        layout: "chld",
        si_pid: 9,
        si_uid: 0,
        si_status: abi.SIGKILL,
        si_utime: 1,
        si_stime: 2,
      },
      { ...c(abi.SIGSEGV, abi.SEGV_MAPERR), layout: "fault", si_addr: 0xdead000 },
      {
        ...c(abi.SIGBUS, abi.BUS_MCEERR_AO),
        layout: "fault_mce",
        si_addr: 0x1000,
        si_addr_lsb: 12,
      },
      {
        ...c(abi.SIGSEGV, abi.SEGV_BNDERR),
        layout: "fault_bnderr",
        si_addr: 1,
        si_lower: 2,
        si_upper: 3,
      },
      { ...c(abi.SIGSEGV, abi.SEGV_PKUERR), layout: "fault_pkuerr", si_addr: 4, si_pkey: 5 },
      { ...c(abi.SIGIO, abi.POLL_IN), layout: "poll", si_band: abi.POLLIN, si_fd: 3 },
      {
        ...c(abi.SIGSYS, abi.SYS_SECCOMP),
        layout: "sys",
        si_call_addr: 0x401000,
        si_syscall: abi.SYS_getpid,
        si_arch: 0xc000003e,
      },
    ];
    for (const s of samples) {
      const dv = new DataView(new ArrayBuffer(abi.SIGINFO_SIZE));
      new Uint8Array(dv.buffer).fill(0xcc);
      abi.encodeSiginfo(dv, 0, s);
      expect(abi.decodeSiginfo(dv, 0)).toEqual(s);
      // Offsets agree with SIGINFO_OFFSETS for the first union field.
      const first = Object.keys(s).find(
        (k) => k.startsWith("si_") && !["si_signo", "si_errno", "si_code"].includes(k),
      )!;
      expect(abi.SIGINFO_OFFSETS[first as keyof typeof abi.SIGINFO_OFFSETS]).toBe(16);
      expect(new Uint8Array(dv.buffer).includes(0xcc)).toBe(false);
    }
  });
});
