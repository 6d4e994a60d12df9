import { accessSync, constants } from "node:fs";
import { type Context, REG_RIP, REG_RSP, setReg } from "@tsvisor/platform";
import { provider } from "../src/platform.js";
import { STACK_TOP } from "./guest.js";

const probe = provider.probe();
/**
 * True when this host can run the KVM platform; tests that need it skip
 * otherwise (and say why). A host with a usable /dev/kvm must run them: there
 * a failing probe (e.g. an addon that does not load) is an error, not a skip.
 */
export const kvmAvailable = probe.ok || kvmDeviceUsable();
if (!probe.ok) {
  if (kvmAvailable)
    throw new Error(
      `/dev/kvm is usable but the KVM platform is not: ${probe.reason} (fix: ${probe.fix})`,
    );
  console.warn(`KVM tests skipped: ${probe.reason} (fix: ${probe.fix})`);
}

function kvmDeviceUsable(): boolean {
  try {
    accessSync("/dev/kvm", constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Offset just past the first `syscall` (0f 05) at or after `from` in `code`. */
export function syscallEnd(code: Uint8Array, from: number): number {
  for (let i = from; i + 1 < code.length; i++)
    if (code[i] === 0x0f && code[i + 1] === 0x05) return i + 2;
  throw new Error("no syscall");
}

/** Points a context at `rip` with a fresh stack. */
export function start(c: Context, rip: number): void {
  setReg(c.regs, REG_RIP, rip);
  setReg(c.regs, REG_RSP, STACK_TOP - 64);
}
