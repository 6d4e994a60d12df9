/**
 * strace-style formatting of completed syscalls, for `tsvisor run --strace`:
 *
 * ```
 * openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3
 * read(3, 0x7ffd5a3c, 4096) = -1 ENOENT (No such file or directory)
 * ```
 *
 * Arguments are decoded from a per-syscall list of kinds; unknown calls show
 * their six raw arguments in hex. Strings are read from the task's memory at
 * completion time. Only called when tracing is on (never on the fast path).
 */
import { errnoName, signalName, strerror, syscallName } from "@tsvisor/abi";
import { REG_RAX, regU64 } from "@tsvisor/platform";
import type { Task } from "./task.js";

/** How to print one argument. */
type ArgKind =
  | "int"
  | "uint"
  | "hex"
  | "ptr"
  | "fd"
  | "dirfd"
  | "path"
  | "wbuf"
  | "rbuf"
  | "futexop"
  | "waitopt"
  | "fdpair"
  | "pflags"
  | "oflags"
  | "mode"
  | "prot"
  | "mflags"
  | "sig"
  | "clone"
  | "sighow"
  | "atflags";

const SIGNATURES: Record<string, readonly ArgKind[]> = {
  read: ["fd", "rbuf", "uint"],
  write: ["fd", "wbuf", "uint"],
  open: ["path", "oflags", "mode"],
  openat: ["dirfd", "path", "oflags", "mode"],
  creat: ["path", "mode"],
  close: ["fd"],
  stat: ["path", "ptr"],
  lstat: ["path", "ptr"],
  fstat: ["fd", "ptr"],
  newfstatat: ["dirfd", "path", "ptr", "atflags"],
  statx: ["dirfd", "path", "atflags", "hex", "ptr"],
  lseek: ["fd", "int", "int"],
  mmap: ["ptr", "uint", "prot", "mflags", "fd", "hex"],
  mprotect: ["ptr", "uint", "prot"],
  munmap: ["ptr", "uint"],
  brk: ["ptr"],
  rt_sigaction: ["sig", "ptr", "ptr", "uint"],
  rt_sigprocmask: ["sighow", "ptr", "ptr", "uint"],
  ioctl: ["fd", "hex", "ptr"],
  pread64: ["fd", "rbuf", "uint", "int"],
  pwrite64: ["fd", "wbuf", "uint", "int"],
  readv: ["fd", "ptr", "int"],
  writev: ["fd", "ptr", "int"],
  access: ["path", "int"],
  faccessat: ["dirfd", "path", "int"],
  faccessat2: ["dirfd", "path", "int", "atflags"],
  pipe: ["fdpair"],
  pipe2: ["fdpair", "pflags"],
  socketpair: ["int", "int", "int", "fdpair"],
  dup: ["fd"],
  dup2: ["fd", "fd"],
  dup3: ["fd", "fd", "pflags"],
  getpid: [],
  getppid: [],
  gettid: [],
  getuid: [],
  geteuid: [],
  getgid: [],
  getegid: [],
  clone: ["clone", "ptr", "ptr", "ptr", "ptr"],
  fork: [],
  vfork: [],
  execve: ["path", "ptr", "ptr"],
  execveat: ["dirfd", "path", "ptr", "ptr", "atflags"],
  exit: ["int"],
  exit_group: ["int"],
  wait4: ["int", "ptr", "waitopt", "ptr"],
  kill: ["int", "sig"],
  tgkill: ["int", "int", "sig"],
  tkill: ["int", "sig"],
  uname: ["ptr"],
  fcntl: ["fd", "int", "hex"],
  getcwd: ["ptr", "uint"],
  chdir: ["path"],
  fchdir: ["fd"],
  rename: ["path", "path"],
  mkdir: ["path", "mode"],
  mkdirat: ["dirfd", "path", "mode"],
  rmdir: ["path"],
  unlink: ["path"],
  unlinkat: ["dirfd", "path", "atflags"],
  readlink: ["path", "ptr", "uint"],
  readlinkat: ["dirfd", "path", "ptr", "uint"],
  chmod: ["path", "mode"],
  getdents64: ["fd", "ptr", "uint"],
  arch_prctl: ["hex", "ptr"],
  set_tid_address: ["ptr"],
  set_robust_list: ["ptr", "uint"],
  futex: ["ptr", "futexop", "int", "ptr", "ptr", "int"],
  nanosleep: ["ptr", "ptr"],
  clock_gettime: ["int", "ptr"],
  clock_nanosleep: ["int", "int", "ptr", "ptr"],
  getrandom: ["ptr", "uint", "hex"],
  prlimit64: ["int", "int", "ptr", "ptr"],
  rt_sigreturn: [],
  sigaltstack: ["ptr", "ptr"],
  setpgid: ["int", "int"],
  getpgid: ["int"],
  setsid: [],
  umask: ["mode"],
  prctl: ["int", "hex", "hex", "hex", "hex"],
  rseq: ["ptr", "uint", "hex", "hex"],
};

const O_FLAGS: readonly [number, string][] = [
  [0o100, "O_CREAT"],
  [0o200, "O_EXCL"],
  [0o400, "O_NOCTTY"],
  [0o1000, "O_TRUNC"],
  [0o2000, "O_APPEND"],
  [0o4000, "O_NONBLOCK"],
  [0o10000, "O_DSYNC"],
  [0o40000, "O_DIRECT"],
  [0o200000, "O_DIRECTORY"],
  [0o400000, "O_NOFOLLOW"],
  [0o1000000, "O_NOATIME"],
  [0o2000000, "O_CLOEXEC"],
  [0o10000000, "O_PATH"],
];

const MAP_FLAGS: readonly [number, string][] = [
  [0x10, "MAP_FIXED"],
  [0x20, "MAP_ANONYMOUS"],
  [0x100, "MAP_GROWSDOWN"],
  [0x800, "MAP_DENYWRITE"],
  [0x1000, "MAP_EXECUTABLE"],
  [0x2000, "MAP_LOCKED"],
  [0x4000, "MAP_NORESERVE"],
  [0x8000, "MAP_POPULATE"],
  [0x10000, "MAP_NONBLOCK"],
  [0x20000, "MAP_STACK"],
  [0x40000, "MAP_HUGETLB"],
  [0x100000, "MAP_FIXED_NOREPLACE"],
];

const CLONE_FLAGS: readonly [number, string][] = [
  [0x100, "CLONE_VM"],
  [0x200, "CLONE_FS"],
  [0x400, "CLONE_FILES"],
  [0x800, "CLONE_SIGHAND"],
  [0x1000, "CLONE_PIDFD"],
  [0x4000, "CLONE_VFORK"],
  [0x8000, "CLONE_PARENT"],
  [0x10000, "CLONE_THREAD"],
  [0x40000, "CLONE_SYSVSEM"],
  [0x80000, "CLONE_SETTLS"],
  [0x100000, "CLONE_PARENT_SETTID"],
  [0x200000, "CLONE_CHILD_CLEARTID"],
  [0x1000000, "CLONE_CHILD_SETTID"],
];

function flagNames(v: number, table: readonly [number, string][], base: string | null): string {
  const parts: string[] = base === null ? [] : [base];
  let rest = v;
  for (const [bit, name] of table) {
    if ((v & bit) !== 0) {
      parts.push(name);
      rest &= ~bit;
    }
  }
  if (rest !== 0) parts.push(`0x${(rest >>> 0).toString(16)}`);
  return parts.length === 0 ? "0" : parts.join("|");
}

const ARCH_CODES: Record<number, string> = {
  4097: "ARCH_SET_GS",
  4098: "ARCH_SET_FS",
  4099: "ARCH_GET_FS",
  4100: "ARCH_GET_GS",
  4113: "ARCH_GET_CPUID",
  4114: "ARCH_SET_CPUID",
};

/** A C-style quoted string, truncated like strace's default -s 32. */
export function quote(bytes: Uint8Array, max = 32): string {
  let s = '"';
  const n = Math.min(bytes.length, max);
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    if (c === 0x22) s += '\\"';
    else if (c === 0x5c) s += "\\\\";
    else if (c === 0x0a) s += "\\n";
    else if (c === 0x09) s += "\\t";
    else if (c === 0x0d) s += "\\r";
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += `\\${c.toString(8)}`;
  }
  s += '"';
  if (bytes.length > max) s += "...";
  return s;
}

function readString(t: Task, addr: number): string {
  if (addr === 0) return "NULL";
  const m = t.mm as unknown as { copyInCString?: (a: number, n: number) => Uint8Array | number };
  const b = m.copyInCString?.(addr, 4096);
  if (b === undefined || typeof b === "number") return `0x${addr.toString(16)}`;
  return quote(b, 4096);
}

const FUTEX_OPS = [
  "FUTEX_WAIT",
  "FUTEX_WAKE",
  "FUTEX_FD",
  "FUTEX_REQUEUE",
  "FUTEX_CMP_REQUEUE",
  "FUTEX_WAKE_OP",
  "FUTEX_LOCK_PI",
  "FUTEX_UNLOCK_PI",
  "FUTEX_TRYLOCK_PI",
  "FUTEX_WAIT_BITSET",
  "FUTEX_WAKE_BITSET",
  "FUTEX_WAIT_REQUEUE_PI",
  "FUTEX_CMP_REQUEUE_PI",
  "FUTEX_LOCK_PI2",
];

/** The syscall's result, for arguments whose display depends on it (read buffers). */
let currentResult = 0;

function formatArg(t: Task, kind: ArgKind, i: number, all: readonly number[]): string {
  const a = t.args;
  switch (kind) {
    case "int":
      return String(a.int(i));
    case "uint":
      return String(a.u64(i));
    case "hex":
      return `0x${a.big(i).toString(16)}`;
    case "ptr":
      return a.ptr(i) === 0 ? "NULL" : `0x${a.big(i).toString(16)}`;
    case "fd":
      return String(a.int(i));
    case "dirfd":
      return a.int(i) === -100 ? "AT_FDCWD" : String(a.int(i));
    case "path":
      return readString(t, a.ptr(i));
    case "wbuf": {
      const len = Math.min(all[2] ?? 0, 32 + 1);
      const b = new Uint8Array(len);
      if (t.mm.copyIn(a.ptr(i), b) < 0) return `0x${a.big(i).toString(16)}`;
      return len > 32 ? quote(b, 32) : quote(b.subarray(0, len));
    }
    case "rbuf": {
      if (currentResult <= 0) return `0x${a.big(i).toString(16)}`;
      const b = new Uint8Array(Math.min(currentResult, 33));
      if (t.mm.copyIn(a.ptr(i), b) < 0) return `0x${a.big(i).toString(16)}`;
      return currentResult > 32 ? quote(b, 32) : quote(b);
    }
    case "futexop": {
      const v = a.int(i);
      const name = FUTEX_OPS[v & 0x7f] ?? String(v & 0x7f);
      return `${name}${v & 0x80 ? "_PRIVATE" : ""}${v & 0x100 ? "|FUTEX_CLOCK_REALTIME" : ""}`;
    }
    case "waitopt":
      return flagNames(
        a.int(i),
        [
          [1, "WNOHANG"],
          [2, "WUNTRACED"],
          [8, "WCONTINUED"],
          [0x20000000, "__WNOTHREAD"],
          [0x40000000, "__WALL"],
          [0x80000000, "__WCLONE"],
        ],
        null,
      );
    case "fdpair": {
      if (currentResult < 0) return `0x${a.big(i).toString(16)}`;
      const b = new Uint8Array(8);
      if (t.mm.copyIn(a.ptr(i), b) < 0) return `0x${a.big(i).toString(16)}`;
      const dv = new DataView(b.buffer);
      return `[${dv.getInt32(0, true)}, ${dv.getInt32(4, true)}]`;
    }
    case "pflags":
      return flagNames(a.int(i), O_FLAGS, null);
    case "oflags": {
      const v = a.int(i);
      const acc = ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"][v & 3]!;
      return flagNames(v & ~3, O_FLAGS, acc);
    }
    case "mode":
      return `0${(a.uint(i) & 0o7777).toString(8)}`;
    case "prot": {
      const v = a.int(i);
      if (v === 0) return "PROT_NONE";
      return flagNames(
        v,
        [
          [1, "PROT_READ"],
          [2, "PROT_WRITE"],
          [4, "PROT_EXEC"],
        ],
        null,
      );
    }
    case "mflags": {
      const v = a.int(i);
      const type = ["0", "MAP_SHARED", "MAP_PRIVATE", "MAP_SHARED_VALIDATE"][v & 3] ?? "0";
      return flagNames(v & ~3, MAP_FLAGS, type);
    }
    case "sig": {
      const v = a.int(i);
      return signalName(v) ?? String(v);
    }
    case "clone": {
      const v = a.uint(i);
      const sig = v & 0xff;
      return (
        flagNames(v & ~0xff, CLONE_FLAGS, null) + (sig !== 0 ? `|${signalName(sig) ?? sig}` : "")
      );
    }
    case "sighow":
      return ["SIG_BLOCK", "SIG_UNBLOCK", "SIG_SETMASK"][a.int(i)] ?? String(a.int(i));
    case "atflags":
      return flagNames(
        a.int(i),
        [
          [0x100, "AT_SYMLINK_NOFOLLOW"],
          [0x200, "AT_REMOVEDIR"],
          [0x400, "AT_SYMLINK_FOLLOW"],
          [0x800, "AT_NO_AUTOMOUNT"],
          [0x1000, "AT_EMPTY_PATH"],
        ],
        null,
      );
  }
}

/** The text strace shows for a result. */
export function formatResult(name: string, r: number): string {
  if (r < 0 && r >= -4095) {
    const e = -r;
    switch (e) {
      case 512:
        return "? ERESTARTSYS (To be restarted if SA_RESTART is set)";
      case 513:
        return "? ERESTARTNOINTR (To be restarted)";
      case 514:
        return "? ERESTARTNOHAND (To be restarted if no handler)";
      case 516:
        return "? ERESTART_RESTARTBLOCK (Interrupted by signal)";
    }
    return `-1 ${errnoName(e) ?? `E${e}`} (${strerror(e)})`;
  }
  if (name === "mmap" || name === "brk" || name === "mremap") return `0x${r.toString(16)}`;
  return String(r);
}

/** One strace line (without newline) for the syscall `t` just completed with result `r`. */
export function formatSyscall(t: Task, nr: number, r: number): string {
  const name = syscallName(nr) ?? `syscall_${nr}`;
  const kinds = SIGNATURES[name];
  const raw = [0, 1, 2, 3, 4, 5].map((i) => t.args.u64(i));
  currentResult = r;
  let args: string;
  if (kinds === undefined) {
    args = raw.map((_, i) => `0x${t.args.big(i).toString(16)}`).join(", ");
  } else {
    let ks = kinds;
    // strace shows open's mode only when the flags can create a file.
    const flagsArg = name === "openat" ? 2 : name === "open" ? 1 : -1;
    if (flagsArg >= 0 && (t.args.int(flagsArg) & (0o100 | 0o20000000)) === 0)
      ks = kinds.slice(0, flagsArg + 1);
    args = ks.map((k, i) => formatArg(t, k, i, raw)).join(", ");
    if (name === "arch_prctl") {
      const code = ARCH_CODES[t.args.int(0)];
      if (code !== undefined) args = args.replace(/^0x[0-9a-f]+/, code);
    }
  }
  const prefix = t.kernel.pidns.tasks.size > 1 ? `[pid ${t.tid}] ` : "";
  if (name === "exit" || name === "exit_group") return `${prefix}${name}(${args}) = ?`;
  if (name === "execve" && r === 0) return `${prefix}${name}(...) = 0`;
  const result =
    name === "rt_sigreturn" ? String(regU64(t.ctx.regs, REG_RAX)) : formatResult(name, r);
  return `${prefix}${name}(${args}) = ${result}`;
}
