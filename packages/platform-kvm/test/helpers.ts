import { type Context, REG_RIP, REG_RSP, setReg } from "@tsvisor/platform";
import { provider } from "../src/platform.js";
import { STACK_TOP } from "./guest.js";

const probe = provider.probe();
/** True when this host can run the KVM platform; tests that need it skip otherwise (and say why). */
export const kvmAvailable = probe.ok;
if (!probe.ok) console.warn(`KVM tests skipped: ${probe.reason} (fix: ${probe.fix})`);

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
