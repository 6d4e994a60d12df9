/**
 * @tsvisor/platform-kvm: a tsvisor execution platform over /dev/kvm.
 * Application threads are vCPUs running the program in guest ring 3; every
 * syscall and exception exits to the Sentry through a small trampoline, and
 * each address space is a guest page table over the memory file.
 *
 * @packageDocumentation
 */
import { provider } from "./platform.js";

export { KvmAddressSpace } from "./address-space.js";
export { KvmContext } from "./context.js";
export { MAX_USER_ADDRESS, MIN_USER_ADDRESS } from "./layout.js";
export { KvmMemoryFile } from "./memory-file.js";
export type { KvmPlatformOptions } from "./platform.js";
export { DEFAULT_MEMORY_FILE_SIZE, KvmPlatform, provider } from "./platform.js";

export default provider;
