/**
 * Debug assertions for mm's data structures.
 *
 * `CHECK_INVARIANTS` is read once at load time from the environment variable
 * `TSVISOR_CHECK_INVARIANTS=1` (the package's tests set it). When false, every
 * `if (CHECK_INVARIANTS) assert(...)` is dead code the JIT drops.
 */
export const CHECK_INVARIANTS: boolean =
  typeof process !== "undefined" && process.env.TSVISOR_CHECK_INVARIANTS === "1";

/** Throws when `cond` is false: an mm bug, never the program's fault. */
export function assert(cond: boolean, what?: string): asserts cond {
  if (!cond) throw new Error(`mm invariant violated${what === undefined ? "" : `: ${what}`}`);
}
