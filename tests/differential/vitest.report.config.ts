import { defineConfig } from "vitest/config";
import { workspaceAlias } from "../../vitest.shared.js";

/** Config of `pnpm run report` (scripts/report.mjs): the progress table, not a test. */
export default defineConfig({
  resolve: { alias: workspaceAlias },
  test: {
    name: "differential-report",
    include: ["scripts/report.run.ts"],
    testTimeout: 4 * 60 * 60 * 1000,
    hookTimeout: 600_000,
  },
});
