/**
 * clone(2), clone3(2), fork(2), vfork(2): creating tasks.
 *
 * Follows gVisor's task_clone.go and Linux's kernel/fork.c (copy_process):
 * the flag validity rules come first (each EINVAL is Linux's), then the new
 * task gets a fresh platform Context with the parent's registers (rax = 0,
 * rsp from the clone argument) and FP state, and shares or copies memory,
 * files, fs context and signal handlers per CLONE_VM / CLONE_FILES /
 * CLONE_FS / CLONE_SIGHAND.
 */
import {
  CLONE_CHILD_CLEARTID,
  CLONE_CHILD_SETTID,
  CLONE_DETACHED,
  CLONE_FILES,
  CLONE_FS,
  CLONE_NEWCGROUP,
  CLONE_NEWIPC,
  CLONE_NEWNET,
  CLONE_NEWNS,
  CLONE_NEWPID,
  CLONE_NEWUSER,
  CLONE_NEWUTS,
  CLONE_PARENT,
  CLONE_PARENT_SETTID,
  CLONE_PIDFD,
  CLONE_SETTLS,
  CLONE_SIGHAND,
  CLONE_THREAD,
  CLONE_VFORK,
  CLONE_VM,
  CSIGNAL,
  EAGAIN,
  EFAULT,
  EINVAL,
  EPERM,
  SS_DISABLE,
} from "@tsvisor/abi";
import { type Context, HostError, REG_FS_BASE, REG_RAX, REG_RSP, setReg } from "@tsvisor/platform";
import type { Kernel } from "./kernel.js";
import { PidFd } from "./pidfd.js";
import { block, type Block } from "./syscalls/syscall.js";
import { Task } from "./task.js";
import { addUser } from "./task-exit.js";
import { ThreadGroup } from "./thread-group.js";

/** CLONE_NEW* flags: namespaces (tsvisor has one of each). */
const NAMESPACE_FLAGS =
  CLONE_NEWNS |
  CLONE_NEWCGROUP |
  CLONE_NEWUTS |
  CLONE_NEWIPC |
  CLONE_NEWUSER |
  CLONE_NEWPID |
  CLONE_NEWNET;

/** Decoded clone arguments (clone's registers or clone3's struct clone_args). */
export interface CloneArgs {
  /** Flags without the exit signal (the low byte for clone). */
  flags: number;
  exitSignal: number;
  /** New stack pointer, 0 to keep the parent's. */
  stack: number;
  parentTid: number;
  childTid: number;
  tls: number;
  /** Where to store the pidfd with CLONE_PIDFD (clone3's `pidfd`, clone's parent_tid). */
  pidfd: number;
}

/**
 * Creates a task per `args` on behalf of `parent`. Returns the child's tid
 * (in the parent's namespace), a negative errno, or a Block (CLONE_VFORK:
 * the parent waits until the child execs or exits, then gets the tid).
 */
export function clone(k: Kernel, parent: Task, args: CloneArgs): number | Block {
  const f = args.flags;
  // copy_process's validity rules.
  if ((f & (CLONE_NEWNS | CLONE_FS)) === (CLONE_NEWNS | CLONE_FS)) return -EINVAL;
  if ((f & (CLONE_NEWUSER | CLONE_FS)) === (CLONE_NEWUSER | CLONE_FS)) return -EINVAL;
  // "Thread groups must share signals as well, and detached threads can only be started up within the thread group."
  if ((f & CLONE_THREAD) !== 0 && (f & CLONE_SIGHAND) === 0) return -EINVAL;
  // "Shared signal handlers imply shared VM."
  if ((f & CLONE_SIGHAND) !== 0 && (f & CLONE_VM) === 0) return -EINVAL;
  // "Siblings of global init remain as zombies on exit": pid 1 (the
  // kernel's reaper here, which runs no code) never clones; every task may.
  // "CLONE_PIDFD and CLONE_THREAD are mutually exclusive", and the
  // deprecated CLONE_DETACHED is rejected with it.
  if ((f & CLONE_PIDFD) !== 0 && (f & (CLONE_THREAD | CLONE_DETACHED)) !== 0) return -EINVAL;
  // clone(2) passes the pidfd through parent_tid: both at once is EINVAL.
  if ((f & CLONE_PIDFD) !== 0 && (f & CLONE_PARENT_SETTID) !== 0 && args.pidfd === args.parentTid) {
    return -EINVAL;
  }
  if ((f & NAMESPACE_FLAGS) !== 0) {
    // One namespace of each kind: creating new ones is refused like an
    // unprivileged container would (EPERM).
    if ((f & CLONE_THREAD) !== 0) return -EINVAL;
    return -EPERM;
  }
  if (args.exitSignal < 0 || args.exitSignal > 64) return -EINVAL;

  const tid = k.pidns.allocate();
  if (tid < 0) return -EAGAIN;
  const tidBytes = new Uint8Array(4);
  new DataView(tidBytes.buffer).setInt32(0, tid, true);
  if ((f & CLONE_PARENT_SETTID) !== 0) {
    // Written to the parent's memory (and so the child's too with CLONE_VM).
    // Done before anything is created, so a fault leaves nothing behind.
    if (parent.mm.copyOut(args.parentTid, tidBytes) !== 4) return -EFAULT;
  }
  // Host resources (a new address space, a stub thread or vCPU) can run
  // out: like fork(2)'s "EAGAIN A system-imposed limit ... was encountered".
  let mm = parent.mm;
  if ((f & CLONE_VM) === 0) {
    let forked: typeof mm | number;
    try {
      forked = parent.mm.fork();
    } catch (e) {
      if (!(e instanceof HostError)) throw e;
      return -EAGAIN;
    }
    if (typeof forked === "number") return forked;
    mm = forked;
  }
  let pidfdNum = -1;
  let ctx: Context;
  try {
    ctx = k.platform.newContext();
  } catch (e) {
    if (!(e instanceof HostError)) throw e;
    if (mm !== parent.mm) mm.release();
    return -EAGAIN;
  }
  ctx.regs.set(parent.ctx.regs);
  setReg(ctx.regs, REG_RAX, 0);
  if (args.stack !== 0) setReg(ctx.regs, REG_RSP, args.stack);
  if ((f & CLONE_SETTLS) !== 0) setReg(ctx.regs, REG_FS_BASE, args.tls);
  ctx.setFPState(parent.ctx.getFPState());

  const fdTable = (f & CLONE_FILES) !== 0 ? parent.fdTable : parent.fdTable.fork();
  const fs = (f & CLONE_FS) !== 0 ? parent.fs : parent.fs.fork();
  const sighand = (f & CLONE_SIGHAND) !== 0 ? parent.sighand : parent.sighand.copy();

  let tg: ThreadGroup;
  if ((f & CLONE_THREAD) !== 0) {
    tg = parent.tg;
  } else {
    const p = (f & CLONE_PARENT) !== 0 ? parent.tg.parent : parent.tg;
    tg = new ThreadGroup(
      tid,
      null,
      p,
      parent.tg.processGroup,
      parent.tg.rlimits.map((r) => ({ ...r })),
    );
    tg.exitSignal = args.exitSignal;
    // The image is the parent's until the child execs.
    tg.exePath = parent.tg.exePath;
    tg.auxv = parent.tg.auxv;
  }
  const child = new Task(k, tid, tg, ctx, mm, fdTable, fs, parent.creds, sighand, parent.name);
  if (tg.leader === null) {
    tg.leader = child;
    tg.parent?.children.add(tg);
    k.pidns.threadGroups.set(tid, tg);
  }
  tg.tasks.add(child);
  k.pidns.tasks.set(tid, child);
  addUser(mm);
  addUser(fdTable);
  addUser(fs);
  child.sigMask = parent.sigMask;
  // "sigaltstack should be cleared when sharing the same VM" (unless vfork).
  if ((f & (CLONE_VM | CLONE_VFORK)) === CLONE_VM) {
    child.altStack = { sp: 0, size: 0, flags: SS_DISABLE };
  } else {
    child.altStack = { ...parent.altStack };
  }
  if ((f & CLONE_CHILD_CLEARTID) !== 0) child.clearChildTid = args.childTid;

  if ((f & CLONE_CHILD_SETTID) !== 0) {
    // schedule_tail writes it in the child; a fault there is ignored.
    child.mm.copyOut(args.childTid, tidBytes);
  }
  if ((f & CLONE_PIDFD) !== 0) {
    pidfdNum = parent.fdTable.install(new PidFd(tg, 0), true);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, pidfdNum, true);
    if (pidfdNum >= 0) parent.mm.copyOut(args.pidfd, b);
  }
  k.makeReady(child);
  if ((f & CLONE_VFORK) !== 0) {
    child.vforkParent = parent;
    return block([], {
      interruptible: false,
      resume: () => tid,
    });
  }
  return tid;
}

/**
 * Decodes clone(2)'s registers. x86-64 order: flags, newsp, parent_tid,
 * child_tid, tls.
 */
export function cloneArgsFromRegs(
  flags: number,
  stack: number,
  parentTid: number,
  childTid: number,
  tls: number,
): CloneArgs {
  return {
    // kernel_clone: "lower_32_bits(clone_flags) & ~CSIGNAL".
    flags: (flags & ~CSIGNAL) >>> 0,
    exitSignal: flags & CSIGNAL,
    stack,
    parentTid,
    childTid,
    tls,
    pidfd: parentTid,
  };
}
