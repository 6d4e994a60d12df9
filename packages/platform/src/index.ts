export type {
  AddressSpace,
  Context,
  MemoryFile,
  Platform,
  PlatformCapabilities,
  PlatformOptions,
  PlatformProvider,
  ProbeResult,
} from "./platform.js";
export { HostError, PAGE_SIZE, PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE } from "./platform.js";
export type { MemfdNative } from "./memfd.js";
export { MemfdMemoryFile } from "./memfd.js";
export { checkFileRange, checkUserRange } from "./preconditions.js";
export type { Access, FaultTrap, InterruptedTrap, SignalTrap, SyscallTrap, Trap } from "./trap.js";
export type { Registers } from "./registers.js";
export {
  NUM_REGS,
  REG_CS,
  REG_DS,
  REG_EFLAGS,
  REG_ES,
  REG_FS,
  REG_FS_BASE,
  REG_GS,
  REG_GS_BASE,
  REG_NAMES,
  REG_ORIG_RAX,
  REG_R8,
  REG_R9,
  REG_R10,
  REG_R11,
  REG_R12,
  REG_R13,
  REG_R14,
  REG_R15,
  REG_RAX,
  REG_RBP,
  REG_RBX,
  REG_RCX,
  REG_RDI,
  REG_RDX,
  REG_RIP,
  REG_RSI,
  REG_RSP,
  REG_SS,
  SYSCALL_ARG_REGS,
  newRegisters,
  regBig,
  regI32,
  regS64,
  regU32,
  regU64,
  setReg,
  setRegBig,
} from "./registers.js";
export { loadPlatform, PlatformUnavailableError, platformSpecifier } from "./registry.js";
