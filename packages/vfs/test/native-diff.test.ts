/**
 * Differential test: the same path operations run natively (a C program
 * chrooted into a real host tree) and through the VFS (a writable host
 * passthrough of an identical tree) must give the same results and errnos.
 * Linux is the oracle.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  chdir,
  DeviceRegistry,
  faccessat,
  FdTable,
  FsContext,
  type FsCreds,
  fstatat,
  HostFs,
  linkat,
  mkdirat,
  MountNamespace,
  openat,
  readlinkat,
  renameat2,
  symlinkat,
  truncate,
  unlinkat,
  type VfsTask,
} from "@tsvisor/vfs";

const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_REMOVEDIR = 0x200;
const O = {
  RDONLY: 0,
  WRONLY: 1,
  RDWR: 2,
  CREAT: 0o100,
  EXCL: 0o200,
  TRUNC: 0o1000,
  DIRECTORY: 0o200000,
  NOFOLLOW: 0o400000,
  PATH: 0o10000000,
};

type Op =
  | ["open", string, number]
  | ["stat", string]
  | ["lstat", string]
  | ["access", string, number]
  | ["readlink", string]
  | ["mkdir", string]
  | ["rmdir", string]
  | ["unlink", string]
  | ["rename", string, string]
  | ["renameat2", string, string, number]
  | ["link", string, string]
  | ["symlink", string, string]
  | ["truncate", string, number]
  | ["chdir", string];

const name255 = "n".repeat(255);
const name256 = "n".repeat(256);
const longPath = "d/".repeat(2100);

/** Read-only lookups, run as root and as an unprivileged user. */
const lookups: Op[] = [
  ["open", "d/f", O.RDONLY],
  ["open", "f1/", O.RDONLY],
  ["open", "d/", O.RDONLY],
  ["open", "d", O.WRONLY],
  ["open", "d", O.RDONLY | O.TRUNC],
  ["open", "l_f1", O.NOFOLLOW],
  ["open", "l_f1", O.NOFOLLOW | O.PATH],
  ["open", "l_d/f", O.RDONLY],
  ["open", "l_d/", O.NOFOLLOW | O.DIRECTORY],
  ["open", "l_d", O.NOFOLLOW | O.DIRECTORY],
  ["open", "l_dangling", O.RDONLY],
  ["open", "l_loop1", O.RDONLY],
  ["open", "l_self/x", O.RDONLY],
  ["open", "k1", O.RDONLY],
  ["open", "k0", O.RDONLY],
  ["open", "kd0/f", O.RDONLY],
  ["open", "/../../d/f", O.RDONLY],
  ["open", "l_up/f", O.RDONLY],
  ["open", "l_abs", O.RDONLY],
  ["open", "", O.RDONLY],
  ["open", "nonexist/x", O.RDONLY],
  ["open", "f1/x", O.RDONLY],
  ["open", "d/f/..", O.RDONLY],
  ["open", "d/./sub/../f", O.RDONLY],
  ["open", "d//sub///g", O.RDONLY],
  ["open", name255, O.RDONLY],
  ["open", name256, O.RDONLY],
  ["open", `d/${name256}/x`, O.RDONLY],
  ["open", longPath, O.RDONLY],
  ["open", ".", O.RDONLY | O.CREAT],
  ["open", "d/", O.RDONLY | O.CREAT],
  ["open", "newfile/", O.RDWR | O.CREAT],
  ["open", "f1", O.RDONLY | O.CREAT | O.EXCL],
  ["open", "l_f1", O.RDONLY | O.CREAT | O.EXCL],
  ["open", "l_dangling", O.RDONLY | O.CREAT | O.EXCL],
  ["open", "f1", O.DIRECTORY],
  ["open", "d", O.DIRECTORY | O.CREAT],
  ["open", "noexec/x", O.RDONLY],
  ["open", "private/secret", O.RDONLY],
  ["open", "private", O.RDONLY],
  ["open", "ro", O.WRONLY],
  ["open", "ro", O.RDONLY],
  ["open", "ro", O.RDONLY | O.TRUNC],
  ["open", "f1", O.RDWR],
  ["stat", "l_f1"],
  ["lstat", "l_f1"],
  ["stat", "l_d"],
  ["lstat", "l_d/"],
  ["stat", "l_dangling"],
  ["lstat", "l_dangling"],
  ["stat", "f1/"],
  ["stat", "l_f1/"],
  ["stat", ""],
  ["stat", "/"],
  ["stat", ".."],
  ["stat", "/.."],
  ["stat", "d/sub/../../.."],
  ["stat", "private/secret"],
  ["stat", "noexec/x"],
  ["lstat", "noexec"],
  ["access", "f1", 4],
  ["access", "ro", 2],
  ["access", "f1", 1],
  ["access", "d", 1],
  ["access", "f1", 8],
  ["access", "l_dangling", 0],
  ["access", "exe", 1],
  ["access", "private", 1],
  ["readlink", "l_f1"],
  ["readlink", "f1"],
  ["readlink", "l_d/"],
  ["readlink", "l_abs"],
  ["readlink", ""],
  ["mkdir", "nope"],
  ["mkdir", "d"],
  ["mkdir", "."],
  ["mkdir", "/"],
  ["mkdir", "f1/x"],
  ["mkdir", "nonexist/x"],
  ["rmdir", "."],
  ["rmdir", ".."],
  ["rmdir", "/"],
  ["rmdir", "d"],
  ["rmdir", "f1"],
  ["rmdir", "l_d"],
  ["unlink", "d"],
  ["unlink", "f1/"],
  ["unlink", "."],
  ["unlink", "nonexist"],
  ["unlink", "sticky/rootfile"],
  ["rename", "f1", "d"],
  ["rename", "d", "d/sub/x"],
  ["rename", "d/sub", "f1"],
  ["rename", "nothere", "y"],
  ["rename", "d", "."],
  ["rename", "f1/", "f3"],
  ["link", "d", "dl"],
  ["symlink", "x", "f1"],
  ["symlink", "", "s"],
  ["truncate", "d", 0],
  ["truncate", "l_f1", -1],
  ["truncate", "ro", 1],
  ["chdir", "f1"],
  ["chdir", "noexec"],
  ["chdir", "d"],
  ["stat", "f"],
  ["chdir", ".."],
  ["stat", "d"],
];

/** Mutations, run as root after the lookups. */
const mutations: Op[] = [
  ["mkdir", "newdir"],
  ["mkdir", "newdir2/"],
  ["stat", "newdir2"],
  ["rmdir", "newdir2/."],
  ["rmdir", "newdir"],
  ["rmdir", "newdir2/"],
  ["unlink", "l_d"],
  ["stat", "l_d"],
  ["open", "l_dangling", O.RDWR | O.CREAT],
  ["stat", "l_dangling"],
  ["lstat", "dangling_target"],
  ["rename", "f1", "f2"],
  ["rename", "f2", "f2"],
  ["stat", "f1"],
  ["stat", "f2"],
  ["rename", "emptydir", "emptydir2"],
  ["rename", "d/sub", "emptydir2"],
  ["stat", "emptydir2/g"],
  ["renameat2", "f2", "d/f", 1],
  ["renameat2", "f2", "brandnew", 1],
  ["rename", "brandnew", "f2"],
  ["link", "f2", "f2link"],
  ["link", "f2", "f2link"],
  ["link", "l_f1", "lnk"],
  ["lstat", "lnk"],
  ["stat", "f2"],
  ["symlink", "target", "newsym"],
  ["readlink", "newsym"],
  ["truncate", "f2", 3],
  ["stat", "f2"],
  ["truncate", "f2", 100000],
  ["stat", "f2"],
  ["unlink", "f2"],
  ["stat", "f2link"],
  ["open", "nd/", O.RDWR | O.CREAT],
  ["mkdir", "x/"],
  ["symlink", "x", "slash/"],
  ["rename", "x", "x/y"],
  ["rename", "x/", "x2"],
  ["stat", "x2"],
];

function buildTree(root: string): void {
  const w = (p: string, data: string, mode = 0o644) => {
    fs.writeFileSync(path.join(root, p), data);
    fs.chmodSync(path.join(root, p), mode);
  };
  const md = (p: string, mode = 0o755) => {
    fs.mkdirSync(path.join(root, p));
    fs.chmodSync(path.join(root, p), mode);
  };
  const ln = (target: string, p: string) => fs.symlinkSync(target, path.join(root, p));
  fs.chmodSync(root, 0o755);
  md("d");
  w("d/f", "hello");
  md("d/sub");
  w("d/sub/g", "g");
  w("f1", "data");
  w("ro", "readonly", 0o444);
  w("exe", "#!/bin/sh\n", 0o755);
  md("emptydir");
  md("private", 0o700);
  w("private/secret", "s", 0o600);
  md("noexec", 0o644);
  w("noexec/x", "x");
  md("sticky", 0o1777);
  w("sticky/rootfile", "r");
  ln("f1", "l_f1");
  ln("d", "l_d");
  ln("dangling_target", "l_dangling");
  ln("l_loop2", "l_loop1");
  ln("l_loop1", "l_loop2");
  ln("l_self", "l_self");
  ln("/d/f", "l_abs");
  ln("../../../../d", "l_up");
  // k0 → k1 → ... → k40 → f1: opening k1 follows 40 links, k0 follows 41.
  for (let i = 0; i < 41; i++) ln(i === 40 ? "f1" : `k${i + 1}`, `k${i}`);
  for (let i = 0; i < 41; i++) ln(i === 40 ? "d" : `kd${i + 1}`, `kd${i}`);
}

function cString(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function genC(ops: Op[]): string {
  const body = ops
    .map((op, i) => {
      const [k, a, b, c] = op;
      const A = cString(a as string);
      switch (k) {
        case "open":
          return `errno=0; r=open(${A}, ${b}, 0644); if (r>=0) { close(r); r=0; } rep(${i}, r, "");`;
        case "stat":
        case "lstat":
          return `errno=0; r=${k}(${A}, &st); if (r==0) snprintf(ex,sizeof ex,"%o %ld", st.st_mode, S_ISREG(st.st_mode)?(long)st.st_size:-1L); rep(${i}, r, r==0?ex:"");`;
        case "access":
          return `errno=0; r=access(${A}, ${b}); rep(${i}, r, "");`;
        case "readlink":
          return `errno=0; memset(ex,0,sizeof ex); r=readlink(${A}, ex, sizeof ex - 1); rep(${i}, r, r>=0?ex:"");`;
        case "mkdir":
          return `errno=0; r=mkdir(${A}, 0755); rep(${i}, r, "");`;
        case "rmdir":
          return `errno=0; r=rmdir(${A}); rep(${i}, r, "");`;
        case "unlink":
          return `errno=0; r=unlink(${A}); rep(${i}, r, "");`;
        case "rename":
          return `errno=0; r=rename(${A}, ${cString(b as string)}); rep(${i}, r, "");`;
        case "renameat2":
          return `errno=0; r=renameat2(AT_FDCWD, ${A}, AT_FDCWD, ${cString(b as string)}, ${c}); rep(${i}, r, "");`;
        case "link":
          return `errno=0; r=link(${A}, ${cString(b as string)}); rep(${i}, r, "");`;
        case "symlink":
          return `errno=0; r=symlink(${A}, ${cString(b as string)}); rep(${i}, r, "");`;
        case "truncate":
          return `errno=0; r=truncate(${A}, ${b}); rep(${i}, r, "");`;
        case "chdir":
          return `errno=0; r=chdir(${A}); rep(${i}, r, "");`;
        default:
          throw new Error(k);
      }
    })
    .join("\n  ");
  return `#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
static void rep(int i, long r, const char *ex) { printf("%d %ld %d %s\\n", i, r < 0 ? -1L : r, r < 0 ? errno : 0, ex); }
int main(int argc, char **argv) {
  if (chroot(argv[1]) != 0 || chdir("/") != 0) { perror("chroot"); return 99; }
  umask(022);
  if (argc > 2) { int id = atoi(argv[2]); if (setgroups(0, NULL) || setgid(id) || setuid(id)) { perror("setuid"); return 98; } }
  long r; struct stat st; char ex[4200];
  ${body}
  return 0;
}
`;
}

function runVfs(root: string, ops: Op[], creds: FsCreds): string {
  const host = new HostFs(root, { writable: true });
  const ns = new MountNamespace(host, DeviceRegistry.withDefaults());
  const r0 = ns.rootLocation;
  const t: VfsTask = { fs: new FsContext(r0, r0, 0o022), fdTable: new FdTable(), creds };
  const lines: string[] = [];
  const rep = (i: number, r: number, ex = "") =>
    lines.push(`${i} ${r < 0 ? -1 : r} ${r < 0 ? -r : 0} ${r >= 0 ? ex : ""}`);
  ops.forEach((op, i) => {
    const [k, a, b, c] = op;
    switch (k) {
      case "open": {
        const f = openat(t, AT_FDCWD, a, b as number, 0o644);
        if (typeof f === "number") rep(i, f);
        else {
          f.decRef();
          rep(i, 0);
        }
        break;
      }
      case "stat":
      case "lstat": {
        const st = fstatat(t, AT_FDCWD, a, k === "lstat" ? AT_SYMLINK_NOFOLLOW : 0);
        if (typeof st === "number") rep(i, st);
        else {
          const isReg = (st.mode & 0o170000) === 0o100000;
          rep(i, 0, `${st.mode.toString(8)} ${isReg ? st.size : -1}`);
        }
        break;
      }
      case "access":
        rep(i, faccessat(t, AT_FDCWD, a, b as number, 0, creds));
        break;
      case "readlink": {
        const s = readlinkat(t, AT_FDCWD, a);
        if (typeof s === "number") rep(i, s);
        else rep(i, s.length, s);
        break;
      }
      case "mkdir":
        rep(i, mkdirat(t, AT_FDCWD, a, 0o755));
        break;
      case "rmdir":
        rep(i, unlinkat(t, AT_FDCWD, a, AT_REMOVEDIR));
        break;
      case "unlink":
        rep(i, unlinkat(t, AT_FDCWD, a, 0));
        break;
      case "rename":
        rep(i, renameat2(t, AT_FDCWD, a, AT_FDCWD, b as string, 0));
        break;
      case "renameat2":
        rep(i, renameat2(t, AT_FDCWD, a, AT_FDCWD, b as string, c as number));
        break;
      case "link":
        rep(i, linkat(t, AT_FDCWD, a, AT_FDCWD, b as string, 0));
        break;
      case "symlink":
        rep(i, symlinkat(t, a, AT_FDCWD, b as string));
        break;
      case "truncate":
        rep(i, truncate(t, a, b as number));
        break;
      case "chdir":
        rep(i, chdir(t, a));
        break;
    }
  });
  return lines.join("\n");
}

let work: string;
let exe: string;
const canRun = process.getuid?.() === 0;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "vfs-diff-"));
  fs.writeFileSync(path.join(work, "prog.c"), genC([...lookups, ...mutations]));
  exe = path.join(work, "prog");
  execFileSync("gcc", ["-O0", "-o", exe, path.join(work, "prog.c")]);
});

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

function fresh(name: string): string {
  const p = path.join(work, name);
  fs.mkdirSync(p);
  buildTree(p);
  return p;
}

function native(root: string, uid?: number, count?: number): string {
  const out = execFileSync(exe, uid === undefined ? [root] : [root, String(uid)], {
    encoding: "latin1",
  });
  const lines = out.trimEnd().split("\n");
  return (count === undefined ? lines : lines.slice(0, count)).join("\n");
}

function compare(nat: string, ours: string, ops: Op[]): void {
  const a = nat.split("\n");
  const b = ours.split("\n");
  const diffs: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i])
      diffs.push(`${JSON.stringify(ops[i])?.slice(0, 80)}: linux "${a[i]}" vfs "${b[i]}"`);
  }
  expect(diffs).toEqual([]);
}

describe.skipIf(!canRun)("VFS vs Linux on the same host tree", () => {
  it("lookups and mutations as root give Linux's results and errnos", () => {
    const ops = [...lookups, ...mutations];
    const nat = native(fresh("native-root"));
    const ours = runVfs(fresh("vfs-root"), ops, { euid: 0, egid: 0, groups: [] });
    expect(nat.split("\n").length).toBe(ops.length);
    compare(nat, ours, ops);
  });

  it("lookups as an unprivileged user give Linux's permission errors", () => {
    const nat = native(fresh("native-user"), 1000, lookups.length);
    const ours = runVfs(fresh("vfs-user"), lookups, { euid: 1000, egid: 1000, groups: [] });
    // The unprivileged run must actually hit permission errors, or it tests nothing.
    expect(nat).toMatch(/ -1 13 /);
    compare(nat, ours, lookups);
  });
});

export { canRun };
