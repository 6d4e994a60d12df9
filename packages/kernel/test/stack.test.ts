/** The initial stack's layout (create_elf_tables), read back from memory. */
import {
  AT_EXECFN,
  AT_HWCAP,
  AT_NULL,
  AT_PAGESZ,
  AT_PLATFORM,
  AT_RANDOM,
  AT_SYSINFO_EHDR,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_PRIVATE,
  PROT_READ,
  PROT_WRITE,
} from "@tsvisor/abi";
import { describe, expect, it } from "vitest";
import {
  buildInitialStack,
  checkArgLimits,
  hostAuxv,
  MAX_ARG_STRLEN,
} from "../src/loader/stack.js";
import { newTestMemory } from "./fake-memory.js";

const TOP = 0x7ffffffff000;

describe("initial stack", () => {
  const argv = ["/bin/prog", "one", "two words"];
  const envp = ["A=1", "PATH=/bin"];
  const random = new Uint8Array(16).map((_, i) => i + 1);
  const st = buildInitialStack(
    TOP,
    argv,
    envp,
    "/bin/prog",
    {
      phdr: 0x400040,
      phent: 56,
      phnum: 9,
      base: 0,
      entry: 0x401000,
      uid: 0,
      euid: 0,
      gid: 0,
      egid: 0,
      secure: false,
    },
    random,
  );
  const mm = newTestMemory();
  mm.mmap({
    addr: TOP - 0x100000,
    length: 0x100000,
    prot: PROT_READ | PROT_WRITE,
    flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
  });
  mm.copyOut(st.sp, st.bytes);
  const u64 = (addr: number): number => {
    const b = new Uint8Array(8);
    mm.copyIn(addr, b);
    return Number(new DataView(b.buffer).getBigUint64(0, true));
  };
  const str = (addr: number): string => {
    const b = mm.copyInCString(addr, 4096);
    return typeof b === "number" ? `<${b}>` : Buffer.from(b).toString("latin1");
  };

  it("is 16-byte aligned with argc, argv, envp and auxv in order", () => {
    expect(st.sp % 16).toBe(0);
    expect(u64(st.sp)).toBe(3);
    for (let i = 0; i < 3; i++) expect(str(u64(st.sp + 8 + 8 * i))).toBe(argv[i]);
    expect(u64(st.sp + 8 * 4)).toBe(0);
    for (let i = 0; i < 2; i++) expect(str(u64(st.sp + 8 * (5 + i)))).toBe(envp[i]);
    expect(u64(st.sp + 8 * 7)).toBe(0);
    const aux = new Map<number, number>();
    let o = st.sp + 8 * 8;
    for (;;) {
      const key = u64(o);
      aux.set(key, u64(o + 8));
      o += 16;
      if (key === AT_NULL) break;
    }
    expect(aux.get(AT_PAGESZ)).toBe(4096);
    expect(aux.has(AT_SYSINFO_EHDR)).toBe(false);
    expect(aux.get(AT_HWCAP)).toBe(hostAuxv().get(AT_HWCAP));
    expect(str(aux.get(AT_PLATFORM)!)).toBe("x86_64");
    expect(str(aux.get(AT_EXECFN)!)).toBe("/bin/prog");
    const r = new Uint8Array(16);
    mm.copyIn(aux.get(AT_RANDOM)!, r);
    expect([...r]).toEqual([...random]);
    // Linux puts the platform string right above the random bytes, and
    // execfn right above the environment strings, under an 8-byte marker.
    expect(aux.get(AT_PLATFORM)! - aux.get(AT_RANDOM)!).toBe(16);
    expect(aux.get(AT_EXECFN)!).toBe(st.envEnd);
    expect(aux.get(AT_EXECFN)! + "/bin/prog".length + 1).toBe(TOP - 8);
  });

  it("enforces MAX_ARG_STRLEN and the stack-based total with E2BIG", () => {
    expect(checkArgLimits(["x".repeat(MAX_ARG_STRLEN - 1)], [], 8 << 20)).toBe(0);
    expect(checkArgLimits(["x".repeat(MAX_ARG_STRLEN)], [], 8 << 20)).toBe(-7);
    const many = Array.from({ length: 40 }, () => "y".repeat(100000));
    expect(checkArgLimits(many, [], 8 << 20)).toBe(-7);
  });
});
