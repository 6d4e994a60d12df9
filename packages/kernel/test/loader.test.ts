/**
 * The ELF loader against malformed files: every malformed header gives
 * Linux's errno (checked against fs/binfmt_elf.c's order), and random
 * corruption never throws.
 */
import { EINVAL, ENOEXEC, ET_DYN, PROT_READ } from "@tsvisor/abi";
import { describe, expect, it } from "vitest";
import { type ExecFile, loadElf, parseElf } from "../src/loader/elf.js";
import { newTestMemory } from "./fake-memory.js";

/** A minimal valid static ELF: one PT_LOAD (R+X) at 0x400000 with 16 bytes of code, plus a bss segment. */
function validElf(): Uint8Array {
  const b = new Uint8Array(0x1000 + 16);
  const dv = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  dv.setUint16(16, 2, true); // ET_EXEC
  dv.setUint16(18, 62, true); // EM_X86_64
  dv.setUint32(20, 1, true);
  dv.setBigUint64(24, 0x401000n, true); // entry
  dv.setBigUint64(32, 64n, true); // phoff
  dv.setUint16(52, 64, true);
  dv.setUint16(54, 56, true);
  dv.setUint16(56, 2, true); // phnum
  const ph = (
    i: number,
    type: number,
    flags: number,
    off: number,
    vaddr: number,
    filesz: number,
    memsz: number,
  ) => {
    const o = 64 + i * 56;
    dv.setUint32(o, type, true);
    dv.setUint32(o + 4, flags, true);
    dv.setBigUint64(o + 8, BigInt(off), true);
    dv.setBigUint64(o + 16, BigInt(vaddr), true);
    dv.setBigUint64(o + 24, BigInt(vaddr), true);
    dv.setBigUint64(o + 32, BigInt(filesz), true);
    dv.setBigUint64(o + 40, BigInt(memsz), true);
    dv.setBigUint64(o + 48, 0x1000n, true);
  };
  ph(0, 1, 5, 0, 0x400000, 0x1010, 0x1010);
  ph(1, 1, 6, 0x1000, 0x601000, 0x10, 0x2000);
  b.fill(0xcc, 0x1000, 0x1010);
  return b;
}

function file(bytes: Uint8Array): ExecFile {
  return {
    size: bytes.length,
    readAt(offset, dst) {
      if (offset >= bytes.length) return 0;
      const n = Math.min(dst.length, bytes.length - offset);
      dst.set(bytes.subarray(offset, offset + n));
      return n;
    },
  };
}

function mutate(edit: (dv: DataView, b: Uint8Array) => void, len?: number): Uint8Array {
  const b = validElf();
  edit(new DataView(b.buffer), b);
  return len === undefined ? b : b.slice(0, len);
}

describe("parseElf", () => {
  it("accepts a valid static executable", () => {
    const img = parseElf(file(validElf()));
    expect(typeof img).toBe("object");
    if (typeof img === "number") return;
    expect(img.entry).toBe(0x401000);
    expect(img.phnum).toBe(2);
    expect(img.interp).toBeNull();
  });

  const cases: [string, Uint8Array, number][] = [
    ["empty file", new Uint8Array(0), -ENOEXEC],
    ["truncated header", validElf().slice(0, 40), -ENOEXEC],
    ["bad magic", mutate((_dv, b) => (b[1] = 0x46)), -ENOEXEC],
    ["ET_REL", mutate((dv) => dv.setUint16(16, 1, true)), -ENOEXEC],
    ["ET_CORE", mutate((dv) => dv.setUint16(16, 4, true)), -ENOEXEC],
    ["aarch64", mutate((dv) => dv.setUint16(18, 183, true)), -ENOEXEC],
    ["e_phentsize 32", mutate((dv) => dv.setUint16(54, 32, true)), -ENOEXEC],
    ["e_phnum 0", mutate((dv) => dv.setUint16(56, 0, true)), -ENOEXEC],
    ["e_phnum 0xffff", mutate((dv) => dv.setUint16(56, 0xffff, true)), -ENOEXEC],
    ["phdrs past EOF", mutate((dv) => dv.setBigUint64(32, 0x100000n, true)), -ENOEXEC],
    ["phdrs cut short", validElf().slice(0, 64 + 60), -ENOEXEC],
    [
      "PT_INTERP unterminated",
      mutate((dv, b) => {
        dv.setUint32(64 + 56, 3, true); // second phdr becomes PT_INTERP
        dv.setBigUint64(64 + 56 + 8, 0x1000n, true);
        dv.setBigUint64(64 + 56 + 32, 8n, true);
        b.fill(0x41, 0x1000, 0x1008);
      }),
      -ENOEXEC,
    ],
    [
      "PT_INTERP of 1 byte",
      mutate((dv) => {
        dv.setUint32(64 + 56, 3, true);
        dv.setBigUint64(64 + 56 + 32, 1n, true);
      }),
      -ENOEXEC,
    ],
  ];
  it.each(cases)("%s → errno %i", (_name, bytes, errno) => {
    expect(parseElf(file(bytes))).toBe(errno);
  });

  it("reads PT_INTERP", () => {
    const b = mutate((dv, bytes) => {
      dv.setUint32(64 + 56, 3, true);
      dv.setBigUint64(64 + 56 + 8, 0x1000n, true);
      dv.setBigUint64(64 + 56 + 32, 5n, true);
      bytes.set([0x2f, 0x6c, 0x64, 0x32, 0], 0x1000);
    });
    const img = parseElf(file(b));
    expect(typeof img === "object" && img.interp).toBe("/ld2");
  });

  it("never throws on random corruption (2000 mutants)", () => {
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (let i = 0; i < 2000; i++) {
      const b = validElf();
      const flips = 1 + rnd(8);
      for (let j = 0; j < flips; j++) b[rnd(0x1a0)] = rnd(256);
      const f = file(b.slice(0, rnd(3) === 0 ? rnd(b.length) : b.length));
      const img = parseElf(f);
      if (typeof img === "number") {
        expect(img).toBeLessThan(0);
        continue;
      }
      const r = loadElf(newTestMemory(), f, img, img.type === ET_DYN ? 0x555555554000 : 0);
      if (typeof r === "number") expect(r).toBeLessThan(0);
    }
  });
});

describe("loadElf", () => {
  it("maps segments with their bytes, zeroes the bss, and applies protections", () => {
    const mm = newTestMemory();
    const f = file(validElf());
    const img = parseElf(f);
    if (typeof img === "number") throw new Error("bad test ELF");
    const r = loadElf(mm, f, img, 0);
    if (typeof r === "number") throw new Error(`load failed ${r}`);
    expect(r.entry).toBe(0x401000);
    expect(r.phdrAddr).toBe(0x400040);
    expect(r.end).toBe(0x603000);
    const code = new Uint8Array(16);
    expect(mm.copyIn(0x401000, code)).toBe(16);
    expect([...code]).toEqual(new Array(16).fill(0xcc));
    const bss = new Uint8Array(0x100);
    expect(mm.copyIn(0x601010, bss)).toBe(0x100);
    expect(bss.every((x) => x === 0)).toBe(true);
    // The text segment is not writable: copyOut fails like copy_to_user.
    expect(mm.copyOut(0x401000, new Uint8Array(1))).toBeLessThan(0);
    void PROT_READ;
  });

  it("rejects p_filesz > p_memsz, absurd sizes and misaligned offsets with EINVAL", () => {
    const bad = [
      mutate((dv) => dv.setBigUint64(64 + 40, 0x10n, true)), // memsz < filesz
      mutate((dv) => dv.setBigUint64(64 + 40, 0xffffffffffff0000n, true)), // memsz absurd
      mutate((dv) => dv.setBigUint64(64 + 16, 0xffff800000000000n, true)), // kernel vaddr
      mutate((dv) => dv.setBigUint64(64 + 8, 0x10n, true)), // offset ≢ vaddr (mod page)
    ];
    for (const b of bad) {
      const f = file(b);
      const img = parseElf(f);
      if (typeof img === "number") throw new Error("parse should pass");
      expect(loadElf(newTestMemory(), f, img, 0)).toBe(-EINVAL);
    }
  });

  it("reports file pages past EOF (SIGBUS on touch)", () => {
    const b = validElf().slice(0, 0x1008);
    const f = file(mutate(() => {}, 0x1008));
    const img = parseElf(f);
    if (typeof img === "number") throw new Error("parse should pass");
    // Segment 1 (bss) has file bytes past EOF and needs zeroing: EFAULT → SIGSEGV.
    expect(loadElf(newTestMemory(), f, img, 0)).toBeLessThan(0);
    void b;
  });
});
