#!/usr/bin/env node
// Prints a pass/fail table of every differential case under each available
// platform, ignoring passing.json; with --update, rewrites passing.json.
//
//   pnpm --filter @tsvisor/differential-tests run report [--update]
//        [--platform ptrace|kvm] [--only REGEXP]
//
// The work runs inside vitest (which loads the TypeScript harness); the
// table is written to tmp/report.txt and printed here.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const env = { ...process.env };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--update") env.DIFF_REPORT_UPDATE = "1";
  else if (a === "--platform") env.DIFF_REPORT_PLATFORM = args[++i] ?? "";
  else if (a === "--only") env.DIFF_REPORT_ONLY = args[++i] ?? "";
  else if (a === "--help" || a === "-h") {
    console.log("usage: report [--update] [--platform NAME] [--only REGEXP]");
    process.exit(0);
  } else {
    console.error(`report: unknown argument ${a}`);
    process.exit(2);
  }
}
const out = join(pkg, "tmp", "report.txt");
rmSync(out, { force: true });
const vitest = join(pkg, "node_modules", ".bin", "vitest");
const bin = existsSync(vitest) ? vitest : "vitest";
const r = spawnSync(bin, ["run", "--config", "vitest.report.config.ts", "--reporter", "dot"], {
  cwd: pkg,
  env,
  stdio: ["ignore", "ignore", "inherit"],
});
if (!existsSync(out)) {
  console.error(`report: vitest exited with ${r.status} and wrote no report`);
  process.exit(1);
}
process.stdout.write(readFileSync(out, "utf8"));
process.exit(r.status ?? 1);
