/**
 * capget(2)/capset(2) structs: `struct __user_cap_header_struct` and
 * `struct __user_cap_data_struct`. With _LINUX_CAPABILITY_VERSION_3 the data
 * argument is an array of _LINUX_CAPABILITY_U32S_3 (2) data structs: element
 * 0 holds capabilities 0-31, element 1 holds 32-63.
 *
 * @module
 */

export interface CapUserHeader {
  version: number;
  pid: number;
}
export const CAP_USER_HEADER_SIZE = 8;
export const CAP_USER_HEADER_OFFSETS = { version: 0, pid: 4 } as const;

export function decodeCapUserHeader(dv: DataView, off: number): CapUserHeader {
  return { version: dv.getUint32(off, true), pid: dv.getInt32(off + 4, true) };
}
export function encodeCapUserHeader(dv: DataView, off: number, v: CapUserHeader): void {
  dv.setUint32(off, v.version >>> 0, true);
  dv.setInt32(off + 4, v.pid, true);
}

export interface CapUserData {
  effective: number;
  permitted: number;
  inheritable: number;
}
export const CAP_USER_DATA_SIZE = 12;
export const CAP_USER_DATA_OFFSETS = { effective: 0, permitted: 4, inheritable: 8 } as const;

export function decodeCapUserData(dv: DataView, off: number): CapUserData {
  return {
    effective: dv.getUint32(off, true),
    permitted: dv.getUint32(off + 4, true),
    inheritable: dv.getUint32(off + 8, true),
  };
}
export function encodeCapUserData(dv: DataView, off: number, v: CapUserData): void {
  dv.setUint32(off, v.effective >>> 0, true);
  dv.setUint32(off + 4, v.permitted >>> 0, true);
  dv.setUint32(off + 8, v.inheritable >>> 0, true);
}
