/**
 * execve(2) / execveat(2): replacing a task's program image.
 *
 * Follows gVisor's task_exec.go and Linux's fs/exec.c:
 * 1. Everything that can fail with an errno happens first, while the caller's
 *    image is intact: reading argv/envp, opening the file, `#!` scripts,
 *    ELF validation, opening and validating PT_INTERP.
 * 2. Other threads of the group are killed and the exec waits for them to
 *    be gone (de_thread); an exec from a non-leader takes the leader's tid.
 * 3. Point of no return: a new memory manager is loaded. A failure now kills
 *    the task with SIGSEGV, as Linux does.
 * 4. The rest of the new state: fresh registers and FP state, closed
 *    O_CLOEXEC fds, caught signals reset (ignored ones and the mask kept),
 *    no alternate stack, the vfork parent released.
 */
import {
  BUS_ADRERR,
  E2BIG,
  EFAULT,
  ELIBBAD,
  ELOOP,
  ENAMETOOLONG,
  ENOENT,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_PRIVATE,
  PROT_EXEC,
  PROT_READ,
  PROT_WRITE,
  SIGBUS,
  SIGKILL,
  SIGSEGV,
  SS_DISABLE,
} from "@tsvisor/abi";
import { NUM_REGS, REG_CS, REG_EFLAGS, REG_RIP, REG_RSP, REG_SS, setReg } from "@tsvisor/platform";
import { exitRobustList, wakeFutexAt } from "./futex.js";
import type { TaskMemory } from "./interfaces.js";
import type { Kernel, OpenedExecutable } from "./kernel.js";
import {
  type ElfImage,
  hasElfMagic,
  loadElf,
  PHDR_SIZE,
  parseElf,
  TASK_SIZE,
} from "./loader/elf.js";
import {
  argStackLimit,
  buildInitialStack,
  checkArgLimits,
  MAX_ARG_STRINGS,
  MAX_ARG_STRLEN,
} from "./loader/stack.js";
import { newSigInfo } from "./signals.js";
import { block, type Block } from "./syscalls/syscall.js";
import type { Task } from "./task.js";
import { addUser, dropUser, releaseMemory, releaseVfork, userCount } from "./task-exit.js";
import { deleteTimers } from "./syscalls/sys-timer.js";
import { forceSignal } from "./task-signals.js";

/** Linux's BINPRM_BUF_SIZE: how much of a file exec looks at for `#!`. */
const BINPRM_BUF_SIZE = 256;
/** Nested interpreters allowed (search_binary_handler's depth limit). */
const MAX_INTERP_DEPTH = 5;
/** Load address of a position-independent main program (ELF_ET_DYN_BASE without ASLR). */
const ET_DYN_BASE = 0x555555554000;
/** Distance of the initial stack's top below the highest user address. */
const STACK_TOP_GAP = 0x2000000;
/** mmap_base's gap below the stack: at least 128 MiB (Linux's MIN_GAP), at most 1 GiB here. */
const MIN_MMAP_GAP = 128 * 1024 * 1024;
const MAX_MMAP_GAP = 1024 * 1024 * 1024;
/** Linux's stack_guard_gap (256 pages). */
const STACK_GUARD = 256 * 4096;
/** Stack size mapped at exec (demand-paged): RLIMIT_STACK's default. */
const STACK_SIZE = 8 * 1024 * 1024;

/** A fully validated exec, ready to commit after the point of no return. */
interface PreparedExec {
  file: OpenedExecutable;
  elf: ElfImage;
  interp: { file: OpenedExecutable; elf: ElfImage } | null;
  argv: string[];
  envp: string[];
  /** The pathname given to exec (AT_EXECFN, comm). */
  filename: string;
}

/** Linux's count(): the pointers of a NULL-terminated array, -EFAULT or -E2BIG. */
function readPointerArray(t: Task, addr: number): number[] | number {
  const out: number[] = [];
  if (addr === 0) return out;
  const word = new Uint8Array(8);
  const dv = new DataView(word.buffer);
  for (let i = 0; ; i++) {
    if (i >= MAX_ARG_STRINGS) return -E2BIG;
    if (t.mm.copyIn(addr + i * 8, word) !== 8) return -EFAULT;
    const p = Number(dv.getBigUint64(0, true));
    if (p === 0) return out;
    out.push(p);
  }
}

/**
 * One argument or environment string (copy_strings' strnlen_user): -EFAULT
 * when it is not readable up to its NUL, -E2BIG when longer than
 * MAX_ARG_STRLEN with the NUL.
 */
function readArgString(t: Task, p: number): string | number {
  const s = t.mm.copyInCString(p, MAX_ARG_STRLEN);
  if (typeof s === "number") return s === -ENAMETOOLONG ? -E2BIG : s;
  return Buffer.from(s).toString("latin1");
}

/** Where exec's argv and envp come from. */
export type ExecArgSource =
  /** Already decoded: the sandbox's first process. */
  | { readonly kind: "strings"; readonly argv: readonly string[]; readonly envp: readonly string[] }
  /** The calling task's memory: execve(2)'s argv and envp pointers. */
  | { readonly kind: "user"; readonly argvAddr: number; readonly envpAddr: number };

/**
 * Reads execve(2)'s argv and envp from `t`'s memory in the order Linux's
 * do_execveat_common finds errors, so a call with several problems fails
 * with Linux's errno:
 * 1. count(argv), count(envp): the pointer arrays (EFAULT; E2BIG past
 *    MAX_ARG_STRINGS);
 * 2. bprm_stack_limits: the pointers alone must fit (E2BIG);
 * 3. copy_strings of envp, then argv, each from the last string to the
 *    first (EFAULT; E2BIG for a string over MAX_ARG_STRLEN).
 * An empty argv becomes [""] (Linux >= 5.18: "if (bprm->argc == 0) ...
 * copy_string_kernel("", bprm)"). The total size is checked by prepare.
 *
 * Precondition: the executable was opened (Linux opens it before it looks
 * at argv, so a missing file is ENOENT even with a bad argv).
 */
export function readExecArgs(
  t: Task,
  argvAddr: number,
  envpAddr: number,
): { argv: string[]; envp: string[] } | number {
  const av = readPointerArray(t, argvAddr);
  if (typeof av === "number") return av;
  const ev = readPointerArray(t, envpAddr);
  if (typeof ev === "number") return ev;
  const ptrSize = (Math.max(av.length, 1) + ev.length) * 8;
  if (argStackLimit(t.tg.rlimits[3]!.cur) <= ptrSize) return -E2BIG;
  const envp: string[] = new Array(ev.length);
  for (let i = ev.length - 1; i >= 0; i--) {
    const s = readArgString(t, ev[i]!);
    if (typeof s === "number") return s;
    envp[i] = s;
  }
  const argv: string[] = new Array(av.length);
  for (let i = av.length - 1; i >= 0; i--) {
    const s = readArgString(t, av[i]!);
    if (typeof s === "number") return s;
    argv[i] = s;
  }
  if (argv.length === 0) argv.push("");
  return { argv, envp };
}

/** Reads the first bytes of a file (for `#!` and ELF magic). */
function head(f: OpenedExecutable): Uint8Array | number {
  const b = new Uint8Array(Math.min(BINPRM_BUF_SIZE, f.size));
  const n = f.readAt(0, b);
  if (n < 0) return n;
  return b.subarray(0, n);
}

const isSpaceTab = (c: number): boolean => c === 0x20 || c === 0x09;
const isTerminator = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0;

/**
 * Parses a `#!` line as Linux's binfmt_script does: returns [interpreter,
 * optional argument], or null (ENOEXEC) when there is no interpreter name
 * or it may be cut off. `h` is the start of the file; Linux reads it into a
 * BINPRM_BUF_SIZE buffer padded with NULs, and a NUL ends a name too.
 *
 * From fs/binfmt_script.c: "We do not want to exec a truncated interpreter
 * path, so either we find a newline (which indicates nothing is
 * truncated), or we find a space/tab/NUL after the interpreter path (which
 * itself may be preceded by spaces/tabs). Truncating the arguments is fine."
 * Everything after the interpreter name, trimmed of blanks, is one argument.
 */
export function parseShebang(h: Uint8Array): [string, string | null] | null {
  const buf = new Uint8Array(BINPRM_BUF_SIZE);
  buf.set(h.subarray(0, BINPRM_BUF_SIZE));
  const bufEnd = BINPRM_BUF_SIZE - 1;
  const nextNonSpaceTab = (i: number, end: number): number => {
    for (; i < end; i++) if (!isSpaceTab(buf[i]!)) return i;
    return -1;
  };
  const nextTerminator = (i: number, end: number): number => {
    for (; i < end; i++) if (isTerminator(buf[i]!)) return i;
    return -1;
  };
  let iEnd = buf.indexOf(0x0a);
  if (iEnd < 0) {
    const first = nextNonSpaceTab(2, bufEnd);
    if (first < 0) return null; // "Entire buf is spaces/tabs"
    if (nextTerminator(first, bufEnd) < 0) return null; // the name may be truncated
    iEnd = bufEnd;
  }
  while (iEnd > 2 && isSpaceTab(buf[iEnd - 1]!)) iEnd--;
  const iName = nextNonSpaceTab(2, iEnd);
  if (iName < 0 || iName === iEnd) return null; // "No interpreter name found"
  const iSep = nextTerminator(iName, iEnd);
  let iArg = -1;
  if (iSep >= 0 && buf[iSep] !== 0) iArg = nextNonSpaceTab(iSep, iEnd);
  const cString = (from: number, to: number): string => {
    const nul = buf.subarray(from, to).indexOf(0);
    return Buffer.from(buf.subarray(from, nul < 0 ? to : from + nul)).toString("latin1");
  };
  const name = cString(iName, iSep >= 0 ? iSep : iEnd);
  if (iArg < 0) return [name, null];
  const arg = cString(iArg, iEnd);
  return [name, arg === "" ? null : arg];
}

/**
 * Everything before the point of no return: open `path`, follow `#!`
 * interpreters, validate the ELF and its PT_INTERP. On behalf of `t`.
 */
function prepare(
  k: Kernel,
  t: Task,
  dirfd: number,
  path: string,
  flags: number,
  args: ExecArgSource,
): PreparedExec | number {
  if (path === "" && (flags & 0x1000) === 0) return -ENOENT; // AT_EMPTY_PATH
  let filename = path;
  let curArgv: string[] = [];
  let envp: string[] = [];
  for (let depth = 0; ; depth++) {
    if (depth > MAX_INTERP_DEPTH) return -ELOOP;
    const f = k.services.openExecutable(
      t,
      depth === 0 ? dirfd : -100,
      filename,
      depth === 0 ? flags : 0,
    );
    if (typeof f === "number") return f;
    if (depth === 0) {
      // do_execveat_common: the file is opened, then argv and envp are
      // copied, then the binary handlers look at the file.
      const a =
        args.kind === "strings"
          ? { argv: [...args.argv], envp: [...args.envp] }
          : readExecArgs(t, args.argvAddr, args.envpAddr);
      if (typeof a === "number") {
        f.close();
        return a;
      }
      const lim = checkArgLimits(a.argv, a.envp, t.tg.rlimits[3]!.cur);
      if (lim < 0) {
        f.close();
        return lim;
      }
      curArgv = a.argv;
      envp = a.envp;
    }
    const h = head(f);
    if (typeof h === "number") {
      f.close();
      return h;
    }
    if (h.length >= 2 && h[0] === 0x23 && h[1] === 0x21) {
      // binfmt_script: argv becomes [interp, arg?, filename, argv[1..]].
      f.close();
      const sb = parseShebang(h);
      if (sb === null) return -8; // ENOEXEC: "#!" with no interpreter
      const [interp, arg] = sb;
      const rest = curArgv.slice(1);
      curArgv = arg === null ? [interp, filename, ...rest] : [interp, arg, filename, ...rest];
      const lim2 = checkArgLimits(curArgv, envp, t.tg.rlimits[3]!.cur);
      if (lim2 < 0) return lim2;
      filename = interp;
      continue;
    }
    const elf = parseElf(f);
    if (typeof elf === "number") {
      f.close();
      return elf;
    }
    let interp: PreparedExec["interp"] = null;
    if (elf.interp !== null) {
      const inf = k.services.openExecutable(t, -100, elf.interp, 0);
      if (typeof inf === "number") {
        f.close();
        return inf;
      }
      const ih = head(inf);
      // load_elf_binary: a bad interpreter header is ELIBBAD ("Not an ELF interpreter").
      const ielf = typeof ih === "number" || !hasElfMagic(ih) ? -ELIBBAD : parseElf(inf);
      if (typeof ielf === "number") {
        f.close();
        inf.close();
        return ielf === -8 ? -ELIBBAD : ielf;
      }
      interp = { file: inf, elf: ielf };
    }
    return { file: f, elf, interp, argv: curArgv, envp, filename: depth === 0 ? path : path };
  }
}

/**
 * execve/execveat on behalf of `t`, with decoded `argv` and `envp`. Returns
 * 0 on success (the task now runs the new image), a negative errno with the
 * old image intact, or a Block while other threads of the group are being
 * killed.
 */
export function execve(
  k: Kernel,
  t: Task,
  dirfd: number,
  path: string,
  argv: string[],
  envp: string[],
  flags: number,
): number | Block {
  return execveFrom(k, t, dirfd, path, { kind: "strings", argv, envp }, flags);
}

/**
 * {@link execve} with argv and envp read from `t`'s memory at the addresses
 * execve(2) was given, after the file was opened, as Linux does (see
 * {@link readExecArgs}).
 */
export function execveUser(
  k: Kernel,
  t: Task,
  dirfd: number,
  path: string,
  argvAddr: number,
  envpAddr: number,
  flags: number,
): number | Block {
  return execveFrom(k, t, dirfd, path, { kind: "user", argvAddr, envpAddr }, flags);
}

function execveFrom(
  k: Kernel,
  t: Task,
  dirfd: number,
  path: string,
  args: ExecArgSource,
  flags: number,
): number | Block {
  const p = prepare(k, t, dirfd, path, flags, args);
  if (typeof p === "number") return p;
  return deThreadThenCommit(k, t, p);
}

/** de_thread: kill the other threads, wait until they are gone, then commit. */
function deThreadThenCommit(k: Kernel, t: Task, p: PreparedExec): number | Block {
  const others = [...t.tg.tasks].filter((o) => o !== t);
  if (others.length === 0) return commit(k, t, p);
  for (const o of others) {
    o.exiting = true;
    o.exitStatus = SIGKILL;
    const st = o.state;
    if (st.kind === "blocked") k.wake(o, "interrupted");
    else if (st.kind === "running") o.ctx.interrupt();
    else if (st.kind === "stopped") k.makeReady(o);
  }
  return block(t.tg.threadExits, {
    interruptible: false,
    resume: () => {
      if (t.exiting) {
        p.file.close();
        p.interp?.file.close();
        return 0;
      }
      return deThreadThenCommit(k, t, p);
    },
  });
}

/** The point of no return and everything after it. */
function commit(k: Kernel, t: Task, p: PreparedExec): number {
  const tg = t.tg;
  // An exec from a non-leader thread takes over the leader's identity.
  if (!t.isLeader) {
    const oldTid = t.tid;
    k.pidns.tasks.delete(oldTid);
    t.tid = tg.tgid;
    k.pidns.tasks.set(t.tid, t);
    tg.leader = t;
  }
  // exec_mm_release on the old image: robust futexes, clear_child_tid.
  exitRobustList(k, t);
  if (t.clearChildTid !== 0 && userCount(t.mm) > 1) {
    if (t.mm.copyOut(t.clearChildTid, new Uint8Array(4)) === 4)
      wakeFutexAt(k, t, t.clearChildTid, 1);
  }
  t.clearChildTid = 0;
  t.robustListHead = 0;
  t.robustListLen = 0;

  const mm = k.services.newMemory();
  // The memory limits follow the process's rlimits (RLIMIT_AS/STACK/DATA).
  mm.limits.addressSpaceBytes = tg.rlimits[9]!.cur;
  mm.limits.stackBytes = tg.rlimits[3]!.cur;
  mm.limits.dataBytes = tg.rlimits[2]!.cur;
  const loaded = load(k, t, mm, p);
  p.file.close();
  p.interp?.file.close();
  releaseMemory(t);
  t.mm = mm;
  addUser(mm);
  if (typeof loaded === "number") {
    // After the point of no return: "force_fatal_sig(SIGSEGV)".
    t.sighand.actions[SIGSEGV]!.handler = 0;
    forceSignal(k, t, newSigInfo(SIGSEGV, 0x80, "kill"));
    t.noRestart = true;
    return 0;
  }

  // Fresh registers: only rip, rsp and the segment selectors are set.
  const regs = t.ctx.regs;
  regs.fill(0, 0, NUM_REGS * 2);
  setReg(regs, REG_RIP, loaded.entry);
  setReg(regs, REG_RSP, loaded.sp);
  setReg(regs, REG_CS, 0x33);
  setReg(regs, REG_SS, 0x2b);
  setReg(regs, REG_EFLAGS, 0x202);
  resetFPState(t);

  // Files: an fd table shared with another process is unshared, then
  // close-on-exec fds are closed.
  if (userCount(t.fdTable) > 1) {
    dropUser(t.fdTable);
    t.fdTable = t.fdTable.fork();
    addUser(t.fdTable);
  }
  t.fdTable.closeOnExec();
  // Signals: caught → default; ignored stay ignored; mask and pending kept.
  t.sighand = t.sighand.forExec();
  t.altStack = { sp: 0, size: 0, flags: SS_DISABLE };
  t.savedSigMask = null;
  t.restartBlock = null;
  const base = p.filename.slice(p.filename.lastIndexOf("/") + 1);
  t.name = base.slice(0, 15);
  tg.didExec = true;
  deleteTimers(t, tg); // execve(2): "POSIX timers are not preserved"
  tg.exePath = p.file.path;
  tg.auxv = loaded.auxv;
  releaseVfork(k, t);
  t.noRestart = true;
  if (loaded.beyondEof !== 0) {
    // The image maps file pages past EOF: touching them is SIGBUS
    // (BUS_ADRERR). tsvisor copies images instead of mapping them, so it
    // raises that SIGBUS at once (the program starts by touching its code).
    const info = newSigInfo(SIGBUS, BUS_ADRERR, "fault");
    info.addr = loaded.beyondEof;
    forceSignal(k, t, info);
  }
  return 0;
}

/** Resets the FP/SSE/AVX state to its power-on values (FCW 0x37f, MXCSR 0x1f80). */
function resetFPState(t: Task): void {
  const cur = t.ctx.getFPState();
  const fp = new Uint8Array(cur.length);
  const dv = new DataView(fp.buffer);
  dv.setUint16(0, 0x37f, true); // FCW
  dv.setUint32(24, 0x1f80, true); // MXCSR
  dv.setUint32(28, 0xffff, true); // MXCSR_MASK as the CPU reports it
  t.ctx.setFPState(fp);
}

/** Maps the image(s) and the stack into `mm`; returns the entry and stack pointer. */
function load(
  k: Kernel,
  t: Task,
  mm: TaskMemory,
  p: PreparedExec,
): { entry: number; sp: number; beyondEof: number; auxv: Uint8Array } | number {
  const main = loadElf(mm, p.file, p.elf, p.elf.type === 3 ? ET_DYN_BASE : 0);
  if (typeof main === "number") return main;
  let entry = main.entry;
  let base = 0;
  if (p.interp !== null) {
    const li = loadElf(mm, p.interp.file, p.interp.elf, 0);
    if (typeof li === "number") return li;
    entry = li.entry;
    base = li.bias;
  }
  mm.setBrkBase(main.end);
  // The stack sits a little below the top of the address space, as with
  // Linux's stack randomisation (which native runs have), so the last user
  // pages stay free for MAP_FIXED like natively; mmap's top-down area starts
  // below the stack's maximum size, like mmap_base.
  const top = Math.min(k.platform.capabilities.maxUserAddress, TASK_SIZE);
  const stackTop = top - STACK_TOP_GAP;
  const stackLimit = t.tg.rlimits[3]!.cur;
  const gap = Math.min(
    Math.max(MIN_MMAP_GAP, Number.isFinite(stackLimit) ? stackLimit : MIN_MMAP_GAP),
    MAX_MMAP_GAP,
  );
  mm.mmapBase = stackTop - gap - STACK_GUARD;
  const r = mm.mmap({
    addr: stackTop - STACK_SIZE,
    length: STACK_SIZE,
    prot: PROT_READ | PROT_WRITE | (p.elf.execStack ? PROT_EXEC : 0),
    flags: MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | 0x0100 /* MAP_GROWSDOWN */,
  });
  if (r < 0) return r;
  const c = t.creds;
  const st = buildInitialStack(stackTop, p.argv, p.envp, p.filename, {
    phdr: main.phdrAddr,
    phent: PHDR_SIZE,
    phnum: p.elf.phnum,
    base,
    entry: main.entry,
    uid: c.uid,
    euid: c.euid,
    gid: c.gid,
    egid: c.egid,
    secure: false,
  });
  if (st.bytes.length > STACK_SIZE / 4) return -E2BIG;
  const w = mm.copyOut(st.sp, st.bytes);
  if (w < 0) return w;
  mm.stackStart = st.sp;
  mm.argStart = st.argStart;
  mm.argEnd = st.argEnd;
  mm.envStart = st.envStart;
  mm.envEnd = st.envEnd;
  const auxv = new Uint8Array(st.auxv.length * 16);
  const adv = new DataView(auxv.buffer);
  st.auxv.forEach((e, i) => {
    adv.setBigUint64(16 * i, BigInt(e.key), true);
    adv.setBigUint64(16 * i + 8, BigInt(e.value), true);
  });
  return { entry, sp: st.sp, beyondEof: main.beyondEof, auxv };
}
