/**
 * The body of `pnpm run report`: runs every differential case natively and
 * under each available platform (regardless of passing.json), writes a table
 * to tmp/report.txt and, with DIFF_REPORT_UPDATE=1, rewrites passing.json
 * with exactly the cases that pass on each platform that was run.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "vitest";
import { busyboxCases } from "../test/busybox-cases.js";
import { elfCases } from "../test/elf-cases.js";
import {
  type DiffCase,
  PASSING_JSON,
  PLATFORM_NAMES,
  type PlatformName,
  TMP_DIR,
  mapLimit,
  probePlatform,
  readPassing,
} from "../test/harness.js";
import { programCases } from "../test/harness.js";

it("report", async () => {
  const only = process.env.DIFF_REPORT_ONLY ?? "";
  const wanted = process.env.DIFF_REPORT_PLATFORM ?? "";
  const cases: DiffCase[] = [...programCases(), ...busyboxCases(), ...elfCases()].filter((c) =>
    c.id.includes(only),
  );
  await mapLimit(cases, 2, (c) => c.prepare());
  const statuses = await Promise.all(
    PLATFORM_NAMES.filter((p) => wanted === "" || p === wanted).map(probePlatform),
  );
  const lines: string[] = [];
  for (const s of statuses) if (!s.ok) lines.push(`platform ${s.name} skipped: ${s.reason}`);
  const run = statuses.filter((s) => s.ok).map((s) => s.name);
  const width = Math.max(...cases.map((c) => c.id.length), 4);
  lines.push(
    `${"case".padEnd(width)}  ${run.map((p) => p.padEnd(6)).join("  ")}  first difference`,
  );
  const passed = new Map<PlatformName, string[]>(run.map((p) => [p, []]));
  for (const c of cases) {
    const want = c.native();
    const cells: string[] = [];
    let note = "";
    for (const p of run) {
      const { diff } = c.sandboxed(p, want);
      if (diff === "") passed.get(p)!.push(c.id);
      else if (note === "") note = `${p}: ${diff.split("\n").join(" | ").slice(0, 200)}`;
      cells.push((diff === "" ? "pass" : "FAIL").padEnd(6));
    }
    lines.push(`${c.id.padEnd(width)}  ${cells.join("  ")}  ${note}`);
  }
  for (const p of run) lines.push(`${p}: ${passed.get(p)!.length}/${cases.length} pass`);
  if (process.env.DIFF_REPORT_UPDATE === "1") {
    if (only !== "") {
      lines.push("passing.json not updated: --update needs the full set (no --only)");
    } else {
      const next = readPassing();
      for (const p of run) next[p] = [...passed.get(p)!].sort();
      writeFileSync(PASSING_JSON, `${JSON.stringify(next, null, 2)}\n`);
      lines.push(`passing.json updated for ${run.join(", ") || "no platform"}`);
    }
  }
  mkdirSync(TMP_DIR, { recursive: true });
  writeFileSync(join(TMP_DIR, "report.txt"), `${lines.join("\n")}\n`);
});
