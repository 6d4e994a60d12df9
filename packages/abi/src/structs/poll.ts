/**
 * `struct pollfd` (poll(2), ppoll(2)) and `struct epoll_event` (epoll_ctl(2),
 * epoll_wait(2)).
 *
 * `struct epoll_event` is packed on x86-64: the kernel declares it with
 * `EPOLL_PACKED` (`__attribute__((packed))`) on x86-64 only, so `data`
 * sits at offset 4 and the struct is 12 bytes, not 16. glibc's
 * <sys/epoll.h> mirrors this with `__EPOLL_PACKED`. Arrays of events passed
 * to epoll_wait(2) are therefore 12 bytes apart.
 *
 * @module
 */
import { getU64Big, setU64Big } from "./bytes.js";

export interface Pollfd {
  fd: number;
  events: number;
  revents: number;
}
export const POLLFD_SIZE = 8;
export const POLLFD_OFFSETS = { fd: 0, events: 4, revents: 6 } as const;

export function decodePollfd(dv: DataView, off: number): Pollfd {
  return {
    fd: dv.getInt32(off, true),
    events: dv.getInt16(off + 4, true),
    revents: dv.getInt16(off + 6, true),
  };
}
export function encodePollfd(dv: DataView, off: number, v: Pollfd): void {
  dv.setInt32(off, v.fd, true);
  dv.setInt16(off + 4, v.events, true);
  dv.setInt16(off + 6, v.revents, true);
}

/**
 * `struct epoll_event`. epoll_ctl(2): "The data member of the epoll_event
 * structure specifies data that the kernel should save and then return (via
 * epoll_wait(2)) when this file descriptor becomes ready." It is an opaque
 * 64-bit value, hence a bigint.
 */
export interface EpollEvent {
  events: number;
  data: bigint;
}
export const EPOLL_EVENT_SIZE = 12;
export const EPOLL_EVENT_OFFSETS = { events: 0, data: 4 } as const;

export function decodeEpollEvent(dv: DataView, off: number): EpollEvent {
  return { events: dv.getUint32(off, true), data: getU64Big(dv, off + 4) };
}
export function encodeEpollEvent(dv: DataView, off: number, v: EpollEvent): void {
  dv.setUint32(off, v.events >>> 0, true);
  setU64Big(dv, off + 4, v.data);
}
