import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { provider } from "../src/platform.js";
import { kvmAvailable } from "./helpers.js";

/** This process's open fds and its mappings of tsvisor memfds. */
function hostResources(): { fds: number; memfdMaps: number } {
  const maps = readFileSync("/proc/self/maps", "utf8");
  return {
    fds: readdirSync("/proc/self/fd").length,
    memfdMaps: maps.split("\n").filter((l) => l.includes("/memfd:tsvisor")).length,
  };
}

describe.skipIf(!kvmAvailable)("kvm platform lifecycle", () => {
  it("a create() that fails half-way gives back the memfds and mappings it made", () => {
    // Warm up: the addon and its lazily created host state stay loaded.
    provider.create({ memoryFileSize: 2 * 1024 * 1024 }).release();
    const before = hostResources();
    // Fails after the private memory exists (the file may not overlap it).
    expect(() => provider.create({ memoryFileSize: 2 ** 46 })).toThrow(RangeError);
    // Fails in the memory file's constructor, after the private memory exists.
    expect(() => provider.create({ memoryFileSize: 0 })).toThrow(RangeError);
    expect(hostResources()).toEqual(before);
  });

  it("release() is idempotent and leaves no memfd behind", () => {
    const before = hostResources();
    const p = provider.create({ memoryFileSize: 64 * 1024 * 1024 });
    expect(hostResources().memfdMaps).toBeGreaterThan(before.memfdMaps);
    p.release();
    p.release();
    expect(hostResources()).toEqual(before);
  });
});
