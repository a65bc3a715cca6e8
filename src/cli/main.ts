#!/usr/bin/env node
/**
 * The `beamish` executable (package.json `bin`): runs the command line and exits with its code.
 * An unexpected error is printed with its stack and exits with code 1.
 */
import { runCli } from "./cli.js";

try {
  process.exitCode = await runCli(process.argv.slice(2), {
    out: process.stdout,
    err: process.stderr,
  });
} catch (error) {
  process.stderr.write(
    `beamish: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
}
