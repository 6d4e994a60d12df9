import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));

/**
 * Resolves `@tsvisor/NAME` to the package's TypeScript source in tests, so a
 * package's tests never depend on another package's `dist` being built (or
 * being rebuilt at that moment). Subpath exports map the same way:
 * `@tsvisor/platform/testing` -> packages/platform/src/testing/index.ts.
 */
export const workspaceAlias = readdirSync(join(root, "packages")).flatMap((name) => [
  {
    find: new RegExp(`^@tsvisor/${name}/(.+)$`),
    replacement: join(root, "packages", name, "src", "$1", "index.ts"),
  },
  {
    find: new RegExp(`^@tsvisor/${name}$`),
    replacement: join(root, "packages", name, "src", "index.ts"),
  },
]);

/** Setup file every project uses (see vitest.setup.ts for why). */
export const yieldBetweenTests = join(root, "vitest.setup.ts");
