/**
 * Thread and process syscalls: ids, exit, clone/fork/vfork/clone3,
 * execve/execveat, wait4/waitid, set_tid_address, robust lists.
 *
 * Every handler runs on behalf of the calling task `t`.
 */
import {
  CLONE_CLEAR_SIGHAND,
  CLONE_FILES,
  CLONE_FS,
  CLONE_INTO_CGROUP,
  CLONE_NEWCGROUP,
  CLONE_NEWIPC,
  CLONE_NEWNET,
  CLONE_NEWNS,
  CLONE_NEWPID,
  CLONE_NEWTIME,
  CLONE_NEWUSER,
  CLONE_NEWUTS,
  CLONE_SIGHAND,
  CLONE_SYSVSEM,
  CLONE_THREAD,
  CLONE_VFORK,
  CLONE_VM,
  CSIGNAL,
  E2BIG,
  EBADF,
  EFAULT,
  EINVAL,
  ENAMETOOLONG,
  EPERM,
  ERESTARTSYS,
  ESRCH,
  P_ALL,
  P_PGID,
  P_PID,
  P_PIDFD,
  SIGCHLD,
  WCONTINUED,
  WEXITED,
  WNOHANG,
  WNOWAIT,
  WSTOPPED,
  WUNTRACED,
  __WALL,
  __WCLONE,
  __WNOTHREAD,
} from "@tsvisor/abi";
import { block, type Block, type SyscallArgs } from "./syscall.js";
import type { Task } from "../task.js";
import { clone, cloneArgsFromRegs } from "../task-clone.js";
import { execveUser } from "../task-exec.js";
import {
  addUser,
  dropUser,
  exitedStatus,
  findWaitable,
  groupExit,
  userCount,
  type WaitTarget,
} from "../task-exit.js";
import { PidFd } from "../pidfd.js";
import { newSigInfo, SIG_DFL } from "../signals.js";
import { encodeRusage } from "./sys-sysinfo.js";
import { sendToGroup } from "../task-signals.js";

/** PATH_MAX including the NUL. */
export const PATH_MAX = 4096;

export function sysGetpid(t: Task): number {
  return t.tgid;
}

export function sysGettid(t: Task): number {
  return t.tid;
}

export function sysGetppid(t: Task): number {
  return t.tg.parent?.tgid ?? 0;
}

/** exit(2): ends the calling thread only. */
export function sysExit(t: Task, a: SyscallArgs): number {
  t.exiting = true;
  t.exitStatus = exitedStatus(a.int(0));
  return 0;
}

/** exit_group(2): ends every thread of the process. */
export function sysExitGroup(t: Task, a: SyscallArgs): number {
  groupExit(t.kernel, t.tg, exitedStatus(a.int(0)));
  t.exiting = true;
  return 0;
}

/** set_tid_address(2): "always returns the caller's thread ID". */
export function sysSetTidAddress(t: Task, a: SyscallArgs): number {
  t.clearChildTid = a.ptr(0);
  return t.tid;
}

/** sizeof(struct robust_list_head). */
const ROBUST_LIST_HEAD_SIZE = 24;

export function sysSetRobustList(t: Task, a: SyscallArgs): number {
  // set_robust_list(2): "EINVAL The len value does not match the size of structure struct robust_list_head".
  if (a.u64(1) !== ROBUST_LIST_HEAD_SIZE) return -EINVAL;
  t.robustListHead = a.ptr(0);
  t.robustListLen = ROBUST_LIST_HEAD_SIZE;
  return 0;
}

export function sysGetRobustList(t: Task, a: SyscallArgs): number {
  const pid = a.int(0);
  const target = pid === 0 ? t : t.kernel.pidns.tasks.get(pid);
  if (target === undefined || target.state.kind === "exited") return -ESRCH;
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, BigInt(target.robustListHead), true);
  if (t.mm.copyOut(a.ptr(1), b) !== 8) return -EFAULT;
  dv.setBigUint64(0, BigInt(ROBUST_LIST_HEAD_SIZE), true);
  if (t.mm.copyOut(a.ptr(2), b) !== 8) return -EFAULT;
  return 0;
}

/** clone(2): x86-64 argument order (flags, stack, parent_tid, child_tid, tls). */
export function sysClone(t: Task, a: SyscallArgs): number | Block {
  return clone(t.kernel, t, cloneArgsFromRegs(a.uint(0), a.ptr(1), a.ptr(2), a.ptr(3), a.ptr(4)));
}

export function sysFork(t: Task): number | Block {
  return clone(t.kernel, t, cloneArgsFromRegs(SIGCHLD, 0, 0, 0, 0));
}

export function sysVfork(t: Task): number | Block {
  return clone(t.kernel, t, cloneArgsFromRegs(CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0));
}

/** Sizes of struct clone_args versions (CLONE_ARGS_SIZE_VER0..2). */
const CLONE_ARGS_SIZE_VER0 = 64;
const CLONE_ARGS_SIZE_VER2 = 88;

/** clone3(2). */
export function sysClone3(t: Task, a: SyscallArgs): number | Block {
  const addr = a.ptr(0);
  const size = a.u64(1);
  if (size < CLONE_ARGS_SIZE_VER0) return -EINVAL;
  if (size > 4096) return -E2BIG;
  const buf = new Uint8Array(size);
  if (t.mm.copyIn(addr, buf) !== size) return -EFAULT;
  // copy_struct_from_user: bytes beyond what we know must be zero.
  for (let i = CLONE_ARGS_SIZE_VER2; i < size; i++) if (buf[i] !== 0) return -E2BIG;
  const dv = new DataView(buf.buffer);
  const u = (o: number): bigint => (o + 8 <= size ? dv.getBigUint64(o, true) : 0n);
  const flags = u(0);
  const exitSignal = u(32);
  const stack = u(40);
  const stackSize = u(48);
  const setTidSize = u(72);
  if ((flags & BigInt(CSIGNAL)) !== 0n) return -EINVAL;
  if (exitSignal > 64n) return -EINVAL;
  if ((stack === 0n) !== (stackSize === 0n)) return -EINVAL;
  if (setTidSize !== 0n) return -EINVAL; // set_tid: choosing pids is not supported
  if ((flags & BigInt(CLONE_INTO_CGROUP)) !== 0n) return -EINVAL;
  const known = 0xffffffffn | BigInt(CLONE_CLEAR_SIGHAND);
  if ((flags & ~known) !== 0n) return -EINVAL;
  const low = Number(flags & 0xffffffffn);
  const r = clone(t.kernel, t, {
    flags: low,
    exitSignal: Number(exitSignal),
    stack: Number(stack + stackSize),
    parentTid: Number(u(24)),
    childTid: Number(u(16)),
    tls: Number(u(56)),
    pidfd: Number(u(8)),
  });
  if ((flags & BigInt(CLONE_CLEAR_SIGHAND)) !== 0n && typeof r === "number" && r > 0) {
    const child = t.kernel.pidns.tasks.get(r);
    if (child !== undefined) {
      for (const act of child.sighand.actions.slice(1)) if (act.handler > 1) act.handler = SIG_DFL;
    }
  }
  return r;
}

/** Reads the path argument of exec-like calls. */
function readPath(t: Task, addr: number): string | number {
  const s = t.mm.copyInCString(addr, PATH_MAX);
  return typeof s === "number" ? s : Buffer.from(s).toString("latin1");
}

/** execve(2). */
export function sysExecve(t: Task, a: SyscallArgs): number | Block {
  return doExecve(t, -100, a.ptr(0), a.ptr(1), a.ptr(2), 0);
}

/** execveat(2): dirfd, pathname, argv, envp, flags (AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW). */
export function sysExecveat(t: Task, a: SyscallArgs): number | Block {
  const flags = a.int(4);
  if ((flags & ~(0x1000 | 0x100)) !== 0) return -EINVAL;
  return doExecve(t, a.int(0), a.ptr(1), a.ptr(2), a.ptr(3), flags);
}

function doExecve(
  t: Task,
  dirfd: number,
  pathAddr: number,
  argvAddr: number,
  envpAddr: number,
  flags: number,
): number | Block {
  const path = readPath(t, pathAddr);
  if (typeof path === "number") return path === -ENAMETOOLONG ? -ENAMETOOLONG : path;
  // argv and envp are read after the file is opened, as Linux does.
  return execveUser(t.kernel, t, dirfd, path, argvAddr, envpAddr, flags);
}

/** sizeof(struct rusage). */
const RUSAGE_SIZE = 144;

/** wait4(2). */
export function sysWait4(t: Task, a: SyscallArgs): number | Block {
  const pid = a.int(0);
  const statusAddr = a.ptr(1);
  const options = a.int(2);
  const rusageAddr = a.ptr(3);
  if ((options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL)) !== 0)
    return -EINVAL;
  // kernel_wait4: "if (upid == INT_MIN) return -ESRCH" (negating it overflows).
  if (pid === -2147483648) return -ESRCH;
  let target: WaitTarget;
  if (pid < -1) target = { kind: "pgid", pgid: -pid };
  else if (pid === -1) target = { kind: "any" };
  else if (pid === 0) target = { kind: "pgid", pgid: t.tg.pgid };
  else target = { kind: "pid", pid };
  const opts = options | WEXITED;
  // do_wait: every wake-up rescans the children first (so a child reaped
  // meanwhile gives ECHILD even if a signal woke us), and only a still-empty
  // scan with a signal pending returns ERESTARTSYS.
  const attempt = (interrupted: boolean): number | Block => {
    const r = findWaitable(t.kernel, t, target, opts);
    if (typeof r === "number") {
      if (r === 0 && (options & WNOHANG) === 0) {
        if (interrupted) return -ERESTARTSYS;
        return block(t.tg.childEvents, { resume: (_t, why) => attempt(why !== "woken") });
      }
      return r;
    }
    if (statusAddr !== 0) {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, r.status, true);
      if (t.mm.copyOut(statusAddr, b) !== 4) return -EFAULT;
    }
    if (rusageAddr !== 0 && t.mm.copyOut(rusageAddr, encodeRusage(r.cpuMs, 0)) !== RUSAGE_SIZE)
      return -EFAULT;
    return r.pid;
  };
  return attempt(false);
}

/** waitid(2): idtype, id, infop, options, rusage. */
export function sysWaitid(t: Task, a: SyscallArgs): number | Block {
  const idtype = a.int(0);
  const id = a.int(1);
  const infop = a.ptr(2);
  const options = a.int(3);
  const rusageAddr = a.ptr(4);
  if (
    (options &
      ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL)) !==
    0
  ) {
    return -EINVAL;
  }
  if ((options & (WEXITED | WSTOPPED | WCONTINUED)) === 0) return -EINVAL;
  let target: WaitTarget;
  switch (idtype) {
    case P_ALL:
      target = { kind: "any" };
      break;
    case P_PID:
      if (id <= 0) return -EINVAL;
      target = { kind: "pid", pid: id };
      break;
    case P_PGID:
      if (id < 0) return -EINVAL;
      target = { kind: "pgid", pgid: id === 0 ? t.tg.pgid : id };
      break;
    case P_PIDFD: {
      const f = t.fdTable.get(id);
      if (f === undefined) return -EBADF;
      if (!(f instanceof PidFd)) return -EINVAL;
      target = { kind: "pid", pid: f.tg.tgid };
      break;
    }
    default:
      return -EINVAL;
  }
  const attempt = (interrupted: boolean): number | Block => {
    const r = findWaitable(t.kernel, t, target, options);
    const info = new Uint8Array(128);
    if (typeof r === "number") {
      if (r === 0 && (options & WNOHANG) === 0) {
        if (interrupted) return -ERESTARTSYS;
        return block(t.tg.childEvents, { resume: (_t, why) => attempt(why !== "woken") });
      }
      if (r === 0 && infop !== 0 && t.mm.copyOut(infop, info) !== 128) return -EFAULT;
      return r;
    }
    if (infop !== 0) {
      const dv = new DataView(info.buffer);
      dv.setInt32(0, SIGCHLD, true);
      dv.setInt32(8, r.code, true);
      dv.setInt32(16, r.pid, true);
      dv.setUint32(20, r.uid, true);
      dv.setInt32(24, r.siStatus, true);
      if (t.mm.copyOut(infop, info) !== 128) return -EFAULT;
    }
    if (rusageAddr !== 0 && t.mm.copyOut(rusageAddr, encodeRusage(r.cpuMs, 0)) !== RUSAGE_SIZE)
      return -EFAULT;
    return 0;
  };
  return attempt(false);
}

/** pidfd_open(2): a pidfd for process `pid` (PIDFD_NONBLOCK = O_NONBLOCK allowed). */
export function sysPidfdOpen(t: Task, a: SyscallArgs): number {
  const pid = a.int(0);
  const flags = a.uint(1);
  if ((flags & ~0o4000) !== 0 || pid <= 0) return -EINVAL;
  const tg = t.kernel.pidns.threadGroups.get(pid);
  if (tg === undefined || tg.exit.kind === "reaped" || tg.leader === null) return -ESRCH;
  return t.fdTable.install(new PidFd(tg, flags), true);
}

/** pidfd_send_signal(2): like kill(2) on the pidfd's process; info must be NULL here. */
export function sysPidfdSendSignal(t: Task, a: SyscallArgs): number {
  const f = t.fdTable.get(a.int(0));
  const sig = a.int(1);
  if (f === undefined) return -EBADF;
  if (!(f instanceof PidFd)) return -EBADF;
  if (a.uint(3) !== 0) return -EINVAL;
  if (sig < 0 || sig > 64) return -EINVAL;
  if (f.tg.exit.kind !== "alive") return -ESRCH;
  if (a.ptr(2) !== 0) return -EINVAL; // explicit siginfo: not supported
  if (sig === 0) return 0;
  const info = newSigInfo(sig, 0 /* SI_USER */, "kill");
  info.pid = t.tgid;
  info.uid = t.creds.uid;
  return sendToGroup(t.kernel, f.tg, info);
}

/**
 * unshare(2): CLONE_FILES and CLONE_FS give the caller private copies;
 * CLONE_VM/CLONE_SIGHAND/CLONE_THREAD are accepted for a single-threaded
 * caller (nothing is shared then) and EINVAL otherwise; new namespaces are
 * refused with EPERM (tsvisor has one of each).
 */
export function sysUnshare(t: Task, a: SyscallArgs): number {
  const f = a.u64(0);
  const known =
    CLONE_THREAD |
    CLONE_FS |
    CLONE_NEWNS |
    CLONE_SIGHAND |
    CLONE_VM |
    CLONE_FILES |
    CLONE_SYSVSEM |
    CLONE_NEWUTS |
    CLONE_NEWIPC |
    CLONE_NEWNET |
    CLONE_NEWUSER |
    CLONE_NEWPID |
    CLONE_NEWCGROUP |
    CLONE_NEWTIME;
  if (f > 0xffffffff || (f & ~known) !== 0) return -EINVAL;
  if ((f & (CLONE_THREAD | CLONE_SIGHAND | CLONE_VM)) !== 0 && t.tg.tasks.size > 1) return -EINVAL;
  if (
    (f &
      (CLONE_NEWNS |
        CLONE_NEWUTS |
        CLONE_NEWIPC |
        CLONE_NEWNET |
        CLONE_NEWUSER |
        CLONE_NEWPID |
        CLONE_NEWCGROUP |
        CLONE_NEWTIME)) !==
    0
  ) {
    return -EPERM;
  }
  if ((f & CLONE_FILES) !== 0 && userCount(t.fdTable) > 1) {
    dropUser(t.fdTable);
    t.fdTable = t.fdTable.fork();
    addUser(t.fdTable);
  }
  if ((f & CLONE_FS) !== 0 && userCount(t.fs) > 1) {
    dropUser(t.fs);
    t.fs = t.fs.fork();
    addUser(t.fs);
  }
  return 0;
}
