/**
 * pidfds: file descriptors referring to a process (clone's CLONE_PIDFD,
 * pidfd_open(2)). Readable (POLLIN) once the process has exited; usable with
 * waitid(P_PIDFD) and pidfd_send_signal(2).
 *
 * Inspired by Linux's kernel/pid.c (pidfd_fops).
 */
import { POLLIN, POLLRDNORM } from "@tsvisor/abi";
import { blankStat, FileDescription, type StatData, type Waitable } from "@tsvisor/vfs";
import type { ThreadGroup } from "./thread-group.js";

/** An open pidfd. Invariant: `tg` is the process it was opened for (possibly reaped since). */
export class PidFd extends FileDescription {
  constructor(
    readonly tg: ThreadGroup,
    flags: number,
  ) {
    super(flags | 0 /* O_RDWR */, null, "anon_inode:[pidfd]");
  }

  override read(_dst: Uint8Array): number {
    return -22; // EINVAL: pidfds cannot be read
  }

  override write(_src: Uint8Array): number {
    return -22;
  }

  override get seekable(): boolean {
    return false;
  }

  /** POLLIN once the process is a zombie or gone (pidfd_poll). */
  override readiness(mask: number): number {
    return this.tg.exit.kind === "zombie" || this.tg.exit.kind === "reaped"
      ? mask & (POLLIN | POLLRDNORM)
      : 0;
  }

  override waitable(): Waitable | null {
    return this.tg.exitEvents;
  }

  override stat(): StatData | number {
    return blankStat({ dev: 0, ino: this.tg.tgid, mode: 0o600 });
  }
}
