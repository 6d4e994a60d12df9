/**
 * @tsvisor/platform-ptrace: a tsvisor execution platform over ptrace.
 * Application threads run in seccomp-locked stub processes traced by the
 * Sentry; their syscalls and faults stop in the Sentry. By default syscalls
 * take the systrap fast path (seccomp RET_TRAP → SIGSYS handler in the stub →
 * shared memory hand-off); PTRACE_SYSEMU is the fallback mode
 * (`mode: "sysemu"` or TSVISOR_PTRACE_MODE=sysemu).
 *
 * @packageDocumentation
 */
import { provider } from "./platform.js";

export type { PtraceMode } from "./address-space.js";
export {
  MAX_USER_ADDRESS,
  MIN_USER_ADDRESS,
  PtraceAddressSpace,
  StubDiedError,
} from "./address-space.js";
export { PtraceContext } from "./context.js";
export { PtraceMemoryFile } from "./memory-file.js";
export {
  DEFAULT_MEMORY_FILE_SIZE,
  PtracePlatform,
  provider,
} from "./platform.js";
export type { PtraceOptions } from "./platform.js";

export default provider;
