/**
 * Each file-syscall module must load first on its own: kernel.ts imports
 * sandbox.ts, which imports sys-file.ts and through it every file-syscall
 * module, so a module that pulled kernel code in at load time would close
 * an import cycle and see its siblings uninitialised.
 */
import { describe, expect, it, vi } from "vitest";

const modules = [
  "../src/pipe.js",
  "../src/syscalls/file-common.js",
  "../src/syscalls/sys-dir.js",
  "../src/syscalls/sys-eventfd.js",
  "../src/syscalls/sys-fcntl.js",
  "../src/syscalls/sys-file.js",
  "../src/syscalls/sys-ioctl.js",
  "../src/syscalls/sys-pipe.js",
  "../src/syscalls/sys-poll.js",
  "../src/syscalls/sys-socket.js",
  "../src/syscalls/sys-stat.js",
  "../src/syscalls/sys-xattr.js",
];

describe("file-syscall modules", () => {
  it.each(modules)("%s loads first, and the table is complete afterwards", async (m) => {
    vi.resetModules();
    const mod = (await import(/* @vite-ignore */ m)) as Record<string, unknown>;
    expect(Object.keys(mod).length).toBeGreaterThan(0);
    const { fileSyscalls } = await import("../src/syscalls/sys-file.js");
    expect(fileSyscalls.every((e) => typeof e.fn === "function")).toBe(true);
    expect(fileSyscalls.length).toBeGreaterThan(100);
  });
});
