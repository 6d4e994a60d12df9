/**
 * Linux as the oracle for signal(7)'s default actions: a C program raises
 * each signal with SIG_DFL in a child and reports how the child ended
 * (terminated, terminated with a core dump, stopped, or still running).
 */
import { describe, expect, it } from "vitest";
import { defaultAction, SIGCONT, SIGKILL, SIGNAL_NAMES, SIGSTOP } from "../src/index.js";
import { runC } from "./cprog.js";

const SRC = `
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

static const char *outcome(int sig) {
  pid_t p = fork();
  if (p == 0) {
    struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
    setrlimit(RLIMIT_CORE, &rl);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, 0);
    signal(sig, SIG_DFL);
    raise(sig);
    _exit(0);
  }
  int st;
  waitpid(p, &st, WUNTRACED);
  if (WIFSTOPPED(st)) {
    kill(p, SIGKILL);
    waitpid(p, &st, 0);
    return "stop";
  }
  if (WIFEXITED(st)) return "survived";
  return WCOREDUMP(st) ? "core" : "term";
}

int main(int argc, char **argv) {
  char dir[] = "/tmp/tsvisor-abi-core-XXXXXX";
  if (!mkdtemp(dir) || chdir(dir)) return 1;
  for (int sig = 1; sig <= 64; sig++) {
    if (sig == 32 || sig == 33) continue; /* reserved by glibc (NPTL) */
    printf("%d %s\\n", sig, outcome(sig));
    fflush(stdout);
    system("rm -f core core.*");
  }
  chdir("/");
  rmdir(dir);
  return 0;
}
`;

describe("default signal actions match Linux", () => {
  it("raising each signal with SIG_DFL ends the process as defaultAction() says", () => {
    const seen = new Map<number, string>();
    for (const line of runC(SRC).trim().split("\n")) {
      const [sig, how] = line.split(" ");
      seen.set(Number(sig), how!);
    }
    expect(seen.size).toBe(62);
    // Core dumps are observable only if the host writes them (core_pattern,
    // RLIMIT_CORE hard limit); if none was dumped, "core" shows as "term".
    const coreObservable = [...seen.values()].includes("core");
    const bad: string[] = [];
    for (const [sig, how] of seen) {
      const want = defaultAction(sig);
      // Ignored and "continue" signals both leave a running process running;
      // SIGKILL/SIGSTOP act regardless of disposition.
      const ok =
        how === "survived"
          ? want === "ignore" || (want === "continue" && sig === SIGCONT)
          : how === want || (!coreObservable && how === "term" && want === "core");
      if (!ok) bad.push(`${SIGNAL_NAMES[sig]} (${sig}): Linux ${how}, abi ${want}`);
    }
    expect(seen.get(SIGKILL)).toBe("term");
    expect(seen.get(SIGSTOP)).toBe("stop");
    expect(bad).toEqual([]);
  });
});
