import { defineProject } from "vitest/config";
import { workspaceAlias, yieldBetweenTests } from "../../vitest.shared.js";

export default defineProject({
  resolve: { alias: workspaceAlias },
  test: {
    name: "platform-ptrace",
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    setupFiles: [yieldBetweenTests],
  },
});
