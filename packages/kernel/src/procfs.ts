/**
 * procfs: /proc generated from kernel state.
 *
 * A read-only file system whose directories and files are computed when
 * looked up or read: /proc/self and /proc/thread-self, one directory per
 * thread group (exe, cwd, root, cmdline, environ, comm, stat, statm,
 * status, maps, auxv, limits, fd/, task/TID/), and a few system files
 * (/proc/sys/kernel/*, passthrough of host cpuinfo/meminfo/...).
 *
 * Files report size 0 like Linux's; their content is regenerated on each
 * read. "self" is relative to the task whose syscall is running
 * (`Kernel.current`), since vfs lookups carry no task.
 *
 * Inspired by gVisor's pkg/sentry/fsimpl/proc and Linux's fs/proc.
 */
import { readFileSync } from "node:fs";
import { EACCES, EINVAL, ENOENT, EPERM, EROFS, S_IFDIR, S_IFLNK, S_IFREG } from "@tsvisor/abi";
import {
  type DirEntry,
  FileSystem,
  type FsCreds,
  Inode,
  type Location,
  modeToDirentType,
  OpenFileInode,
  pathOf,
  type SetAttr,
  type StatData,
  type VfsTask,
} from "@tsvisor/vfs";
import type { Kernel } from "./kernel.js";
import { SIG_DFL, SIG_IGN } from "./signals.js";
import type { Task } from "./task.js";
import type { ThreadGroup } from "./thread-group.js";

/** How a proc node produces its content. */
type ProcKind =
  | { readonly kind: "dir"; list: () => string[]; child: (name: string) => ProcNode | null }
  | { readonly kind: "file"; content: () => string | Uint8Array | number }
  | {
      readonly kind: "link";
      target: () => string | number;
      /** For a magic link that jumps (fd/N): see Inode.magicJump. */
      jump?: (at: Location) => Location | number | null;
    };

/** The proc file system of one kernel. */
export class ProcFs extends FileSystem {
  private readonly inos = new Map<string, number>();
  private nextIno = 2;
  readonly rootNode: ProcNode;

  constructor(readonly kernel: Kernel) {
    super("proc");
    this.rootNode = new ProcNode(this, "", null, rootDir(this));
  }

  get root(): Inode {
    return this.rootNode;
  }

  /** A stable inode number per path. */
  ino(path: string): number {
    let n = this.inos.get(path);
    if (n === undefined) {
      n = path === "" ? 1 : this.nextIno++;
      this.inos.set(path, n);
    }
    return n;
  }
}

const EPOCH = { sec: 0, nsec: 0 };

/** One /proc entry. Immutable: writes fail with EACCES/EROFS. */
export class ProcNode extends Inode {
  private readonly children = new Map<string, ProcNode>();

  constructor(
    readonly fs: ProcFs,
    readonly path: string,
    readonly parent: ProcNode | null,
    readonly impl: ProcKind,
    private readonly perm = impl.kind === "dir" ? 0o555 : impl.kind === "link" ? 0o777 : 0o444,
  ) {
    super();
  }

  stat(): StatData {
    const type = this.impl.kind === "dir" ? S_IFDIR : this.impl.kind === "link" ? S_IFLNK : S_IFREG;
    const now = { sec: Math.floor(Date.now() / 1000), nsec: 0 };
    return {
      dev: this.fs.dev,
      ino: this.fs.ino(this.path),
      mode: type | this.perm,
      nlink: this.impl.kind === "dir" ? 2 : 1,
      uid: 0,
      gid: 0,
      rdev: 0,
      size: 0,
      blksize: 1024,
      blocks: 0,
      atime: now,
      mtime: now,
      ctime: now,
      btime: EPOCH,
    };
  }

  override parentDir(): Inode | null {
    return this.parent;
  }

  override dirName(): string | null {
    if (this.parent === null) return null;
    return this.path.slice(this.path.lastIndexOf("/") + 1);
  }

  override lookup(name: string): Inode | number {
    if (this.impl.kind !== "dir") return -20; // ENOTDIR
    const c = this.impl.child(name);
    if (c === null) return -ENOENT;
    // Keep one object per name while it exists (inode identity).
    const cached = this.children.get(name);
    if (cached !== undefined && cached.impl.kind === c.impl.kind) return cached;
    this.children.set(name, c);
    return c;
  }

  override readdir(): DirEntry[] | number {
    if (this.impl.kind !== "dir") return -20;
    const out: DirEntry[] = [];
    for (const name of this.impl.list()) {
      const c = this.lookup(name);
      if (typeof c === "number") continue;
      out.push({ name, ino: c.inoNumber, type: modeToDirentType(c.mode) });
    }
    return out;
  }

  override readlink(): string | number {
    if (this.impl.kind !== "link") return -EINVAL;
    return this.impl.target();
  }

  override magicJump(at: Location): Location | number | null {
    if (this.impl.kind !== "link" || this.impl.jump === undefined) return null;
    return this.impl.jump(at);
  }

  override read(offset: number, dst: Uint8Array): number {
    if (this.impl.kind !== "file") return -EINVAL;
    const c = this.impl.content();
    if (typeof c === "number") return c;
    const bytes = typeof c === "string" ? Buffer.from(c, "latin1") : c;
    if (offset >= bytes.length) return 0;
    const n = Math.min(dst.length, bytes.length - offset);
    dst.set(bytes.subarray(offset, offset + n));
    return n;
  }

  override write(_offset: number, _src: Uint8Array): number {
    return -EACCES;
  }

  override createChild(_n: string, _m: number, _c: FsCreds, _e: object): Inode | number {
    return -EROFS;
  }

  override setattr(_attr: SetAttr): number {
    return -EPERM;
  }

  /** A child node of this directory. */
  sub(name: string, impl: ProcKind, perm?: number): ProcNode {
    return new ProcNode(
      this.fs,
      this.path === "" ? name : `${this.path}/${name}`,
      this,
      impl,
      perm,
    );
  }
}

function dir(
  entries: Record<string, (p: ProcNode) => ProcNode>,
  dynamic?: { list: () => string[]; child: (p: ProcNode, name: string) => ProcNode | null },
): (self: () => ProcNode) => ProcKind {
  return (self) => ({
    kind: "dir",
    list: () => [...Object.keys(entries), ...(dynamic?.list() ?? [])],
    child: (name) => {
      const make = entries[name];
      if (make !== undefined) return make(self());
      return dynamic?.child(self(), name) ?? null;
    },
  });
}

const file = (content: () => string | Uint8Array | number): ProcKind => ({ kind: "file", content });
const link = (
  target: () => string | number,
  jump?: (at: Location) => Location | number | null,
): ProcKind => (jump === undefined ? { kind: "link", target } : { kind: "link", target, jump });

function hostFile(path: string): () => string | number {
  return () => {
    try {
      return readFileSync(path, "latin1");
    } catch {
      return -ENOENT;
    }
  };
}

/** Builds a directory node lazily bound to itself (entries need their parent). */
function mkdir(parent: ProcNode, name: string, make: (self: () => ProcNode) => ProcKind): ProcNode {
  let node: ProcNode | null = null;
  const self = (): ProcNode => node!;
  node = parent.sub(name, make(self));
  return node;
}

function rootDir(fs: ProcFs): ProcKind {
  const k = fs.kernel;
  const self = (): ProcNode => fs.rootNode;
  const make = dir(
    {
      self: (p) =>
        p.sub(
          "self",
          link(() => (k.current === null ? -ENOENT : String(k.current.tgid))),
        ),
      "thread-self": (p) =>
        p.sub(
          "thread-self",
          link(() => (k.current === null ? -ENOENT : `${k.current.tgid}/task/${k.current.tid}`)),
        ),
      cpuinfo: (p) => p.sub("cpuinfo", file(hostFile("/proc/cpuinfo"))),
      meminfo: (p) => p.sub("meminfo", file(hostFile("/proc/meminfo"))),
      loadavg: (p) => p.sub("loadavg", file(hostFile("/proc/loadavg"))),
      uptime: (p) => p.sub("uptime", file(hostFile("/proc/uptime"))),
      stat: (p) => p.sub("stat", file(hostFile("/proc/stat"))),
      version: (p) =>
        p.sub(
          "version",
          file(() => `Linux version ${k.release} (tsvisor) #1 SMP PREEMPT_DYNAMIC tsvisor\n`),
        ),
      filesystems: (p) =>
        p.sub(
          "filesystems",
          file(() => "nodev\ttmpfs\nnodev\tproc\nnodev\toverlay\n"),
        ),
      mounts: (p) =>
        p.sub(
          "mounts",
          link(() => "self/mounts"),
        ),
      sys: (p) =>
        mkdir(
          p,
          "sys",
          dir({
            kernel: (q) =>
              mkdir(
                q,
                "kernel",
                dir({
                  hostname: (r) =>
                    r.sub(
                      "hostname",
                      file(() => `${k.hostname}\n`),
                    ),
                  domainname: (r) =>
                    r.sub(
                      "domainname",
                      file(() => `${k.domainname}\n`),
                    ),
                  osrelease: (r) =>
                    r.sub(
                      "osrelease",
                      file(() => `${k.release}\n`),
                    ),
                  ostype: (r) =>
                    r.sub(
                      "ostype",
                      file(() => "Linux\n"),
                    ),
                  version: (r) =>
                    r.sub(
                      "version",
                      file(() => "#1 SMP PREEMPT_DYNAMIC tsvisor\n"),
                    ),
                  pid_max: (r) =>
                    r.sub(
                      "pid_max",
                      file(() => "4194304\n"),
                    ),
                  ngroups_max: (r) =>
                    r.sub(
                      "ngroups_max",
                      file(() => "65536\n"),
                    ),
                  cap_last_cap: (r) =>
                    r.sub(
                      "cap_last_cap",
                      file(() => "40\n"),
                    ),
                  random: (r) =>
                    mkdir(
                      r,
                      "random",
                      dir({
                        boot_id: (s) =>
                          s.sub("boot_id", file(hostFile("/proc/sys/kernel/random/boot_id"))),
                        uuid: (s) => s.sub("uuid", file(hostFile("/proc/sys/kernel/random/uuid"))),
                      }),
                    ),
                }),
              ),
            vm: (q) =>
              mkdir(
                q,
                "vm",
                dir({
                  overcommit_memory: (r) =>
                    r.sub(
                      "overcommit_memory",
                      file(() => "0\n"),
                    ),
                  mmap_min_addr: (r) =>
                    r.sub(
                      "mmap_min_addr",
                      file(() => "65536\n"),
                    ),
                  max_map_count: (r) =>
                    r.sub(
                      "max_map_count",
                      file(() => "65530\n"),
                    ),
                }),
              ),
            fs: (q) =>
              mkdir(
                q,
                "fs",
                dir({
                  "file-max": (r) =>
                    r.sub(
                      "file-max",
                      file(() => "9223372036854775807\n"),
                    ),
                  nr_open: (r) =>
                    r.sub(
                      "nr_open",
                      file(() => "1048576\n"),
                    ),
                  "pipe-max-size": (r) =>
                    r.sub(
                      "pipe-max-size",
                      file(() => "1048576\n"),
                    ),
                }),
              ),
          }),
        ),
    },
    {
      list: () =>
        [...k.pidns.threadGroups.values()]
          .filter((tg) => tg.exit.kind !== "reaped" && tg.leader !== null)
          .map((tg) => String(tg.tgid)),
      child: (p, name) => {
        if (!/^[1-9][0-9]*$/.test(name)) return null;
        const id = Number(name);
        const tg = k.pidns.threadGroups.get(id);
        if (tg !== undefined && tg.leader !== null && tg.exit.kind !== "reaped")
          return pidDir(p, name, tg, null);
        // /proc/TID works for threads too (hidden from the listing).
        const t = k.pidns.tasks.get(id);
        if (t !== undefined && t.state.kind !== "exited") return pidDir(p, name, t.tg, t);
        return null;
      },
    },
  );
  return make(self);
}

/** The representative task of a /proc/PID directory: the thread, or the group's leader. */
function taskOf(tg: ThreadGroup, thread: Task | null): Task | null {
  if (thread !== null) return thread;
  const l = tg.leader;
  if (l !== null && l.state.kind !== "exited") return l;
  for (const t of tg.tasks) return t;
  return l;
}

/** Linux's one-letter task state for /proc/PID/stat and status. */
function stateOf(tg: ThreadGroup, t: Task | null): [string, string] {
  if (tg.exit.kind === "zombie") return ["Z", "zombie"];
  if (t === null || t.state.kind === "exited") return ["Z", "zombie"];
  switch (t.state.kind) {
    case "running":
    case "ready":
      return ["R", "running"];
    case "blocked":
      return ["S", "sleeping"];
    case "stopped":
      return ["T", "stopped"];
  }
}

function hex16(set: bigint): string {
  return set.toString(16).padStart(16, "0");
}

function pidDir(parent: ProcNode, name: string, tg: ThreadGroup, thread: Task | null): ProcNode {
  const k = (parent.fs as ProcFs).kernel;
  const alive = (): Task | null => {
    const t = taskOf(tg, thread);
    return t === null || t.state.kind === "exited" ? null : t;
  };
  const mmOf = () => alive()?.mm ?? null;
  const readMem = (
    from: (m: NonNullable<ReturnType<typeof mmOf>>) => [number, number],
  ): Uint8Array | number => {
    const m = mmOf();
    if (m === null) return new Uint8Array(0);
    const [a, b] = from(m);
    if (b <= a) return new Uint8Array(0);
    const buf = new Uint8Array(b - a);
    const n = m.copyIn(a, buf);
    return n < 0 ? new Uint8Array(0) : buf;
  };
  const statLine = (t: Task | null): string => {
    const [st] = stateOf(tg, t);
    const m = t?.mm ?? null;
    const threads = Math.max(tg.tasks.size, 1);
    const start = Math.floor((tg.startTime - k.bootTime) / 10);
    const fields = [
      t?.tid ?? tg.tgid,
      `(${t?.name ?? "?"})`,
      st,
      tg.parent?.tgid ?? 0,
      tg.pgid,
      tg.sid,
      0,
      -1,
      0x400000,
      0,
      0,
      0,
      0,
      0,
      Math.floor(tg.cpuMs / 10),
      0,
      Math.floor(tg.childrenCpuMs / 10),
      20,
      0,
      threads,
      0,
      start,
      m?.virtualSize ?? 0,
      m !== null ? Math.floor(m.residentSize / 4096) : 0,
      "18446744073709551615",
      0,
      0,
      m?.stackStart ?? 0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      tg.exitSignal,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      m?.argStart ?? 0,
      m?.argEnd ?? 0,
      m?.envStart ?? 0,
      m?.envEnd ?? 0,
      tg.exit.kind === "zombie" ? tg.exit.status : 0,
    ];
    return `${fields.join(" ")}\n`;
  };
  const status = (t: Task | null): string => {
    const [st, stName] = stateOf(tg, t);
    const c = t?.creds;
    const m = t?.mm ?? null;
    let ign = 0n;
    let cgt = 0n;
    if (t !== null) {
      for (let s = 1; s <= 64; s++) {
        const a = t.sighand.actions[s]!;
        if (a.handler === SIG_IGN) ign |= 1n << BigInt(s - 1);
        else if (a.handler !== SIG_DFL) cgt |= 1n << BigInt(s - 1);
      }
    }
    const kb = (n: number): string => `${String(Math.floor(n / 1024)).padStart(8)} kB`;
    const lines = [
      `Name:\t${t?.name ?? ""}`,
      `Umask:\t${(t?.fs.umask ?? 0o22).toString(8).padStart(4, "0")}`,
      `State:\t${st} (${stName})`,
      `Tgid:\t${tg.tgid}`,
      "Ngid:\t0",
      `Pid:\t${t?.tid ?? tg.tgid}`,
      `PPid:\t${tg.parent?.tgid ?? 0}`,
      "TracerPid:\t0",
      `Uid:\t${c?.uid ?? 0}\t${c?.euid ?? 0}\t${c?.suid ?? 0}\t${c?.fsuid ?? 0}`,
      `Gid:\t${c?.gid ?? 0}\t${c?.egid ?? 0}\t${c?.sgid ?? 0}\t${c?.fsgid ?? 0}`,
      "FDSize:\t64",
      `Groups:\t${(c?.groups ?? []).join(" ")}${(c?.groups.length ?? 0) > 0 ? " " : ""}`,
      `NStgid:\t${tg.tgid}`,
      `NSpid:\t${t?.tid ?? tg.tgid}`,
      `NSpgid:\t${tg.pgid}`,
      `NSsid:\t${tg.sid}`,
      ...(m !== null
        ? [
            `VmPeak:\t${kb(m.virtualSize)}`,
            `VmSize:\t${kb(m.virtualSize)}`,
            `VmRSS:\t${kb(m.residentSize)}`,
          ]
        : []),
      `Threads:\t${tg.tasks.size}`,
      "SigQ:\t0/63459",
      `SigPnd:\t${hex16(t?.pending.mask ?? 0n)}`,
      `ShdPnd:\t${hex16(tg.pending.mask)}`,
      `SigBlk:\t${hex16(t?.sigMask ?? 0n)}`,
      `SigIgn:\t${hex16(ign)}`,
      `SigCgt:\t${hex16(cgt)}`,
      "CapInh:\t0000000000000000",
      `CapPrm:\t${c?.euid === 0 ? "000001ffffffffff" : "0000000000000000"}`,
      `CapEff:\t${c?.euid === 0 ? "000001ffffffffff" : "0000000000000000"}`,
      "CapBnd:\t000001ffffffffff",
      "CapAmb:\t0000000000000000",
      "NoNewPrivs:\t0",
      "Seccomp:\t0",
      "Cpus_allowed_list:\t0-1",
      "voluntary_ctxt_switches:\t0",
      "nonvoluntary_ctxt_switches:\t0",
    ];
    return `${lines.join("\n")}\n`;
  };
  const entries: Record<string, (p: ProcNode) => ProcNode> = {
    exe: (p) =>
      p.sub(
        "exe",
        link(() => (alive() === null ? -ENOENT : (tg.exePath ?? -ENOENT))),
      ),
    cwd: (p) =>
      p.sub(
        "cwd",
        link(() => {
          const t = alive();
          if (t === null) return -ENOENT;
          return pathOf(t as unknown as VfsTask, t.fs.cwd);
        }),
      ),
    root: (p) =>
      p.sub(
        "root",
        link(() => (alive() === null ? -ENOENT : "/")),
      ),
    cmdline: (p) =>
      p.sub(
        "cmdline",
        file(() => readMem((m) => [m.argStart, m.argEnd])),
      ),
    environ: (p) =>
      p.sub(
        "environ",
        file(() => readMem((m) => [m.envStart, m.envEnd])),
        0o400,
      ),
    comm: (p) =>
      p.sub(
        "comm",
        file(() => `${taskOf(tg, thread)?.name ?? ""}\n`),
        0o644,
      ),
    stat: (p) =>
      p.sub(
        "stat",
        file(() => statLine(taskOf(tg, thread))),
      ),
    statm: (p) =>
      p.sub(
        "statm",
        file(() => {
          const m = mmOf();
          const v = m === null ? 0 : Math.floor(m.virtualSize / 4096);
          const r = m === null ? 0 : Math.floor(m.residentSize / 4096);
          return `${v} ${r} 0 0 0 0 0\n`;
        }),
      ),
    status: (p) =>
      p.sub(
        "status",
        file(() => status(taskOf(tg, thread))),
      ),
    maps: (p) =>
      p.sub(
        "maps",
        file(() => mmOf()?.mapsText() ?? ""),
      ),
    auxv: (p) =>
      p.sub(
        "auxv",
        file(() => tg.auxv ?? new Uint8Array(0)),
        0o400,
      ),
    limits: (p) =>
      p.sub(
        "limits",
        file(() => {
          const names = [
            ["Max cpu time", "seconds"],
            ["Max file size", "bytes"],
            ["Max data size", "bytes"],
            ["Max stack size", "bytes"],
            ["Max core file size", "bytes"],
            ["Max resident set", "bytes"],
            ["Max processes", "processes"],
            ["Max open files", "files"],
            ["Max locked memory", "bytes"],
            ["Max address space", "bytes"],
            ["Max file locks", "locks"],
            ["Max pending signals", "signals"],
            ["Max msgqueue size", "bytes"],
            ["Max nice priority", ""],
            ["Max realtime priority", ""],
            ["Max realtime timeout", "us"],
          ];
          const v = (x: number): string =>
            x === Number.POSITIVE_INFINITY ? "unlimited" : String(x);
          let s = `${"Limit".padEnd(26)}${"Soft Limit".padEnd(21)}${"Hard Limit".padEnd(21)}Units     \n`;
          names.forEach(([n, u], i) => {
            const l = tg.rlimits[i]!;
            s += `${n!.padEnd(26)}${v(l.cur).padEnd(21)}${v(l.max).padEnd(21)}${u!.padEnd(10)}\n`;
          });
          return s;
        }),
      ),
    mounts: (p) =>
      p.sub(
        "mounts",
        file(
          () =>
            "overlay / overlay rw 0 0\ntmpfs /dev tmpfs rw 0 0\nproc /proc proc rw 0 0\ntmpfs /tmp tmpfs rw 0 0\n",
        ),
      ),
    oom_score_adj: (p) =>
      p.sub(
        "oom_score_adj",
        file(() => "0\n"),
        0o644,
      ),
    fd: (p) =>
      mkdir(
        p,
        "fd",
        dir(
          {},
          {
            list: () => {
              const t = alive();
              return t === null ? [] : t.fdTable.fds().map(String);
            },
            child: (q, n) => {
              if (!/^(0|[1-9][0-9]*)$/.test(n)) return null;
              const t = alive();
              const f = t?.fdTable.get(Number(n));
              if (t === null || t === undefined || f === undefined) return null;
              return q.sub(
                n,
                link(
                  () => {
                    const g = t.fdTable.get(Number(n));
                    if (g === undefined) return -ENOENT;
                    if (g.location !== null) {
                      const path = pathOf(t as unknown as VfsTask, g.location);
                      if (typeof path === "string") return path;
                    }
                    return g.path;
                  },
                  // proc(5): "opening the file ... opens the same file as the
                  // fd refers to" — checked again at the follow: the fd may
                  // have been closed (ENOENT) or reused since the lookup.
                  (at) => {
                    if (t.state.kind === "exited") return -ENOENT;
                    const g = t.fdTable.get(Number(n));
                    if (g === undefined) return -ENOENT;
                    if (g.location !== null) return g.location;
                    return { mount: at.mount, inode: new OpenFileInode(at.inode.fs, g) };
                  },
                ),
                0o700,
              );
            },
          },
        ),
      ),
  };
  if (thread === null) {
    entries.task = (p) =>
      mkdir(
        p,
        "task",
        dir(
          {},
          {
            list: () => [...tg.tasks].map((t) => String(t.tid)),
            child: (q, n) => {
              const t = k.pidns.tasks.get(Number(n));
              if (t === undefined || t.tg !== tg || t.state.kind === "exited") return null;
              return pidDir(q, n, tg, t);
            },
          },
        ),
      );
  }
  return mkdir(parent, name, dir(entries));
}
