import { describe, expect, it } from "vitest";
import { MappingTable } from "../src/mapping-table.js";

describe("MappingTable", () => {
  it("keeps protections and file offsets through splits, unmaps and protects", () => {
    const t = new MappingTable();
    t.set(0x1000, 0x5000, 1, 0x10000);
    expect(t.offsetAt(0x1000)).toBe(0x10000);
    expect(t.offsetAt(0x4fff)).toBe(0x13fff);
    expect(t.offsetAt(0x5000)).toBe(-1);
    t.set(0x2000, 0x3000, null); // hole in the middle
    expect(t.protAt(0x2000)).toBe(-1);
    expect(t.offsetAt(0x3000)).toBe(0x12000);
    t.protect(0x0, 0x10000, 3);
    expect(t.protAt(0x1000)).toBe(3);
    expect(t.protAt(0x3800)).toBe(3);
    expect(t.offsetAt(0x3800)).toBe(0x12800);
    expect(t.protAt(0x2800)).toBe(-1); // protect does not map holes
    t.set(0x800, 0x1800, 5, 0x900000); // overlap the start
    expect(t.offsetAt(0x1000)).toBe(0x900800);
    expect(t.offsetAt(0x1800)).toBe(0x10800);
    expect(t.protAt(0x1800)).toBe(3);
  });
});
