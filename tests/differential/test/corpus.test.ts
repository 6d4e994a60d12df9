/**
 * The differential corpus: every programs/*.c is compiled, run natively (its
 * self-checks must hold on Linux, and two runs must print the same bytes),
 * and, where passing.json says it passes on a platform, run under tsvisor
 * there and compared with the native run.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  type Compiled,
  compile,
  describeDiff,
  failLines,
  listPrograms,
  mapLimit,
  programCases,
  runProgramNative,
} from "./harness.js";
import { nativeRunner, probeAll, sandboxSuites } from "./suite.js";

const programs = listPrograms();
const cases = new Map(programCases().map((c) => [c.id, c]));
const nativeRun = nativeRunner(cases);
const compiled = new Map<string, Compiled>();

beforeAll(async () => {
  await mapLimit(programs, 2, async (p) => {
    compiled.set(p.id, await compile(p));
    await cases.get(p.id)!.prepare();
  });
}, 600_000);

describe("corpus", () => {
  it("has at least 80 programs", () => {
    expect(programs.filter((p) => !p.dynamic).length).toBeGreaterThanOrEqual(80);
  });
});

describe("native (Linux is the oracle)", () => {
  it.each(programs)("$id", async (p) => {
    const c = compiled.get(p.id);
    expect(c, "compiled").toBeDefined();
    expect(c!.diagnostics, "gcc -Wall -Wextra diagnostics").toBe("");
    const r = await nativeRun(p.id);
    expect(r.timedOut, "timed out").toBe(false);
    expect(failLines(r.stdout), "self-checks failing on Linux").toEqual([]);
    expect(r.stdout, "prints its summary").toMatch(/^failures: 0$/m);
    expect(r.status, `exit status\n${r.stdout}${r.stderr}`).toBe(p.status);
    const again = await runProgramNative(p, c!.binary);
    expect(describeDiff(r, again), "deterministic across native runs").toBe("");
  });
});

sandboxSuites(await probeAll(), cases, nativeRun);
