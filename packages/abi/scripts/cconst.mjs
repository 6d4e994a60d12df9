/**
 * Helpers to ask the host C compiler for the values of constants. Used by the
 * generators (scripts/gen-consts.mjs, scripts/gen-tables.mjs). The tests
 * compile their C checks through test/cprog.ts instead, so a generator bug
 * cannot hide behind the same helper.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Returns the C preamble including `headers`, after `defines`. */
export function preamble(headers, defines = ["_GNU_SOURCE"]) {
  return [
    ...defines.map((d) => `#define ${d}`),
    ...headers.map((h) => `#include <${h}>`),
    "#include <stdio.h>",
    "#include <stddef.h>",
    "#include <string.h>",
    "",
  ].join("\n");
}

/** Object-like macro names visible after `src` (gcc -dM -E). */
export function macroNames(src) {
  const out = execFileSync("gcc", ["-dM", "-E", "-x", "c", "-"], { input: src }).toString();
  const names = [];
  for (const line of out.split("\n")) {
    const m = /^#define ([A-Za-z_][A-Za-z0-9_]*) /.exec(line);
    if (m) names.push(m[1]);
  }
  return names;
}

/**
 * Full preprocessor output of `src` with macro definitions kept in order
 * (gcc -E -dD): used to order names as the headers declare them.
 */
export function definitionText(src) {
  return execFileSync("gcc", ["-E", "-dD", "-P", "-x", "c", "-"], {
    input: src,
    maxBuffer: 64 << 20,
  }).toString();
}

/** Enum constant names declared by `src` (parsed from gcc -E output). */
export function enumNames(src) {
  const out = execFileSync("gcc", ["-E", "-P", "-x", "c", "-"], { input: src }).toString();
  const flat = out.replace(/\n/g, " ");
  const names = [];
  for (const m of flat.matchAll(/\benum\b[^{;()]*\{([^}]*)\}/g)) {
    for (const item of m[1].split(",")) {
      const id = /^\s*([A-Za-z_][A-Za-z0-9_]*)/.exec(item);
      if (id) names.push(id[1]);
    }
  }
  return names;
}

/**
 * Compiles and runs `src`, returning stdout. Throws with gcc's diagnostics on
 * a compile error.
 */
export function compileAndRun(src, extraFlags = []) {
  const dir = mkdtempSync(join(tmpdir(), "tsvisor-abi-"));
  try {
    const c = join(dir, "p.c");
    const exe = join(dir, "p");
    writeFileSync(c, src);
    execFileSync("gcc", ["-w", "-O0", "-o", exe, c, ...extraFlags], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    return execFileSync(exe, { maxBuffer: 64 << 20 }).toString();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Returns the integer value of each name (an integer constant expression in
 * C after `pre`), as a number, or a bigint when it does not fit 2^53. Names
 * that are not integer constants (strings, pointers, function calls) are
 * dropped and listed in `rejected`.
 */
export function constValues(pre, names) {
  let live = [...new Set(names)];
  const rejected = [];
  for (let round = 0; round < 50; round++) {
    const lines = [
      pre,
      "struct kv { const char *n; int neg; long long s; unsigned long long u; };",
      "static const struct kv tab[] = {",
    ];
    const first = lines.join("\n").split("\n").length + 1;
    for (const n of live)
      lines.push(`{"${n}", (${n}) < 0, (long long)(${n}), (unsigned long long)(${n})},`);
    lines.push("};");
    lines.push(
      'int main(void) { for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) { if (tab[i].neg) printf("%s %lld\\n", tab[i].n, tab[i].s); else printf("%s %llu\\n", tab[i].n, tab[i].u); } return 0; }',
    );
    const src = lines.join("\n");
    const dir = mkdtempSync(join(tmpdir(), "tsvisor-abi-"));
    try {
      writeFileSync(join(dir, "p.c"), src);
      try {
        execFileSync(
          "gcc",
          [
            "-w",
            "-Werror=int-conversion",
            "-Werror=pointer-to-int-cast",
            "-o",
            join(dir, "p"),
            join(dir, "p.c"),
          ],
          { stdio: ["ignore", "pipe", "pipe"] },
        );
      } catch (e) {
        const err = e.stderr.toString();
        const bad = new Set();
        for (const m of err.matchAll(/p\.c:(\d+):\d+: error/g)) {
          const idx = Number(m[1]) - first;
          if (idx >= 0 && idx < live.length) bad.add(live[idx]);
        }
        if (bad.size === 0) throw new Error(`gcc failed:\n${err}`);
        rejected.push(...bad);
        live = live.filter((n) => !bad.has(n));
        continue;
      }
      const out = execFileSync(join(dir, "p")).toString();
      const values = new Map();
      for (const line of out.trim().split("\n")) {
        if (!line) continue;
        const [n, v] = line.split(" ");
        const big = BigInt(v);
        values.set(n, big >= -(2n ** 53n) && big <= 2n ** 53n ? Number(big) : big);
      }
      return { values, rejected };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  throw new Error("too many rounds");
}
