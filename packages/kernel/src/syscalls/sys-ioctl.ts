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
  EINVAL,
  ENOTTY,
  FIOASYNC,
  FIOCLEX,
  FIONBIO,
  FIONCLEX,
  O_ASYNC,
  O_NONBLOCK,
  O_PATH,
  SYS_ioctl,
  TCFLSH,
  TCGETS,
  TCSBRK,
  TCSBRKP,
  TCSETS,
  TCSETSF,
  TCSETSW,
  TCXONC,
  TIOCGPGRP,
  TIOCGSID,
  TIOCNOTTY,
  TIOCOUTQ,
  TIOCSCTTY,
  TIOCSPGRP,
  TIOCSWINSZ,
} from "@tsvisor/abi";
import { HostFdFile, KERNEL_TERMIOS_SIZE } from "@tsvisor/vfs";
import type { Task } from "../task.js";
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
  if (f instanceof HostFdFile && f.isTty) {
    const r = ttyIoctl(t, f, cmd, arg);
    if (r !== undefined) return r;
  }
  const res = f.ioctl(cmd, arg);
  if (res === undefined) return -ENOTTY;
  if (typeof res === "number") return res;
  const r = mem(t).copyOut(arg, res);
  return Math.min(r, 0);
};

/**
 * State of one host terminal shared by every description of it (stdin,
 * stdout and stderr are usually three): the termios programs set and the
 * foreground process group. Keyed by the terminal's st_rdev.
 */
interface TtyState {
  termios: Uint8Array | null;
  foreground: number | null;
}

const ttys = new Map<number, TtyState>();

function ttyState(f: HostFdFile): TtyState {
  const st = f.stat();
  const key = typeof st === "number" ? -f.hostFd : st.rdev;
  let s = ttys.get(key);
  if (!s) {
    s = { termios: null, foreground: null };
    ttys.set(key, s);
  }
  return s;
}

function copyOutInt(t: Task, addr: number, v: number): number {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  return mem(t).copyOut(addr, b) < 0 ? -EFAULT : 0;
}

/**
 * Terminal requests on a host terminal, which acts as the controlling
 * terminal of the sandbox's sessions (tty_ioctl(4)). Termios changes are
 * remembered (and shared by stdin/stdout/stderr) but not applied to the
 * host; job control keeps the foreground process group here and sends no
 * SIGTTIN/SIGTTOU. Returns undefined for requests the file itself answers.
 */
function ttyIoctl(t: Task, f: HostFdFile, cmd: number, arg: number): number | undefined {
  const s = ttyState(f);
  switch (cmd) {
    case TCGETS:
      if (!s.termios) return undefined;
      return mem(t).copyOut(arg, s.termios) < 0 ? -EFAULT : 0;
    case TCSETS:
    case TCSETSW:
    case TCSETSF: {
      const b = new Uint8Array(KERNEL_TERMIOS_SIZE);
      if (mem(t).copyIn(arg, b) < 0) return -EFAULT;
      s.termios = b;
      f.setTermios(b);
      return 0;
    }
    case TIOCGPGRP:
      return copyOutInt(t, arg, s.foreground ?? t.tg.pgid);
    case TIOCSPGRP: {
      const v = readInt(t, arg);
      if (v === null) return -EFAULT;
      // tcsetpgrp(3): "EINVAL pgrp has an unsupported value."
      if (v < 0) return -EINVAL;
      s.foreground = v;
      return 0;
    }
    case TIOCGSID:
      return copyOutInt(t, arg, t.tg.sid);
    case TIOCOUTQ:
      return copyOutInt(t, arg, 0);
    case TIOCSCTTY:
    case TIOCNOTTY:
    case TIOCSWINSZ:
    case TCFLSH:
    case TCXONC:
    case TCSBRK:
    case TCSBRKP:
      return 0;
    default:
      return undefined;
  }
}

export const ioctlSyscalls: readonly SyscallEntry[] = [
  partial(
    SYS_ioctl,
    "ioctl",
    sysIoctl,
    "FIOCLEX/FIONCLEX/FIONBIO/FIOASYNC/FIONREAD on every file; on host terminals TCGETS/TCSETS*/TIOCGWINSZ (termios remembered, not applied to the host) and job-control requests (foreground group kept, no SIGTTIN/SIGTTOU); others ENOTTY.",
  ),
];
