/** Random memory-management scripts for the native comparison (see fuzz.test.ts). */
import { rng } from "./rng.js";

const LO = 0x200000000;
const P = 4096;
const WINDOW = 64;

const h = (n: number) => `0x${n.toString(16)}`;

/**
 * A random script of memory-management commands confined to a 64-page
 * window, using only fixed addresses so native and emulated runs are
 * comparable. `file`: "none", or which kind of file mapping the script uses
 * (one kind per script: Linux's private mappings see later writes to the
 * file through shared ones, ours copy on first touch).
 */
export function script(
  seed: number,
  file: "none" | "private" | "shared",
  withFork = false,
): string[] {
  const r = rng(seed);
  const page = () => LO + r(WINDOW) * P;
  const len = () => (1 + r(12)) * P - (r(4) === 0 ? r(P) : 0);
  const out: string[] = [];
  let depth = 0;
  for (let i = 0; i < 60; i++) {
    if (withFork && r(12) === 0) {
      if (depth < 2 && r(2) === 0) {
        out.push("fork");
        depth++;
      } else if (depth > 0) {
        out.push("exit");
        depth--;
      }
    }
    switch (r(10)) {
      case 0:
      case 1: {
        let flags = r(6) === 0 ? 0x100000 : 0x10; // MAP_FIXED_NOREPLACE or MAP_FIXED
        const useFile = file !== "none" && r(2) === 0;
        if (useFile) flags |= file === "private" ? 0x02 : 0x01;
        else {
          flags |= 0x20 | (r(4) === 0 ? 0x01 : 0x02);
          if ((flags & 0x02) !== 0 && r(8) === 0) flags |= 0x100; // MAP_GROWSDOWN
          if (r(8) === 0) flags |= 0x4000; // MAP_NORESERVE
        }
        out.push(
          `mmap ${h(page())} ${(1 + r(12)) * P} ${r(8)} ${h(flags)} ${useFile ? r(12) * P : 0}`,
        );
        break;
      }
      case 2:
        out.push(`munmap ${h(page())} ${len()}`);
        break;
      case 3:
        out.push(`mprotect ${h(page())} ${len()} ${r(8) | (r(10) === 0 ? 0x1000000 : 0)}`);
        break;
      case 4: {
        const flags = [0, 0, 3, 7][r(4)]!;
        const old = (1 + r(8)) * P;
        const neu = flags === 7 ? old : (1 + r(10)) * P;
        out.push(`mremap ${h(page())} ${old} ${neu} ${flags} ${h(page())}`);
        break;
      }
      case 5:
        out.push(`madvise ${h(page())} ${len()} ${[4, 4, 3, 9, 10, 11][r(6)]}`);
        break;
      case 6:
        out.push(`msync ${h(page())} ${len()} ${[1, 4, 2, 0][r(4)]}`);
        break;
      case 7:
        out.push(`read ${h(page() + r(P))}`);
        break;
      default:
        out.push(`write ${h(page() + r(P))} ${1 + r(255)}`);
        break;
    }
    if (r(15) === 0) out.push(`maps ${h(LO)} ${h(LO + 0x10000000)}`);
  }
  out.push(`maps ${h(LO)} ${h(LO + 0x10000000)}`);
  for (; depth > 0; depth--) out.push("exit", `maps ${h(LO)} ${h(LO + 0x10000000)}`);
  return out;
}
