/**
 * The initial process stack: argument and environment strings, the auxiliary
 * vector, and the argc/argv/envp words `_start` reads, laid out exactly as
 * Linux's fs/exec.c (copy_strings) and fs/binfmt_elf.c (create_elf_tables)
 * do on x86-64. From the top of the stack down:
 *
 * ```
 *   [8 zero bytes]                 end marker (bprm->p starts below it)
 *   execfn string                  AT_EXECFN points here
 *   envp strings, argv strings     argv[0] lowest
 *   "x86_64\0"                     AT_PLATFORM
 *   16 random bytes                AT_RANDOM
 *   (padding to 16 bytes)
 *   auxv pairs, AT_NULL
 *   NULL, envp[envc-1] .. envp[0]
 *   NULL, argv[argc-1] .. argv[0]
 *   argc                           <- rsp, 16-byte aligned
 * ```
 */
import { randomFillSync } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  AT_BASE,
  AT_CLKTCK,
  AT_EGID,
  AT_ENTRY,
  AT_EUID,
  AT_EXECFN,
  AT_FLAGS,
  AT_GID,
  AT_HWCAP,
  AT_HWCAP2,
  AT_MINSIGSTKSZ,
  AT_NULL,
  AT_PAGESZ,
  AT_PHDR,
  AT_PHENT,
  AT_PHNUM,
  AT_PLATFORM,
  AT_RANDOM,
  AT_SECURE,
  AT_UID,
  E2BIG,
} from "@tsvisor/abi";

/** Linux's MAX_ARG_STRLEN: 32 pages per argument or environment string. */
export const MAX_ARG_STRLEN = 32 * 4096;
/** Linux's MAX_ARG_STRINGS. */
export const MAX_ARG_STRINGS = 0x7fffffff;

/** What create_elf_tables needs to know about the loaded image. */
export interface AuxInfo {
  phdr: number;
  phent: number;
  phnum: number;
  /** Interpreter load address (AT_BASE), 0 for static programs. */
  base: number;
  entry: number;
  uid: number;
  euid: number;
  gid: number;
  egid: number;
  secure: boolean;
}

/** An auxv entry. */
export interface AuxEntry {
  key: number;
  value: number;
}

let hostAux: Map<number, number> | null = null;

/**
 * The host kernel's auxiliary vector, from /proc/self/auxv. AT_HWCAP,
 * AT_HWCAP2 and AT_MINSIGSTKSZ describe the CPU the program really runs on,
 * so they are passed through (that is what cpuid would say).
 */
export function hostAuxv(): Map<number, number> {
  if (hostAux !== null) return hostAux;
  hostAux = new Map();
  try {
    const b = readFileSync("/proc/self/auxv");
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let o = 0; o + 16 <= b.byteLength; o += 16) {
      const key = Number(dv.getBigUint64(o, true));
      if (key === AT_NULL) break;
      hostAux.set(key, Number(dv.getBigUint64(o + 8, true)));
    }
  } catch {
    // Not Linux or no procfs: fall back to conservative values below.
  }
  return hostAux;
}

/** Bytes of the byte string `s` (one latin1 code unit per byte) plus its NUL. */
function cstr(s: string): Uint8Array {
  return Buffer.from(`${s}\0`, "latin1");
}

/**
 * Checks argv/envp against Linux's limits before exec commits (copy_strings
 * and bprm_stack_limits): each string at most MAX_ARG_STRLEN bytes including
 * its NUL, and all strings plus pointers within a quarter of the stack limit
 * (at least 128 KiB, at most 3/4 of _STK_LIM... Linux caps it at 6 MiB).
 * Returns 0 or -E2BIG.
 */
export function checkArgLimits(
  argv: readonly string[],
  envp: readonly string[],
  stackLimit: number,
): number {
  let total = 0;
  for (const s of argv) {
    const n = s.length + 1;
    if (n > MAX_ARG_STRLEN) return -E2BIG;
    total += n + 8;
  }
  for (const s of envp) {
    const n = s.length + 1;
    if (n > MAX_ARG_STRLEN) return -E2BIG;
    total += n + 8;
  }
  if (total > argStackLimit(stackLimit)) return -E2BIG;
  return 0;
}

/**
 * bprm_stack_limits: how many bytes of strings and pointers exec may put on
 * the new stack for RLIMIT_STACK `stackLimit`: a quarter of it, at least
 * ARG_MAX (32 pages), at most 3/4 of _STK_LIM (6 MiB).
 */
export function argStackLimit(stackLimit: number): number {
  return Math.min((8 * 1024 * 1024 * 3) / 4, Math.max(stackLimit / 4, 32 * 4096));
}

/** The built stack: bytes to copy to `[top - bytes.length, top)` and the initial rsp. */
export interface InitialStack {
  bytes: Uint8Array;
  sp: number;
  /** The auxv as laid out (for tests and /proc/PID/auxv). */
  auxv: AuxEntry[];
  /** Start and end of the argument strings (for /proc/PID/cmdline) and env. */
  argStart: number;
  argEnd: number;
  envStart: number;
  envEnd: number;
}

/**
 * Lays out the initial stack whose highest byte is `top - 1`.
 *
 * Preconditions: `top` is 16-byte aligned; the limits were checked with
 * {@link checkArgLimits}.
 */
export function buildInitialStack(
  top: number,
  argv: readonly string[],
  envp: readonly string[],
  execfn: string,
  aux: AuxInfo,
  random: Uint8Array = randomFillSync(new Uint8Array(16)),
): InitialStack {
  // Strings are placed top-down first; the image is assembled once sp is known.
  const blobs: { addr: number; data: Uint8Array }[] = [];
  let p = top - 8; // end marker
  const push = (b: Uint8Array): number => {
    p -= b.length;
    blobs.push({ addr: p, data: b });
    return p;
  };
  const execfnAddr = push(cstr(execfn));
  // copy_strings copies envp then argv, each from the last string down.
  const envAddrs: number[] = new Array(envp.length);
  const envEnd = p;
  for (let i = envp.length - 1; i >= 0; i--) envAddrs[i] = push(cstr(envp[i]!));
  const envStart = p;
  const argAddrs: number[] = new Array(argv.length);
  const argEnd = p;
  for (let i = argv.length - 1; i >= 0; i--) argAddrs[i] = push(cstr(argv[i]!));
  const argStart = p;
  const platformAddr = push(cstr("x86_64"));
  const randomAddr = push(random);

  const host = hostAuxv();
  const auxv: AuxEntry[] = [];
  const a = (key: number, value: number): void => {
    auxv.push({ key, value });
  };
  // No AT_SYSINFO_EHDR: there is no vDSO, so libc makes real syscalls for time.
  a(AT_MINSIGSTKSZ, host.get(AT_MINSIGSTKSZ) ?? 2048);
  a(AT_HWCAP, host.get(AT_HWCAP) ?? 0);
  a(AT_PAGESZ, 4096);
  a(AT_CLKTCK, 100);
  a(AT_PHDR, aux.phdr);
  a(AT_PHENT, aux.phent);
  a(AT_PHNUM, aux.phnum);
  a(AT_BASE, aux.base);
  a(AT_FLAGS, 0);
  a(AT_ENTRY, aux.entry);
  a(AT_UID, aux.uid);
  a(AT_EUID, aux.euid);
  a(AT_GID, aux.gid);
  a(AT_EGID, aux.egid);
  a(AT_SECURE, aux.secure ? 1 : 0);
  a(AT_RANDOM, randomAddr);
  const hwcap2 = host.get(AT_HWCAP2) ?? 0;
  if (hwcap2 !== 0) a(AT_HWCAP2, hwcap2);
  a(AT_EXECFN, execfnAddr);
  a(AT_PLATFORM, platformAddr);
  a(AT_NULL, 0);

  // create_elf_tables: sp = STACK_ROUND(p, items) = ((p - items * 8) & ~15),
  // after aligning p itself down to 16.
  const words = 1 + argv.length + 1 + envp.length + 1 + auxv.length * 2;
  const aligned = p - (p % 16);
  const sp = Math.floor((aligned - words * 8) / 16) * 16;
  const bytes = new Uint8Array(top - sp);
  const dv = new DataView(bytes.buffer);
  let o = 0;
  const w = (v: number): void => {
    dv.setBigUint64(o, BigInt(v), true);
    o += 8;
  };
  w(argv.length);
  for (const x of argAddrs) w(x);
  w(0);
  for (const x of envAddrs) w(x);
  w(0);
  for (const e of auxv) {
    w(e.key);
    w(e.value);
  }
  for (const b of blobs) bytes.set(b.data, b.addr - sp);
  return { bytes, sp, auxv, argStart, argEnd, envStart, envEnd };
}
