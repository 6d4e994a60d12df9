/**
 * ioctl(2) for files: the generic FIO* requests, FIONREAD, and the
 * terminal requests (TCGETS, TCSETS*, TIOCGWINSZ) that host stdio
 * terminals answer; every other request on a non-terminal is ENOTTY.
 *
 * ioctl(2): "ENOTTY fd is not associated with a character special device.
 * ENOTTY The specified request does not apply to the kind of object that
 * the file descriptor fd references."
 *
 * Inspired by gVisor's pkg/sentry/syscalls/linux/vfs2/ioctl.go.
 */
import {
  EBADF,
  EFAULT,
  ENOTTY,
  FIOASYNC,
  FIOCLEX,
  FIONBIO,
  FIONCLEX,
  O_ASYNC,
  O_NONBLOCK,
  O_PATH,
  SYS_ioctl,
  TCSETS,
  TCSETSF,
  TCSETSW,
} from "@tsvisor/abi";
import { HostFdFile, KERNEL_TERMIOS_SIZE } from "@tsvisor/vfs";
import { fdTable, mem } from "./file-common.js";
import { partial, type SyscallEntry, type SyscallFn } from "./syscall.js";

/** Reads an `int` argument; null when the pointer faults (EFAULT). */
function readInt(t: Parameters<SyscallFn>[0], addr: number): number | null {
  const b = new Uint8Array(4);
  if (mem(t).copyIn(addr, b) < 0) return null;
  return new DataView(b.buffer).getInt32(0, true);
}

export const sysIoctl: SyscallFn = (t, a) => {
  const fd = a.int(0);
  const cmd = a.uint(1);
  const arg = a.ptr(2);
  const tab = fdTable(t);
  const f = tab.get(fd);
  if (!f || f.flags & O_PATH) return -EBADF;
  switch (cmd) {
    case FIOCLEX:
      return tab.setFdFlags(fd, 1);
    case FIONCLEX:
      return tab.setFdFlags(fd, 0);
    case FIONBIO: {
      const v = readInt(t, arg);
      if (v === null) return -EFAULT;
      f.flags = v ? f.flags | O_NONBLOCK : f.flags & ~O_NONBLOCK;
      return 0;
    }
    case FIOASYNC: {
      const v = readInt(t, arg);
      if (v === null) return -EFAULT;
      f.flags = v ? f.flags | O_ASYNC : f.flags & ~O_ASYNC;
      return 0;
    }
  }
  if (
    (cmd === TCSETS || cmd === TCSETSW || cmd === TCSETSF) &&
    f instanceof HostFdFile &&
    f.isTty
  ) {
    const b = new Uint8Array(KERNEL_TERMIOS_SIZE);
    const r = mem(t).copyIn(arg, b);
    if (r < 0) return r;
    f.setTermios(b);
    return 0;
  }
  const res = f.ioctl(cmd, arg);
  if (res === undefined) return -ENOTTY;
  if (typeof res === "number") return res;
  const r = mem(t).copyOut(arg, res);
  return Math.min(r, 0);
};

export const ioctlSyscalls: readonly SyscallEntry[] = [
  partial(
    SYS_ioctl,
    "ioctl",
    sysIoctl,
    "FIOCLEX/FIONCLEX/FIONBIO/FIOASYNC/FIONREAD on every file; TCGETS/TCSETS*/TIOCGWINSZ on host terminals (termios emulated, not applied to the host); others ENOTTY.",
  ),
];
