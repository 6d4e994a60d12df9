import { execFileSync } from "node:child_process";
import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TestFile, newEnv } from "./fakes.js";
import { makePatternFile, mirrorFile, normalize, runMM, runNative } from "./native.js";

const LO = 0x200000000;
const HI = LO + 0x10000000;
const P = 4096;
const h = (n: number) => `0x${n.toString(16)}`;
const at = (page: number) => h(LO + page * P);

/** Runs `script` natively and on a fresh MM; expects identical output. */
function same(script: string[], opts: { file?: boolean } = {}) {
  const path = opts.file ? makePatternFile(10 * P + 100) : undefined;
  const native = normalize(runNative(script, path));
  const { mm } = newEnv();
  const ours = normalize(runMM(mm, script, path === undefined ? undefined : mirrorFile(path)));
  const lines = script.map((s, i) => `${s.padEnd(48)} => native ${native[i]} | ours ${ours[i]}`);
  expect(ours, lines.join("\n")).toEqual(native);
  return native;
}

describe("native Linux comparison", () => {
  it("mmap / mprotect splits and merges print the same maps", () => {
    const out = same([
      `mmap ${at(0)} ${8 * P} 3 0x32 0`,
      `mprotect ${at(2)} ${2 * P} 1`,
      `mprotect ${at(5)} ${P} 0`,
      `mprotect ${at(6)} ${P} 7`,
      `maps ${h(LO)} ${h(HI)}`,
      `mprotect ${at(2)} ${2 * P} 3`,
      `maps ${h(LO)} ${h(HI)}`,
      `mmap ${at(20)} ${4 * P} 5 0x22 0`,
      `mmap ${at(24)} ${4 * P} 4 0x22 0`,
      `mmap ${at(30)} ${2 * P} 2 0x21 0`,
      `maps ${h(LO)} ${h(HI)}`,
    ]);
    expect(out.filter((l) => l !== "end" && l.includes("-")).length).toBeGreaterThan(5);
  });

  it("errnos of bad arguments match", () => {
    same([
      `mmap ${at(0)} ${4 * P} 3 0x32 0`,
      `mmap ${at(1)} ${P} 3 0x100022 0`,
      `mmap 0 0 3 0x22 0`,
      `mmap ${h(LO + 1)} ${P} 3 0x32 0`,
      `mmap 0 ${P} 3 0x20 0`,
      `mmap 0 ${P} 3 0x22 1`,
      `mmap 0 ${P} 3 0x2f 0`,
      `mmap ${at(8)} ${P} 3 0x133 0`,
      `mmap 0 ${P} 3 0x23 0`,
      `mmap 0 ${P} 3 0x80023 0`,
      `munmap ${h(LO + 1)} ${P}`,
      `munmap ${at(0)} 0`,
      `munmap ${at(100)} ${P}`,
      `mprotect ${h(LO + 1)} ${P} 1`,
      `mprotect ${at(0)} ${P} 0x40`,
      `mprotect ${at(0)} 0 0x40`,
      `mprotect ${at(0)} ${8 * P} 1`,
      `mprotect ${at(0)} ${P} 0x3000000`,
      `mprotect ${at(0)} ${P} 0x1000001`,
      `mremap ${at(0)} ${P} ${2 * P} 8 0`,
      `mremap ${at(0)} ${P} ${2 * P} 2 0`,
      `mremap ${at(0)} ${P} 0 0 0`,
      `mremap ${at(50)} ${P} ${2 * P} 1 0`,
      `mremap ${at(0)} ${8 * P} ${9 * P} 1 0`,
      `mremap ${at(0)} ${P} ${2 * P} 3 ${at(0)}`,
      `mremap ${at(0)} 0 ${2 * P} 1 0`,
      `mremap ${at(0)} ${P} ${2 * P} 5 0`,
      `madvise ${at(0)} ${P} 999`,
      `madvise ${h(LO + 1)} ${P} 4`,
      `madvise ${at(0)} ${8 * P} 4`,
      `madvise ${at(0)} ${P} 8`,
      `madvise ${at(0)} ${P} 9`,
      `madvise ${at(0)} ${P} 18`,
      `msync ${at(0)} ${P} 5`,
      `msync ${at(0)} ${P} 8`,
      `msync ${at(0)} ${8 * P} 4`,
      `msync ${at(0)} ${8 * P} 1`,
      `msync ${at(0)} ${P} 4`,
      `mincore ${h(LO + 1)} ${P}`,
      `mincore ${at(0)} ${8 * P}`,
      `mincore ${at(0)} ${4 * P}`,
      `maps ${h(LO)} ${h(HI)}`,
    ]);
  });

  it("mincore shows exactly the anonymous pages touched", () => {
    same([
      `mmap ${at(0)} ${16 * P} 3 0x32 0`,
      `write ${at(0)} 1`,
      `read ${at(3)}`,
      `write ${at(9)} 1`,
      `mincorev ${at(0)} ${16 * P}`,
      `madvise ${at(0)} ${P} 4`,
      `mincorev ${at(0)} ${16 * P}`,
    ]);
  });

  it("faults give the same signals and codes", () => {
    same([
      `mmap ${at(0)} ${P} 1 0x32 0`,
      `mmap ${at(1)} ${P} 0 0x32 0`,
      `mmap ${at(2)} ${P} 2 0x32 0`,
      `read ${at(0)}`,
      `write ${at(0)} 1`,
      `read ${at(1)}`,
      `write ${at(2)} 5`,
      `read ${at(2)}`,
      `read ${at(3)}`,
      `write ${at(3)} 1`,
    ]);
  });

  it("mremap moves, grows and shrinks like Linux", () => {
    same([
      `mmap ${at(0)} ${4 * P} 3 0x32 0`,
      `write ${at(0)} 11`,
      `write ${at(3)} 13`,
      `mremap ${at(0)} ${4 * P} ${6 * P} 0 0`,
      `mmap ${at(8)} ${P} 1 0x32 0`,
      `mremap ${at(0)} ${6 * P} ${8 * P} 0 0`,
      `mremap ${at(0)} ${6 * P} ${3 * P} 3 ${at(20)}`,
      `read ${at(20)}`,
      `read ${at(0)}`,
      `maps ${h(LO)} ${h(HI)}`,
      `mmap ${at(40)} ${2 * P} 3 0x32 0`,
      `write ${at(40)} 40`,
      `mremap ${at(40)} ${2 * P} ${2 * P} 7 ${at(44)}`,
      `read ${at(40)}`,
      `read ${at(44)}`,
      `maps ${h(LO)} ${h(HI)}`,
    ]);
  });

  it("file mappings: contents, SIGBUS past EOF, shared writes, maps lines", () => {
    same(
      [
        `mmap ${at(0)} ${4 * P} 3 0x12 ${P}`,
        `read ${at(0)}`,
        `read ${h(LO + 3 * P + 7)}`,
        `mmap ${at(8)} ${4 * P} 1 0x11 ${8 * P}`,
        `read ${h(LO + 10 * P + 99)}`,
        `read ${h(LO + 10 * P + 100)}`,
        `read ${at(11)}`,
        `write ${at(1)} 9`,
        `read ${at(1)}`,
        `mprotect ${at(1)} ${P} 1`,
        `maps ${h(LO)} ${h(HI)}`,
      ],
      { file: true },
    );
  });

  it("shared anonymous memory and MAP_GROWSDOWN", () => {
    same([
      `mmap ${at(0)} ${3 * P} 3 0x31 0`,
      `write ${at(1)} 7`,
      `read ${at(1)}`,
      `mremap ${at(0)} ${3 * P} ${5 * P} 0 0`,
      `read ${at(4)}`,
      `mmap ${at(40)} ${2 * P} 3 0x132 0`,
      `write ${at(38)} 1`,
      `maps ${h(LO)} ${h(HI)}`,
      `mmap ${at(20)} ${P} 3 0x132 0`,
      `mprotect ${at(20)} ${P} 0x1000001`,
      `maps ${h(LO)} ${h(HI)}`,
    ]);
  });
});

describe("maps names against native Linux", () => {
  it("[heap], [stack] and an escaped file path print identically", () => {
    const dir = mkdtempSync(join(tmpdir(), "tsvisor-mm-maps-"));
    const src = join(dir, "m.c");
    writeFileSync(
      src,
      `#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
int main(int argc, char **argv) {
  sbrk(3 * 4096);
  int fd = open(argv[1], O_RDWR | O_CREAT, 0600);
  if (fd < 0 || ftruncate(fd, 8192)) return 1;
  mmap((void *)0x300000000, 8192, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 4096);
  FILE *f = fopen("/proc/self/maps", "r");
  char l[1024];
  while (fgets(l, sizeof l, f))
    if (strstr(l, "[heap]") || strstr(l, "[stack]") || !strncmp(l, "300000000", 9)) fputs(l, stdout);
  return 0;
}
`,
    );
    execFileSync("gcc", ["-O1", "-o", join(dir, "m"), src]);
    const path = join(dir, "we ird\nname");
    const native = execFileSync(join(dir, "m"), [path], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean);
    expect(native).toHaveLength(3);
    const { mm } = newEnv();
    const range = (l: string) =>
      l
        .split(" ")[0]!
        .split("-")
        .map((x) => Number.parseInt(x, 16)) as [number, number];
    const heap = native.find((l) => l.endsWith("[heap]"))!;
    const stack = native.find((l) => l.endsWith("[stack]"))!;
    const [hs, he] = range(heap);
    mm.setBrkBase(hs);
    expect(mm.brk(he)).toBe(he);
    const [ss, se] = range(stack);
    expect(mm.mmap({ addr: ss, length: se - ss, prot: 3, flags: 0x132 })).toBe(ss);
    mm.stackStart = se - 64;
    const st = statSync(path);
    const f = new TestFile(path, 8192, st.ino, st.dev);
    expect(
      mm.mmap({ addr: 0x300000000, length: 8192, prot: 1, flags: 0x11, file: f, offset: 4096 }),
    ).toBe(0x300000000);
    expect(mm.mapsText().split("\n").filter(Boolean)).toEqual(native);
  });
});
