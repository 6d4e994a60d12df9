/**
 * @tsvisor/cli — the `tsvisor` command (`tsvisor run -- PROGRAM ARGS...`,
 * `tsvisor syscalls`). `main` is exported for embedding and tests.
 */
export type { CliIO } from "./main.js";
export {
  DEFAULT_KILL_AFTER_SECONDS,
  EXIT_CANNOT_EXECUTE,
  EXIT_NOT_FOUND,
  EXIT_SENTRY_BUG,
  EXIT_TSVISOR_ERROR,
  main,
} from "./main.js";
