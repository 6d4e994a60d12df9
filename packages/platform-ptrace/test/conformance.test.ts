import { runConformance } from "@tsvisor/platform/testing";
import provider from "../src/index.js";

// The default provider: systrap mode (seccomp RET_TRAP + shared memory).
runConformance(provider);
