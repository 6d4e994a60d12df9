import { defineProject } from "vitest/config";
import { workspaceAlias } from "../../vitest.shared.js";

export default defineProject({
  resolve: { alias: workspaceAlias },
  test: { name: "differential", include: ["test/**/*.test.ts"], testTimeout: 60_000 },
});
