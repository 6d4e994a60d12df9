/** The harness's own logic: metadata parsing, diffs, FAIL detection, runs. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { describeDiff, failLines, listPrograms, runNative, type RunResult } from "./harness.js";

const ok: RunResult = { stdout: "a: ok\nb: 1\n", stderr: "", status: 0, timedOut: false };

describe("harness", () => {
  it("parses program metadata", () => {
    const ps = listPrograms();
    const term = ps.find((p) => p.id === "sig_self_term");
    expect(term?.status).toBe(143);
    const stdio = ps.find((p) => p.id === "stdio_streams");
    expect(stdio?.stdin).toBe("line one\nline two\n\nlast line without newline");
    expect(ps.some((p) => p.id === "stdio_streams.dyn" && p.dynamic)).toBe(true);
    expect(ps.find((p) => p.id === "file_dup")?.status).toBe(0);
  });

  it("describes the first differing line and the status", () => {
    expect(describeDiff(ok, ok)).toBe("");
    const got = { ...ok, stdout: "a: ok\nb: FAIL got 2 want 1\n", status: 1 };
    const d = describeDiff(ok, got);
    expect(d).toContain("status: want 0, got 1");
    expect(d).toContain('stdout differs at line 2: want "b: 1", got "b: FAIL got 2 want 1"');
    expect(describeDiff(ok, { ...ok, stdout: "a: ok\n" })).toContain('want "b: 1", got ""');
  });

  it("finds FAIL lines only at case results", () => {
    expect(failLines("x: ok\ny: FAIL ret=-1\nFAILURES are fine\n")).toEqual(["y: FAIL ret=-1"]);
  });

  it("starts runs with only fds 0-2 open and default signal dispositions", async () => {
    const r = await runNative(
      [
        "/bin/sh",
        "-c",
        "ls /proc/self/fd | sort -n | tr '\\n' ' '; echo; grep -E '^Sig(Blk|Ign):' /proc/self/status",
      ],
      { cwd: "/", timeoutMs: 10_000 },
    );
    // fd 3 is ls's own directory fd.
    expect(r.stdout).toMatch(/^0 1 2 3 \n/);
    expect(r.stdout).toMatch(/^SigBlk:\t0{16}$/m);
    expect(r.stdout).toMatch(/^SigIgn:\t0{16}$/m);
  });

  it("reports signals as 128 + N and feeds stdin", async () => {
    const killed = await runNative(["/bin/sh", "-c", "kill -SEGV $$"], {
      cwd: "/",
      timeoutMs: 5000,
    });
    expect(killed.status).toBe(128 + 11);
    const cat = await runNative(["/bin/cat"], { cwd: "/", timeoutMs: 5000, stdin: "in\n" });
    expect(cat.stdout).toBe("in\n");
    const umask = await runNative(["/bin/sh", "-c", "umask"], { cwd: "/", timeoutMs: 5000 });
    expect(umask.stdout.trim()).toBe("0022");
  });

  it("times out and kills the whole session", async () => {
    // 2 s, not less: on a loaded CI machine (load 15) sh may not even have
    // printed the background pid within a few hundred milliseconds.
    const r = await runNative(["/bin/sh", "-c", "sleep 30 & echo $!; sleep 30"], {
      cwd: "/",
      timeoutMs: 2000,
    });
    expect(r.timedOut).toBe(true);
    expect(r.status).toBe(-1);
    const bg = Number(r.stdout.trim());
    expect(bg).toBeGreaterThan(0);
    // Alive = exists and is not a zombie (whoever it was reparented to may
    // not reap it at once).
    const alive = () => {
      try {
        const stat = readFileSync(`/proc/${bg}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
      } catch {
        return false;
      }
    };
    // The orphaned background sleep got SIGKILL; give it a moment to die.
    for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(), "background child of a timed-out run").toBe(false);
  });
});
