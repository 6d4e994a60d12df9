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
import * as ioctl from "../src/ioctl.js";
import * as mman from "../src/mman.js";
import * as poll from "../src/poll.js";
import * as prctl from "../src/prctl.js";
import * as ptrace from "../src/ptrace.js";
import * as resource from "../src/resource.js";
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
import { cValues, runC } from "./cprog.js";

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
  ["siginfo", siginfo, ["signal.h"]],
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
  ["socket", socket, ["sys/socket.h", "netinet/in.h", "sys/un.h"]],
  ["ioctl", ioctl, ["asm/termbits.h", "asm/ioctls.h", "linux/serial.h"], []],
  ["termios", termios, ["asm/termbits.h"], []],
  ["elf", elf, ["elf.h"]],
  ["ptrace", ptrace, ["sys/ptrace.h"]],
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

describe("constants match the host's C headers", () => {
  it.each(FAMILIES)("%s", (_name, mod, headers, defines) => {
    const consts = pick(mod);
    expect(consts.size).toBeGreaterThan(0);
    expect(compare(headers, consts, { defines })).toEqual([]);
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

  afterAll(() => {
    console.log(`headers.test: compared ${compared} constants with the host's C headers`);
  });
});

describe("header check coverage", () => {
  it("compared at least 1000 constants", () => {
    expect(compared).toBeGreaterThanOrEqual(1000);
  });
});
