import { describe, expect, it } from "vitest";
import { assemblePrograms } from "../src/testing/index.js";

describe("conformance kit", () => {
  it("assembles every test program into one flat blob with its symbols", () => {
    const p = assemblePrograms();
    for (const name of [
      "syscall_args",
      "load_rdi",
      "store_rdi",
      "jump_rdi",
      "spin",
      "fp_sse",
      "fp_avx",
    ]) {
      expect(p.sym[name], name).toBeTypeOf("number");
      expect(p.sym[name]!).toBeLessThan(p.code.length);
    }
    // The first program starts with movabs $imm64, %rdi (REX.W + B8+7).
    expect(Array.from(p.code.subarray(p.sym.syscall_args!, p.sym.syscall_args! + 2))).toEqual([
      0x48, 0xbf,
    ]);
  });
});
