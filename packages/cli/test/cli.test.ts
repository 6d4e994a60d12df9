/**
 * The tsvisor CLI: user errors are one line and a non-zero status, exit
 * statuses are the program's (128+N after signal N), --strace prints
 * decoded calls, and `tsvisor syscalls` prints the coverage table.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { EXIT_CANNOT_EXECUTE, EXIT_NOT_FOUND, EXIT_TSVISOR_ERROR, main } from "../src/main.js";
import { SignalForwarder } from "../src/signals.js";

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(args, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

/** Whether the ptrace platform can run here (built and allowed). */
async function ptraceOk(): Promise<boolean> {
  try {
    const m = (await import("@tsvisor/platform-ptrace")) as {
      default: { probe(): { ok: boolean } };
    };
    return m.default.probe().ok;
  } catch {
    return false;
  }
}

/** Whether the KVM platform can run here (built, /dev/kvm usable). */
async function kvmOk(): Promise<boolean> {
  try {
    const m = (await import("@tsvisor/platform-kvm")) as {
      default: { probe(): { ok: boolean } };
    };
    return m.default.probe().ok;
  } catch {
    return false;
  }
}

const PTRACE = await ptraceOk();
const KVM = await kvmOk();

const dir = mkdtempSync(join(tmpdir(), "tsvisor-cli-test-"));
function compile(name: string, src: string): string {
  writeFileSync(join(dir, `${name}.c`), src);
  execFileSync("gcc", ["-static", "-O1", "-o", join(dir, name), join(dir, `${name}.c`)]);
  return join(dir, name);
}

describe("tsvisor CLI errors", () => {
  it("an unknown option is one line and exit 125", async () => {
    const r = await cli(["run", "--bogus", "--", "/bin/true"]);
    expect(r.code).toBe(EXIT_TSVISOR_ERROR);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(/^tsvisor: unknown option/);
  });

  it("an unknown platform is one line and exit 125", async () => {
    const r = await cli(["run", "--platform", "nosuch", "--", "/bin/true"]);
    expect(r.code).toBe(EXIT_TSVISOR_ERROR);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toContain("nosuch");
  });

  it("a missing --root is one line and exit 125", async () => {
    const r = await cli(["run", "--root", "/nonexistent-root", "--", "/bin/true"]);
    expect(r.code).toBe(EXIT_TSVISOR_ERROR);
    expect(r.err).toBe("tsvisor: --root /nonexistent-root: no such directory\n");
  });

  it("a bad --volume is one line and exit 125", async () => {
    const r = await cli(["run", "--volume", "relative:/x", "--", "/bin/true"]);
    expect(r.code).toBe(EXIT_TSVISOR_ERROR);
    expect(r.err.trim().split("\n")).toHaveLength(1);
  });

  it.skipIf(!PTRACE)("a missing program is exit 127 with strerror text", async () => {
    const r = await cli(["run", "--", "/nonexistent/prog"]);
    expect(r.code).toBe(EXIT_NOT_FOUND);
    expect(r.err).toBe("tsvisor: /nonexistent/prog: No such file or directory\n");
  });

  it("run without a program is a usage error", async () => {
    const r = await cli(["run"]);
    expect(r.code).toBe(EXIT_TSVISOR_ERROR);
    expect(r.err).toMatch(/missing PROGRAM/);
  });
});

/** Asserts the shape of every user error: exit `code`, one "tsvisor:" line on stderr, no stdout. */
function expectUserError(r: { code: number; out: string; err: string }, code: number, re: RegExp) {
  expect(r.out).toBe("");
  expect(r.err).toMatch(/^tsvisor: [^\n]+\n$/);
  expect(r.err).toMatch(re);
  expect(r.err).not.toMatch(/^\s+at /m);
  expect(r.code).toBe(code);
}

describe("tsvisor user errors: one line, exit 125", () => {
  const f = join(dir, "plain-file");
  writeFileSync(f, "x");
  const cases: [string, string[], RegExp][] = [
    ["no command", [], /missing command/],
    ["an unknown command", ["frobnicate"], /unknown command 'frobnicate'/],
    ["an unknown flag", ["run", "--frob", "--", "/bin/true"], /unknown option '--frob'/],
    ["a flag without its value", ["run", "--root"], /'--root <dir>' argument missing/],
    ["--root at a file", ["run", "--root", f, "--", "/bin/true"], /--root .*: not a directory/],
    ["--root missing", ["run", "--root", "/no/such/dir", "--", "/bin/true"], /no such directory/],
    ["--volume without ':'", ["run", "--volume", "nocolon", "--", "/bin/true"], /bad volume/],
    ["--volume relative", ["run", "--volume", "rel:/x", "--", "/bin/true"], /must be absolute/],
    ["--volume bad mode", ["run", "--volume", "/tmp:/x:rx", "--", "/bin/true"], /ro or rw/],
    ["--volume too many ':'", ["run", "--volume", "/a:/b:ro:x", "--", "/bin/true"], /bad volume/],
    [
      "--volume missing host path",
      ["run", "--volume", "/no/such/dir:/x", "--", "/bin/true"],
      /host path \/no\/such\/dir does not exist/,
    ],
    [
      "--env without '='",
      ["run", "--env", "FOO", "--", "/bin/true"],
      /--env FOO: expected KEY=VALUE/,
    ],
    ["--env with an empty key", ["run", "--env", "=x", "--", "/bin/true"], /expected KEY=VALUE/],
    ["--platform unknown", ["run", "--platform", "nosuch", "--", "/bin/true"], /nosuch/],
    ["--platform not a module", ["run", "--platform", f, "--", "/bin/true"], /failed to load/],
    [
      "--kill-after garbage",
      ["run", "--kill-after", "soon", "--", "/bin/true"],
      /--kill-after soon/,
    ],
    ["--kill-after negative", ["run", "--kill-after", "-1", "--", "/bin/true"], /--kill-after -1/],
    ["--kill-after huge", ["run", "--kill-after", "1e9", "--", "/bin/true"], /--kill-after 1e9/],
    ["--memory-limit garbage", ["run", "--memory-limit", "lots", "--", "/bin/true"], /512m/],
    ["--memory-limit tiny", ["run", "--memory-limit", "100", "--", "/bin/true"], /one page/],
    ["--memory-limit huge", ["run", "--memory-limit", "99999999t", "--", "/bin/true"], /large/],
    ["--hostname too long", ["run", "--hostname", "h".repeat(65), "--", "/bin/true"], /64 bytes/],
    [
      "--cwd relative",
      ["run", "--cwd", "rel", "--", "/bin/true"],
      /--cwd rel: must be an absolute path/,
    ],
  ];
  it.each(cases)("%s", async (_name, args, re) => {
    expectUserError(await cli(args), EXIT_TSVISOR_ERROR, re);
  });

  it.skipIf(!PTRACE)("--cwd missing in the sandbox", async () => {
    const r = await cli(["run", "--cwd", "/no/such/dir", "--", "/bin/true"]);
    expectUserError(r, EXIT_TSVISOR_ERROR, /^tsvisor: --cwd \/no\/such\/dir: No such file/);
  });
});

describe("tsvisor run: a program that cannot be executed (126) or found (127)", () => {
  const d = join(dir, "progs");
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, "noexec"), "#!/bin/sh\nexit 0\n", { mode: 0o644 });
  writeFileSync(join(d, "text"), "just text\n", { mode: 0o755 });
  writeFileSync(join(d, "nointerp"), "#!/no/such/interpreter\n", { mode: 0o755 });
  writeFileSync(join(d, "truncated"), Buffer.from("\x7fELF\x02\x01\x01", "latin1"), {
    mode: 0o755,
  });
  chmodSync(join(d, "noexec"), 0o644);
  const cases: [string, string, number, RegExp][] = [
    ["a file without the x bit", join(d, "noexec"), EXIT_CANNOT_EXECUTE, /Permission denied/],
    ["a directory", d, EXIT_CANNOT_EXECUTE, /Permission denied/],
    ["a text file", join(d, "text"), EXIT_CANNOT_EXECUTE, /Exec format error/],
    ["a truncated ELF", join(d, "truncated"), EXIT_CANNOT_EXECUTE, /Exec format error/],
    ["a script without its interpreter", join(d, "nointerp"), EXIT_NOT_FOUND, /No such file/],
    ["a missing path", join(d, "nosuch"), EXIT_NOT_FOUND, /No such file/],
    ["a path through a file", join(d, "text", "x"), EXIT_CANNOT_EXECUTE, /Not a directory/],
    ["a name not in PATH", "no-such-program-anywhere", EXIT_NOT_FOUND, /No such file/],
  ];
  it.skipIf(!PTRACE).each(cases)("%s", async (_name, prog, code, re) => {
    const r = await cli(["run", "--volume", `${d}:${d}:ro`, "--", prog]);
    expectUserError(r, code, re);
    expect(r.err.startsWith(`tsvisor: ${prog}: `)).toBe(true);
  });

  it("matches env(1) natively on the same files", () => {
    // env's execvp(3) runs a file with an unknown header (ENOEXEC) with
    // /bin/sh, so the text file and the truncated ELF are shell scripts
    // there; tsvisor, like execve(2), says ENOEXEC.
    for (const [, prog, code, re] of cases) {
      if (re.source === "Exec format error" || prog.endsWith("truncated")) continue;
      let status = 0;
      try {
        execFileSync("env", [prog], { stdio: "ignore" });
      } catch (e) {
        status = (e as { status: number }).status;
      }
      expect(status, prog).toBe(code);
    }
  });
});

describe("tsvisor syscalls", () => {
  it("prints every syscall with a support level and a summary", async () => {
    const r = await cli(["syscalls"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ {2}0 {2}read +supported/m);
    expect(r.out).toMatch(/rseq +unimplemented.*\(ENOSYS\)/);
    // The support column is wide enough for its longest value.
    expect(r.out).toMatch(/^ *\d+ {2}\S+ +(supported|partial|unimplemented) +\S/m);
    expect(r.out).not.toMatch(/^ *\d+ {2}\S+ +(supported|partial|unimplemented)\S/m);
    expect(r.out).toMatch(/\n\d+ syscalls: \d+ supported, \d+ partial, \d+ unimplemented\n$/);
  });
});

describe("tsvisor run", () => {
  it.skipIf(!PTRACE)(
    "returns the program's status, 128+N after signal N, and straces",
    async () => {
      const exit7 = compile("exit7", "int main(){return 7;}");
      const vol = ["--volume", `${dir}:${dir}:ro`];
      expect((await cli(["run", ...vol, "--", exit7])).code).toBe(7);
      const segv = compile("segv", "int main(){*(volatile int*)0=1;return 0;}");
      expect((await cli(["run", ...vol, "--", segv])).code).toBe(128 + 11);
      const opener = compile(
        "opener",
        '#include <fcntl.h>\n#include <unistd.h>\nint main(){int fd=open("/nonexistent",O_RDONLY|O_CLOEXEC);return fd<0?0:1;}',
      );
      const r = await cli(["run", "--strace", ...vol, "--", opener]);
      expect(r.code).toBe(0);
      expect(r.err).toContain(
        'openat(AT_FDCWD, "/nonexistent", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)',
      );
      expect(r.err).toMatch(/exit_group\(0\) = \?/);
      expect(r.err).toMatch(/unimplemented syscalls:\n {2}rseq: 1/);
      expect(r.err).toContain("+++ exited with 0 +++");
    },
  );
});

/**
 * `tsvisor run` as a real process (the sources run through
 * test/support/register.mjs, so nothing needs building), to send it real
 * host signals.
 */
describe("tsvisor run: host SIGTERM and SIGINT", () => {
  const register = join(import.meta.dirname, "support", "register.mjs");
  const binTs = join(import.meta.dirname, "..", "src", "bin.ts");

  interface Proc {
    child: ChildProcess;
    out: string;
    err: string;
    exited: Promise<{ code: number | null; signal: string | null; at: number }>;
  }

  function start(args: string[]): Proc {
    const child = spawn(process.execPath, ["--import", register, binTs, "run", ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const p: Proc = {
      child,
      out: "",
      err: "",
      exited: new Promise((res) =>
        child.on("exit", (code, signal) => res({ code, signal, at: performance.now() })),
      ),
    };
    child.stdout!.on("data", (b: Buffer) => (p.out += b.toString()));
    child.stderr!.on("data", (b: Buffer) => (p.err += b.toString()));
    return p;
  }

  /** Resolves once the sandboxed program printed "ready" (its handlers are set). */
  async function ready(p: Proc): Promise<void> {
    const deadline = performance.now() + 30_000;
    while (!p.out.includes("ready\n")) {
      if (p.child.exitCode !== null || performance.now() > deadline)
        throw new Error(`no "ready" from the program: ${p.err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Pids of the live tsvisor-stub processes whose parent is `pid` (not zombies). */
  function stubsOf(pid: number): number[] {
    const out: number[] = [];
    for (const e of readdirSync("/proc")) {
      if (!/^\d+$/.test(e)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${e}/stat`, "latin1");
      } catch {
        continue; // exited meanwhile
      }
      // "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const [state, ppid] = stat.slice(close + 2).split(" ");
      if (comm === "tsvisor-stub" && Number(ppid) === pid && state !== "Z") out.push(Number(e));
    }
    return out;
  }

  /** Whether `pid` still runs (a zombie does not). */
  function alive(pid: number): boolean {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
      return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
    } catch {
      return false;
    }
  }

  const ignTerm = () =>
    compile(
      "ignterm",
      "#include <signal.h>\n#include <stdio.h>\n#include <unistd.h>\n" +
        'int main(){signal(SIGTERM,SIG_IGN);signal(SIGINT,SIG_IGN);puts("ready");fflush(stdout);for(;;)pause();}',
    );

  it.skipIf(!PTRACE)(
    "a program ignoring SIGTERM is killed after --kill-after: exit 137, no stub left",
    async () => {
      const prog = ignTerm();
      const p = start(["--kill-after", "1.5", "--volume", `${dir}:${dir}:ro`, "--", prog]);
      await ready(p);
      const stubs = stubsOf(p.child.pid!);
      expect(stubs.length).toBeGreaterThan(0);
      const sent = performance.now();
      p.child.kill("SIGTERM");
      const r = await p.exited;
      const took = (r.at - sent) / 1000;
      expect(r.code).toBe(128 + 9);
      expect(took).toBeGreaterThanOrEqual(1.4);
      expect(took).toBeLessThan(1.5 + 5);
      expect(p.err).toBe("tsvisor: killing the sandbox: still running 1.5s after SIGTERM\n");
      expect(stubs.filter(alive)).toEqual([]);
    },
  );

  it.skipIf(!PTRACE)("a second SIGTERM or SIGINT kills at once", async () => {
    const prog = ignTerm();
    for (const second of ["SIGTERM", "SIGINT"] as const) {
      const p = start(["--volume", `${dir}:${dir}:ro`, "--", prog]);
      await ready(p);
      const stubs = stubsOf(p.child.pid!);
      const sent = performance.now();
      p.child.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 300));
      expect(p.child.exitCode).toBeNull(); // the first one was ignored
      p.child.kill(second);
      const r = await p.exited;
      expect(r.code).toBe(137);
      expect((r.at - sent) / 1000).toBeLessThan(5); // far below the default 10 s
      expect(p.err).toBe(`tsvisor: killing the sandbox: second ${second}\n`);
      expect(stubs.filter(alive)).toEqual([]);
    }
  });

  it.skipIf(!PTRACE)("a program handling SIGTERM with exit(3) makes tsvisor exit 3", async () => {
    const prog = compile(
      "exit3onterm",
      "#include <signal.h>\n#include <stdio.h>\n#include <unistd.h>\n" +
        "static void h(int s){(void)s;_exit(3);}\n" +
        'int main(){signal(SIGTERM,h);puts("ready");fflush(stdout);for(;;)pause();}',
    );
    const p = start(["--kill-after", "1", "--volume", `${dir}:${dir}:ro`, "--", prog]);
    await ready(p);
    p.child.kill("SIGTERM");
    const r = await p.exited;
    expect(r.code).toBe(3);
    expect(p.err).toBe("");
  });

  it.skipIf(!PTRACE)("a program dying of the forwarded SIGTERM gives 128+15", async () => {
    const prog = compile(
      "defaultterm",
      '#include <stdio.h>\n#include <unistd.h>\nint main(){puts("ready");fflush(stdout);for(;;)pause();}',
    );
    const p = start(["--volume", `${dir}:${dir}:ro`, "--", prog]);
    await ready(p);
    p.child.kill("SIGTERM");
    expect((await p.exited).code).toBe(128 + 15);
  });

  it.skipIf(!PTRACE)(
    "the sandbox is released before tsvisor exits (in-process run, real SIGTERM)",
    async () => {
      // The stubs die with the Sentry anyway (PR_SET_PDEATHSIG); run in this
      // process to see that the kill itself releases them.
      const flag = join(dir, "inproc-ready");
      const prog = compile(
        "ignterm-flag",
        "#include <signal.h>\n#include <fcntl.h>\n#include <unistd.h>\n" +
          "int main(int c,char**v){(void)c;signal(SIGTERM,SIG_IGN);close(open(v[1],O_CREAT|O_WRONLY,0644));for(;;)pause();}",
      );
      const before = stubsOf(process.pid);
      const run = cli([
        "run",
        "--kill-after",
        "0.5",
        "--volume",
        `${dir}:${dir}`,
        "--",
        prog,
        flag,
      ]);
      const deadline = performance.now() + 30_000;
      while (!existsSync(flag) && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(existsSync(flag)).toBe(true);
      const during = stubsOf(process.pid).filter((s) => !before.includes(s));
      expect(during.length).toBeGreaterThan(0);
      process.kill(process.pid, "SIGTERM");
      const r = await run;
      expect(r.code).toBe(137);
      expect(r.err).toBe("tsvisor: killing the sandbox: still running 0.5s after SIGTERM\n");
      // Killed and reaped: not even a zombie is left.
      expect(during.filter((s) => existsSync(`/proc/${s}`))).toEqual([]);
    },
  );
});

/** This process's open KVM vCPU and VM fds (anon inodes). */
function kvmFds(): string[] {
  const out: string[] = [];
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const l = readlinkSync(`/proc/self/fd/${fd}`);
      if (l.startsWith("anon_inode:kvm-")) out.push(l);
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

it.skipIf(!KVM)(
  "kvm: killing the sandbox after SIGTERM closes its VM and vCPUs (in-process, real SIGTERM)",
  async () => {
    const flag = join(dir, "kvm-ready");
    const prog = compile(
      "ignterm-flag-kvm",
      "#include <signal.h>\n#include <fcntl.h>\n#include <unistd.h>\n" +
        "int main(int c,char**v){(void)c;signal(SIGTERM,SIG_IGN);close(open(v[1],O_CREAT|O_WRONLY,0644));for(;;)pause();}",
    );
    const before = kvmFds().length;
    const args = ["run", "--platform", "kvm", "--kill-after", "0.5", "--volume", `${dir}:${dir}`];
    const run = cli([...args, "--", prog, flag]);
    const deadline = performance.now() + 30_000;
    while (!existsSync(flag) && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(existsSync(flag)).toBe(true);
    expect(kvmFds().filter((l) => l.startsWith("anon_inode:kvm-vcpu")).length).toBeGreaterThan(0);
    process.kill(process.pid, "SIGTERM");
    const r = await run;
    expect(r.code).toBe(137);
    expect(kvmFds()).toHaveLength(before);
  },
);

describe("SignalForwarder", () => {
  function target() {
    const sent: string[] = [];
    return {
      sent,
      signalInit: (s: number) => sent.push(`init ${s}`),
      signalForeground: (s: number) => sent.push(`fg ${s}`),
    };
  }

  it("forwards, then kills after the grace period", () => {
    vi.useFakeTimers();
    try {
      const t = target();
      const f = new SignalForwarder(t, { killAfterMs: 1000, interactive: false });
      f.handle(1); // SIGHUP: forwarded only
      f.handle(15);
      vi.advanceTimersByTime(999);
      expect(t.sent).toEqual(["fg 1", "init 15"]);
      vi.advanceTimersByTime(1);
      expect(t.sent).toEqual(["fg 1", "init 15", "init 9"]);
      expect(f.killed).toBe(true);
      f.handle(15);
      expect(t.sent).toHaveLength(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it("SIGINT on a terminal never starts the grace period; after SIGTERM it kills", () => {
    vi.useFakeTimers();
    try {
      const t = target();
      const f = new SignalForwarder(t, { killAfterMs: 1000, interactive: true });
      f.handle(2);
      f.handle(2);
      vi.advanceTimersByTime(5000);
      expect(t.sent).toEqual(["fg 2", "fg 2"]);
      f.handle(15);
      f.handle(2);
      expect(t.sent).toEqual(["fg 2", "fg 2", "init 15", "init 9"]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("uninstall cancels a pending kill", () => {
    vi.useFakeTimers();
    try {
      const t = target();
      const f = new SignalForwarder(t, { killAfterMs: 1000, interactive: false });
      f.handle(2);
      f.uninstall();
      vi.advanceTimersByTime(5000);
      expect(t.sent).toEqual(["fg 2"]);
    } finally {
      vi.useRealTimers();
    }
  });
});
