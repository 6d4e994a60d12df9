/**
 * Header check: every constant @tsvisor/abi exports is compared with the
 * value the host's C headers give it, by compiling and running C programs at
 * test time. Kernel-only values that no userspace header exposes are listed
 * in KERNEL_FACTS with the reason, and asserted literally.
 */
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import * as abi from "../src/index.js";
import * as elf from "../src/elf.js";
import * as epoll from "../src/epoll.js";
import * as errno from "../src/errno.js";
import * as eventfd from "../src/eventfd.js";
import * as fcntl from "../src/fcntl.js";
import * as futex from "../src/futex.js";
import * as capability from "../src/capability.js";
import * as ioctl from "../src/ioctl.js";
import * as ipc from "../src/ipc.js";
import * as limits from "../src/limits.js";
import * as mount from "../src/mount.js";
import * as seccomp from "../src/seccomp.js";
import * as xattr from "../src/xattr.js";
import * as mman from "../src/mman.js";
import * as poll from "../src/poll.js";
import * as prctl from "../src/prctl.js";
import * as ptrace from "../src/ptrace.js";
import * as resource from "../src/resource.js";
import * as rseq from "../src/rseq.js";
import * as sched from "../src/sched.js";
import * as siginfo from "../src/siginfo.js";
import * as signal from "../src/signal.js";
import * as signalTable from "../src/signal-table.js";
import * as socket from "../src/socket.js";
import * as stat from "../src/stat.js";
import * as syscalls from "../src/syscalls.js";
import * as termios from "../src/termios.js";
import * as time from "../src/time.js";
import * as wait from "../src/wait.js";
import { cPreamble, cStr, cValues, runC } from "./cprog.js";
import { STRUCTS, type StructSpec } from "./struct-specs.js";

type Consts = Record<string, unknown>;

/** The numeric (number or bigint) exports of a module. */
function numericExports(mod: Consts): Map<string, number | bigint> {
  const m = new Map<string, number | bigint>();
  for (const [k, v] of Object.entries(mod)) {
    if (typeof v === "number" || typeof v === "bigint") m.set(k, v);
  }
  return m;
}

/** Names whose value was compared with C, for the completeness check. */
const checked = new Set<string>();
let compared = 0;

/**
 * Values that no userspace header exposes (kernel-internal, or newer than
 * the host's headers), with where they come from. Asserted literally.
 */
const KERNEL_FACTS: Record<string, [number, string]> = {
  ERESTARTSYS: [512, "include/linux/errno.h"],
  ERESTARTNOINTR: [513, "include/linux/errno.h"],
  ERESTARTNOHAND: [514, "include/linux/errno.h"],
  ENOIOCTLCMD: [515, "include/linux/errno.h"],
  ERESTART_RESTARTBLOCK: [516, "include/linux/errno.h"],
  MAX_ERRNO: [4095, "include/linux/err.h"],
  OPEN_HOW_SIZE_VER0: [24, "include/linux/fcntl.h (kernel-internal)"],
  X86_64_RED_ZONE: [128, "System V AMD64 ABI 3.2.2; arch/x86/kernel/signal.c skips it"],
  // Syscalls newer than the host's headers: arch/x86/entry/syscalls/syscall_64.tbl (Linux 6.5-6.8).
  SYS_cachestat: [451, "syscall_64.tbl"],
  SYS_fchmodat2: [452, "syscall_64.tbl"],
  SYS_map_shadow_stack: [453, "syscall_64.tbl"],
  SYS_futex_wake: [454, "syscall_64.tbl"],
  SYS_futex_wait: [455, "syscall_64.tbl"],
  SYS_futex_requeue: [456, "syscall_64.tbl"],
  SYS_statmount: [457, "syscall_64.tbl"],
  SYS_listmount: [458, "syscall_64.tbl"],
  SYS_lsm_get_self_attr: [459, "syscall_64.tbl"],
  SYS_lsm_set_self_attr: [460, "syscall_64.tbl"],
  SYS_lsm_list_modules: [461, "syscall_64.tbl"],
};

/** Compares `consts` with C; returns the list of mismatches (empty if none). */
function compare(
  headers: readonly string[],
  consts: ReadonlyMap<string, number | bigint>,
  opts: {
    defines?: readonly string[];
    expr?: (name: string) => string;
    optionalMacros?: ReadonlySet<string>;
  } = {},
): string[] {
  const exprs = new Map([...consts.keys()].map((n) => [n, opts.expr?.(n) ?? n]));
  const c = cValues(headers, exprs, opts);
  const bad: string[] = [];
  for (const [name, v] of consts) {
    const cv = c.get(name);
    if (cv === undefined) {
      if (!opts.optionalMacros?.has(name)) bad.push(`${name}: missing from C output`);
      continue;
    }
    if (BigInt(v) !== cv) bad.push(`${name}: abi has ${v}, C has ${cv}`);
    checked.add(name);
    compared++;
  }
  return bad;
}

function pick(
  mod: Consts,
  filter: (name: string) => boolean = () => true,
): Map<string, number | bigint> {
  return new Map([...numericExports(mod)].filter(([n]) => filter(n)));
}

/** Constant modules generated from headers, with the headers that define them. */
const FAMILIES: [string, Consts, string[], string[]?][] = [
  [
    "fcntl",
    fcntl,
    [
      "fcntl.h",
      "unistd.h",
      "stdio.h",
      "sys/stat.h",
      "sys/uio.h",
      "linux/openat2.h",
      "linux/falloc.h",
      "linux/close_range.h",
    ],
  ],
  ["stat", stat, ["sys/stat.h", "dirent.h", "linux/stat.h"]],
  ["mman", mman, ["sys/mman.h", "linux/mman.h"]],
  ["sched", sched, ["linux/sched.h"]],
  ["wait", wait, ["sys/wait.h"]],
  ["poll", poll, ["poll.h"]],
  ["epoll", epoll, ["sys/epoll.h"]],
  ["futex", futex, ["linux/futex.h"]],
  ["prctl", prctl, ["sys/prctl.h", "asm/prctl.h"]],
  ["resource", resource, ["sys/resource.h"]],
  ["time", time, ["time.h", "sys/time.h", "sys/timerfd.h"]],
  ["eventfd", eventfd, ["sys/eventfd.h", "sys/signalfd.h", "sys/inotify.h", "sys/random.h"]],
  ["socket", socket, ["sys/socket.h", "netinet/in.h", "sys/un.h", "netinet/tcp.h"]],
  ["ioctl", ioctl, ["asm/termbits.h", "asm/ioctls.h", "linux/serial.h"], []],
  ["termios", termios, ["asm/termbits.h"], []],
  ["elf", elf, ["elf.h"]],
  ["ptrace", ptrace, ["sys/ptrace.h"]],
  ["mount", mount, ["sys/mount.h", "sys/statvfs.h", "linux/magic.h"]],
  ["xattr", xattr, ["sys/xattr.h"]],
  ["rseq", rseq, ["linux/rseq.h"], []],
  ["limits", limits, ["sys/user.h", "linux/limits.h", "linux/binfmts.h"], []],
  ["seccomp", seccomp, ["linux/seccomp.h", "linux/filter.h", "linux/audit.h"], []],
  ["capability", capability, ["linux/capability.h"], []],
  [
    "ipc",
    ipc,
    ["sys/ipc.h", "sys/shm.h", "sys/select.h", "sys/personality.h", "linux/membarrier.h"],
  ],
];

/** signal.ts names that come from the kernel's <asm/signal.h>, not glibc's. */
const KERNEL_SIGNAL = new Set([
  "SIGRTMIN",
  "SA_RESTORER",
  "MINSIGSTKSZ",
  "SIGSTKSZ",
  "SA_UNSUPPORTED",
  "SA_EXPOSE_TAGBITS",
  "SS_AUTODISARM",
  "SS_FLAG_BITS",
]);

/** siginfo.ts names that come from the kernel's <asm/siginfo.h>, not glibc's. */
const KERNEL_SIGINFO = new Set([
  "NSIGILL",
  "NSIGFPE",
  "NSIGSEGV",
  "NSIGBUS",
  "TRAP_PERF",
  "NSIGTRAP",
  "NSIGCHLD",
  "NSIGPOLL",
  "SYS_SECCOMP",
  "SYS_USER_DISPATCH",
  "NSIGSYS",
]);

describe("constants match the host's C headers", () => {
  it.each(FAMILIES)("%s", (_name, mod, headers, defines) => {
    const consts = pick(mod);
    expect(consts.size).toBeGreaterThan(0);
    expect(compare(headers, consts, { defines })).toEqual([]);
  });

  it("siginfo (glibc <signal.h>)", () => {
    const consts = pick(siginfo, (n) => !KERNEL_SIGINFO.has(n));
    expect(consts.get("SEGV_MAPERR")).toBe(1);
    expect(compare(["signal.h"], consts)).toEqual([]);
  });

  it("siginfo (kernel <asm/siginfo.h>)", () => {
    const consts = pick(siginfo, (n) => KERNEL_SIGINFO.has(n));
    expect(consts.size).toBe(KERNEL_SIGINFO.size);
    expect(compare(["asm/siginfo.h"], consts, { defines: [] })).toEqual([]);
  });

  it("signal (glibc <signal.h>)", () => {
    const consts = pick(signal, (n) => !KERNEL_SIGNAL.has(n));
    expect(consts.get("SIGSEGV")).toBe(11);
    expect(compare(["signal.h"], consts)).toEqual([]);
  });

  it("signal (kernel <asm/signal.h>)", () => {
    const consts = pick(signal, (n) => KERNEL_SIGNAL.has(n));
    expect(consts.size).toBe(KERNEL_SIGNAL.size);
    expect(compare(["asm/signal.h", "linux/signal.h"], consts, { defines: [] })).toEqual([]);
  });

  it("signal-table (SIG_DFL, SIG_IGN, SIG_ERR, SIGRTMAX, _NSIG)", () => {
    // glibc: __SIGRTMAX is the kernel's 64 and _NSIG is one more (65).
    const expr: Record<string, string> = {
      SIG_DFL: "(long)SIG_DFL",
      SIG_IGN: "(long)SIG_IGN",
      SIG_ERR: "(long)SIG_ERR",
      SIGRTMAX: "__SIGRTMAX",
      _NSIG: "(_NSIG - 1)",
    };
    const consts = pick(signalTable);
    expect([...consts.keys()].sort()).toEqual(Object.keys(expr).sort());
    expect(compare(["signal.h"], consts, { expr: (n) => expr[n]! })).toEqual([]);
  });

  it("errno (<errno.h>)", () => {
    const consts = pick(errno, (n) => !(n in KERNEL_FACTS) && n !== "MAX_ERRNO_VALUE");
    expect(consts.size).toBeGreaterThanOrEqual(133);
    expect(compare(["errno.h"], consts)).toEqual([]);
    expect(
      compare(
        ["errno.h"],
        pick(errno, (n) => n === "MAX_ERRNO_VALUE"),
        { expr: () => "EHWPOISON" },
      ),
    ).toEqual([]);
  });

  it("errno strerror() texts match glibc", () => {
    const values = [0, ...numericExports(errno).values(), 134, 200, 4000].map(Number);
    const src = [
      "#include <stdio.h>",
      "#include <string.h>",
      "int main(void) {",
      ...values.map((v) => `  printf("%d\\t%s\\n", ${v}, strerror(${v}));`),
      "  return 0;",
      "}",
    ].join("\n");
    const bad: string[] = [];
    let n = 0;
    for (const line of runC(src).trim().split("\n")) {
      const [v, text] = line.split("\t");
      // Kernel-internal codes have no glibc text; glibc says "Unknown error N".
      if (abi.strerror(Number(v)) !== text)
        bad.push(
          `${abi.errnoName(Number(v)) ?? v}: abi "${abi.strerror(Number(v))}", glibc "${text}"`,
        );
      n++;
    }
    expect(n).toBe(values.length);
    expect(bad).toEqual([]);
  });

  it("signal names match glibc's sigabbrev_np(), ELFMAG matches <elf.h>", () => {
    const src = [
      "#define _GNU_SOURCE",
      "#include <elf.h>",
      "#include <signal.h>",
      "#include <stdio.h>",
      "#include <string.h>",
      "int main(void) {",
      '  for (int s = 1; s < 32; s++) printf("%d %s\\n", s, sigabbrev_np(s));',
      '  for (int i = 0; i < SELFMAG; i++) printf("mag %d\\n", (unsigned char)ELFMAG[i]);',
      "  return 0;",
      "}",
    ].join("\n");
    const mag: number[] = [];
    const bad: string[] = [];
    for (const line of runC(src).trim().split("\n")) {
      const [a, b] = line.split(" ");
      if (a === "mag") mag.push(Number(b));
      // glibc names 29 SIGPOLL; abi uses the kernel's (and strace's) SIGIO.
      else if (
        abi.signalName(Number(a)) !== `SIG${b}` &&
        !(b === "POLL" && Number(a) === abi.SIGPOLL)
      )
        bad.push(`${a}: abi ${abi.signalName(Number(a))}, glibc SIG${b}`);
    }
    expect(bad).toEqual([]);
    expect(mag).toEqual([...abi.ELFMAG]);
  });

  it("syscalls (<asm/unistd_64.h>)", () => {
    const consts = pick(syscalls, (n) => n.startsWith("SYS_"));
    // Syscalls newer than the host headers may be absent from them.
    const optional = new Set([...consts].filter(([, v]) => Number(v) >= 451).map(([n]) => n));
    expect(
      compare(["asm/unistd_64.h"], consts, {
        defines: [],
        expr: (n) => `__NR_${n.slice(4)}`,
        optionalMacros: optional,
      }),
    ).toEqual([]);
    // Completeness: every __NR_ of the header is in the table, by the same name.
    const header = readFileSync("/usr/include/x86_64-linux-gnu/asm/unistd_64.h", "utf8");
    const missing: string[] = [];
    let n = 0;
    for (const m of header.matchAll(/^#define __NR_(\w+)\s+(\d+)\s*$/gm)) {
      n++;
      if (abi.syscallName(Number(m[2])) !== m[1]) missing.push(`${m[1]}=${m[2]}`);
      if (abi.syscallNumber(m[1]!) !== Number(m[2])) missing.push(`${m[1]} lookup`);
    }
    expect(n).toBeGreaterThanOrEqual(362);
    expect(missing).toEqual([]);
  });

  it("kernel-only facts", () => {
    const all = abi as unknown as Consts;
    for (const [name, [value]] of Object.entries(KERNEL_FACTS)) {
      expect(all[name], name).toBe(value);
      checked.add(name);
    }
  });
});

/** Constants that live with the structs, and the headers that define them. */
const STRUCT_CONSTS: [string[], string[], Record<string, string>][] = [
  [
    ["asm/signal.h", "asm/sigcontext.h", "asm/ucontext.h"],
    [],
    {
      UC_FP_XSTATE: "UC_FP_XSTATE",
      UC_SIGCONTEXT_SS: "UC_SIGCONTEXT_SS",
      UC_STRICT_RESTORE_SS: "UC_STRICT_RESTORE_SS",
    },
  ],
  [
    ["asm/sigcontext.h"],
    [],
    {
      FP_XSTATE_MAGIC1: "FP_XSTATE_MAGIC1",
      FP_XSTATE_MAGIC2: "FP_XSTATE_MAGIC2",
      FP_XSTATE_MAGIC2_SIZE: "FP_XSTATE_MAGIC2_SIZE",
    },
  ],
  [
    ["linux/sched.h"],
    [],
    {
      CLONE_ARGS_SIZE_VER0: "CLONE_ARGS_SIZE_VER0",
      CLONE_ARGS_SIZE_VER1: "CLONE_ARGS_SIZE_VER1",
      CLONE_ARGS_SIZE_VER2: "CLONE_ARGS_SIZE_VER2",
    },
  ],
  [["linux/uio.h"], [], { UIO_MAXIOV: "UIO_MAXIOV" }],
  [["linux/un.h"], [], { UNIX_PATH_MAX: "UNIX_PATH_MAX" }],
  [["asm/termbits.h"], [], { KERNEL_NCCS: "NCCS" }],
  [["linux/sysinfo.h"], [], { SI_LOAD_SHIFT: "SI_LOAD_SHIFT" }],
  [["sys/resource.h"], ["_GNU_SOURCE"], { RLIM_INFINITY: "RLIM_INFINITY" }],
  [
    ["sys/utsname.h"],
    ["_GNU_SOURCE"],
    { UTSNAME_FIELD_LEN: "sizeof(((struct utsname *)0)->sysname)" },
  ],
  [
    ["dirent.h"],
    ["_GNU_SOURCE"],
    { LINUX_DIRENT64_HEADER_SIZE: "offsetof(struct dirent64, d_name)" },
  ],
];

const IOC_NAMES = [
  "_IOC_NRBITS",
  "_IOC_TYPEBITS",
  "_IOC_SIZEBITS",
  "_IOC_DIRBITS",
  "_IOC_NRSHIFT",
  "_IOC_TYPESHIFT",
  "_IOC_SIZESHIFT",
  "_IOC_DIRSHIFT",
  "_IOC_NONE",
  "_IOC_WRITE",
  "_IOC_READ",
];
STRUCT_CONSTS.push(
  [["asm/ioctl.h"], [], Object.fromEntries(IOC_NAMES.map((n) => [n, n]))],
  [["sys/wait.h"], ["_GNU_SOURCE"], { WCOREFLAG: "WCOREFLAG", W_CONTINUED: "__W_CONTINUED" }],
);

/** Function-like C macros vs abi's functions: [label, headers, C expression, abi value]. */
function macroCases(): [string, string[], string, number | boolean][] {
  const cases: [string, string[], string, number | boolean][] = [];
  const ioc: [string, string, number][] = [
    ["TCGETS2", "_IOR('T', 0x2A, struct termios2)", abi._IOR(0x54, 0x2a, abi.TERMIOS2_SIZE)],
    ["TCSETS2", "_IOW('T', 0x2B, struct termios2)", abi._IOW(0x54, 0x2b, abi.TERMIOS2_SIZE)],
    ["TIOCGPTN", "_IOR('T', 0x30, unsigned int)", abi._IOR(0x54, 0x30, 4)],
    ["_IO", "_IO('T', 0x5f)", abi._IO(0x54, 0x5f)],
    ["_IOWR", "_IOWR(0xAE, 0x05, struct termios2)", abi._IOWR(0xae, 0x05, abi.TERMIOS2_SIZE)],
    ["_IOC_DIR", "_IOC_DIR(TCGETS2)", abi._IOC_DIR(abi.TCGETS2)],
    ["_IOC_TYPE", "_IOC_TYPE(TCGETS2)", abi._IOC_TYPE(abi.TCGETS2)],
    ["_IOC_NR", "_IOC_NR(TCGETS2)", abi._IOC_NR(abi.TCGETS2)],
    ["_IOC_SIZE", "_IOC_SIZE(TCGETS2)", abi._IOC_SIZE(abi.TCGETS2)],
  ];
  for (const [l, e, v] of ioc) cases.push([l, ["asm/termbits.h", "asm/ioctls.h"], e, v]);
  const statuses = [0, 0x100, 0xff00, 0x9, 0x89, 0x7f, 0x137f, 0x5857f, 0xffff, 0x8b];
  for (const st of statuses) {
    const w = (m: string, v: number | boolean) =>
      cases.push([`${m}(${st})`, ["sys/wait.h"], `${m}(${st})`, v]);
    w("WIFEXITED", abi.WIFEXITED(st));
    w("WEXITSTATUS", abi.WEXITSTATUS(st));
    w("WIFSIGNALED", abi.WIFSIGNALED(st));
    w("WTERMSIG", abi.WTERMSIG(st));
    w("WIFSTOPPED", abi.WIFSTOPPED(st));
    w("WSTOPSIG", abi.WSTOPSIG(st));
    w("WIFCONTINUED", abi.WIFCONTINUED(st));
    w("WCOREDUMP", abi.WCOREDUMP(st));
  }
  for (const [r, sg] of [
    [0, 0],
    [3, 0],
    [255, 0],
    [0, 9],
  ] as const) {
    cases.push([
      `W_EXITCODE(${r},${sg})`,
      ["sys/wait.h"],
      `W_EXITCODE(${r}, ${sg})`,
      abi.W_EXITCODE(r, sg),
    ]);
  }
  cases.push(["W_STOPCODE(19)", ["sys/wait.h"], "W_STOPCODE(19)", abi.W_STOPCODE(19)]);
  for (const [ma, mi] of [
    [0, 0],
    [8, 1],
    [136, 3],
    [4095, 0xfffff],
    [4096, 256],
    [0x1fffff, 0xffffffff],
  ] as const) {
    const dev = abi.makedev(ma, mi);
    cases.push([`makedev(${ma},${mi})`, ["sys/sysmacros.h"], `makedev(${ma}u, ${mi}u)`, dev]);
    cases.push([
      `major(makedev(${ma},${mi}))`,
      ["sys/sysmacros.h"],
      `major(makedev(${ma}u, ${mi}u))`,
      abi.major(dev),
    ]);
    cases.push([
      `minor(makedev(${ma},${mi}))`,
      ["sys/sysmacros.h"],
      `minor(makedev(${ma}u, ${mi}u))`,
      abi.minor(dev),
    ]);
  }
  const bpf: [string, number][] = [
    [
      "BPF_STMT(BPF_LD|BPF_W|BPF_ABS, 4)",
      abi.BPF_STMT(abi.BPF_LD | abi.BPF_W | abi.BPF_ABS, 4).code,
    ],
    [
      "BPF_JUMP(BPF_JMP|BPF_JEQ|BPF_K, 0xc000003e, 1, 2)",
      abi.BPF_JUMP(abi.BPF_JMP | abi.BPF_JEQ | abi.BPF_K, 0xc000003e, 1, 2).k,
    ],
  ];
  cases.push(
    [
      "BPF_STMT.code",
      ["linux/filter.h"],
      "((struct sock_filter)BPF_STMT(BPF_LD|BPF_W|BPF_ABS, 4)).code",
      bpf[0]![1],
    ],
    [
      "BPF_JUMP.k",
      ["linux/filter.h"],
      "((struct sock_filter)BPF_JUMP(BPF_JMP|BPF_JEQ|BPF_K, 0xc000003e, 1, 2)).k",
      bpf[1]![1],
    ],
    [
      "BPF_JUMP.jf",
      ["linux/filter.h"],
      "((struct sock_filter)BPF_JUMP(BPF_JMP|BPF_JEQ|BPF_K, 0xc000003e, 1, 2)).jf",
      2,
    ],
  );
  const fops: [string, number, number, number, number][] = [
    ["FUTEX_OP_ADD", abi.FUTEX_OP_ADD, 1, abi.FUTEX_OP_CMP_GT, 0],
    [
      "FUTEX_OP_SET|SHIFT",
      abi.FUTEX_OP_SET | abi.FUTEX_OP_OPARG_SHIFT,
      31,
      abi.FUTEX_OP_CMP_EQ,
      0xfff,
    ],
    ["FUTEX_OP_XOR", abi.FUTEX_OP_XOR, 0x800, abi.FUTEX_OP_CMP_GE, 0x7ff],
  ];
  for (const [l, op, oparg, cmp, cmparg] of fops) {
    cases.push([
      `FUTEX_OP(${l})`,
      ["linux/futex.h"],
      `(unsigned)FUTEX_OP(${op}, ${oparg}, ${cmp}, ${cmparg})`,
      abi.FUTEX_OP(op, oparg, cmp, cmparg),
    ]);
  }
  for (const n of [0, 1, 4, 8, 12, 13, 24]) {
    const fns: [string, (len: number) => number][] = [
      ["CMSG_ALIGN", abi.CMSG_ALIGN],
      ["CMSG_LEN", abi.CMSG_LEN],
      ["CMSG_SPACE", abi.CMSG_SPACE],
    ];
    for (const [m, f] of fns) cases.push([`${m}(${n})`, ["sys/socket.h"], `${m}(${n})`, f(n)]);
  }
  return cases;
}

/** Values derived from other exports, asserted by relation rather than against C. */
const DERIVED: Record<string, () => boolean> = {
  SYSCALL_TABLE_SIZE: () => abi.SYSCALL_TABLE_SIZE === abi.SYSCALL_NAMES.length,
  RLIM_INFINITY_NUMBER: () => abi.RLIM_INFINITY_NUMBER === Number.POSITIVE_INFINITY,
  MAX_ERRNO_VALUE: () => abi.MAX_ERRNO_VALUE === abi.EHWPOISON,
  // d_name's offset is C-checked against the man page's struct in struct-specs.ts.
  LINUX_DIRENT_HEADER_SIZE: () => abi.LINUX_DIRENT_HEADER_SIZE === abi.LINUX_DIRENT_OFFSETS.d_name,
};

/** 0x0010203040506070 + i * 0x0000010101010101: distinct per field, below 2^53. */
function pattern(i: number): bigint {
  return 0x0010203040506070n + BigInt(i) * 0x0000010101010101n;
}

function getPath(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const k of path.split(".")) v = (v as Record<string, unknown>)[k];
  return v;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

/** Runs one C program for a struct spec; returns a list of mismatches. */
function checkStruct(spec: StructSpec): string[] {
  const bad: string[] = [];
  const lines = [
    cPreamble(spec.headers, spec.defines),
    "#include <stdint.h>",
    spec.prelude ?? "",
    'static void dump(const void *p, size_t n) { const unsigned char *b = p; printf("bytes "); for (size_t i = 0; i < n; i++) printf("%02x", b[i]); printf("\\n"); }',
    "int main(void) {",
    `  printf("size %zu\\n", sizeof(${spec.ctype}));`,
  ];
  for (const k of Object.keys(spec.offsets)) {
    const m = spec.cMember?.[k] ?? k;
    lines.push(`  printf("off %s %zu\\n", ${cStr(k)}, offsetof(${spec.ctype}, ${m}));`);
  }
  const fields = spec.cross?.fields ?? [];
  if (spec.cross) {
    lines.push(`  ${spec.ctype} x; memset(&x, 0, sizeof x);`);
    fields.forEach(([, c], i) => {
      lines.push(`  x.${c} = (__typeof__(x.${c}))(${pattern(i)}ULL);`);
    });
    for (const [p, c, e] of fields) {
      const ex = e ?? `x.${c}`;
      lines.push(
        `  if ((${ex}) < 0) printf("val %s %lld\\n", ${cStr(p)}, (long long)(${ex})); else printf("val %s %llu\\n", ${cStr(p)}, (unsigned long long)(${ex}));`,
      );
    }
    lines.push("  dump(&x, sizeof x);");
  }
  lines.push("  return 0;", "}");
  const out = runC(lines.join("\n")).trim().split("\n");
  const vals = new Map<string, bigint>();
  let bytes: Uint8Array | undefined;
  for (const line of out) {
    const parts = line.split(" ");
    if (parts[0] === "size") {
      if (spec.size !== undefined && BigInt(spec.size) !== BigInt(parts[1]!)) {
        bad.push(`${spec.name}: sizeof ${spec.size} in abi, ${parts[1]} in C`);
      }
    } else if (parts[0] === "off") {
      const mine = spec.offsets[parts[1]!];
      if (mine !== Number(parts[2]))
        bad.push(`${spec.name}.${parts[1]}: offset ${mine} in abi, ${parts[2]} in C`);
      else compared++;
    } else if (parts[0] === "val") {
      vals.set(parts[1]!, BigInt(parts[2]!));
    } else if (parts[0] === "bytes") {
      bytes = Uint8Array.from(Buffer.from(parts[1]!, "hex"));
    }
  }
  if (spec.cross && bytes) {
    const decoded = spec.cross.decode(new DataView(bytes.buffer), 0);
    for (const [p] of fields) {
      const got = getPath(decoded, p);
      const want = vals.get(p);
      if (typeof got !== "number" && typeof got !== "bigint")
        bad.push(`${spec.name}.${p}: decoded ${String(got)}`);
      else if (BigInt(got) !== want)
        bad.push(`${spec.name}.${p}: decoded ${got}, C stored ${want}`);
    }
    const again = new Uint8Array(bytes.length);
    spec.cross.encode(new DataView(again.buffer), 0, decoded as never);
    if (hex(again) !== hex(bytes))
      bad.push(`${spec.name}: re-encoded bytes differ\n  C:   ${hex(bytes)}\n  abi: ${hex(again)}`);
  }
  return bad;
}

describe("struct layouts match the host's C headers", () => {
  it.each(STRUCTS.map((s) => [s.name, s] as const))("%s", (_name, spec) => {
    expect(checkStruct(spec)).toEqual([]);
    if (spec.sizeName) checked.add(spec.sizeName);
  });

  it.each(STRUCT_CONSTS.map((c) => [Object.keys(c[2]).join(", "), c] as const))(
    "constants %s",
    (_n, [headers, defines, exprs]) => {
      const all = abi as unknown as Consts;
      const consts = new Map(Object.keys(exprs).map((n) => [n, all[n] as number | bigint]));
      expect(compare(headers, consts, { defines, expr: (n) => exprs[n]! })).toEqual([]);
    },
  );

  it("function-like macros (_IOC, W*, makedev, CMSG_*) agree with C", () => {
    const cases = macroCases();
    const byHeaders = new Map<string, [string, string, number | boolean][]>();
    for (const [label, headers, e, v] of cases) {
      const k = headers.join(",");
      byHeaders.set(k, [...(byHeaders.get(k) ?? []), [label, e, v]]);
    }
    const bad: string[] = [];
    for (const [k, list] of byHeaders) {
      const c = cValues(k.split(","), new Map(list.map(([l, e]) => [l, `(long long)(${e})`])));
      for (const [label, , v] of list) {
        const want = c.get(label);
        const got = typeof v === "boolean" ? BigInt(v ? 1 : 0) : BigInt(v);
        const cw =
          typeof v === "boolean" && want !== undefined ? BigInt(want !== 0n ? 1 : 0) : want;
        if (cw !== got) bad.push(`${label}: abi ${v}, C ${want}`);
      }
    }
    expect(cases.length).toBeGreaterThan(100);
    expect(bad).toEqual([]);
  });

  it("fd_set bits are where glibc's FD_SET puts them", () => {
    const fds = [0, 3, 63, 64, 65, 700, 1023];
    const src = [
      "#include <stdio.h>",
      "#include <sys/select.h>",
      "int main(void) {",
      "  fd_set s; FD_ZERO(&s);",
      ...fds.map((fd) => `  FD_SET(${fd}, &s);`),
      "  const unsigned char *b = (const unsigned char *)&s;",
      '  for (unsigned i = 0; i < sizeof s; i++) printf("%02x", b[i]);',
      "  return 0;",
      "}",
    ].join("\n");
    const c = Uint8Array.from(Buffer.from(runC(src).trim(), "hex"));
    const mine = new Uint8Array(abi.FD_SET_SIZE).fill(0xff);
    const dv = new DataView(mine.buffer);
    abi.FD_ZERO(dv, 0);
    for (const fd of fds) abi.FD_SET(fd, dv, 0);
    expect(Buffer.from(mine)).toEqual(Buffer.from(c));
    const cdv = new DataView(c.buffer);
    for (let fd = 0; fd < 1024; fd++)
      expect(abi.FD_ISSET(fd, cdv, 0), `fd ${fd}`).toBe(fds.includes(fd));
    abi.FD_CLR(700, dv, 0);
    expect(abi.FD_ISSET(700, dv, 0)).toBe(false);
    expect(abi.fdSetBytes(1)).toBe(8);
    expect(abi.fdSetBytes(64)).toBe(8);
    expect(abi.fdSetBytes(65)).toBe(16);
  });

  it("derived values", () => {
    for (const [name, ok] of Object.entries(DERIVED)) {
      expect(ok(), name).toBe(true);
      checked.add(name);
    }
  });
});

describe("header check coverage", () => {
  afterAll(() => {
    console.log(
      `headers.test: compared ${compared} constants and struct offsets with the host's C headers`,
    );
  });

  it("compared at least 1000 constants", () => {
    expect(compared).toBeGreaterThanOrEqual(1000);
  });

  it("every numeric export of @tsvisor/abi was checked", () => {
    const unchecked = [...numericExports(abi as unknown as Consts).keys()].filter(
      (n) => !checked.has(n),
    );
    expect(unchecked).toEqual([]);
  });
});
