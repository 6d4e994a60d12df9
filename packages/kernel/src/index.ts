/**
 * @tsvisor/kernel — the Sentry: tasks, thread groups, the run loop, the
 * syscall table, signals, futexes, the ELF loader, execve/clone/exit/wait.
 *
 * ```ts
 * const kernel = new Kernel({ platform, services, table: buildTable(fileSyscalls) });
 * const { status, signal } = await kernel.run(["/bin/echo", "hi"], { env: [] });
 * ```
 *
 * Syscall handlers (`SyscallFn`) take the calling {@link Task} and its
 * {@link SyscallArgs} and return a result, a negative errno, or a
 * {@link Block} to sleep; see syscalls/syscall.ts for the contract. The
 * `onSyscall` hook of {@link KernelOptions} observes or replaces any call.
 */
export { Credentials } from "./credentials.js";
export type { FdTable, FsContext, TaskMemory } from "./interfaces.js";
export { ExecError, Kernel, SentryPanic } from "./kernel.js";
export type {
  ExitResult,
  KernelOptions,
  KernelServices,
  OpenedExecutable,
  RunOptions,
  SyscallHook,
} from "./kernel.js";
export type { ElfImage, ExecFile, LoadedImage, Phdr } from "./loader/elf.js";
export { loadElf, parseElf } from "./loader/elf.js";
export type { AuxInfo, InitialStack } from "./loader/stack.js";
export { buildInitialStack } from "./loader/stack.js";
export type { SandboxOptions } from "./sandbox.js";
export { createSandbox, sandboxServices, sandboxTable } from "./sandbox.js";
export { formatSyscall } from "./strace.js";
export { buildTable, coreSyscalls } from "./syscalls/table.js";
export type {
  Block,
  BlockOptions,
  SupportLevel,
  SyscallEntry,
  SyscallFn,
} from "./syscalls/syscall.js";
export {
  block,
  isBlock,
  monotonicMs,
  partial,
  SyscallArgs,
  supported,
  unimplemented,
} from "./syscalls/syscall.js";
export type { AltStack, TaskState } from "./task.js";
export { Task } from "./task.js";
export type { GroupExitState, Rlimit } from "./thread-group.js";
export { ThreadGroup } from "./thread-group.js";
export type { Waitable, Waiter, WakeReason } from "./waiter.js";
export { WaitQueue } from "./waiter.js";
