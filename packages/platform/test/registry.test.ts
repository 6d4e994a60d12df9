import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import {
  loadPlatform,
  type PlatformProvider,
  PlatformUnavailableError,
  platformSpecifier,
} from "../src/index.js";

function fakeProvider(name: string, ok = true): PlatformProvider {
  return {
    name,
    probe: () => (ok ? { ok: true } : { ok: false, reason: "no device", fix: "add one" }),
    create: () => {
      throw new Error("not in this test");
    },
  };
}

describe("platformSpecifier", () => {
  it("maps a bare name to @tsvisor/platform-NAME and keeps package names", () => {
    expect(platformSpecifier("ptrace")).toBe("@tsvisor/platform-ptrace");
    expect(platformSpecifier("@acme/platform-x")).toBe("@acme/platform-x");
    expect(platformSpecifier("acme/x")).toBe("acme/x");
  });

  it("resolves paths against cwd as file URLs", () => {
    expect(platformSpecifier("./p.js", "/srv")).toBe(pathToFileURL("/srv/p.js").href);
    expect(platformSpecifier("/opt/p.mjs", "/srv")).toBe(pathToFileURL("/opt/p.mjs").href);
    expect(platformSpecifier("p.cjs", "/srv")).toBe(pathToFileURL("/srv/p.cjs").href);
  });

  it("rejects names that are neither a platform name nor a path", () => {
    for (const bad of ["", "KVM", "a b", "-x"]) {
      expect(() => platformSpecifier(bad)).toThrow(PlatformUnavailableError);
    }
  });
});

describe("loadPlatform", () => {
  it("takes the default export, else the `provider` export", async () => {
    const a = fakeProvider("a");
    const b = fakeProvider("b");
    const seen: string[] = [];
    expect(
      await loadPlatform("a", async (s) => {
        seen.push(s);
        return { default: a };
      }),
    ).toBe(a);
    expect(await loadPlatform("b", async () => ({ provider: b }))).toBe(b);
    expect(seen).toEqual(["@tsvisor/platform-a"]);
  });

  it("explains a missing module, a module that is no platform, and a failed probe", async () => {
    const missing = async () => {
      throw Object.assign(new Error("Cannot find package"), { code: "ERR_MODULE_NOT_FOUND" });
    };
    await expect(loadPlatform("nope", missing)).rejects.toThrow(
      /platform "nope" not found: install @tsvisor\/platform-nope/,
    );
    // A module path that does not exist names the path, not a package to install.
    await expect(loadPlatform("/nonexistent/tsvisor-platform.js")).rejects.toThrow(
      "platform module /nonexistent/tsvisor-platform.js not found: check the path",
    );
    await expect(loadPlatform("x", async () => ({ default: { name: "x" } }))).rejects.toThrow(
      /is not a tsvisor platform/,
    );
    await expect(
      loadPlatform("y", async () => ({ default: fakeProvider("y", false) })),
    ).rejects.toThrow('platform "y" cannot run here: no device; fix: add one');
    await expect(
      loadPlatform("z", async () => {
        throw new SyntaxError("Unexpected token\nat line 2");
      }),
    ).rejects.toThrow(/^platform "z" failed to load \(@tsvisor\/platform-z\): Unexpected token$/);
  });

  it("rejects with PlatformUnavailableError in every case", async () => {
    const e = await loadPlatform("x", async () => ({})).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(PlatformUnavailableError);
  });
});
