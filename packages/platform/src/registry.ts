import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { PlatformProvider } from "./platform.js";

/** Thrown when a platform cannot be loaded or cannot run here; `message` is one user-facing line. */
export class PlatformUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlatformUnavailableError";
  }
}

/**
 * Turns a `--platform` value into the module specifier to import: a bare name
 * `NAME` means the package `@tsvisor/platform-NAME`; anything that looks like
 * a path (`./x`, `/x`, `x.js`) or a scoped/package name is used as given.
 */
export function platformSpecifier(nameOrPath: string, cwd = process.cwd()): string {
  if (nameOrPath.startsWith(".") || isAbsolute(nameOrPath) || /\.[cm]?js$/.test(nameOrPath)) {
    return pathToFileURL(resolve(cwd, nameOrPath)).href;
  }
  if (nameOrPath.startsWith("@") || nameOrPath.includes("/")) return nameOrPath;
  if (!/^[a-z0-9][a-z0-9-]*$/.test(nameOrPath)) {
    throw new PlatformUnavailableError(`invalid platform name "${nameOrPath}"`);
  }
  return `@tsvisor/platform-${nameOrPath}`;
}

function isProvider(x: unknown): x is PlatformProvider {
  const p = x as PlatformProvider | undefined;
  return (
    typeof p === "object" &&
    p !== null &&
    typeof p.name === "string" &&
    typeof p.probe === "function" &&
    typeof p.create === "function"
  );
}

/**
 * Loads the platform provider for `nameOrPath` and checks it can run on this
 * host. The module must default-export a `PlatformProvider` (or export it as
 * `provider`).
 *
 * @param importer resolves the specifier; defaults to this module's `import()`,
 *   callers pass their own so packages installed beside them are found.
 * @throws PlatformUnavailableError with a one-line reason and fix.
 */
export async function loadPlatform(
  nameOrPath: string,
  importer: (specifier: string) => Promise<unknown> = (s) => import(s),
): Promise<PlatformProvider> {
  const spec = platformSpecifier(nameOrPath);
  let mod: { default?: unknown; provider?: unknown };
  try {
    mod = (await importer(spec)) as typeof mod;
  } catch (e) {
    const code = (e as { code?: string }).code;
    const notFound = code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND";
    if (spec.startsWith("file:")) {
      // A path that exists but fails to load (a missing import inside it)
      // falls through to "failed to load" with Node's reason.
      const path = fileURLToPath(spec);
      if (notFound && !existsSync(path)) {
        throw new PlatformUnavailableError(`platform module ${path} not found: check the path`);
      }
    } else if (notFound) {
      throw new PlatformUnavailableError(
        `platform "${nameOrPath}" not found: install ${spec} (e.g. pnpm add ${spec}) or pass a module path`,
      );
    }
    throw new PlatformUnavailableError(
      `platform "${nameOrPath}" failed to load (${spec}): ${(e as Error).message.split("\n")[0]}`,
    );
  }
  const provider = isProvider(mod.default)
    ? mod.default
    : isProvider(mod.provider)
      ? mod.provider
      : null;
  if (provider === null) {
    throw new PlatformUnavailableError(
      `module ${spec} is not a tsvisor platform: it must default-export { name, probe(), create() }`,
    );
  }
  const probe = provider.probe();
  if (!probe.ok) {
    throw new PlatformUnavailableError(
      `platform "${provider.name}" cannot run here: ${probe.reason}; fix: ${probe.fix}`,
    );
  }
  return provider;
}
