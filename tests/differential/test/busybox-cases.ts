/**
 * Static busybox (Debian's busybox-static, /bin/busybox) as a real-world
 * differential case set: shell pipelines, find, tar, and a script that
 * writes, renames and reads back files under /tmp. Under tsvisor those /tmp
 * writes must stay in the sandbox: the host's /tmp is snapshotted before and
 * after the sandboxed run and must be unchanged.
 */
import {
  existsSync,
  lstatSync,
  readFileSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import {
  type DiffCase,
  type PlatformName,
  type RunResult,
  describeDiff,
  freshCwd,
  runNative,
  runTsvisor,
} from "./harness.js";

export const BUSYBOX = "/bin/busybox";

/** Host /tmp names the file script uses; the sandboxed run must not touch them. */
const SCRIPT_DIR = "/tmp/tsvisor-diff-bb";
const EXISTING = "/tmp/tsvisor-diff-bb-existing";
const EXISTING_TEXT = "host copy\n";
/**
 * A fixed mtime for EXISTING (2001-09-09), so any change to it shows. The
 * script overwrites and moves EXISTING without printing its old content:
 * whether the sandbox sees the host's /tmp at all is the CLI's choice, but
 * nothing it does there may reach the host.
 */
const EXISTING_MTIME = 1_000_000_000;

const FILE_SCRIPT = `
d=${SCRIPT_DIR}
rm -rf $d && mkdir -p $d/sub || exit 1
echo one > $d/a
echo two >> $d/a
printf 'x%.0s' $(seq 1 5000) > $d/big
mv $d/a $d/sub/renamed
echo "renamed: $(cat $d/sub/renamed | tr '\\n' ' ')"
echo "big size: $(wc -c < $d/big)"
ls -1 $d $d/sub
ln -s sub/renamed $d/link
echo "via link: $(head -1 $d/link)"
echo sandbox > ${EXISTING}
echo "existing after: $(cat ${EXISTING})"
mv ${EXISTING} $d/moved-existing
ls ${EXISTING} 2>/dev/null || echo "existing moved away"
rm -f $d/big
ls -1 $d
`;

/** One busybox invocation: argv after /bin/busybox. */
interface BusyboxScript {
  readonly name: string;
  readonly argv: readonly string[];
  /** Runs before each (native and sandboxed) run. */
  readonly setup?: () => void;
  /** Runs after the native run, to leave the host as it was. */
  readonly cleanup?: () => void;
  /** Checks the host after a sandboxed run; returns a failure or "". */
  readonly hostCheck?: (before: TmpSnapshot) => string;
}

/** name -> "type size mtimeMs" for every entry of /tmp (top level). */
export type TmpSnapshot = Map<string, string>;

/**
 * Snapshots the host's /tmp: each top-level entry's type, size and mtime,
 * and for our own entries their content too. The harness's own directory
 * (none under /tmp) needs no exclusion.
 */
export function snapshotTmp(): TmpSnapshot {
  const snap: TmpSnapshot = new Map();
  for (const name of readdirSync("/tmp")) {
    try {
      const st = lstatSync(join("/tmp", name));
      let v = `${st.isDirectory() ? "d" : st.isSymbolicLink() ? "l" : "f"} ${st.size} ${st.mtimeMs}`;
      if (name.startsWith("tsvisor-diff-bb") && st.isFile()) {
        v += ` ${JSON.stringify(readFileSync(join("/tmp", name), "utf8"))}`;
      }
      snap.set(name, v);
    } catch {
      // Removed between readdir and lstat by someone else: not ours.
    }
  }
  return snap;
}

/** Lines describing how `after` differs from `before` ("" when equal). */
export function diffSnapshots(before: TmpSnapshot, after: TmpSnapshot): string {
  const out: string[] = [];
  for (const [k, v] of before) {
    const a = after.get(k);
    if (a === undefined) out.push(`removed: /tmp/${k}`);
    else if (a !== v) out.push(`changed: /tmp/${k} (${v} -> ${a})`);
  }
  for (const k of after.keys()) if (!before.has(k)) out.push(`created: /tmp/${k}`);
  return out.join("\n");
}

function resetHostFiles(): void {
  rmSync(SCRIPT_DIR, { recursive: true, force: true });
  writeFileSync(EXISTING, EXISTING_TEXT);
  utimesSync(EXISTING, EXISTING_MTIME, EXISTING_MTIME);
}

const SCRIPTS: readonly BusyboxScript[] = [
  {
    name: "sh-pipelines",
    argv: [
      "sh",
      "-c",
      "echo hi | wc -c; ls /; seq 1 1000 | sort -rn | head -3; cat /etc/os-release | grep ID",
    ],
  },
  { name: "find-doc", argv: ["sh", "-c", "find /usr/share/doc -maxdepth 1 | wc -l"] },
  { name: "tar-roundtrip", argv: ["sh", "-c", "tar cf - /etc/apt | tar tf - | wc -l"] },
  {
    name: "tmp-files",
    argv: ["sh", "-c", FILE_SCRIPT],
    setup: resetHostFiles,
    cleanup: () => {
      rmSync(SCRIPT_DIR, { recursive: true, force: true });
      rmSync(EXISTING, { force: true });
    },
    hostCheck(before) {
      const problems: string[] = [];
      // Other processes on the host (gcc, other packages' tests) use /tmp
      // at the same time, so only entries the script names can be blamed on
      // the sandbox; the rest of the difference is shown, not asserted.
      const diff = diffSnapshots(before, snapshotTmp());
      const ours = diff.split("\n").filter((l) => l.includes("/tmp/tsvisor-diff-bb"));
      if (ours.length > 0)
        problems.push(`host /tmp changed by the sandboxed run:\n${ours.join("\n")}`);
      else if (diff !== "")
        console.log(`busybox:tmp-files: /tmp changed meanwhile (not ours):\n${diff}`);
      if (existsSync(SCRIPT_DIR)) problems.push(`${SCRIPT_DIR} leaked to the host`);
      if (!existsSync(EXISTING) || readFileSync(EXISTING, "utf8") !== EXISTING_TEXT) {
        problems.push(`${EXISTING} was modified on the host`);
      } else if (lstatSync(EXISTING).mtimeMs !== EXISTING_MTIME * 1000) {
        problems.push(`${EXISTING} mtime changed on the host`);
      }
      rmSync(EXISTING, { force: true });
      return problems.join("\n");
    },
  },
];

/** The busybox scripts as differential cases (ids "busybox:NAME"). */
export function busyboxCases(): DiffCase[] {
  return SCRIPTS.map((s) => {
    const id = `busybox:${s.name}`;
    const opts = () => ({ cwd: freshCwd(id.replace(":", "_")), timeoutMs: 30_000 });
    return {
      id,
      async prepare() {},
      async native(): Promise<RunResult> {
        s.setup?.();
        const r = await runNative([BUSYBOX, ...s.argv], opts());
        s.cleanup?.();
        return r;
      },
      async sandboxed(platform: PlatformName, want: RunResult) {
        s.setup?.();
        const before = snapshotTmp();
        const got = await runTsvisor(platform, [BUSYBOX, ...s.argv], opts());
        const host = s.hostCheck?.(before) ?? "";
        s.cleanup?.();
        return { got, diff: [describeDiff(want, got), host].filter((x) => x !== "").join("\n") };
      },
    };
  });
}
