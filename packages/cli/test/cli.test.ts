/**
 * The tsvisor CLI: user errors are one line and a non-zero status, exit
 * statuses are the program's (128+N after signal N), --strace prints
 * decoded calls, and `tsvisor syscalls` prints the coverage table.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT_NOT_FOUND, EXIT_TSVISOR_ERROR, main } from "../src/main.js";

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

  it("a missing program is exit 127 with strerror text", async () => {
    if (!(await ptraceOk())) return;
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
  it("returns the program's status, 128+N after signal N, and straces", async () => {
    if (!(await ptraceOk())) return;
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
  });
});
