import { describe, expect, it } from "vitest";
import {
  newRegisters,
  REG_RAX,
  REG_RDI,
  regBig,
  regI32,
  regS64,
  regU64,
  setReg,
  setRegBig,
} from "../src/index.js";

describe("register file", () => {
  it("stores negative errnos in two's complement", () => {
    const r = newRegisters();
    setReg(r, REG_RAX, -2);
    expect(regBig(r, REG_RAX)).toBe(0xfffffffffffffffen);
    expect(regS64(r, REG_RAX)).toBe(-2);
    expect(regI32(r, REG_RAX)).toBe(-2);
  });
  it("round-trips values up to 2^53 exactly", () => {
    const r = newRegisters();
    for (const v of [0, 1, 0xffffffff, 0x100000000, 0x7ffffffff000, 2 ** 53 - 1, -(2 ** 53)]) {
      setReg(r, REG_RDI, v);
      expect(v < 0 ? regS64(r, REG_RDI) : regU64(r, REG_RDI)).toBe(v);
      expect(regBig(r, REG_RDI)).toBe(BigInt.asUintN(64, BigInt(v)));
    }
  });
  it("keeps huge unsigned values huge", () => {
    const r = newRegisters();
    setRegBig(r, REG_RDI, -1n);
    expect(regU64(r, REG_RDI)).toBeGreaterThanOrEqual(2 ** 64 - 4096);
    expect(regS64(r, REG_RDI)).toBe(-1);
  });
});
