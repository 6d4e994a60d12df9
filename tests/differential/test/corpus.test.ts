/**
 * The differential corpus: every programs/*.c is compiled, run natively (its
 * self-checks must hold on Linux, and two runs must print the same bytes),
 * and, where passing.json says it passes on a platform, run under tsvisor
 * there and compared with the native run.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  type Compiled,
  PLATFORM_NAMES,
  type RunResult,
  compile,
  describeDiff,
  failLines,
  listPrograms,
  mapLimit,
  probePlatform,
  programCases,
  readPassing,
  runProgramNative,
} from "./harness.js";

const programs = listPrograms();
const cases = new Map(programCases().map((c) => [c.id, c]));
const passing = readPassing();
const platforms = await Promise.all(PLATFORM_NAMES.map(probePlatform));
const compiled = new Map<string, Compiled>();
const nativeRuns = new Map<string, RunResult>();

beforeAll(async () => {
  await mapLimit(programs, 2, async (p) => {
    compiled.set(p.id, await compile(p));
    await cases.get(p.id)!.prepare();
  });
}, 600_000);

function nativeRun(id: string): RunResult {
  let r = nativeRuns.get(id);
  if (r === undefined) {
    r = cases.get(id)!.native();
    nativeRuns.set(id, r);
  }
  return r;
}

describe("corpus", () => {
  it("has at least 80 programs", () => {
    expect(programs.filter((p) => !p.dynamic).length).toBeGreaterThanOrEqual(80);
  });
});

describe("native (Linux is the oracle)", () => {
  it.each(programs)("$id", (p) => {
    const c = compiled.get(p.id);
    expect(c, "compiled").toBeDefined();
    expect(c!.diagnostics, "gcc -Wall -Wextra diagnostics").toBe("");
    const r = nativeRun(p.id);
    expect(r.timedOut, "timed out").toBe(false);
    expect(failLines(r.stdout), "self-checks failing on Linux").toEqual([]);
    expect(r.stdout, "prints its summary").toMatch(/^failures: 0$/m);
    expect(r.status, `exit status\n${r.stdout}${r.stderr}`).toBe(p.status);
    const again = runProgramNative(p, c!.binary);
    expect(describeDiff(r, again), "deterministic across native runs").toBe("");
  });
});

describe.each(platforms)("tsvisor on $name", (platform) => {
  if (!platform.ok) {
    console.log(`differential: platform ${platform.name} skipped: ${platform.reason}`);
    it.skip(`${platform.name} unavailable: ${platform.reason}`, () => {});
    return;
  }
  const ids = passing[platform.name].filter((id) => cases.has(id));
  if (ids.length === 0) {
    it.skip("no corpus program is listed in passing.json yet", () => {});
  }
  it.each(ids)("%s", (id) => {
    const want = nativeRun(id);
    const { diff } = cases.get(id)!.sandboxed(platform.name, want);
    expect(diff, `${id} under tsvisor/${platform.name}`).toBe("");
  });
});
