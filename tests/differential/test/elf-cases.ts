/**
 * The malformed-ELF set: variants of a valid static program with broken
 * headers, generated at test time, each exec'd by a small launcher
 * (elf/launcher.c) natively and under tsvisor. The launcher prints the
 * execve errno (or how the image died when Linux got past the point of no
 * return) and then that it is still alive, so the sandbox must stay up and
 * give Linux's errno.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type DiffCase,
  PKG_DIR,
  type Program,
  TMP_DIR,
  compile,
  describeDiff,
  freshCwd,
  runNative,
  runTsvisor,
} from "./harness.js";

const ELF_DIR = join(TMP_DIR, "elf");
const PT_LOAD = 1;
const PT_INTERP = 3;
const PT_NOTE = 4;

function elfProgram(name: string): Program {
  return {
    id: `elf-${name}`,
    source: join(PKG_DIR, "elf", `${name}.c`),
    dynamic: false,
    args: [],
    status: 0,
    timeoutMs: 20_000,
    stdin: "",
  };
}

/** An ELF64 little-endian image with typed access to the fields we break. */
class Elf {
  readonly v: DataView;
  constructor(readonly b: Buffer) {
    this.v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  get phoff(): number {
    return Number(this.v.getBigUint64(0x20, true));
  }
  set phoff(x: number) {
    this.v.setBigUint64(0x20, BigInt(x), true);
  }
  get phnum(): number {
    return this.v.getUint16(0x38, true);
  }
  set phnum(x: number) {
    this.v.setUint16(0x38, x, true);
  }
  set phentsize(x: number) {
    this.v.setUint16(0x36, x, true);
  }
  set type(x: number) {
    this.v.setUint16(0x10, x, true);
  }
  set machine(x: number) {
    this.v.setUint16(0x12, x, true);
  }
  set entry(x: bigint) {
    this.v.setBigUint64(0x18, x, true);
  }
  /** Byte offset of program header `i`. */
  ph(i: number): number {
    return this.phoff + i * 56;
  }
  /** Indices of the program headers of type `t`. */
  phOfType(t: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.phnum; i++) if (this.v.getUint32(this.ph(i), true) === t) out.push(i);
    return out;
  }
  get64(i: number, field: "offset" | "vaddr" | "filesz" | "memsz"): bigint {
    return this.v.getBigUint64(this.ph(i) + PH_FIELD[field], true);
  }
  set64(i: number, field: "offset" | "vaddr" | "filesz" | "memsz", x: bigint): void {
    this.v.setBigUint64(this.ph(i) + PH_FIELD[field], x, true);
    if (field === "vaddr") this.v.setBigUint64(this.ph(i) + 24, x, true); // p_paddr too
  }
  setType(i: number, t: number): void {
    this.v.setUint32(this.ph(i), t, true);
  }
}

const PH_FIELD = { offset: 8, vaddr: 16, filesz: 32, memsz: 40 } as const;

/** Appends `tail` to the image and returns the new image and tail's offset. */
function append(b: Buffer, tail: Buffer): { image: Buffer; at: number } {
  return { image: Buffer.concat([b, tail]), at: b.length };
}

/** Turns the first PT_NOTE into a PT_INTERP naming `path` (NUL-terminated or not). */
function withInterp(base: Buffer, path: string, terminate: boolean): Buffer {
  const { image, at } = append(base, Buffer.from(terminate ? `${path}\0` : path));
  const e = new Elf(image);
  const i = e.phOfType(PT_NOTE)[0]!;
  e.setType(i, PT_INTERP);
  e.set64(i, "offset", BigInt(at));
  e.set64(i, "filesz", BigInt(image.length - at));
  e.set64(i, "memsz", BigInt(image.length - at));
  return image;
}

/** The variants: name -> transformation of a copy of the valid image. */
const VARIANTS: Record<string, (b: Buffer) => Buffer> = {
  valid: (b) => b,
  empty: () => Buffer.alloc(0),
  "truncated-ehdr": (b) => b.subarray(0, 40),
  "truncated-phdrs": (b) => b.subarray(0, new Elf(b).phoff + 10),
  "bad-magic": (b) => {
    b[3] = "G".charCodeAt(0);
    return b;
  },
  "class-32": (b) => {
    b[4] = 1;
    return b;
  },
  "big-endian": (b) => {
    b[5] = 2;
    return b;
  },
  "machine-aarch64": (b) => {
    new Elf(b).machine = 183;
    return b;
  },
  "type-rel": (b) => {
    new Elf(b).type = 1;
    return b;
  },
  "type-core": (b) => {
    new Elf(b).type = 4;
    return b;
  },
  "phnum-0": (b) => {
    new Elf(b).phnum = 0;
    return b;
  },
  "phnum-huge": (b) => {
    new Elf(b).phnum = 0xffff;
    return b;
  },
  "phentsize-32": (b) => {
    new Elf(b).phentsize = 32;
    return b;
  },
  "phoff-beyond-file": (b) => {
    new Elf(b).phoff = b.length + 4096;
    return b;
  },
  "filesz-gt-memsz": (b) => {
    const e = new Elf(b);
    const i = e.phOfType(PT_LOAD)[1]!;
    e.set64(i, "filesz", e.get64(i, "memsz") + 0x100000n);
    return b;
  },
  "offset-absurd": (b) => {
    const e = new Elf(b);
    const i = e.phOfType(PT_LOAD)[1]!;
    e.set64(i, "offset", e.get64(i, "offset") + (1n << 40n));
    return b;
  },
  "offset-misaligned": (b) => {
    const e = new Elf(b);
    const i = e.phOfType(PT_LOAD)[1]!;
    e.set64(i, "offset", e.get64(i, "offset") + 8n);
    return b;
  },
  "memsz-absurd": (b) => {
    const e = new Elf(b);
    const loads = e.phOfType(PT_LOAD);
    e.set64(loads[loads.length - 1]!, "memsz", 1n << 46n);
    return b;
  },
  "segment-beyond-file": (b) => {
    const e = new Elf(b);
    const loads = e.phOfType(PT_LOAD);
    const i = loads[loads.length - 1]!;
    e.set64(i, "offset", e.get64(i, "offset") + BigInt(b.length) + 0x100000n);
    return b;
  },
  "segments-overlap": (b) => {
    const e = new Elf(b);
    const [first, second] = e.phOfType(PT_LOAD);
    // Same page offset as before, but inside the first segment's range.
    e.set64(second!, "vaddr", e.get64(first!, "vaddr") + (e.get64(second!, "offset") & 0xfffn));
    return b;
  },
  "vaddr-kernel": (b) => {
    const e = new Elf(b);
    const i = e.phOfType(PT_LOAD)[0]!;
    e.set64(i, "vaddr", 0xffff800000000000n + (e.get64(i, "offset") & 0xfffn));
    return b;
  },
  "vaddr-zero-page": (b) => {
    const e = new Elf(b);
    const i = e.phOfType(PT_LOAD)[0]!;
    e.set64(i, "vaddr", e.get64(i, "offset") & 0xfffn);
    return b;
  },
  "entry-unmapped": (b) => {
    new Elf(b).entry = 0x10n;
    return b;
  },
  "interp-missing": (b) => withInterp(b, "/nonexistent/ld-linux-x86-64.so.2", true),
  "interp-unterminated": (b) => withInterp(b, "/lib64/ld-linux-x86-64.so.2", false),
  "interp-is-directory": (b) => withInterp(b, "/usr", true),
  "interp-not-elf": (b) => withInterp(b, "/etc/os-release", true),
};

/** The malformed-ELF cases (ids "elf:NAME"). */
export function elfCases(): DiffCase[] {
  let launcher = "";
  let ready: Promise<void> | undefined;
  const prepareAll = (): Promise<void> => {
    ready ??= (async () => {
      launcher = (await compile(elfProgram("launcher"))).binary;
      const base = readFileSync((await compile(elfProgram("base"))).binary);
      mkdirSync(ELF_DIR, { recursive: true });
      for (const [name, make] of Object.entries(VARIANTS)) {
        const file = join(ELF_DIR, name);
        writeFileSync(file, make(Buffer.from(base)));
        chmodSync(file, 0o755);
      }
    })();
    return ready;
  };
  return Object.keys(VARIANTS).map((name) => {
    const id = `elf:${name}`;
    const argv = () => [launcher, join(ELF_DIR, name)];
    const opts = () => ({ cwd: freshCwd(`elf_${name}`), timeoutMs: 20_000 });
    return {
      id,
      prepare: prepareAll,
      native: () => runNative(argv(), opts()),
      async sandboxed(platform, want) {
        const got = await runTsvisor(platform, argv(), opts());
        return { got, diff: describeDiff(want, got) };
      },
    };
  });
}
