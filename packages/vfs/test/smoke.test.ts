import { describe, expect, it } from "vitest";
import { mkdirat, openat } from "@tsvisor/vfs";
import { text, tmpTask } from "./helpers.js";

const AT_FDCWD = -100;
const O_RDWR = 2;
const O_CREAT = 0o100;

describe("vfs smoke", () => {
  it("creates, writes and reads back a file", () => {
    const t = tmpTask();
    expect(mkdirat(t, AT_FDCWD, "/a", 0o755)).toBe(0);
    const f = openat(t, AT_FDCWD, "/a/f", O_RDWR | O_CREAT, 0o644);
    if (typeof f === "number") throw new Error(`open ${f}`);
    expect(f.write(text("hello"))).toBe(5);
    expect(f.lseek(0, 0)).toBe(0);
    const buf = new Uint8Array(10);
    expect(f.read(buf)).toBe(5);
    expect(new TextDecoder().decode(buf.subarray(0, 5))).toBe("hello");
    expect(f.path).toBe("/a/f");
  });
});
