import { describe, expect, it } from "vitest";
import { checkFileRange, checkUserRange, PAGE_SIZE } from "../src/index.js";

const P = PAGE_SIZE;
const LO = 0x10000;
const HI = 0x7fffc0000000;

describe("checkUserRange", () => {
  it("accepts non-empty page-aligned ranges inside [min, max), up to max itself", () => {
    expect(() => checkUserRange("t", LO, P, LO, HI)).not.toThrow();
    expect(() => checkUserRange("t", HI - 2 * P, 2 * P, LO, HI)).not.toThrow();
  });

  it("throws RangeError, named after the caller, for anything else", () => {
    const bad: [number, number][] = [
      [LO - P, P],
      [HI - P, 2 * P],
      [HI, P],
      [LO + 1, P],
      [LO, P - 1],
      [LO, 0],
      [LO, -P],
    ];
    for (const [a, l] of bad) expect(() => checkUserRange("t", a, l, LO, HI)).toThrow(RangeError);
    expect(() => checkUserRange("kvm", 1, P, LO, HI)).toThrow(/^kvm: bad range/);
  });
});

describe("checkFileRange", () => {
  it("accepts page-aligned offsets whose range ends inside the file", () => {
    expect(() => checkFileRange("t", 0, 4 * P, 4 * P)).not.toThrow();
    expect(() => checkFileRange("t", 3 * P, P, 4 * P)).not.toThrow();
  });

  it("throws RangeError for unaligned, negative or overlong file ranges", () => {
    for (const [o, l] of [
      [1, P],
      [-P, P],
      [3 * P, 2 * P],
      [4 * P, P],
    ] as const) {
      expect(() => checkFileRange("t", o, l, 4 * P)).toThrow(RangeError);
    }
  });
});
