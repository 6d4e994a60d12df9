/**
 * Static busybox natively and under tsvisor; see busybox-cases.ts. The host
 * /tmp check is part of the sandboxed comparison of busybox:tmp-files.
 */
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BUSYBOX, busyboxCases } from "./busybox-cases.js";
import { describeDiff } from "./harness.js";
import { nativeRunner, probeAll, sandboxSuites } from "./suite.js";

const cases = new Map(busyboxCases().map((c) => [c.id, c]));
const nativeRun = nativeRunner(cases);

/** What each script must print natively (a check on the scripts themselves). */
const EXPECT_STDOUT: Record<string, RegExp[]> = {
  "busybox:sh-pipelines": [/^3\n/, /\n1000\n999\n998\n/, /^ID=/m, /^proc$/m],
  "busybox:find-doc": [/^\d+\n$/],
  "busybox:tar-roundtrip": [/^\d+\n$/],
  "busybox:tmp-files": [
    /^renamed: one two $/m,
    /^big size: 5000$/m,
    /^via link: one$/m,
    /^existing after: sandbox$/m,
    /^existing moved away$/m,
  ],
};

describe("busybox natively", () => {
  it("is installed (Debian busybox-static)", () => {
    expect(existsSync(BUSYBOX), `${BUSYBOX} missing: apt-get install busybox-static`).toBe(true);
  });
  it.each([...cases.keys()])("%s", async (id) => {
    const r = await nativeRun(id);
    expect(r.status, r.stderr).toBe(0);
    for (const re of EXPECT_STDOUT[id] ?? []) expect(r.stdout).toMatch(re);
    expect(describeDiff(r, await cases.get(id)!.native()), "deterministic").toBe("");
  });
});

sandboxSuites(await probeAll(), cases, nativeRun);
