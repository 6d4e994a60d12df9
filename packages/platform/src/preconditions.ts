import { PAGE_SIZE } from "./platform.js";

/**
 * Checks the AddressSpace precondition on a range: throws RangeError unless
 * `[addr, addr + length)` is non-empty, page-aligned and inside
 * `[minUserAddress, maxUserAddress)`. `who` prefixes the message.
 */
export function checkUserRange(
  who: string,
  addr: number,
  length: number,
  minUserAddress: number,
  maxUserAddress: number,
): void {
  if (
    addr % PAGE_SIZE !== 0 ||
    length % PAGE_SIZE !== 0 ||
    length <= 0 ||
    addr < minUserAddress ||
    addr + length > maxUserAddress
  ) {
    throw new RangeError(`${who}: bad range [${addr}, +${length})`);
  }
}

/**
 * Checks `AddressSpace.mapFile`'s file range: throws RangeError unless
 * `offset` is page-aligned and `[offset, offset + length)` lies inside a
 * memory file of `fileSize` bytes.
 */
export function checkFileRange(
  who: string,
  offset: number,
  length: number,
  fileSize: number,
): void {
  if (offset % PAGE_SIZE !== 0 || offset < 0 || offset + length > fileSize) {
    throw new RangeError(`${who}: mapFile offset ${offset}+${length} outside the memory file`);
  }
}
