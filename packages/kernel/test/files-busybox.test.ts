/**
 * busybox (static) file tools under tsvisor vs natively: the file syscalls
 * as real programs use them (ls, cat, sort, wc, cp, mv, rm, mkdir, find,
 * pipes through sh).
 */
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { availablePlatforms, runInSandbox, runNative } from "./helpers.js";

const BUSYBOX = "/bin/busybox";
const platforms = existsSync(BUSYBOX) ? await availablePlatforms() : [];

/** `busybox sh -c SCRIPT`, where every tool is named as `busybox TOOL` (no /proc/self/exe needed). */
function sh(script: string): string[] {
  return [BUSYBOX, "sh", "-c", script.replace(/\bbb\b/g, BUSYBOX)];
}

const cases: { name: string; argv: string[] }[] = [
  {
    name: "ls -la of a host directory",
    argv: [BUSYBOX, "ls", "-la", "--color=never", "/usr/include/linux/netfilter"],
  },
  { name: "cat | sort | wc through sh pipes", argv: sh("bb cat /etc/passwd | bb sort | bb wc -l") },
  { name: "echo | wc -c", argv: sh("echo hi | bb wc -c") },
  {
    name: "file tools in /tmp",
    argv: sh(
      "cd /tmp && bb mkdir -p a/b/c && echo one > a/f && bb cp a/f a/b/g && bb mv a/b/g a/b/c/h && bb ln -s ../f a/b/l && bb cat a/b/l a/b/c/h && bb find a | bb sort && bb ls -A a | bb wc -l && bb rm -r a && bb ls a",
    ),
  },
  {
    name: "redirections and errors",
    argv: sh(
      "bb cat /nonexistent; echo status $?; bb ls /etc/passwd/x 2>&1; echo x > /tmp/y && bb cat < /tmp/y; bb rmdir /etc; echo $?",
    ),
  },
  {
    name: "stat, touch, chmod, du, head, tail, od on files",
    argv: sh(
      "cd /tmp && bb seq 1 2000 > n && bb head -n 3 n && bb tail -c 10 n && bb chmod 600 n && bb stat -c '%a %s %F' n && bb touch -d '2001-02-03 04:05:06' n && bb stat -c %Y n && bb dd if=n bs=100 skip=3 count=2 2>/dev/null | bb od -c | bb head -n 2 && bb rm n",
    ),
  },
];

describe.each(platforms.map((p) => ({ name: p.name, p })))("busybox on $name", ({ p }) => {
  it.each(cases)("$name", async ({ argv }) => {
    const native = runNative(argv, { PATH: "/bin:/usr/bin" });
    const ours = await runInSandbox(p, argv, { env: ["PATH=/bin:/usr/bin"], stdin: "" });
    expect(ours.stdout).toBe(native.stdout);
    expect(ours.stderr).toBe(native.stderr);
    expect(ours.status).toBe(native.status);
  });
});

it.skipIf(platforms.length > 0)("busybox cases need /bin/busybox and a platform", () => {
  // Reached only when the cases above could not run: say which part is missing.
  expect(existsSync(BUSYBOX) && platforms.length > 0).toBe(false);
});
