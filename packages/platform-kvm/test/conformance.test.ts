import { runConformance } from "@tsvisor/platform/testing";
import provider from "../src/index.js";

runConformance(provider);
