import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressSpace, Platform } from "@tsvisor/platform";
import { PROT_EXEC, PROT_READ, PROT_WRITE } from "@tsvisor/platform";

/** Where test programs' code is linked and loaded. */
export const CODE_ADDR = 0x400000;
/** A stack page's top (the page below it is mapped RW). */
export const STACK_TOP = 0x7ff000000000;

/**
 * Assembles `asm` (AT&T syntax, Intel-free, one `.text` section starting at
 * CODE_ADDR) with gcc at test time and returns the raw code bytes. Labels
 * become offsets from CODE_ADDR.
 */
export function assemble(asm: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), "tsvisor-kvm-"));
  try {
    const src = join(dir, "p.S");
    writeFileSync(src, `.text\n.globl _start\n_start:\n${asm}\n`);
    const elf = join(dir, "p.elf");
    const bin = join(dir, "p.bin");
    execFileSync("gcc", [
      "-nostdlib",
      "-static",
      "-no-pie",
      `-Wl,-Ttext=${CODE_ADDR.toString(16)}`,
      "-Wl,--build-id=none",
      "-o",
      elf,
      src,
    ]);
    execFileSync("objcopy", ["-O", "binary", "-j", ".text", elf, bin]);
    return new Uint8Array(readFileSync(bin));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Bump allocator of memory-file offsets for tests. */
export class FileAlloc {
  private next = 0;
  constructor(private readonly platform: Platform) {}
  /** Returns the offset of `pages` fresh pages. */
  alloc(pages: number): number {
    const o = this.next;
    this.next += pages * 4096;
    return o;
  }
  write(offset: number, data: Uint8Array): void {
    const f = this.platform.memoryFile;
    const c = f.chunk(Math.floor(offset / f.chunkSize));
    c.set(data, offset % f.chunkSize);
  }
  view(offset: number, length: number): DataView {
    const f = this.platform.memoryFile;
    const c = f.chunk(Math.floor(offset / f.chunkSize));
    return new DataView(c.buffer, c.byteOffset + (offset % f.chunkSize), length);
  }
}

/** Loads `code` at CODE_ADDR (R+X) and a 4-page stack below STACK_TOP (R+W) into `as`. */
export function load(
  as: AddressSpace,
  files: FileAlloc,
  code: Uint8Array,
): { codeOffset: number; stackOffset: number } {
  const pages = Math.ceil(code.length / 4096) || 1;
  const codeOffset = files.alloc(pages);
  files.write(codeOffset, code);
  if (as.mapFile(CODE_ADDR, pages * 4096, codeOffset, PROT_READ | PROT_EXEC) !== 0)
    throw new Error("map code");
  const stackOffset = files.alloc(4);
  if (as.mapFile(STACK_TOP - 4 * 4096, 4 * 4096, stackOffset, PROT_READ | PROT_WRITE) !== 0) {
    throw new Error("map stack");
  }
  return { codeOffset, stackOffset };
}
