/**
 * Node module hooks that run the workspace's TypeScript sources directly, so
 * tests can start `tsvisor` as a real process (to send it real signals)
 * without building any package: `@tsvisor/NAME` resolves to
 * packages/NAME/src/index.ts (as vitest.shared.ts's alias does), a relative
 * `./x.js` to `./x.ts` when only the latter exists, and `.ts` files are
 * compiled by esbuild (the one vite, and so vitest, uses).
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");
const fromVitest = createRequire(createRequire(join(repo, "package.json")).resolve("vitest"));
const esbuild = createRequire(fromVitest.resolve("vite"))("esbuild");

export async function resolve(specifier, context, next) {
  const m = /^@tsvisor\/([^/]+)(?:\/(.+))?$/.exec(specifier);
  if (m !== null) {
    const sub = m[2] === undefined ? "index.ts" : join(m[2], "index.ts");
    const file = join(repo, "packages", m[1], "src", sub);
    if (existsSync(file)) return { url: pathToFileURL(file).href, shortCircuit: true };
  }
  if (
    (specifier.startsWith("./") || specifier.startsWith("../")) &&
    specifier.endsWith(".js") &&
    context.parentURL?.endsWith(".ts")
  ) {
    const ts = new URL(specifier.replace(/\.js$/, ".ts"), context.parentURL);
    if (!existsSync(new URL(specifier, context.parentURL)) && existsSync(ts))
      return { url: ts.href, shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.endsWith(".ts")) return next(url, context);
  const file = fileURLToPath(url);
  const { code } = esbuild.transformSync(readFileSync(file, "utf8"), {
    loader: "ts",
    format: "esm",
    target: "node20",
    sourcefile: file,
    sourcemap: "inline",
  });
  return { format: "module", source: code, shortCircuit: true };
}
