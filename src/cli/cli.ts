/**
 * The `beamish` command: `beamish demo [options]`, `beamish --help`, `beamish --version`. A
 * command line it does not understand exits with code 2 and one line naming what was wrong.
 */
import { readFileSync } from "node:fs";
import { isBeamishError } from "../kernel/errors.js";
import { type OptionSpec, optionsHelp, parseArgs, UsageError } from "./args.js";
import { demoHelp, parseDemoOptions } from "./demo/options.js";
import { type DemoOutput, runDemo } from "./demo/run.js";

const topOptions = {
  help: { kind: "flag", short: "h", help: "show this help" },
  version: { kind: "flag", short: "v", help: "print beamish's version" },
} as const satisfies Record<string, OptionSpec>;

const help = `Usage: beamish <command> [options]

Erlang/OTP's concurrency for TypeScript on Node.js.

Commands:
  demo     run a pipeline over a million generated web-shop events (see \`beamish demo --help\`)

Options:
${optionsHelp(topOptions)}
`;

/** Exit codes: 0 done, 1 the command ran and failed, 2 the command line was wrong. */
export type ExitCode = 0 | 1 | 2;

/** Where the CLI writes. */
export type CliOutput = DemoOutput;

/** src/cli/ and dist/cli/ both sit two folders below package.json. */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  return String(pkg.version);
}

/**
 * Runs the command line `argv` (without `node` and the script); resolves with the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await runCli(["demo", "--events", "20000"], {
 *   out: process.stdout,
 *   err: process.stderr,
 * });
 * ```
 */
export async function runCli(argv: readonly string[], output: CliOutput): Promise<ExitCode> {
  const [command, ...rest] = argv;
  try {
    if (command === "demo") {
      const options = parseDemoOptions(rest);
      if (options === "help") {
        output.out.write(demoHelp);
        return 0;
      }
      return (await runDemo(options, output)) === 0 ? 0 : 1;
    }
    const args = parseArgs(argv, topOptions, true);
    if (args.flags.has("version")) {
      output.out.write(`${version()}\n`);
      return 0;
    }
    if (args.flags.has("help") || argv.length === 0) {
      output.out.write(help);
      return 0;
    }
    throw new UsageError(`unknown command \`${args.positionals[0]}\``);
  } catch (error) {
    if (error instanceof UsageError || isBeamishError(error, "ERR_INVALID_ARGUMENT")) {
      const topic = command === "demo" ? "beamish demo --help" : "beamish --help";
      output.err.write(`beamish: ${error.message} (see \`${topic}\`)\n`);
      return 2;
    }
    throw error;
  }
}
