/** The malformed-ELF set natively and under tsvisor; see elf-cases.ts. */
import { beforeAll, describe, expect, it } from "vitest";
import { elfCases } from "./elf-cases.js";
import { nativeRunner, probeAll, sandboxSuites } from "./suite.js";

const cases = new Map(elfCases().map((c) => [c.id, c]));
const nativeRun = nativeRunner(cases);

beforeAll(async () => {
  for (const c of cases.values()) await c.prepare();
}, 120_000);

describe("malformed ELF natively", () => {
  it("the unmodified program runs (exit 42)", async () => {
    expect((await nativeRun("elf:valid")).stdout).toBe("execve: ok, exited 42\nlauncher alive\n");
  });
  it.each([...cases.keys()].filter((id) => id !== "elf:valid"))("%s", async (id) => {
    const r = await nativeRun(id);
    expect(r.status, r.stderr).toBe(0);
    // Linux rejects it, or kills the new image past the point of no return.
    // (It checks neither EI_CLASS nor EI_DATA for an x86-64 e_machine: the
    // class-32 and big-endian variants run; tsvisor must do the same.)
    expect(r.stdout).toMatch(
      /^execve: (-1 errno=E[A-Z0-9]+|ok, killed by signal \d+|ok, exited \d+)\n/,
    );
    expect(r.stdout).toMatch(/launcher alive\n$/);
    expect((await cases.get(id)!.native()).stdout, "deterministic").toBe(r.stdout);
  });
});

sandboxSuites(await probeAll(), cases, nativeRun);
