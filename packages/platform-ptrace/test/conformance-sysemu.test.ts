import type { PlatformOptions, PlatformProvider } from "@tsvisor/platform";
import { runConformance } from "@tsvisor/platform/testing";
import provider, { PtracePlatform } from "../src/index.js";

// The same suite with every syscall as a PTRACE_SYSEMU stop (the fallback mode).
const sysemu: PlatformProvider = {
  name: "ptrace (sysemu mode)",
  probe: () => provider.probe(),
  create: (o?: PlatformOptions) => new PtracePlatform({ ...o, mode: "sysemu" }),
};
runConformance(sysemu);
