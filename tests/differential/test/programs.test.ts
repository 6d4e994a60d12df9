/**
 * Real Debian programs (bash, coreutils, grep/sed/awk, find, tar, python3,
 * gcc) natively and under tsvisor; see programs-cases.ts. The host /tmp
 * check is part of each sandboxed comparison of a case that writes /tmp.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { KNOWN_GAPS, PROGRAM_SCRIPTS, realProgramCases } from "./programs-cases.js";
import { PLATFORM_NAMES, describeDiff, isFile, readPassing } from "./harness.js";
import { nativeRunner, probeAll, sandboxSuites } from "./suite.js";

const cases = new Map(realProgramCases().map((c) => [c.id, c]));
const nativeRun = nativeRunner(cases);

/** Programs the cases need; all come with scripts/setup's Debian packages. */
const REQUIRED = [
  "/bin/bash",
  "/usr/bin/python3",
  "/usr/bin/gcc",
  "/usr/bin/tar",
  "/usr/bin/find",
  "/usr/bin/awk",
];

beforeAll(async () => {
  for (const c of cases.values()) await c.prepare();
});

describe("real programs natively", () => {
  it.each(REQUIRED)("%s is installed", (path) => {
    expect(isFile(path), `${path} missing (see scripts/setup)`).toBe(true);
  });
  it.each(PROGRAM_SCRIPTS.map((s) => [`prog:${s.name}`, s] as const))("%s", async (id, s) => {
    const r = await nativeRun(id);
    expect(r.timedOut, "timed out").toBe(false);
    expect(r.status, `${id} exit status\n${r.stderr}`).toBe(s.status ?? 0);
    for (const re of s.expect) expect(r.stdout, `${id} stdout`).toMatch(re);
    expect(describeDiff(r, await cases.get(id)!.native()), "deterministic").toBe("");
  });
});

describe("known gaps", () => {
  const passing = readPassing();
  it("every case passes on each platform (passing.json) or is a listed gap", () => {
    for (const id of cases.keys()) {
      for (const p of PLATFORM_NAMES) {
        const listed = passing[p].includes(id);
        expect(listed || id in KNOWN_GAPS, `${id} on ${p}: in passing.json or KNOWN_GAPS`).toBe(
          true,
        );
      }
    }
  });
  for (const [id, reason] of Object.entries(KNOWN_GAPS)) {
    console.log(`programs: known gap ${id}: ${reason}`);
  }
});

sandboxSuites(await probeAll(), cases, nativeRun);
