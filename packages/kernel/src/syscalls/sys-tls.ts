/**
 * arch_prctl(2): the x86-64 thread-local storage bases.
 *
 * Runs on behalf of the calling task `t`.
 */
import {
  ARCH_GET_CPUID,
  ARCH_GET_FS,
  ARCH_GET_GS,
  ARCH_SET_CPUID,
  ARCH_SET_FS,
  ARCH_SET_GS,
  EFAULT,
  EINVAL,
  ENODEV,
  EPERM,
} from "@tsvisor/abi";
import { REG_FS_BASE, REG_GS_BASE, regU64, setReg } from "@tsvisor/platform";
import { TASK_SIZE } from "../loader/elf.js";
import type { Task } from "../task.js";
import type { SyscallArgs } from "./syscall.js";

/**
 * ARCH_SET_FS/GS take a user address ("EPERM addr is outside the process
 * address space"); GET variants store the base at `addr`. ARCH_GET_CPUID
 * reports CPUID enabled; ARCH_SET_CPUID cannot disable it (ENODEV). Every
 * other code is EINVAL.
 */
export function sysArchPrctl(t: Task, a: SyscallArgs): number {
  const code = a.int(0);
  const addr = a.ptr(1);
  const regs = t.ctx.regs;
  switch (code) {
    case ARCH_SET_FS:
    case ARCH_SET_GS:
      if (addr >= TASK_SIZE) return -EPERM;
      setReg(regs, code === ARCH_SET_FS ? REG_FS_BASE : REG_GS_BASE, addr);
      return 0;
    case ARCH_GET_FS:
    case ARCH_GET_GS: {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(
        0,
        BigInt(regU64(regs, code === ARCH_GET_FS ? REG_FS_BASE : REG_GS_BASE)),
        true,
      );
      return t.mm.copyOut(addr, b) === 8 ? 0 : -EFAULT;
    }
    case ARCH_GET_CPUID:
      // CPUID is not faulting: "returns 1 if CPUID is enabled".
      return 1;
    case ARCH_SET_CPUID:
      // Enabling is a no-op; making CPUID fault needs CPU support tsvisor
      // does not emulate (Linux: ENODEV without cpuid faulting).
      return a.u64(1) !== 0 ? 0 : -ENODEV;
    default:
      return -EINVAL;
  }
}
