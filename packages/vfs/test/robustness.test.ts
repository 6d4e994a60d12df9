/**
 * Random operation sequences with hostile paths and arguments: every VFS
 * operation must return a result or a negative errno, never throw (bad
 * input from a program gets Linux's errno, never a Sentry crash), over
 * tmpfs, a host passthrough and the overlay.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  chdir,
  DeviceRegistry,
  faccessat,
  FdTable,
  FileDescription,
  fchmodat,
  fchownat,
  FsContext,
  fstatat,
  getcwd,
  HostFs,
  linkat,
  mkdirat,
  mknodat,
  MountNamespace,
  openat,
  OverlayFs,
  readlinkat,
  renameat2,
  ROOT_CREDS,
  symlinkat,
  TmpFs,
  truncate,
  unlinkat,
  utimensat,
  type VfsTask,
  type FileSystem,
} from "@tsvisor/vfs";

/** A deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PARTS = ["a", "b", "c", "..", ".", "", "l", "x".repeat(256), "\xff\xfe", "d/", "/"];

const lowerDir = fs.mkdtempSync(path.join(os.tmpdir(), "vfs-robust-"));
fs.mkdirSync(path.join(lowerDir, "a/b"), { recursive: true });
fs.writeFileSync(path.join(lowerDir, "a/f"), "data");
fs.symlinkSync("../a", path.join(lowerDir, "a/b/l"));
fs.symlinkSync("l", path.join(lowerDir, "l"));

afterAll(() => fs.rmSync(lowerDir, { recursive: true, force: true }));

function task(rootFs: FileSystem, uid: number): VfsTask {
  const ns = new MountNamespace(rootFs, DeviceRegistry.withDefaults());
  const r = ns.rootLocation;
  return {
    fs: new FsContext(r, r),
    fdTable: new FdTable(),
    creds: uid === 0 ? ROOT_CREDS : { euid: uid, egid: uid, groups: [] },
  };
}

const systems: [string, () => FileSystem][] = [
  ["tmpfs", () => new TmpFs()],
  ["host (read-only)", () => new HostFs(lowerDir)],
  ["overlay over host", () => new OverlayFs(new HostFs(lowerDir).root)],
];

describe.each(systems)("hostile operation sequences on %s", (_name, make) => {
  it.each([0, 1000])("never throw (uid %i)", (uid) => {
    const t = task(make(), uid);
    const next = rng(1234 + uid);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
    const randPath = () => {
      const n = Math.floor(next() * 5);
      let p = next() < 0.5 ? "/" : "";
      for (let i = 0; i < n; i++) p += (i ? "/" : "") + pick(PARTS);
      return p;
    };
    const fds = () => [-100, -1, 0, 1, 2, 3, 999, ...t.fdTable.fds()];
    let results = 0;
    for (let i = 0; i < 3000; i++) {
      const op = Math.floor(next() * 17);
      const p = randPath();
      const dirfd = pick(fds());
      const flags = Math.floor(next() * 0xffffffff) | 0;
      let r: unknown;
      switch (op) {
        case 0: {
          r = openat(t, dirfd, p, next() < 0.5 ? flags : flags & 0o3777777, 0o644);
          if (r instanceof FileDescription) {
            const f = r;
            const buf = new Uint8Array(Math.floor(next() * 64));
            f.read(buf);
            f.write(buf);
            f.pread(buf, Math.floor(next() * 100) - 50);
            f.lseek(Math.floor(next() * 100) - 50, Math.floor(next() * 6));
            f.getdents64(new Uint8Array(Math.floor(next() * 300)));
            t.fdTable.install(f, false);
          }
          break;
        }
        case 1:
          r = mkdirat(t, dirfd, p, flags);
          break;
        case 2:
          r = unlinkat(t, dirfd, p, next() < 0.5 ? 0x200 : flags);
          break;
        case 3:
          r = renameat2(t, dirfd, p, pick(fds()), randPath(), Math.floor(next() * 8));
          break;
        case 4:
          r = linkat(t, dirfd, p, pick(fds()), randPath(), next() < 0.5 ? 0 : flags);
          break;
        case 5:
          r = symlinkat(t, randPath(), dirfd, p);
          break;
        case 6:
          r = readlinkat(t, dirfd, p);
          break;
        case 7:
          r = fstatat(t, dirfd, p, next() < 0.5 ? 0x100 : flags);
          break;
        case 8:
          r = fchmodat(t, dirfd, p, flags, next() < 0.7 ? 0 : flags);
          break;
        case 9:
          r = fchownat(t, dirfd, p, Math.floor(next() * 2000) - 1, -1, 0);
          break;
        case 10:
          r = utimensat(t, dirfd, next() < 0.1 ? null : p, "now", { sec: 5, nsec: 7 }, 0);
          break;
        case 11:
          r = truncate(t, p, Math.floor(next() * 1000) - 10);
          break;
        case 12:
          r = faccessat(t, dirfd, p, Math.floor(next() * 9), next() < 0.5 ? 0 : flags, t.creds);
          break;
        case 13:
          r = chdir(t, p);
          break;
        case 14:
          r = getcwd(t);
          break;
        case 15:
          r = mknodat(t, dirfd, p, flags, Math.floor(next() * 1000));
          break;
        default:
          r = t.fdTable.close(pick(fds()));
      }
      if (typeof r === "number") expect(r).toBeLessThanOrEqual(0x7fffffff);
      results++;
    }
    expect(results).toBe(3000);
    t.fdTable.closeAll();
    // The host lower is untouched whatever happened above.
    expect(fs.readFileSync(path.join(lowerDir, "a/f"), "utf8")).toBe("data");
    expect(fs.readdirSync(lowerDir).sort()).toEqual(["a", "l"]);
  });
});
