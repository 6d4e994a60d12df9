import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Syscall numbers the test programs use as markers (not real calls the suite relies on). */
export const NR_GETPID = 39;
export const NR_REPORT = 500;
export const NR_STORED = 502;
export const NR_EXEC_OK = 503;
export const NR_FS = 504;
export const NR_FP_CHECK = 505;
export const NR_FP_DONE = 506;
export const NR_COUNT = 507;

function xmmLoads(): string {
  let s = "";
  for (let i = 0; i < 16; i++) s += `  movdqu ${16 * i}(%rdi), %xmm${i}\n`;
  return s;
}
function xmmStores(): string {
  let s = "";
  for (let i = 0; i < 16; i++) s += `  movdqu %xmm${i}, ${16 * i}(%rsi)\n`;
  return s;
}
function ymmLoads(): string {
  let s = "";
  for (let i = 0; i < 16; i++) s += `  vmovdqu ${32 * i}(%rdi), %ymm${i}\n`;
  return s;
}
function ymmStores(): string {
  let s = "";
  for (let i = 0; i < 16; i++) s += `  vmovdqu %ymm${i}, ${32 * i}(%rsi)\n`;
  return s;
}

/**
 * The suite's test programs: position-independent x86-64 snippets, one per
 * global label, assembled with gcc at test time into one flat blob. Inputs
 * come in registers set by the test; results leave through syscalls whose
 * numbers (NR_*) mark where the program is.
 */
export const PROGRAMS_S = `
  .text
  .globl syscall_args, sa_after, load_rdi, store_rdi, jump_rdi, spin, spin_end
  .globl fs_load, fp_sse, fp_avx, count_loop, ud2_prog, int3_prog, int3_after, div0_prog, div0_insn
syscall_args:
  movabs $0x1122334455667701, %rdi
  movabs $0x1122334455667702, %rsi
  movabs $0x1122334455667703, %rdx
  movabs $0x1122334455667704, %r10
  movabs $0x1122334455667705, %r8
  movabs $0xfedcba9876543206, %r9
  mov $${NR_GETPID}, %eax
  syscall
sa_after:
  mov %rax, %rdi
  mov $${NR_REPORT}, %eax
  syscall
  jmp syscall_args

load_rdi:
  mov (%rdi), %rax
  mov %rax, %rdi
  mov $${NR_REPORT}, %eax
  syscall
  jmp load_rdi

store_rdi:
  mov %rsi, (%rdi)
  mov $${NR_STORED}, %eax
  syscall
  jmp store_rdi

jump_rdi:
  jmp *%rdi

spin:
  inc %rax
  jmp spin
spin_end:

fs_load:
  mov %fs:0, %rdi
  mov %fs:8, %rsi
  mov %gs:0, %rdx
  mov $${NR_FS}, %eax
  syscall
  jmp fs_load

fp_sse:
${xmmLoads()}  mov $${NR_FP_CHECK}, %eax
  syscall
${xmmStores()}  mov $${NR_FP_DONE}, %eax
  syscall
  jmp fp_sse

fp_avx:
${ymmLoads()}  mov $${NR_FP_CHECK}, %eax
  syscall
${ymmStores()}  vzeroupper
  mov $${NR_FP_DONE}, %eax
  syscall
  jmp fp_avx

count_loop:
  xor %eax, %eax
  mov %rdi, %rcx
1:
  add $3, %rax
  dec %rcx
  jnz 1b
  mov %rax, %rdi
  mov $${NR_COUNT}, %eax
  syscall
  jmp count_loop

ud2_prog:
  ud2
int3_prog:
  int3
int3_after:
  nop
div0_prog:
  xor %ecx, %ecx
  xor %edx, %edx
  mov $1, %eax
div0_insn:
  div %ecx
`;

/** An assembled program blob and its symbols (offsets into the blob). */
export interface Programs {
  readonly code: Uint8Array;
  readonly sym: Readonly<Record<string, number>>;
}

/** Assembles `source` (default PROGRAMS_S) with gcc/objcopy/nm into a flat blob. */
export function assemblePrograms(source: string = PROGRAMS_S): Programs {
  const dir = mkdtempSync(join(tmpdir(), "tsvisor-conformance-"));
  try {
    const src = join(dir, "programs.S");
    const obj = join(dir, "programs.o");
    const bin = join(dir, "programs.bin");
    writeFileSync(src, source);
    execFileSync("gcc", ["-c", "-o", obj, src]);
    execFileSync("objcopy", ["-O", "binary", "-j", ".text", obj, bin]);
    const nm = execFileSync("nm", [obj], { encoding: "utf8" });
    const sym: Record<string, number> = {};
    for (const line of nm.split("\n")) {
      const m = /^([0-9a-f]+) [Tt] (\w+)$/.exec(line.trim());
      if (m) sym[m[2]!] = Number.parseInt(m[1]!, 16);
    }
    return { code: new Uint8Array(readFileSync(bin)), sym };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
