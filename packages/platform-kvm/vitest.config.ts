import { defineProject } from "vitest/config";

export default defineProject({
  test: { name: "platform-kvm", include: ["test/**/*.test.ts"], testTimeout: 60_000 },
});
