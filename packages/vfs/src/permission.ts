/**
 * Discretionary access checks, as Linux's generic_permission().
 *
 * The owner class is chosen first (owner, else group member, else other)
 * and only its bits count. Root (fsuid 0) has CAP_DAC_OVERRIDE: it may read
 * and write anything, and execute anything that has at least one execute
 * bit set or is a directory (search).
 */

import type { FsCreds } from "./inode.js";
import { EACCES, S_IFDIR, S_IFMT } from "./linux.js";

export const MAY_EXEC = 1;
export const MAY_WRITE = 2;
export const MAY_READ = 4;

/** Whether `creds` is in group `gid`. */
export function inGroup(creds: FsCreds, gid: number): boolean {
  return creds.egid === gid || creds.groups.includes(gid);
}

/**
 * Checks `mask` (MAY_* bits) against a file's mode and owner.
 * Returns 0 or -EACCES.
 */
export function checkPermission(
  mode: number,
  uid: number,
  gid: number,
  creds: FsCreds,
  mask: number,
): number {
  let bits: number;
  if (creds.euid === uid) bits = (mode >> 6) & 7;
  else if (inGroup(creds, gid)) bits = (mode >> 3) & 7;
  else bits = mode & 7;
  if ((bits & mask) === mask) return 0;
  if (creds.euid === 0) {
    if ((mask & MAY_EXEC) === 0) return 0;
    if ((mode & S_IFMT) === S_IFDIR || (mode & 0o111) !== 0) return 0;
  }
  return -EACCES;
}
