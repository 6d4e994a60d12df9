/**
 * sysinfo(2), getcpu(2), umask(2) (when not a file-system helper's) and
 * getrusage(2).
 *
 * Runs on behalf of the calling task `t`.
 */
import { freemem, loadavg, totalmem } from "node:os";
import { EFAULT, EINVAL, RUSAGE_CHILDREN, RUSAGE_SELF, RUSAGE_THREAD } from "@tsvisor/abi";
import type { Task } from "../task.js";
import type { SyscallArgs } from "./syscall.js";

/** sysinfo(2): struct sysinfo (112 bytes), mem_unit 1. */
export function sysSysinfo(t: Task, a: SyscallArgs): number {
  const b = new Uint8Array(112);
  const dv = new DataView(b.buffer);
  const [s] = process.hrtime();
  dv.setBigInt64(0, BigInt(s), true); // uptime
  const la = loadavg();
  for (let i = 0; i < 3; i++) dv.setBigUint64(8 + 8 * i, BigInt(Math.round(la[i]! * 65536)), true);
  dv.setBigUint64(32, BigInt(totalmem()), true);
  dv.setBigUint64(40, BigInt(freemem()), true);
  dv.setUint16(80, Math.min(t.kernel.pidns.tasks.size, 65535), true); // procs
  dv.setUint32(104, 1, true); // mem_unit
  return t.mm.copyOut(a.ptr(0), b) === 112 ? 0 : -EFAULT;
}

/** getcpu(2): reports CPU 0, node 0. */
export function sysGetcpu(t: Task, a: SyscallArgs): number {
  const z = new Uint8Array(4);
  if (a.ptr(0) !== 0 && t.mm.copyOut(a.ptr(0), z) !== 4) return -EFAULT;
  if (a.ptr(1) !== 0 && t.mm.copyOut(a.ptr(1), z) !== 4) return -EFAULT;
  return 0;
}

/**
 * A struct rusage with `cpuMs` as user time (the Sentry does not split out
 * system time: 0) and `maxRssKb`; the other counters are not measured (0).
 */
export function encodeRusage(cpuMs: number, maxRssKb: number): Uint8Array {
  const b = new Uint8Array(144);
  const dv = new DataView(b.buffer);
  const us = Math.round(cpuMs * 1000);
  dv.setBigInt64(0, BigInt(Math.floor(us / 1e6)), true);
  dv.setBigInt64(8, BigInt(us % 1e6), true);
  dv.setBigInt64(32, BigInt(Math.round(maxRssKb)), true);
  return b;
}

/** getrusage(2): user time as measured by the run loop; see encodeRusage. */
export function sysGetrusage(t: Task, a: SyscallArgs): number {
  const who = a.int(0);
  let b: Uint8Array;
  const rss = t.mm.residentSize / 1024;
  if (who === RUSAGE_SELF) b = encodeRusage(t.tg.cpuMs, rss);
  else if (who === RUSAGE_THREAD) b = encodeRusage(t.cpuMs, rss);
  else if (who === RUSAGE_CHILDREN) b = encodeRusage(t.tg.childrenCpuMs, 0);
  else return -EINVAL;
  return t.mm.copyOut(a.ptr(1), b) === 144 ? 0 : -EFAULT;
}
