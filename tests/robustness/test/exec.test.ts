/**
 * Hostile execve(2)/execveat(2): programs/exec_hostile.c makes every call
 * natively and under tsvisor on each platform, and the outputs must match
 * line for line: the errno of each failing call (E2BIG, EFAULT, ENOENT,
 * EACCES, ENOEXEC, ELOOP, ...), what the exec'd program (programs/exec_child.c)
 * saw after each successful one (argc, argv, envc; argv NULL gives argc 1 and
 * argv[0] "" on Linux >= 5.18), how a child ended, and "memory intact: yes"
 * (the caller's stack, heap and mappings survive every failed exec).
 *
 * The sandbox runs in this process through the kernel API (from source, so
 * no package needs building), with the program's stdout in a file.
 */
import { execFile } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createSandbox } from "@tsvisor/kernel";
import { loadPlatform } from "@tsvisor/platform";
import { defaultRoot } from "@tsvisor/vfs";
import { beforeAll, describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const programs = join(here, "..", "programs");

/** Runs a host command; resolves with its exit code and output. */
function host(
  file: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(file, args, { encoding: "utf8", maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : -1;
      res({ code, stdout, stderr });
    });
  });
}

/** Whether platform `name` can run here. */
async function available(name: string): Promise<boolean> {
  try {
    const provider = await loadPlatform(name, (s) => import(s));
    return provider.probe().ok;
  } catch {
    return false;
  }
}

const PLATFORMS = ["ptrace", "kvm"] as const;
const usable = new Map<string, boolean>();
for (const p of PLATFORMS) usable.set(p, await available(p));

let work = "";
let hostile = "";
let child = "";
let native = "";
/** exec_hostile's arguments: DIR CHILD NOINTERP TEXTINTERP DIRINTERP. */
let args: string[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "tsvisor-exec-"));
  hostile = join(work, "exec_hostile");
  child = join(work, "exec_child");
  for (const [out, src] of [
    [hostile, "exec_hostile.c"],
    [child, "exec_child.c"],
  ] as const) {
    const r = await host("gcc", ["-static", "-O1", "-o", out, join(programs, src)]);
    if (r.code !== 0) throw new Error(`gcc ${src}: ${r.stderr}`);
  }
  // Dynamic exec_child with a PT_INTERP that is missing, a shell script
  // (Debian's ldd) and a directory.
  const interps: [string, string][] = [
    ["nointerp", "/no/such/ld.so"],
    ["textinterp", "/usr/bin/ldd"],
    ["dirinterp", "/etc"],
  ];
  for (const [name, interp] of interps) {
    const src = join(programs, "exec_child.c");
    const out = join(work, name);
    const r = await host("gcc", ["-O1", `-Wl,--dynamic-linker=${interp}`, "-o", out, src]);
    if (r.code !== 0) throw new Error(`gcc ${name}: ${r.stderr}`);
  }
  args = [join(work, "files"), child, ...interps.map(([name]) => join(work, name))];
  // The sandbox runs below see the host's / under a fresh overlay, so they
  // all start without this directory too; native runs last.
  const r = await host(hostile, args);
  if (r.code !== 0) throw new Error(`exec_hostile natively: exit ${r.code}: ${r.stderr}`);
  native = r.stdout;
}, 120_000);

/** Runs exec_hostile in a sandbox on `platformName`; its exit code and stdout. */
async function sandboxed(platformName: string): Promise<{ code: number | null; stdout: string }> {
  const platform = (await loadPlatform(platformName, (s) => import(s))).create();
  const outFile = join(work, `out-${platformName}-${Date.now()}`);
  const fd = openSync(outFile, "w");
  try {
    const kernel = createSandbox({ platform, root: defaultRoot() });
    const r = await kernel.run([hostile, ...args], {
      env: ["PATH=/usr/bin:/bin"],
      cwd: work,
      stdio: [0, fd, 2],
    });
    return { code: r.status, stdout: readFileSync(outFile, "utf8") };
  } finally {
    closeSync(fd);
    platform.release();
  }
}

describe("hostile exec natively (checks the program itself)", () => {
  it("gives Linux's errnos", () => {
    const want = [
      "path NULL: EFAULT",
      "argv unmapped: EFAULT",
      "envp[1] = 0x1: EFAULT",
      "argv string of MAX_ARG_STRLEN bytes: E2BIG",
      "argv total 3 MiB (over RLIMIT_STACK/4): E2BIG",
      "argv total 384 KiB with RLIMIT_STACK 1 MiB: E2BIG",
      'path "": ENOENT',
      "directory: EACCES",
      "file without x bit: EACCES",
      "#! missing interpreter: ENOENT",
      "#! interpreter is itself: ELOOP",
      "#! chain 6 deep: exit 100",
      "missing file with argv unmapped: ENOENT",
      "text file with argv unmapped: EFAULT",
      "PT_INTERP missing: ENOENT",
      "PT_INTERP a shell script: ELIBBAD",
      "argv NULL: exit 0",
      "memory intact: yes",
    ];
    for (const line of want) expect(native.split("\n")).toContain(line);
    expect(native).toMatch(/^ {2}child argc=1 envc=1 argv\[0\]=0:\nargv NULL: exit 0$/m);
    expect(native).toMatch(/^truncated ELF \(7 bytes\): E[A-Z]+$/m);
  });
});

describe.each(PLATFORMS)("hostile exec under tsvisor on %s", (p) => {
  it.skipIf(!usable.get(p))(
    "prints what Linux prints, line for line",
    async () => {
      const r = await sandboxed(p);
      expect(r.stdout.split("\n")).toEqual(native.split("\n"));
      expect(r.code).toBe(0);
    },
    120_000,
  );
});
