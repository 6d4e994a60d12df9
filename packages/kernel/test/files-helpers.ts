/**
 * A minimal task for unit-testing file syscall handlers without a
 * platform: flat fake memory, a vfs root, root credentials, and enough of
 * the signal state for SIGPIPE to be queued.
 */
import { newRegisters, setReg, SYSCALL_ARG_REGS } from "@tsvisor/platform";
import {
  DeviceRegistry,
  FdTable,
  FsContext,
  MountNamespace,
  TmpFs,
  type FileDescription,
} from "@tsvisor/vfs";
import { Credentials } from "../src/credentials.js";
import { PendingSignals, SignalHandlers } from "../src/signals.js";
import { SyscallArgs, type Block, type SyscallFn } from "../src/syscalls/syscall.js";
import type { Task } from "../src/task.js";

const EFAULT = 14;
const ENAMETOOLONG = 36;
const EINVAL = 22;

/** Flat memory at [base, base + size); everything else faults. */
export class FakeMemory {
  readonly bytes: Uint8Array;
  constructor(
    readonly base: number,
    size: number,
  ) {
    this.bytes = new Uint8Array(size);
  }
  private ok(addr: number, len: number): boolean {
    return addr >= this.base && addr + len <= this.base + this.bytes.length;
  }
  copyIn(addr: number, dst: Uint8Array): number {
    if (!this.ok(addr, dst.length)) return -EFAULT;
    dst.set(this.bytes.subarray(addr - this.base, addr - this.base + dst.length));
    return dst.length;
  }
  copyOut(addr: number, src: Uint8Array): number {
    if (!this.ok(addr, src.length)) return -EFAULT;
    this.bytes.set(src, addr - this.base);
    return src.length;
  }
  copyInPartial(addr: number, dst: Uint8Array): number {
    const n = Math.max(0, Math.min(dst.length, this.base + this.bytes.length - addr));
    if (addr < this.base || n === 0) return 0;
    dst.set(this.bytes.subarray(addr - this.base, addr - this.base + n));
    return n;
  }
  copyOutPartial(addr: number, src: Uint8Array): number {
    const n = Math.max(0, Math.min(src.length, this.base + this.bytes.length - addr));
    if (addr < this.base || n === 0) return 0;
    this.bytes.set(src.subarray(0, n), addr - this.base);
    return n;
  }
  copyInCString(addr: number, maxLen: number): Uint8Array | number {
    for (let i = 0; i < maxLen; i++) {
      if (!this.ok(addr + i, 1)) return -EFAULT;
      if (this.bytes[addr + i - this.base] === 0)
        return this.bytes.slice(addr - this.base, addr - this.base + i);
    }
    return -ENAMETOOLONG;
  }
  readIovecs(addr: number, count: number): { base: number; len: number }[] | number {
    if (count < 0 || count > 1024) return -EINVAL;
    const raw = new Uint8Array(count * 16);
    if (this.copyIn(addr, raw) < 0) return -EFAULT;
    const dv = new DataView(raw.buffer);
    const out = [];
    for (let i = 0; i < count; i++)
      out.push({
        base: Number(dv.getBigUint64(i * 16, true)),
        len: Number(dv.getBigUint64(i * 16 + 8, true)),
      });
    return out;
  }
  copyInVec(iovs: readonly { base: number; len: number }[], dst: Uint8Array): number {
    let done = 0;
    for (const v of iovs) {
      const r = this.copyIn(v.base, dst.subarray(done, done + v.len));
      if (r < 0) return done > 0 ? done : r;
      done += v.len;
    }
    return done;
  }
  copyOutVec(iovs: readonly { base: number; len: number }[], src: Uint8Array): number {
    let done = 0;
    for (const v of iovs) {
      const n = Math.min(v.len, src.length - done);
      if (n <= 0) break;
      const r = this.copyOut(v.base, src.subarray(done, done + n));
      if (r < 0) return done > 0 ? done : r;
      done += n;
    }
    return done;
  }
}

export interface TestTask {
  t: Task;
  mem: FakeMemory;
  fdTable: FdTable;
  fs: FsContext;
  pending: PendingSignals;
  /** Bump allocator in fake memory. */
  alloc(len: number): number;
  /** A NUL-terminated string in fake memory. */
  str(s: string): number;
  /** Calls a handler with integer arguments. */
  call(fn: SyscallFn, ...args: number[]): number | Block;
  /** Calls a handler that must not block. */
  num(fn: SyscallFn, ...args: number[]): number;
  read(addr: number, len: number): Uint8Array;
}

export const MEM_BASE = 0x10000;

export function makeTask(uid = 0): TestTask {
  const mem = new FakeMemory(MEM_BASE, 1 << 22);
  const rootFs = new TmpFs({ mode: 0o755 });
  const ns = new MountNamespace(rootFs, DeviceRegistry.withDefaults());
  const root = ns.rootLocation;
  const fs = new FsContext(root, root, 0o022);
  const fdTable = new FdTable();
  const pending = new PendingSignals();
  const regs = newRegisters();
  const t = {
    mm: mem,
    fdTable,
    fs,
    creds: Credentials.of(uid, uid),
    tgid: 1,
    tid: 1,
    state: { kind: "ready" },
    tg: {
      exit: { kind: "alive" },
      pending: new PendingSignals(),
      groupStopPending: false,
      sighand: undefined,
    },
    sighand: new SignalHandlers(),
    pending,
    sigMask: 0n,
    kernel: {},
  } as unknown as Task;
  let next = MEM_BASE;
  const alloc = (len: number) => {
    const a = next;
    next += (len + 15) & ~15;
    return a;
  };
  const call = (fn: SyscallFn, ...args: number[]) => {
    for (let i = 0; i < args.length; i++) setReg(regs, SYSCALL_ARG_REGS[i]!, args[i]!);
    return fn(t, new SyscallArgs(regs));
  };
  return {
    t,
    mem,
    fdTable,
    fs,
    pending,
    alloc,
    str: (s: string) => {
      const b = Buffer.from(`${s}\0`, "latin1");
      const a = alloc(b.length);
      mem.copyOut(a, b);
      return a;
    },
    call,
    num: (fn, ...args) => {
      const r = call(fn, ...args);
      if (typeof r !== "number") throw new Error("handler blocked");
      return r;
    },
    read: (addr, len) => mem.bytes.slice(addr - MEM_BASE, addr - MEM_BASE + len),
  };
}

export function fileAt(tt: TestTask, fd: number): FileDescription {
  const f = tt.fdTable.get(fd);
  if (!f) throw new Error(`no fd ${fd}`);
  return f;
}
