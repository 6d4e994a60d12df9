/**
 * `struct utsname` (uname(2)): six NUL-terminated `char[65]` fields
 * (`__NEW_UTS_LEN + 1`). glibc names the last one `domainname` under
 * _GNU_SOURCE.
 *
 * @module
 */
import { getCString, setCString } from "./bytes.js";

export interface Utsname {
  sysname: string;
  nodename: string;
  release: string;
  version: string;
  machine: string;
  domainname: string;
}
/** Length of each field including the NUL. */
export const UTSNAME_FIELD_LEN = 65;
export const UTSNAME_SIZE = 390;
export const UTSNAME_OFFSETS = {
  sysname: 0,
  nodename: 65,
  release: 130,
  version: 195,
  machine: 260,
  domainname: 325,
} as const;
const FIELDS = ["sysname", "nodename", "release", "version", "machine", "domainname"] as const;

export function decodeUtsname(dv: DataView, off: number): Utsname {
  const u = {} as Utsname;
  for (const f of FIELDS) u[f] = getCString(dv, off + UTSNAME_OFFSETS[f], UTSNAME_FIELD_LEN);
  return u;
}

/** Writes each field NUL-terminated and zero-filled (truncated to 64 bytes). */
export function encodeUtsname(dv: DataView, off: number, u: Utsname): void {
  for (const f of FIELDS) setCString(dv, off + UTSNAME_OFFSETS[f], UTSNAME_FIELD_LEN, u[f]);
}
