/**
 * Linux as the oracle: a small C interpreter of memory-management commands,
 * compiled with gcc at test time, and the same interpreter over a
 * MemoryManager, so a test can run one script on both and compare the
 * outputs line by line (results, errnos, fault signals, maps lines).
 *
 * Commands (numbers in C syntax: decimal or 0x...), one per line:
 *   mmap ADDR LEN PROT FLAGS OFF   (the file is used unless MAP_ANONYMOUS)
 *   munmap ADDR LEN | mprotect ADDR LEN PROT | madvise ADDR LEN ADV
 *   mremap OLD OLDLEN NEWLEN FLAGS NEW | msync ADDR LEN FLAGS | mincore ADDR LEN
 *   mincorev ADDR LEN              (the residency vector as 0/1 digits)
 *   read ADDR | write ADDR VAL     (an application load/store: value or "sig S code C")
 *   maps LO HI                     (the /proc/self/maps lines starting in [LO, HI))
 *   fork ... exit                  (a child runs the commands up to "exit" and
 *                                   exits; then the parent goes on)
 * Each prints one line (maps prints its lines then "end").
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PAGE_SIZE } from "@tsvisor/platform";
import type { MemoryManager } from "../src/index.js";
import { TestFile, type TestMemoryFile, type TestAddressSpace, touch } from "./fakes.js";

const C_SOURCE = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static sigjmp_buf jb;
static volatile int sig_no, sig_code;
static void on_fault(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  sig_no = sig;
  sig_code = si->si_code;
  siglongjmp(jb, 1);
}
static unsigned char vec[1 << 16];

int main(int argc, char **argv) {
  int fd = argc > 1 ? open(argv[1], O_RDWR) : -1;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, 0);
  sigaction(SIGBUS, &sa, 0);
  setvbuf(stdout, 0, _IOFBF, 1 << 16);
  /* The whole script is read first, so a forked child and its parent each
     walk their own copy of it. */
  static char lines[4096][128];
  int nlines = 0;
  while (nlines < 4096 && fgets(lines[nlines], sizeof lines[0], stdin)) nlines++;
  char cmd[32];
  for (int ln = 0; ln < nlines; ln++) {
    char *line = lines[ln];
    unsigned long a[6] = {0};
    char *p = line;
    int n;
    if (sscanf(p, "%31s%n", cmd, &n) != 1) continue;
    p += n;
    for (int i = 0; i < 6; i++) {
      char *e;
      a[i] = strtoul(p, &e, 0);
      if (e == p) break;
      p = e;
    }
    long r = 0;
    if (!strcmp(cmd, "mmap")) {
      void *m = mmap((void *)a[0], a[1], (int)a[2], (int)a[3], (a[3] & MAP_ANONYMOUS) ? -1 : fd, (off_t)a[4]);
      r = m == MAP_FAILED ? -errno : (long)m;
    } else if (!strcmp(cmd, "munmap")) {
      r = munmap((void *)a[0], a[1]) ? -errno : 0;
    } else if (!strcmp(cmd, "mprotect")) {
      r = mprotect((void *)a[0], a[1], (int)a[2]) ? -errno : 0;
    } else if (!strcmp(cmd, "madvise")) {
      r = madvise((void *)a[0], a[1], (int)a[2]) ? -errno : 0;
    } else if (!strcmp(cmd, "msync")) {
      r = msync((void *)a[0], a[1], (int)a[2]) ? -errno : 0;
    } else if (!strcmp(cmd, "mincore")) {
      r = mincore((void *)a[0], a[1], vec) ? -errno : 0;
    } else if (!strcmp(cmd, "mincorev")) {
      if (mincore((void *)a[0], a[1], vec)) { printf("%d\n", -errno); continue; }
      for (unsigned long i = 0; i < (a[1] + 4095) / 4096; i++) putchar('0' + (vec[i] & 1));
      putchar('\n');
      continue;
    } else if (!strcmp(cmd, "mremap")) {
      void *m = mremap((void *)a[0], a[1], a[2], (int)a[3], (void *)a[4]);
      r = m == MAP_FAILED ? -errno : (long)m;
    } else if (!strcmp(cmd, "read") || !strcmp(cmd, "write")) {
      if (sigsetjmp(jb, 1)) {
        printf("sig %d code %d\n", sig_no, sig_code);
        continue;
      }
      volatile unsigned char *q = (volatile unsigned char *)a[0];
      if (cmd[0] == 'r') r = *q;
      else *q = (unsigned char)a[1];
    } else if (!strcmp(cmd, "fork")) {
      /* The child runs the following commands until "exit"; the parent waits. */
      fflush(stdout);
      pid_t pid = fork();
      if (pid > 0) {
        int st;
        waitpid(pid, &st, 0);
        /* Skip the child's commands. */
        int depth = 1;
        while (depth > 0 && ++ln < nlines) {
          if (!strncmp(lines[ln], "fork", 4)) depth++;
          else if (!strncmp(lines[ln], "exit", 4)) depth--;
        }
        puts("parent");
        continue;
      }
      puts("child");
      continue;
    } else if (!strcmp(cmd, "exit")) {
      fflush(stdout);
      _exit(0);
    } else if (!strcmp(cmd, "maps")) {
      FILE *f = fopen("/proc/self/maps", "r");
      char l[1024];
      while (fgets(l, sizeof l, f)) {
        unsigned long s = strtoul(l, 0, 16);
        if (s >= a[0] && s < a[1]) fputs(l, stdout);
      }
      fclose(f);
      puts("end");
      continue;
    } else {
      printf("bad command %s\n", cmd);
      continue;
    }
    printf("%ld\n", r);
  }
  return 0;
}
`;

let binary: string | undefined;

/** Compiles the C interpreter once per process (cached by source hash). */
export function nativeInterpreter(): string {
  if (binary !== undefined) return binary;
  const hash = createHash("sha256").update(C_SOURCE).digest("hex").slice(0, 16);
  const dir = join(tmpdir(), `tsvisor-mm-native-${hash}`);
  mkdirSync(dir, { recursive: true });
  const src = join(dir, "mmcmd.c");
  const bin = join(dir, "mmcmd");
  writeFileSync(src, C_SOURCE);
  execFileSync("gcc", ["-O1", "-Wall", "-o", bin, src]);
  binary = bin;
  return bin;
}

/** A fresh file with the pattern byte(i) = (i * 7 + 3) & 0xff, as TestFile has. */
export function makePatternFile(size: number): string {
  const dir = join(tmpdir(), `tsvisor-mm-files-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `f${Math.random().toString(36).slice(2)}`);
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 7 + 3) & 0xff;
  writeFileSync(path, data);
  return realpathSync(path);
}

/** Runs `script` natively; returns the output lines. */
export function runNative(script: string[], filePath?: string): string[] {
  const args = filePath === undefined ? [] : [filePath];
  const r = spawnSync(nativeInterpreter(), args, {
    input: `${script.join("\n")}\n`,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`native interpreter failed: ${r.status} ${r.stderr}`);
  return r.stdout.split("\n").filter((l) => l !== "");
}

/** A TestFile that looks like `path` (same name, dev, ino, size, contents). */
export function mirrorFile(path: string): TestFile {
  const st = statSync(path);
  return new TestFile(path, st.size, st.ino, st.dev);
}

function num(s: string | undefined): number {
  return s === undefined ? 0 : Number(s);
}

/** Runs `script` on `mm`, mapping `file` for file mappings; returns the output lines. */
export function runMM(first: MemoryManager, script: string[], file?: TestFile): string[] {
  const out: string[] = [];
  const stack: MemoryManager[] = [];
  let mm = first;
  for (const line of script) {
    const [cmd, ...rest] = line.trim().split(/\s+/);
    const a = rest.map(num);
    switch (cmd) {
      case "mmap":
        out.push(
          String(
            mm.mmap({
              addr: a[0]!,
              length: a[1]!,
              prot: a[2]!,
              flags: a[3]!,
              offset: a[4]!,
              file: file ?? null,
            }),
          ),
        );
        break;
      case "munmap":
        out.push(String(mm.munmap(a[0]!, a[1]!)));
        break;
      case "mprotect":
        out.push(String(mm.mprotect(a[0]!, a[1]!, a[2]!)));
        break;
      case "madvise":
        out.push(String(mm.madvise(a[0]!, a[1]!, a[2]!)));
        break;
      case "msync":
        out.push(String(mm.msync(a[0]!, a[1]!, a[2]!)));
        break;
      case "mincore":
        out.push(String(mm.mincore(a[0]!, a[1]!, new Uint8Array(Math.ceil(a[1]! / PAGE_SIZE)))));
        break;
      case "mincorev": {
        const vec = new Uint8Array(Math.ceil(a[1]! / PAGE_SIZE));
        const r = mm.mincore(a[0]!, a[1]!, vec);
        out.push(r < 0 ? String(r) : [...vec].map((x) => x & 1).join(""));
        break;
      }
      case "mremap":
        out.push(String(mm.mremap(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!)));
        break;
      case "read":
      case "write": {
        const r = touch(mm, a[0]!, cmd === "read" ? "read" : "write");
        if (r !== 0) {
          out.push(r.kind === "signal" ? `sig ${r.signo} code ${r.code}` : "oom");
          break;
        }
        const m = (mm.addressSpace as TestAddressSpace).at(a[0]!)!;
        const f = mm.allocator.file as TestMemoryFile;
        const off = m.offset + (a[0]! % PAGE_SIZE);
        const chunk = f.chunk(Math.floor(off / f.chunkSize));
        if (cmd === "read") {
          out.push(String(chunk[off % f.chunkSize]));
        } else {
          chunk[off % f.chunkSize] = a[1]! & 0xff;
          out.push("0");
        }
        break;
      }
      case "fork": {
        // The child runs the commands up to "exit", then the parent goes on.
        const c = mm.fork();
        if (typeof c === "number") throw new Error(`fork: ${c}`);
        stack.push(mm);
        mm = c;
        out.push("child");
        break;
      }
      case "exit": {
        mm.release();
        mm = stack.pop()!;
        out.push("parent");
        break;
      }
      case "maps": {
        for (const l of mm.mapsText().split("\n")) {
          if (l === "") continue;
          const s = Number.parseInt(l.split("-")[0]!, 16);
          if (s >= a[0]! && s < a[1]!) out.push(l);
        }
        out.push("end");
        break;
      }
      default:
        throw new Error(`bad command ${cmd}`);
    }
  }
  return out;
}

/**
 * Shared anonymous memory's inode number differs between runs: mask it (and
 * the padding that depends on its width; the name column is checked by the
 * other lines).
 */
export function normalize(lines: string[]): string[] {
  return lines.map((l) => l.replace(/ \d+ +\/dev\/zero \(deleted\)$/, " # /dev/zero (deleted)"));
}

/** Groups output lines per command of `script` (a maps command owns the lines up to "end"). */
export function perCommand(script: string[], lines: string[]): string[] {
  const out: string[] = [];
  let i = 0;
  for (const cmd of script) {
    if (cmd.startsWith("maps")) {
      const start = i;
      while (i < lines.length && lines[i] !== "end") i++;
      out.push(lines.slice(start, i).join("\n"));
      i++;
    } else {
      out.push(lines[i++] ?? "<missing>");
    }
  }
  return out;
}
