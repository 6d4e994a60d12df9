import { describe, expect, it } from "vitest";
import { createSandbox, SentryPanic, type SyscallHook } from "@tsvisor/kernel";
import { availablePlatforms, compileC, runNative, testRoot } from "./helpers.js";

const platforms = await availablePlatforms();

/** Captures write(1|2, ...) through the syscall hook (independent of the file syscalls). */
function captureWrites(out: { stdout: string; stderr: string }): SyscallHook {
  return {
    enter(t, nr, a) {
      if (nr !== 1) return undefined;
      const fd = a.int(0);
      if (fd !== 1 && fd !== 2) return undefined;
      const b = new Uint8Array(a.u64(2));
      if (t.mm.copyIn(a.ptr(1), b) < 0) return -14;
      if (fd === 1) out.stdout += Buffer.from(b).toString("latin1");
      else out.stderr += Buffer.from(b).toString("latin1");
      return b.length;
    },
  };
}

describe.each(platforms.map((p) => ({ name: p.name, p })))("static programs on $name", ({ p }) => {
  it("hello world prints and exits 0 like natively", async () => {
    const bin = compileC(
      "hello",
      '#include <stdio.h>\nint main(){printf("hello, world\\n");return 3;}\n',
    );
    const native = runNative([bin]);
    const out = { stdout: "", stderr: "" };
    const platform = p.create();
    try {
      const k = createSandbox({ platform, root: testRoot(), onSyscall: captureWrites(out) });
      const r = await k.run([bin], { env: [] });
      expect(out.stdout).toBe(native.stdout);
      expect(r.status).toBe(native.status);
    } finally {
      platform.release();
    }
  });

  it("a handler that throws is a Sentry bug: the run rejects with SentryPanic naming the syscall", async () => {
    const bin = compileC("panic", "#include <unistd.h>\nint main(){getppid();for(;;);}\n");
    const platform = p.create();
    try {
      const k = createSandbox({
        platform,
        root: testRoot(),
        onSyscall: {
          enter(_t, nr) {
            if (nr === 110) throw new Error("boom");
            return undefined;
          },
        },
      });
      const err = await k.run([bin], { env: [] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SentryPanic);
      expect((err as Error).message).toMatch(/sentry bug in getppid on behalf of task 2 .*boom/s);
    } finally {
      platform.release();
    }
  });
});
