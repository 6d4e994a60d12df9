/**
 * Real dynamically linked Debian programs as differential cases: bash,
 * coreutils, grep/sed/awk, find, tar, python3 and gcc, run natively and
 * under tsvisor with the same argv, environment and working directory.
 *
 * Two kinds of working directory:
 * - `fixture`: a host directory built by prepare() with fixed contents,
 *   modes, owners and mtimes (tmp/prog-fixture), so `ls -l`, `stat`, `find`
 *   and `tar tv` print the same bytes on every run. The programs only read
 *   it (in the sandbox it is the read-only lower layer of the overlay).
 * - `fresh`: the harness's empty per-case directory.
 *
 * Cases that write do so under /tmp/tsvisor-diff-prog-NAME. Natively that
 * is the host's /tmp (removed before and after the run); under tsvisor the
 * writes must stay in the sandbox: the host's /tmp is snapshotted around the
 * sandboxed run and no `tsvisor-diff-prog` entry may appear or change.
 *
 * Invariants: nothing printed depends on the run (pids, times of new files,
 * the host name, inode numbers, directory sizes of /tmp, which is ext4
 * natively and tmpfs in the sandbox); every listing of a directory is
 * sorted, since readdir order is the file system's.
 */
import {
  chmodSync,
  chownSync,
  lchownSync,
  lutimesSync,
  mkdirSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { diffSnapshots, snapshotTmp } from "./busybox-cases.js";
import {
  type DiffCase,
  type PlatformName,
  RUN_ENV,
  type RunResult,
  TMP_DIR,
  describeDiff,
  freshCwd,
  runNative,
  runTsvisor,
} from "./harness.js";

/** The host directory the `fixture` cases run in. */
export const FIXTURE_DIR = join(TMP_DIR, "prog-fixture");

/** Prefix of every /tmp path a case writes. */
const TMP_PREFIX = "/tmp/tsvisor-diff-prog";

/** One fixture entry: path relative to FIXTURE_DIR and its metadata. */
interface FixtureEntry {
  readonly path: string;
  readonly kind: "file" | "dir" | "symlink";
  /** File content, or the symlink's target. */
  readonly data?: string;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  /** mtime and atime, seconds since the epoch. */
  readonly time: number;
}

/** 5000 bytes that are not all one character (for sha256sum and tar). */
const BIN_DATA = Array.from({ length: 5000 }, (_, i) =>
  String.fromCharCode(97 + ((i * 7) % 26)),
).join("");

/**
 * The fixture, parents before children. Owners include a uid with a name in
 * Debian's base /etc/passwd (1, daemon) and ids with none (1234:5678).
 */
const FIXTURE: readonly FixtureEntry[] = [
  { path: "hello.txt", kind: "file", data: "hello\n", mode: 0o644, time: 1_000_000_000 },
  {
    path: "data.bin",
    kind: "file",
    data: BIN_DATA,
    mode: 0o600,
    uid: 1234,
    gid: 5678,
    time: 1_100_000_000,
  },
  {
    path: "run.sh",
    kind: "file",
    data: "#!/bin/sh\necho run\n",
    mode: 0o755,
    uid: 1,
    gid: 1,
    time: 1_200_000_000,
  },
  { path: "empty", kind: "file", data: "", mode: 0o444, time: 1_000_000_000 },
  { path: "ref", kind: "file", data: "reference mtime\n", mode: 0o644, time: 1_150_000_000 },
  { path: "link", kind: "symlink", data: "hello.txt", time: 1_000_000_000 },
  { path: "sub", kind: "dir", mode: 0o750, uid: 1234, gid: 5678, time: 1_300_000_000 },
  { path: "sub/deep.txt", kind: "file", data: "deep\nfile\n", mode: 0o640, time: 1_250_000_000 },
  { path: "sub/notes.txt", kind: "file", data: "x".repeat(1500), mode: 0o644, time: 1_050_000_000 },
  { path: "sub/emptydir", kind: "dir", mode: 0o755, time: 1_000_000_000 },
];

/** Time of the fixture's top directory. */
const FIXTURE_TIME = 1_000_000_000;

let fixtureBuilt = false;

/** Builds the fixture once per process (cases share it and only read it). */
function ensureFixture(): void {
  if (fixtureBuilt) return;
  buildFixture();
  fixtureBuilt = true;
}

/**
 * (Re)builds FIXTURE_DIR. Directory times are set after their contents are
 * complete, deepest first, since creating an entry updates the parent's.
 */
export function buildFixture(): void {
  rmSync(FIXTURE_DIR, { recursive: true, force: true });
  mkdirSync(FIXTURE_DIR, { recursive: true });
  for (const e of FIXTURE) {
    const p = join(FIXTURE_DIR, e.path);
    if (e.kind === "dir") mkdirSync(p);
    else if (e.kind === "file") writeFileSync(p, e.data ?? "");
    else symlinkSync(e.data ?? "", p);
    if (e.kind === "symlink") lchownSync(p, e.uid ?? 0, e.gid ?? 0);
    else {
      chmodSync(p, e.mode ?? 0o644);
      chownSync(p, e.uid ?? 0, e.gid ?? 0);
    }
  }
  for (const e of [...FIXTURE].reverse()) {
    const p = join(FIXTURE_DIR, e.path);
    if (e.kind === "symlink") lutimesSync(p, e.time, e.time);
    else utimesSync(p, e.time, e.time);
  }
  chmodSync(FIXTURE_DIR, 0o755);
  utimesSync(FIXTURE_DIR, FIXTURE_TIME, FIXTURE_TIME);
}

/** One real-program case. */
export interface ProgramScript {
  readonly name: string;
  readonly argv: readonly string[];
  readonly cwd: "fixture" | "fresh";
  /** Whether it writes /tmp/tsvisor-diff-prog-NAME (cleaned up natively, checked on the host). */
  readonly writesTmp: boolean;
  /** What the native run must print (a check on the script itself). */
  readonly expect: readonly RegExp[];
  /** Exit status natively (default 0). */
  readonly status?: number;
  readonly timeoutMs?: number;
}

const bash = (script: string): string[] => ["/bin/bash", "-c", script];

/** The scripts. Each prints one fact per line; see the invariants above. */
export const PROGRAM_SCRIPTS: readonly ProgramScript[] = [
  {
    name: "bash-basics",
    cwd: "fresh",
    writesTmp: false,
    argv: bash(`set -u
echo "pipes: $(printf 'c\\nb\\na\\n' | sort | tr '\\n' ' ')"
x=$( (echo sub; exit 3) ); echo "subshell output: $x status: $?"
(exit 7); echo "subshell status: $?"
echo "arith: $(( (6 * 7) % 10 + 2 ** 10 ))"
n=0; for i in $(seq 1 100); do n=$((n + i)); done; echo "for sum: $n"
i=0; while [ $i -lt 5 ]; do i=$((i + 1)); done; echo "while: $i"
f() { local a=$1; echo "fn arg $a, $# args"; return 4; }; f one two; echo "fn status: $?"
case "abc.txt" in *.c) echo "case: c";; *.txt) echo "case: txt";; esac
arr=(x y z); echo "array: \${#arr[@]} \${arr[1]} \${arr[*]}"
declare -A m=([k]=v); echo "assoc: \${m[k]}"
s="Hello World"; echo "param: \${s,,} \${s^^} \${s/World/There} \${#s} \${s:6}"
echo "brace:" {a,b}{1,2}
cat <<EOF
heredoc $((1 + 1))
EOF
read -r a b <<< "here string"; echo "read: $b $a"
echo "nested: $(echo $(echo $(echo deep)))"
printf '%s\\n' one two | while read -r l; do echo "loop: $l"; done
echo "pipestatus: $(false | true; echo \${PIPESTATUS[*]})"
set -o pipefail; false | true; echo "pipefail: $?"
echo "glob: $(cd / && echo [u]sr)"
[[ "abc" =~ ^a(.)c$ ]] && echo "regex: \${BASH_REMATCH[1]}"
echo "printf -v: $(printf -v y '%03d' 7; echo $y)"`),
    expect: [
      /^pipes: a b c $/m,
      /^subshell output: sub status: 3$/m,
      /^arith: 1026$/m,
      /^for sum: 5050$/m,
      /^fn status: 4$/m,
      /^heredoc 2$/m,
      /^pipestatus: 1 0$/m,
      /^pipefail: 1$/m,
      /^regex: b$/m,
    ],
  },
  {
    name: "bash-jobs-traps",
    cwd: "fresh",
    status: 3,
    writesTmp: false,
    argv: bash(`trap 'echo "trap EXIT"' EXIT
trap 'echo "trap USR1"' USR1
kill -USR1 $$
echo "after USR1"
sleep 0.2 & p1=$!
(exit 5) & p2=$!
(sleep 0.1; exit 6) & p3=$!
wait $p1; echo "job1: $?"
wait $p2; echo "job2: $?"
wait $p3; echo "job3: $?"
for i in 1 2 3; do (exit $i) & done; wait; echo "wait all: $?"
sh -c 'kill -TERM $$'; echo "child killed by TERM: $?"
(trap 'echo "subshell trap TERM"; exit 9' TERM; kill -TERM $BASHPID; sleep 5); echo "subshell trap status: $?"
trap 'echo "trap ERR"' ERR; false; trap - ERR; echo "after false"
out=$(sleep 0.05 & wait; echo done); echo "wait in substitution: $out"
echo "jobs left: $(jobs -p | wc -l)"
exit 3`),
    expect: [
      /^trap USR1\nafter USR1$/m,
      /^job1: 0\njob2: 5\njob3: 6\nwait all: 0$/m,
      /^child killed by TERM: 143$/m,
      /^subshell trap TERM\nsubshell trap status: 9$/m,
      /^trap ERR\nafter false$/m,
      /trap EXIT\n$/,
    ],
  },
  {
    name: "bash-redirections",
    cwd: "fresh",
    writesTmp: true,
    argv: bash(`d=${TMP_PREFIX}-bash-redirections
rm -rf $d && mkdir -p $d && cd $d || exit 1
echo one > f; echo two >> f; echo "lines: $(wc -l < f)"
{ echo out; echo err >&2; } > both 2>&1; echo "both: $(sort both | tr '\\n' ' ')"
ls nonexistent 2> err.txt; echo "ls status: $?"; echo "err lines: $(grep -c 'No such file' err.txt)"
exec 3> fd3.txt; echo "via fd3" >&3; exec 3>&-; cat fd3.txt
exec 4< f; read -r first <&4; exec 4<&-; echo "first: $first"
set -o noclobber; (echo x > f) 2>/dev/null; echo "noclobber status: $?"; echo forced >| f; cat f; set +o noclobber
cat < f > copy; cmp -s f copy && echo "copy identical"
echo data | tee t1 t2 > /dev/null; cat t1 t2
echo "null bytes: $(wc -c < /dev/null)"
printf 'a\\0b\\0' | xargs -0 -n1 echo arg
echo appended >> f; echo "size: $(stat -c %s f)"
ls -1 $d`),
    expect: [
      /^lines: 2$/m,
      /^both: err out $/m,
      /^ls status: 2$/m,
      /^first: one$/m,
      /^copy identical$/m,
    ],
  },
  {
    name: "bash-procsub",
    cwd: "fresh",
    writesTmp: false,
    argv: bash(`cat <(echo "process substitution")
diff <(printf 'a\\nb\\n') <(printf 'a\\nc\\n'); echo "diff status: $?"
while read -r l; do echo "read: $l"; done < <(seq 1 3)
echo "via stdin" | cat /dev/stdin
echo "via fd 0" | cat /proc/self/fd/0
exec 5< <(echo "fd 5"); cat /dev/fd/5`),
    expect: [
      /^process substitution$/m,
      /^diff status: 1$/m,
      /^read: 3$/m,
      /^via stdin$/m,
      /^fd 5$/m,
    ],
  },
  {
    name: "coreutils-text",
    cwd: "fresh",
    writesTmp: false,
    argv: bash(`echo "top: $(seq 1 20 | sort -n -r | head -3 | tr '\\n' ' ')"
printf 'b\\na\\nb\\nc\\na\\nb\\n' | sort | uniq -c
printf 'one two\\nthree\\n' | wc
echo "a:b:c:d" | cut -d: -f2,4
echo "hello" | tr 'a-y' 'b-z'
echo "tail: $(seq 1 10 | tail -n 3 | tr '\\n' ' ')"
seq 1 3 | cat -n
printf 'ab\\tc\\n' | od -c
printf '%05d|%-4s|%x|%.2f\\n' 42 ab 255 3.14159
echo -n abc | sha256sum
seq 1 1000 | sha256sum
seq 1 1000 | md5sum
date -d @0 -u
date -u -d @1000000000 +%Y-%m-%dT%H:%M:%S
env | sort
expr 6 \\* 7
basename /a/b/c.txt .txt; dirname /a/b/c.txt
seq -s, 1 5
yes | head -3
numfmt --to=iec 1048576
factor 360
echo "nproc >= 1: $([ "$(nproc)" -ge 1 ] && echo yes)"
printf 'z\\ny\\nx\\n' | sort | paste -sd,
printf '1 x\\n2 y\\n3 z\\n' > right; printf '3 c\\n1 a\\n2 b\\n' | sort -k1,1n | join - right
echo "hello world" | fold -w 5
true; echo "true: $?"; false; echo "false: $?"`),
    expect: [
      /^top: 20 19 18 $/m,
      /^ {6}3 b$/m,
      /^ {6}2 {7}3 {6}14$/m,
      /^b:d$/m,
      /^ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad {2}-$/m,
      /^Thu Jan {2}1 00:00:00 UTC 1970$/m,
      /^2001-09-09T01:46:40$/m,
      /^DIFF_MARKER=tsvisor-differential$/m,
      /^42$/m,
      /^360: 2 2 2 3 3 5$/m,
    ],
  },
  {
    name: "coreutils-files",
    cwd: "fresh",
    writesTmp: true,
    argv: bash(`d=${TMP_PREFIX}-coreutils-files
rm -rf $d && mkdir -p $d/a/b/c && cd $d || exit 1
echo hello > a/f
cp a/f a/b/g
cp -r a a2
mv a2 moved
find . | sort
stat --format='%n %s %a %F %h' a/f a/b/g moved/b/g
touch -d @1000000000 a/f; stat --format='%n %Y %y' a/f
cp -p a/f a/fp; stat --format='%n %a %Y' a/fp
ln -s f a/lnk; echo "readlink: $(readlink a/lnk)"; stat -L --format='%s' a/lnk; stat --format='%F' a/lnk
ln a/f a/hard; echo "links: $(stat --format='%h' a/f)"
chmod 640 a/f; echo "mode: $(stat --format='%a %A' a/f)"
chown 1234:5678 a/hard; echo "owner: $(stat --format='%u:%g' a/f)"
truncate -s 10000 a/big; touch -d @1100000000 a/big; echo "truncated: $(stat --format=%s a/big)"
dd if=/dev/zero of=a/zeros bs=1k count=8 2>/dev/null; echo "dd: $(stat --format=%s a/zeros)"
head -c 8192 /dev/zero > z8; echo "cmp zero: $(cmp a/zeros z8 && echo same)"; rm z8
ls -l --time-style=+%s a/f a/fp a/big | cut -d' ' -f1,3-
rm -r a/b; echo "after rm: $(ls a | tr '\\n' ' ')"
rmdir moved/b/c; echo "after rmdir: $(ls moved/b | tr '\\n' ' ')"
mkdir -p x/y/z && rm -rf x && echo "mkdir -p then rm -rf: $(ls -d x 2>&1 | sed 's/^ls: //')"
mv a/f a/renamed; echo "renamed: $(cat a/renamed)"
sha256sum a/renamed moved/f
rm -f nothere; echo "rm -f missing: $?"
rm nothere 2>/dev/null; echo "rm missing: $?"
mkdir a 2>/dev/null; echo "mkdir existing: $?"
realpath a/../moved/./f
install -m 700 -D a/renamed deep/new/dir/file; stat --format='%n %a' deep/new/dir/file
find . -type f | sort | xargs sha256sum | sha256sum`),
    expect: [
      /^\.\/a\/b\/c$/m,
      /^a\/f 6 644 regular file 1$/m,
      /^a\/f 1000000000 2001-09-09 01:46:40\.000000000 \+0000$/m,
      /^readlink: f$/m,
      /^links: 2$/m,
      /^mode: 640 -rw-r-----$/m,
      /^truncated: 10000$/m,
      /^rm missing: 1$/m,
    ],
  },
  {
    name: "ls-stat-fixture",
    cwd: "fixture",
    writesTmp: false,
    argv: bash(`ls
ls -l
ls -ln
ls -la sub
ls -lR --time-style=full-iso
ls -ld sub sub/emptydir
ls -lL link
ls -i1 . >/dev/null && echo "ls -i ok"
stat --format='%n|%s|%a|%A|%u|%g|%U|%G|%Y|%F|%h' hello.txt data.bin run.sh empty ref link sub sub/deep.txt sub/emptydir
stat -L --format='%n|%s|%F' link
stat --format='%N' link
stat -c '%s %a' .
sha256sum hello.txt data.bin sub/deep.txt
cat hello.txt sub/deep.txt
wc -c data.bin sub/notes.txt
du -a --apparent-size -b . | sort -k2
head -c 20 data.bin; echo
test -x run.sh && echo "run.sh executable"
test -r data.bin && echo "root reads 0600"
./run.sh`),
    expect: [
      /^data\.bin\nempty\nhello\.txt\nlink\nref\nrun\.sh\nsub$/m,
      /^-rw------- 1 1234 5678 5000 Nov {2}9 {2}2004 data\.bin$/m,
      /^hello\.txt\|6\|644\|-rw-r--r--\|0\|0\|root\|root\|1000000000\|regular file\|1$/m,
      /^run\.sh\|19\|755\|-rwxr-xr-x\|1\|1\|daemon\|daemon\|1200000000\|regular file\|1$/m,
      /^'link' -> 'hello\.txt'$/m,
      /^run$/m,
    ],
  },
  {
    name: "grep-sed-awk",
    cwd: "fresh",
    writesTmp: false,
    argv: bash(`t=$'alpha 1\\nbeta 22\\ngamma 333\\ndelta 4444\\nAlpha 5'
echo "$t" | grep -n a
echo "grep -ci: $(echo "$t" | grep -ci alpha)"
echo "$t" | grep -E '[0-9]{3,}'
echo "$t" | grep -v -w beta | grep -o '[0-9]*$' | tr '\\n' ' '; echo
grep -q '^root:' /etc/passwd && echo "passwd has root"
grep -c '' /etc/os-release >/dev/null && echo "grep file ok"
echo "$t" | grep -F -x 'gamma 333'
echo "$t" | grep -P '^\\w+ \\d{2}$' 2>/dev/null || echo "no -P"
echo "$t" | sed -n '2,3p'
echo "$t" | sed 's/\\([a-z]*\\) \\([0-9]*\\)/\\2=\\1/'
echo "$t" | sed -e '/gamma/d' -e 's/a/A/g'
echo "$t" | sed -E 's/([0-9])+$/<&>/;1!G;h;$!d'
echo "$t" | awk '{ s += $2 } END { print "sum", s, NR }'
echo "$t" | awk 'length($1) > 4 { printf "%-6s|%5d\\n", $1, $2 }'
awk 'BEGIN { for (i = 0; i < 5; i++) a[i] = i * i; n = 0; for (k in a) n += a[k]; print n; print substr("tsvisor", 3, 3), toupper("x"), int(7 / 2), 2 ^ 10 }'
seq 1 100 | awk 'NR % 10 == 0 { s = s $1 "," } END { print s }'
awk -F: '$1 == "root" { print "root shell field count", NF }' /etc/passwd
echo "$t" | sort -k2 -n -r | head -2
printf 'k1=v1\\nk2=v2\\n' | awk -F= '{ m[$1] = $2 } END { print m["k2"] m["k1"] }'`),
    expect: [
      /^1:alpha 1$/m,
      /^grep -ci: 2$/m,
      /^passwd has root$/m,
      /^1=alpha$/m,
      /^sum 4805 5$/m,
      /^30$/m,
      /^vis X 3 1024$/m,
      /^10,20,30,40,50,60,70,80,90,100,$/m,
    ],
  },
  {
    name: "find-fixture",
    cwd: "fixture",
    writesTmp: false,
    argv: bash(`find . | sort
echo "--- files *.txt"; find . -type f -name '*.txt' | sort
echo "--- dirs"; find . -type d | sort
echo "--- size > 1k"; find . -size +1k | sort
echo "--- newer than ref"; find . -newer ref | sort
echo "--- executable"; find . -type f -perm -u+x
echo "--- uid 1234"; find . -uid 1234 | sort
echo "--- empty"; find . -empty | sort
echo "--- links"; find . -type l -printf '%p -> %l\\n'
echo "--- printf"; find . -printf '%p %y %m %s %U:%G %TY-%Tm-%Td\\n' | sort
echo "--- exec"; find . -type f -name '*.txt' -exec wc -c {} + | sort
echo "--- print0"; find . -maxdepth 1 -print0 | sort -z | xargs -0 -n1 basename | tr '\\n' ' '; echo
echo "--- depth"; find . -mindepth 2 | sort
echo "--- prune"; find . -path ./sub -prune -o -type f -print | sort
echo "--- missing"; find ./nope 2>&1; echo "status $?"`),
    expect: [
      /^\.\/sub\/emptydir$/m,
      /^--- newer than ref\n\.\/run\.sh\n\.\/sub\n\.\/sub\/deep\.txt$/m,
      /^\.\/link -> hello\.txt$/m,
    ],
  },
  {
    name: "tar-gzip",
    cwd: "fixture",
    writesTmp: true,
    argv: bash(`d=${TMP_PREFIX}-tar-gzip
rm -rf $d && mkdir -p $d/x || exit 1
tar -cf $d/a.tar . && echo "created"
tar -tvf $d/a.tar | sort -k6
tar -czf $d/a.tgz . && gzip -t $d/a.tgz && echo "gzip ok"
tar -tzf $d/a.tgz | sort
tar -C $d/x -xf $d/a.tar && echo "extracted"
(cd $d/x && find . | sort && find . -type f | sort | xargs sha256sum)
stat --format='%n %a %u %g %Y' $d/x/data.bin $d/x/run.sh $d/x/sub | sed "s,$d/x/,,"
readlink $d/x/link
diff -r . $d/x && echo "trees identical"
gzip -c hello.txt | gzip -dc
echo "compressed: $(gzip -9 -c data.bin | wc -c | awk '{ print ($1 < 5000) ? "smaller" : "bigger" }')"
xz -c hello.txt 2>/dev/null | xz -dc 2>/dev/null || echo "hello"
ls $d | sort`),
    expect: [
      /^created$/m,
      /^-rw------- 1234\/5678 {6}5000 2004-11-09 11:33 \.\/data\.bin$/m,
      /^gzip ok$/m,
      /^trees identical$/m,
      /^data\.bin 600 1234 5678 1100000000$/m,
    ],
  },
  {
    name: "python3",
    cwd: "fresh",
    status: 4,
    writesTmp: true,
    argv: [
      "/usr/bin/python3",
      "-B",
      "-c",
      `import json, os, subprocess, threading, hashlib, sys, tempfile, signal, time
print(json.dumps({"b": [1, 2.5, None, True], "a": "x\\u00e9"}, sort_keys=True))
print(json.loads('{"k": [1, {"n": null}]}'))
print(sorted(os.listdir("/etc/apt"))[:2])
r = subprocess.run(["/bin/echo", "from", "echo"], capture_output=True, text=True)
print(repr(r.stdout), r.returncode)
r = subprocess.run("exit 7", shell=True)
print("shell status", r.returncode)
p = subprocess.Popen(["sort"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
print(repr(p.communicate("b\\na\\nc\\n")[0]))
out = []
lock = threading.Lock()
def work(i):
    s = sum(range(i * 100000))
    with lock:
        out.append((i, s))
ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print(sorted(out))
print(hashlib.sha256(b"abc").hexdigest())
print(hashlib.md5(b"tsvisor").hexdigest())
print(sum([i for i in range(1000000)]))
d = "${TMP_PREFIX}-python3"
os.makedirs(d, exist_ok=True)
with open(os.path.join(d, "f.txt"), "w") as f:
    f.write("written\\n" * 3)
print(open(os.path.join(d, "f.txt")).read().count("written"), os.path.getsize(os.path.join(d, "f.txt")))
with tempfile.TemporaryDirectory(dir=d) as td:
    open(os.path.join(td, "t"), "w").close()
    print("tempdir entries", os.listdir(td))
print("tempdir removed", os.listdir(d))
got = []
signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
os.kill(os.getpid(), signal.SIGUSR1)
time.sleep(0.01)
print("signal", got == [signal.SIGUSR1])
pid = os.fork()
if pid == 0:
    os._exit(9)
print("fork wait", os.waitpid(pid, 0)[1] >> 8)
rfd, wfd = os.pipe()
os.write(wfd, b"pipe data")
print(os.read(rfd, 100))
print(sys.version_info[0], os.getcwd() == os.environ.get("PWD", os.getcwd()))
print(sorted(set("mississippi")), {i: i * i for i in range(4)})
print("%.3f" % (sum(1 / (i * i) for i in range(1, 10000)),))
sys.exit(4)`,
    ],
    expect: [
      /^\{"a": "x\\u00e9", "b": \[1, 2\.5, null, true\]\}$/m,
      /^'from echo\\n' 0$/m,
      /^shell status 7$/m,
      /^'a\\nb\\nc\\n'$/m,
      /^\[\(0, 0\), \(1, 4999950000\), /m,
      /^499999500000$/m,
      /^3 24$/m,
      /^signal True$/m,
      /^fork wait 9$/m,
    ],
  },
  {
    name: "gcc-hello",
    cwd: "fresh",
    writesTmp: true,
    timeoutMs: 60_000,
    argv: bash(`d=${TMP_PREFIX}-gcc-hello
rm -rf $d && mkdir -p $d && cd $d || exit 1
cat > hello.c <<'EOF'
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  printf("hello from gcc, %d args, %s\\n", argc, argc > 1 ? argv[1] : "-");
  return argc + 40;
}
EOF
gcc -O1 -Wall -o hello hello.c && echo "compiled"
./hello one; echo "status: $?"
gcc -c -o obj.o hello.c && gcc -o linked obj.o && ./linked; echo "two-step status: $?"
echo 'int main(void) { return undefined_fn(); }' > bad.c
gcc -o bad bad.c >/dev/null 2>&1; echo "bad compile status: $?"
ls | sort`),
    expect: [/^compiled$/m, /^hello from gcc, 2 args, one\nstatus: 42$/m, /^two-step status: 41$/m],
  },
];

/**
 * Cases known to differ under tsvisor, with why; they are not in
 * passing.json, and programs.test.ts prints each reason.
 */
export const KNOWN_GAPS: Readonly<Record<string, string>> = {};

function cleanTmp(s: ProgramScript): void {
  if (s.writesTmp) rmSync(`${TMP_PREFIX}-${s.name}`, { recursive: true, force: true });
}

/**
 * The host-side check after a sandboxed run: no entry of the host's /tmp
 * whose name starts with tsvisor-diff-prog appeared or changed. (Others may
 * come and go: gcc and other test files use /tmp at the same time.)
 */
function hostTmpCheck(id: string, before: ReturnType<typeof snapshotTmp>): string {
  const diff = diffSnapshots(before, snapshotTmp());
  const ours = diff.split("\n").filter((l) => l.includes(TMP_PREFIX));
  if (ours.length > 0)
    return `host /tmp changed by the sandboxed run of ${id}:\n${ours.join("\n")}`;
  return "";
}

/** The real programs as differential cases (ids "prog:NAME"). */
export function realProgramCases(): DiffCase[] {
  return PROGRAM_SCRIPTS.map((s) => {
    const id = `prog:${s.name}`;
    const opts = () => ({
      cwd: s.cwd === "fixture" ? FIXTURE_DIR : freshCwd(id.replace(":", "_")),
      timeoutMs: s.timeoutMs ?? 30_000,
      env: RUN_ENV,
    });
    return {
      id,
      async prepare() {
        if (s.cwd === "fixture") ensureFixture();
      },
      async native(): Promise<RunResult> {
        cleanTmp(s);
        const r = await runNative(s.argv, opts());
        cleanTmp(s);
        return r;
      },
      async sandboxed(platform: PlatformName, want: RunResult) {
        cleanTmp(s);
        const before = snapshotTmp();
        const got = await runTsvisor(platform, s.argv, opts());
        const host = hostTmpCheck(id, before);
        return { got, diff: [describeDiff(want, got), host].filter((x) => x !== "").join("\n") };
      },
    };
  });
}
