/**
 * Embedding tsvisor in a Node program: run busybox in a sandbox on the
 * ptrace platform, count the system calls it makes, and refuse sockets.
 */
import { EACCES, SYS_socket, syscallName } from "@tsvisor/abi";
import { createSandbox } from "@tsvisor/kernel";
import { loadPlatform } from "@tsvisor/platform";

const provider = await loadPlatform("ptrace", (spec) => import(spec));
const platform = provider.create();
const calls = new Map<string, number>();
try {
  const kernel = createSandbox({
    platform,
    hostname: "example",
    onSyscall: {
      // Runs on the Sentry's thread before the handler, for the calling task.
      enter(_task, nr) {
        const name = syscallName(nr) ?? `syscall_${nr}`;
        calls.set(name, (calls.get(name) ?? 0) + 1);
        // A number answers the call instead of the kernel; undefined lets it run.
        return nr === SYS_socket ? -EACCES : undefined;
      },
    },
  });
  const result = await kernel.run(["/bin/busybox", "sh", "-c", "echo hello from $(hostname)"], {
    env: ["PATH=/usr/bin:/bin"],
    cwd: "/",
  });
  console.log(result); // { status: 0, signal: null, coreDumped: false }
  console.log("system calls:", Object.fromEntries(calls));
  console.log("unimplemented:", Object.fromEntries(kernel.unimplementedCounts));
} finally {
  platform.release();
}
