import { afterEach } from "vitest";

// Gives the event loop one full turn after every test. A run of synchronous
// tests (C programs compiled and run with execFileSync, a sandbox driven by a
// synchronous platform switch) otherwise continues through microtasks only,
// so the worker never reads vitest's RPC replies; once the first unanswered
// RPC is 60 s old, vitest reports "Timeout calling onTaskUpdate" and fails
// the run although every test passed.
afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
