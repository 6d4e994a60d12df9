/**
 * prctl(2): the options programs commonly use.
 *
 * Runs on behalf of the calling task `t`.
 */
import {
  EFAULT,
  EINVAL,
  PR_GET_DUMPABLE,
  PR_GET_NAME,
  PR_GET_PDEATHSIG,
  PR_SET_DUMPABLE,
  PR_SET_NAME,
  PR_SET_PDEATHSIG,
} from "@tsvisor/abi";
import type { Task } from "../task.js";
import type { SyscallArgs } from "./syscall.js";

const PR_GET_KEEPCAPS = 7;
const PR_SET_KEEPCAPS = 8;
const PR_GET_SECCOMP = 21;
const PR_CAPBSET_READ = 23;
const PR_SET_CHILD_SUBREAPER = 36;
const PR_GET_CHILD_SUBREAPER = 37;
const PR_SET_NO_NEW_PRIVS = 38;
const PR_GET_NO_NEW_PRIVS = 39;
/** CAP_LAST_CAP on Linux 6.1. */
const CAP_LAST_CAP = 40;

/** Per-thread-group flags prctl keeps. */
interface PrctlState {
  dumpable: number;
  noNewPrivs: number;
  keepCaps: number;
  subreaper: number;
}
const states = new WeakMap<object, PrctlState>();
function state(t: Task): PrctlState {
  let s = states.get(t.tg);
  if (s === undefined) {
    s = { dumpable: 1, noNewPrivs: 0, keepCaps: 0, subreaper: 0 };
    states.set(t.tg, s);
  }
  return s;
}

function writeInt(t: Task, addr: number, v: number): number {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  return t.mm.copyOut(addr, b) === 4 ? 0 : -EFAULT;
}

export function sysPrctl(t: Task, a: SyscallArgs): number {
  const option = a.int(0);
  const arg2 = a.u64(1);
  switch (option) {
    case PR_SET_NAME: {
      // The name is at most 16 bytes including the NUL; longer ones are truncated.
      const b = new Uint8Array(16);
      const n = (
        t.mm as unknown as { copyInPartial?: (x: number, d: Uint8Array) => number }
      ).copyInPartial?.(a.ptr(1), b);
      const got = n ?? t.mm.copyIn(a.ptr(1), b);
      if (got <= 0) return -EFAULT;
      let end = b.subarray(0, got).indexOf(0);
      if (end < 0) end = Math.min(got, 15);
      t.name = Buffer.from(b.subarray(0, Math.min(end, 15))).toString("latin1");
      return 0;
    }
    case PR_GET_NAME: {
      const b = new Uint8Array(16);
      b.set(Buffer.from(t.name, "latin1").subarray(0, 15));
      return t.mm.copyOut(a.ptr(1), b) === 16 ? 0 : -EFAULT;
    }
    case PR_SET_PDEATHSIG:
      if (arg2 > 64) return -EINVAL;
      t.pdeathSignal = arg2;
      return 0;
    case PR_GET_PDEATHSIG:
      return writeInt(t, a.ptr(1), t.pdeathSignal);
    case PR_GET_DUMPABLE:
      return state(t).dumpable;
    case PR_SET_DUMPABLE:
      if (arg2 !== 0 && arg2 !== 1) return -EINVAL;
      state(t).dumpable = arg2;
      return 0;
    case PR_GET_KEEPCAPS:
      return state(t).keepCaps;
    case PR_SET_KEEPCAPS:
      if (arg2 > 1) return -EINVAL;
      state(t).keepCaps = arg2;
      return 0;
    case PR_GET_SECCOMP:
      return 0;
    case PR_CAPBSET_READ:
      return arg2 <= CAP_LAST_CAP ? 1 : -EINVAL;
    case PR_SET_CHILD_SUBREAPER:
      state(t).subreaper = arg2 !== 0 ? 1 : 0;
      return 0;
    case PR_GET_CHILD_SUBREAPER:
      return writeInt(t, a.ptr(1), state(t).subreaper);
    case PR_SET_NO_NEW_PRIVS:
      if (arg2 !== 1 || a.u64(2) !== 0 || a.u64(3) !== 0 || a.u64(4) !== 0) return -EINVAL;
      state(t).noNewPrivs = 1;
      return 0;
    case PR_GET_NO_NEW_PRIVS:
      return state(t).noNewPrivs;
    default:
      return -EINVAL;
  }
}
