import { defineProject } from "vitest/config";
import { workspaceAlias, yieldBetweenTests } from "../../vitest.shared.js";

export default defineProject({
  resolve: { alias: workspaceAlias },
  test: {
    name: "robustness",
    include: ["test/**/*.test.ts"],
    testTimeout: 1_800_000,
    setupFiles: [yieldBetweenTests],
  },
});
