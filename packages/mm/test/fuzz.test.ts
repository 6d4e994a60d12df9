import { describe, expect, it } from "vitest";
import { checkAll, newEnv } from "./fakes.js";
import { script } from "./fuzz-script.js";
import { makePatternFile, mirrorFile, normalize, perCommand, runMM, runNative } from "./native.js";

const P = 4096;

describe.each([
  ["without fork", false],
  ["with fork", true],
])("random scripts %s: same results, faults, contents and maps as Linux", (_name, withFork) => {
  const cases: [number, "none" | "private" | "shared"][] = [];
  for (let s = 1; s <= Number(process.env.FUZZ_SEEDS ?? 100); s++)
    cases.push([s, (["none", "none", "private", "shared"] as const)[s % 4]!]);
  it.each(cases)("seed %i (%s files)", (seed, file) => {
    const lines = script(seed * 7919, file, withFork);
    const path = file === "none" ? undefined : makePatternFile(10 * P + 100);
    const native = normalize(runNative(lines, path));
    const { mm, allocator } = newEnv();
    const ours = normalize(runMM(mm, lines, path === undefined ? undefined : mirrorFile(path)));
    checkAll(allocator, [mm]);
    // Report the first command whose output differs, with the script up to it.
    const n = perCommand(lines, native);
    const o = perCommand(lines, ours);
    let i = 0;
    while (i < n.length && n[i] === o[i]) i++;
    const context = lines
      .slice(0, i + 1)
      .map((l, k) => `${k}: ${l} => ${n[k]}`)
      .join("\n");
    expect(o[i], `first difference at command ${i}:\n${context}`).toEqual(n[i]);
    mm.release();
    checkAll(allocator, []);
    expect(allocator.usage).toBe(0);
  });
});
