import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_SHARED } from "@tsvisor/abi";
import { describe, expect, it } from "vitest";
import type { MemoryManager } from "../src/index.js";
import { TestFile, checkAll, newEnv } from "./fakes.js";
import { rng } from "./rng.js";

/** Values a hostile program can put in registers, as the kernel decodes them (u64 → number). */
const NASTY = [
  0,
  1,
  4095,
  4096,
  4097,
  0x10000,
  0x7fff_ffff,
  0x8000_0000,
  0xffff_ffff,
  2 ** 32,
  2 ** 46,
  0x7fff_ffff_f000,
  0x7fff_ffff_ffff,
  2 ** 47,
  2 ** 48 - 4096,
  2 ** 53 - 1,
  2 ** 53,
  2 ** 63,
  2 ** 64 - 4096,
  2 ** 64,
  -1,
  -4096,
  0x200000000,
  0x200001000,
  0x200001800,
];

describe("hostile arguments", () => {
  it("never throw, and leave every invariant intact", () => {
    const { mm, allocator } = newEnv({ limitBytes: 1 << 24 });
    const f = new TestFile("/f", 3 * 4096 + 5);
    const r = rng(12345);
    const pick = () => (r(3) === 0 ? r(2 ** 31) * 4096 : NASTY[r(NASTY.length)]!);
    const mms: MemoryManager[] = [mm];
    mm.setBrkBase(0x200000000 + 0x100000);
    mm.mmap({
      addr: 0x200000000,
      length: 0x10000,
      prot: 3,
      flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
    });
    for (let i = 0; i < 3000; i++) {
      const m = mms[r(mms.length)]!;
      const ops: (() => unknown)[] = [
        () =>
          m.mmap({
            addr: pick(),
            length: pick(),
            prot: r(16),
            flags: r(2 ** 21),
            file: f,
            offset: pick(),
          }),
        () =>
          m.mmap({
            addr: 0x200000000 + r(64) * 4096,
            length: (1 + r(8)) * 4096,
            prot: r(8),
            flags: (r(2) ? MAP_SHARED : MAP_PRIVATE) | MAP_FIXED | (r(2) ? MAP_ANONYMOUS : 0),
            file: f,
            offset: r(4) * 4096,
          }),
        () => m.munmap(pick(), pick()),
        () => m.mprotect(pick(), pick(), r(2) ? r(8) : pick()),
        () => m.mremap(pick(), pick(), pick(), r(8), pick()),
        () =>
          m.mremap(
            0x200000000 + r(64) * 4096,
            r(8) * 4096,
            r(8) * 4096,
            r(8),
            0x200000000 + r(64) * 4096,
          ),
        () => m.brk(pick()),
        () => m.madvise(pick(), pick(), r(30)),
        () =>
          m.madvise(
            0x200000000 + r(64) * 4096,
            r(8) * 4096,
            [4, 8, 9, 10, 11, 18, 19, 22, 23][r(9)]!,
          ),
        () => m.msync(pick(), pick(), r(8)),
        () => m.mincore(pick(), r(8) * 4096, new Uint8Array(8)),
        () => m.handleFault(pick(), (["read", "write", "exec"] as const)[r(3)]!),
        () => m.handleFault(0x200000000 + r(0x40000), (["read", "write", "exec"] as const)[r(3)]!),
        () => m.copyIn(pick(), new Uint8Array(r(9000))),
        () => m.copyOut(0x200000000 + r(0x40000), new Uint8Array(r(9000))),
        () => m.copyOut(pick(), new Uint8Array(r(100))),
        () => m.zero(pick(), r(10000)),
        () => m.copyInString(pick(), 4096),
        () => m.readU64(pick()),
        () => m.writeU64(pick(), pick()),
        () => m.readIovecs(pick(), r(2000)),
        () => m.mapsText(),
        () => {
          if (mms.length < 4) {
            const c = m.fork();
            if (typeof c !== "number") mms.push(c);
          }
        },
        () => {
          if (mms.length > 1 && m !== mm) {
            m.release();
            mms.splice(mms.indexOf(m), 1);
          }
        },
      ];
      expect(ops[r(ops.length)]!).not.toThrow();
      if (i % 250 === 0) checkAll(allocator, mms);
    }
    checkAll(allocator, mms);
    for (const m of mms) m.release();
    checkAll(allocator, []);
    expect(allocator.usage).toBe(0);
    expect(allocator.committedBytes).toBe(0);
  });
});
