#!/usr/bin/env node
/** The `tsvisor` executable. */
import { main } from "./main.js";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(
      `tsvisor: internal error: ${e instanceof Error ? e.message : String(e)}\n`,
    );
    process.exitCode = 70;
  },
);
