// Fails when a platform this host supports does not probe ok, so tests that
// skip "when the host lacks the platform" can never hide a broken platform.
// ptrace is required everywhere CI runs; kvm wherever /dev/kvm is usable.
import { accessSync, constants } from "node:fs";

let kvmUsable = false;
try {
  accessSync("/dev/kvm", constants.R_OK | constants.W_OK);
  kvmUsable = true;
} catch {
  console.log("check-platforms: /dev/kvm is not usable here; kvm tests will skip");
}
const required = ["ptrace", ...(kvmUsable ? ["kvm"] : [])];
let failed = false;
for (const name of required) {
  const entry = new URL(`../packages/platform-${name}/dist/index.js`, import.meta.url);
  const provider = (await import(entry.href)).default;
  const r = provider.probe();
  if (r.ok) console.log(`check-platforms: ${name} ok`);
  else {
    console.error(
      `check-platforms: ${name} is required on this host but failed: ${r.reason} (fix: ${r.fix})`,
    );
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
