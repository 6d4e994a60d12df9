/**
 * Test helpers that compile and run C programs against the host's headers,
 * so tests can compare @tsvisor/abi with what the C compiler says.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Compiles `src` with gcc in a fresh tmp dir, runs it, and returns stdout. */
export function runC(src: string): string {
  const dir = mkdtempSync(join(tmpdir(), "tsvisor-abi-test-"));
  try {
    const c = join(dir, "check.c");
    const exe = join(dir, "check");
    writeFileSync(c, src);
    try {
      execFileSync("gcc", ["-O0", "-w", "-o", exe, c], { stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
      const err = e as { stderr?: Buffer };
      throw new Error(
        `gcc failed:\n${err.stderr?.toString() ?? String(e)}\n--- source ---\n${src}`,
      );
    }
    return execFileSync(exe, { maxBuffer: 64 << 20 }).toString();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `#define`s and `#include`s for a C program. */
export function cPreamble(
  headers: readonly string[],
  defines: readonly string[] = ["_GNU_SOURCE"],
): string {
  return [
    ...defines.map((d) => `#define ${d}`),
    ...headers.map((h) => `#include <${h}>`),
    "#include <stdio.h>",
    "#include <stddef.h>",
    "#include <string.h>",
    "",
  ].join("\n");
}

/** A C string literal for `s` (ASCII names only). */
export function cStr(s: string): string {
  return JSON.stringify(s);
}

/**
 * Evaluates integer C expressions after `headers`; returns name -> value as
 * a bigint (signed if negative in C, else unsigned), or `undefined` for names
 * listed in `optional` whose macro is not defined.
 */
export function cValues(
  headers: readonly string[],
  exprs: ReadonlyMap<string, string>,
  opts: { defines?: readonly string[]; optionalMacros?: ReadonlySet<string> } = {},
): Map<string, bigint | undefined> {
  const lines = [cPreamble(headers, opts.defines), "int main(void) {"];
  for (const [name, expr] of exprs) {
    const p = `  if ((${expr}) < 0) printf("%s %lld\\n", ${cStr(name)}, (long long)(${expr})); else printf("%s %llu\\n", ${cStr(name)}, (unsigned long long)(${expr}));`;
    if (opts.optionalMacros?.has(name)) {
      lines.push(
        `#ifdef ${expr}`,
        p,
        "#else",
        `  printf("%s absent\\n", ${cStr(name)});`,
        "#endif",
      );
    } else {
      lines.push(p);
    }
  }
  lines.push("  return 0;", "}");
  const out = new Map<string, bigint | undefined>();
  for (const line of runC(lines.join("\n")).trim().split("\n")) {
    const [n, v] = line.split(" ");
    out.set(n!, v === "absent" ? undefined : BigInt(v!));
  }
  return out;
}
