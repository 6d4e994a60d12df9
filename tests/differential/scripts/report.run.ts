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
import { realProgramCases } from "../test/programs-cases.js";
import {
  type DiffCase,
  PASSING_JSON,
  PLATFORM_NAMES,
  type PlatformName,
  type RunResult,
  TMP_DIR,
  mapLimit,
  probePlatform,
  readPassing,
} from "../test/harness.js";
import { programCases } from "../test/harness.js";

/** At most this many differing lines per failure in tmp/failures.md. */
const MAX_LINES = 8;

/**
 * The failure of one case on one platform as markdown: a one-line diagnosis
 * when one can be told mechanically, then expected vs got for the first
 * differing lines (cases print one line each, so lines align by index).
 */
function failureDetail(want: RunResult, got: RunResult, diff: string): string {
  const out: string[] = [];
  const enosys = got.stdout.split("\n").filter((l) => /FAIL .*errno=ENOSYS/.test(l));
  const stderr = got.stderr.split("\n").filter((l) => l.trim() !== "");
  if (got.timedOut) out.push("- diagnosis: hang (killed by the harness timeout)");
  else if (enosys.length > 0)
    out.push(
      `- diagnosis: ENOSYS in ${enosys.length} case(s): ${enosys
        .map((l) => l.split(":")[0])
        .join(", ")
        .slice(0, 300)}`,
    );
  if (stderr.length > 0 && got.stderr !== want.stderr)
    out.push(`- tsvisor stderr: \`${stderr.slice(0, 3).join(" / ").slice(0, 300)}\``);
  if (got.status !== want.status) out.push(`- status: want ${want.status}, got ${got.status}`);
  const w = want.stdout.split("\n");
  const g = got.stdout.split("\n");
  let shown = 0;
  for (let i = 0; i < Math.max(w.length, g.length) && shown < MAX_LINES; i++) {
    if (w[i] === g[i]) continue;
    out.push(`- want \`${w[i] ?? "<eof>"}\`\n  got  \`${g[i] ?? "<eof>"}\``);
    shown++;
  }
  if (out.length === 0) out.push(`- ${diff.split("\n").join("; ")}`);
  return out.join("\n");
}

it("report", async () => {
  const only = process.env.DIFF_REPORT_ONLY ?? "";
  const wanted = process.env.DIFF_REPORT_PLATFORM ?? "";
  const onlyRe = new RegExp(only);
  const cases: DiffCase[] = [
    ...programCases(),
    ...busyboxCases(),
    ...elfCases(),
    ...realProgramCases(),
  ].filter((c) => onlyRe.test(c.id));
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
  const failures: string[] = [];
  for (const c of cases) {
    const want = await c.native();
    const cells: string[] = [];
    let note = "";
    const seen = new Map<string, PlatformName[]>();
    for (const p of run) {
      const { got, diff } = await c.sandboxed(p, want);
      if (diff === "") passed.get(p)!.push(c.id);
      else {
        if (note === "") note = `${p}: ${diff.split("\n").join(" | ").slice(0, 200)}`;
        const detail = failureDetail(want, got, diff);
        seen.set(detail, [...(seen.get(detail) ?? []), p]);
      }
      cells.push((diff === "" ? "pass" : "FAIL").padEnd(6));
    }
    for (const [detail, ps] of seen) failures.push(`### ${c.id} (${ps.join(", ")})\n\n${detail}\n`);
    lines.push(`${c.id.padEnd(width)}  ${cells.join("  ")}  ${note}`);
  }
  mkdirSync(TMP_DIR, { recursive: true });
  writeFileSync(join(TMP_DIR, "failures.md"), failures.join("\n"));
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
