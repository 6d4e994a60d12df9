import {
  MADV_DONTNEED,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_PRIVATE,
  MAP_SHARED,
  PROT_READ,
  PROT_WRITE,
} from "@tsvisor/abi";
import { describe, expect, it } from "vitest";
import type { MemoryManager } from "../src/index.js";
import { checkAll, newEnv, peek, poke } from "./fakes.js";
import { rng } from "./rng.js";

const P = 4096;
const BASE = 0x40000000;
const PAGES = 48;

/** A shared anonymous object in the model: its bytes by object offset. */
interface ModelObject {
  bytes: Map<number, number>;
}
/** What one page of one MM is in the model. */
type ModelPage =
  | { kind: "private"; bytes: Map<number, number> }
  | { kind: "shared"; obj: ModelObject; objPage: number };

interface Proc {
  mm: MemoryManager;
  pages: Map<number, ModelPage>;
}

function expected(p: Proc, addr: number): number | undefined {
  const page = p.pages.get(Math.floor((addr - BASE) / P));
  if (page === undefined) return undefined;
  const off = addr % P;
  if (page.kind === "private") return page.bytes.get(off) ?? 0;
  return page.obj.bytes.get(page.objPage * P + off) ?? 0;
}

function store(p: Proc, addr: number, v: number): void {
  const page = p.pages.get(Math.floor((addr - BASE) / P))!;
  const off = addr % P;
  if (page.kind === "private") page.bytes.set(off, v);
  else page.obj.bytes.set(page.objPage * P + off, v);
}

/**
 * Random private/shared anonymous mappings, stores (by the application and
 * by the Sentry's copyOut), fork, DONTNEED, munmap and exit, over several
 * MMs, checked against a model of what every byte must be (copy-on-write:
 * a fork copies private bytes; shared objects stay one), with refcounts and
 * mirrors recomputed after every step.
 */
describe("copy-on-write against a model", () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])("seed %i", (seed) => {
    const r = rng(seed * 104729);
    const env = newEnv({ faultAroundPages: 1 + r(16) });
    const procs: Proc[] = [{ mm: env.mm, pages: new Map() }];
    for (let step = 0; step < 400; step++) {
      const p = procs[r(procs.length)]!;
      const op = r(20);
      if (op < 2) {
        const first = r(PAGES);
        const n = 1 + r(6);
        const shared = r(3) === 0;
        const addr = BASE + first * P;
        const res = p.mm.mmap({
          addr,
          length: n * P,
          prot: PROT_READ | PROT_WRITE,
          flags: (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_FIXED,
        });
        expect(res).toBe(addr);
        const obj: ModelObject = { bytes: new Map() };
        for (let i = 0; i < n; i++) {
          p.pages.set(
            first + i,
            shared ? { kind: "shared", obj, objPage: i } : { kind: "private", bytes: new Map() },
          );
        }
      } else if (op < 8) {
        const addr = BASE + r(PAGES * P);
        const v = 1 + r(255);
        if (expected(p, addr) === undefined) {
          expect(p.mm.handleFault(addr, "write")).toMatchObject({ code: 1 });
          continue;
        }
        if (r(2) === 0) poke(p.mm, addr, v);
        else expect(p.mm.copyOut(addr, new Uint8Array([v]))).toBe(1);
        store(p, addr, v);
      } else if (op < 13) {
        const addr = BASE + r(PAGES * P);
        const want = expected(p, addr);
        if (want === undefined) continue;
        if (r(2) === 0) expect(peek(p.mm, addr)).toBe(want);
        else {
          const b = new Uint8Array(1);
          expect(p.mm.copyIn(addr, b)).toBe(1);
          expect(b[0]).toBe(want);
        }
      } else if (op < 15) {
        if (procs.length >= 5) continue;
        const c = p.mm.fork();
        if (typeof c === "number") throw new Error(`fork: ${c}`);
        const pages = new Map<number, ModelPage>();
        for (const [k, pg] of p.pages) {
          pages.set(k, pg.kind === "private" ? { kind: "private", bytes: new Map(pg.bytes) } : pg);
        }
        procs.push({ mm: c, pages });
      } else if (op < 16) {
        const first = r(PAGES);
        const n = 1 + r(6);
        expect(p.mm.madvise(BASE + first * P, n * P, MADV_DONTNEED) === 0 || true).toBe(true);
        for (let i = first; i < first + n; i++) {
          const pg = p.pages.get(i);
          if (pg?.kind === "private") pg.bytes.clear();
        }
      } else if (op < 18) {
        const first = r(PAGES);
        const n = 1 + r(6);
        expect(p.mm.munmap(BASE + first * P, n * P)).toBe(0);
        for (let i = first; i < first + n; i++) p.pages.delete(i);
      } else if (op < 19 && procs.length > 1) {
        p.mm.release();
        procs.splice(procs.indexOf(p), 1);
      } else {
        // Check every page of this process.
        for (const k of p.pages.keys()) {
          const addr = BASE + k * P + r(P);
          expect(peek(p.mm, addr)).toBe(expected(p, addr));
        }
      }
      checkAll(
        env.allocator,
        procs.map((q) => q.mm),
      );
    }
    for (const q of procs) q.mm.release();
    checkAll(env.allocator, []);
    expect(env.allocator.usage).toBe(0);
  });
});
