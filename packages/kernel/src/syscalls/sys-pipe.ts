/**
 * pipe(2) and pipe2(2).
 *
 * Inspired by gVisor's pkg/sentry/syscalls/linux/vfs2/pipe.go.
 */
import { EINVAL, O_CLOEXEC, O_DIRECT, O_NONBLOCK, SYS_pipe, SYS_pipe2 } from "@tsvisor/abi";
import { newPipe } from "../pipe.js";
import type { Task } from "../task.js";
import { fdTable, mem } from "./file-common.js";
import { partial, type SyscallEntry, type SyscallFn, supported } from "./syscall.js";

/**
 * pipe2(2): "EINVAL (pipe2()) Invalid value in flags"; "EMFILE The
 * per-process limit on the number of open file descriptors has been
 * reached"; "EFAULT pipefd is not valid." On EFAULT no fds stay open.
 */
function doPipe(t: Task, addr: number, flags: number): number {
  if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT)) return -EINVAL;
  const [r, w] = newPipe(flags, t.creds.euid, t.creds.egid);
  const tab = fdTable(t);
  const cloexec = (flags & O_CLOEXEC) !== 0;
  const rfd = tab.install(r, cloexec);
  if (rfd < 0) {
    w.decRef();
    return rfd;
  }
  const wfd = tab.install(w, cloexec);
  if (wfd < 0) {
    tab.close(rfd);
    return wfd;
  }
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  dv.setInt32(0, rfd, true);
  dv.setInt32(4, wfd, true);
  const c = mem(t).copyOut(addr, b);
  if (c < 0) {
    tab.close(rfd);
    tab.close(wfd);
    return c;
  }
  return 0;
}

export const sysPipe: SyscallFn = (t, a) => doPipe(t, a.ptr(0), 0);
export const sysPipe2: SyscallFn = (t, a) => doPipe(t, a.ptr(0), a.int(1));

export const pipeSyscalls: readonly SyscallEntry[] = [
  supported(SYS_pipe, "pipe", sysPipe),
  partial(
    SYS_pipe2,
    "pipe2",
    sysPipe2,
    "O_DIRECT (packet mode) is accepted but pipes stay byte streams.",
  ),
];
