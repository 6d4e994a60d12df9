/**
 * getrandom(2): bytes from the host's CSPRNG (node:crypto).
 *
 * Runs on behalf of the calling task `t`.
 */
import { randomFillSync } from "node:crypto";
import { EFAULT, EINVAL, GRND_INSECURE, GRND_NONBLOCK, GRND_RANDOM } from "@tsvisor/abi";
import type { Task } from "../task.js";
import type { SyscallArgs } from "./syscall.js";

/** Linux caps one call at MAX_RW_COUNT... and reads in 32 MiB chunks; cap at 32 MiB. */
const MAX_CHUNK = 32 * 1024 * 1024;

export function sysGetrandom(t: Task, a: SyscallArgs): number {
  const flags = a.uint(2);
  if ((flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) !== 0) return -EINVAL;
  // "EINVAL ... GRND_INSECURE and GRND_RANDOM" together.
  if ((flags & GRND_INSECURE) !== 0 && (flags & GRND_RANDOM) !== 0) return -EINVAL;
  let len = Math.min(a.u64(1), MAX_CHUNK);
  // GRND_RANDOM draws from the blocking pool: at most 512 bytes per call.
  if ((flags & GRND_RANDOM) !== 0) len = Math.min(len, 512);
  if (len === 0) return 0;
  const b = randomFillSync(new Uint8Array(len));
  const n = t.mm.copyOut(a.ptr(0), b);
  return n < 0 ? -EFAULT : n;
}
