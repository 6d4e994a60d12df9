/**
 * The tsvisor side shared by every differential test file: one describe per
 * platform; an unavailable platform is a skipped test naming the reason
 * (never a pass); the cases run are those passing.json lists for the
 * platform, and each must match its native run.
 */
import { describe, expect, it } from "vitest";
import {
  type DiffCase,
  PLATFORM_NAMES,
  type PlatformStatus,
  type RunResult,
  probePlatform,
  readPassing,
} from "./harness.js";

let probed: Promise<PlatformStatus[]> | undefined;

/** Probes every platform once per test file. */
export function probeAll(): Promise<PlatformStatus[]> {
  probed ??= Promise.all(PLATFORM_NAMES.map(probePlatform));
  return probed;
}

/**
 * Declares the sandboxed comparisons of `cases`.
 *
 * @param nativeRun the (memoised) native run of a case by id; the native
 *   tests of the file fill the memo, this reuses it.
 */
export function sandboxSuites(
  platforms: readonly PlatformStatus[],
  cases: ReadonlyMap<string, DiffCase>,
  nativeRun: (id: string) => Promise<RunResult>,
): void {
  const passing = readPassing();
  describe.each(platforms)("tsvisor on $name", (platform) => {
    if (!platform.ok) {
      console.log(`differential: platform ${platform.name} skipped: ${platform.reason}`);
      it.skip(`${platform.name} unavailable: ${platform.reason}`, () => {});
      return;
    }
    const ids = passing[platform.name].filter((id) => cases.has(id));
    if (ids.length === 0) {
      it.skip("none of these cases is listed in passing.json yet", () => {});
      return;
    }
    it.each(ids)("%s", async (id) => {
      const want = await nativeRun(id);
      const { diff } = await cases.get(id)!.sandboxed(platform.name, want);
      expect(diff, `${id} under tsvisor/${platform.name}`).toBe("");
    });
  });
}

/** A memoising native runner over `cases`. */
export function nativeRunner(
  cases: ReadonlyMap<string, DiffCase>,
): (id: string) => Promise<RunResult> {
  const memo = new Map<string, Promise<RunResult>>();
  return (id) => {
    let r = memo.get(id);
    if (r === undefined) {
      r = cases.get(id)!.native();
      memo.set(id, r);
    }
    return r;
  };
}
