import { defineConfig } from "vitest/config";

// One workspace config: `pnpm vitest` at the root runs every package's tests.
// turbo runs the same tests per package through each package's `test` script.
export default defineConfig({
  test: {
    projects: ["packages/*", "tests/*"],
  },
});
