/**
 * uname(2), sethostname(2), setdomainname(2).
 *
 * Runs on behalf of the calling task `t`.
 */
import { EFAULT, EINVAL, EPERM } from "@tsvisor/abi";
import type { Task } from "../task.js";
import type { SyscallArgs } from "./syscall.js";

/** Each struct utsname field is 65 bytes (__NEW_UTS_LEN + 1). */
const FIELD = 65;
/** The version string uname -v shows. */
const VERSION = "#1 SMP PREEMPT_DYNAMIC tsvisor";

/** uname(2): sysname, nodename, release, version, machine, domainname. */
export function sysUname(t: Task, a: SyscallArgs): number {
  const k = t.kernel;
  const b = new Uint8Array(FIELD * 6);
  const fields = ["Linux", k.hostname, k.release, VERSION, "x86_64", k.domainname];
  fields.forEach((f, i) => {
    b.set(Buffer.from(f, "utf8").subarray(0, FIELD - 1), i * FIELD);
  });
  return t.mm.copyOut(a.ptr(0), b) === b.length ? 0 : -EFAULT;
}

function setName(t: Task, a: SyscallArgs, set: (s: string) => void): number {
  const len = a.int(1);
  if (!t.creds.hasCapability()) return -EPERM;
  if (len < 0 || len > FIELD - 1) return -EINVAL;
  const b = new Uint8Array(len);
  if (len > 0 && t.mm.copyIn(a.ptr(0), b) !== len) return -EFAULT;
  const nul = b.indexOf(0);
  set(Buffer.from(nul >= 0 ? b.subarray(0, nul) : b).toString("utf8"));
  return 0;
}

export function sysSethostname(t: Task, a: SyscallArgs): number {
  return setName(t, a, (s) => {
    t.kernel.hostname = s;
  });
}

export function sysSetdomainname(t: Task, a: SyscallArgs): number {
  return setName(t, a, (s) => {
    t.kernel.domainname = s;
  });
}
