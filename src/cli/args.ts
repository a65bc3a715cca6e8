/**
 * The command line's argument parsing: options declared once (name, kind, help), `--name value`
 * and `--name=value`, and a `UsageError` naming what was wrong, which the CLI turns into exit
 * code 2. Values are checked with beamish's one message shape (`InvalidArgumentError`).
 */
import { BeamishError, InvalidArgumentError } from "../kernel/errors.js";

declare module "../kernel/errors.js" {
  interface BeamishErrorCodes {
    ERR_USAGE: UsageError;
  }
}

/** The command line was not understood: an unknown option or command, a missing value. */
export class UsageError extends BeamishError {
  readonly code = "ERR_USAGE";
}

/** One option: a flag, or an option taking a value. */
export interface OptionSpec {
  readonly kind: "flag" | "value";
  /** One letter: `-h` for `--help`. */
  readonly short?: string;
  /** The value's placeholder in the help: `N`, `PATH`. */
  readonly placeholder?: string;
  readonly help: string;
}

/** What `parseArgs` found: flags as booleans, values as strings, positionals in order. */
export interface ParsedArgs {
  readonly flags: ReadonlySet<string>;
  readonly values: ReadonlyMap<string, string>;
  readonly positionals: readonly string[];
}

/**
 * Parses `argv` against `specs`; positionals are kept only when `allowPositionals`. Throws
 * `UsageError` for an unknown option, a flag given a value, or a value missing.
 *
 * @example
 * ```ts
 * const args = parseArgs(["--events", "100", "--quiet"], {
 *   events: { kind: "value", placeholder: "N", help: "events to generate" },
 *   quiet: { kind: "flag", help: "no progress" },
 * });
 * args.values.get("events"); // "100"
 * ```
 */
export function parseArgs(
  argv: readonly string[],
  specs: Readonly<Record<string, OptionSpec>>,
  allowPositionals = false,
): ParsedArgs {
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const positionals: string[] = [];
  const byShort = new Map(
    Object.entries(specs).flatMap(([name, spec]) => (spec.short ? [[spec.short, name]] : [])),
  );
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const written = eq === -1 ? arg : arg.slice(0, eq);
    const name = arg.startsWith("--") ? written.slice(2) : byShort.get(written.slice(1));
    const spec = name === undefined ? undefined : specs[name];
    if (name === undefined || spec === undefined || !Object.hasOwn(specs, name)) {
      throw new UsageError(`unknown option \`${written}\``);
    }
    if (spec.kind === "flag") {
      if (eq !== -1) throw new UsageError(`option \`${written}\` takes no value`);
      flags.add(name);
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length) value = argv[++i];
    if (value === undefined) {
      throw new UsageError(`option \`${written}\` needs a value (${spec.placeholder ?? "VALUE"})`);
    }
    values.set(name, value);
  }
  if (!allowPositionals && positionals.length > 0) {
    throw new UsageError(`unexpected argument \`${positionals[0]}\``);
  }
  return { flags, values, positionals };
}

/**
 * An integer option from `min` to `max`, written with digits and optional `_` separators
 * (`1_000_000`) or in exponent form (`1e6`); `fallback` when it was not given.
 *
 * @example
 * ```ts
 * integerOption(args, "events", { min: 1, max: 1e8, fallback: 1_000_000 });
 * ```
 */
export function integerOption(
  args: ParsedArgs,
  name: string,
  range: { readonly min: number; readonly max: number; readonly fallback: number },
): number {
  const text = args.values.get(name);
  if (text === undefined) return range.fallback;
  const n = /^\d+(?:_\d+)*$|^\d+(?:\.\d+)?e\d+$/i.test(text)
    ? Number(text.replaceAll("_", ""))
    : Number.NaN;
  if (!Number.isSafeInteger(n) || n < range.min || n > range.max) {
    const expected =
      range.min === 0
        ? `a non-negative integer up to ${range.max}`
        : `an integer from ${range.min} to ${range.max}`;
    throw new InvalidArgumentError({ path: `--${name}`, expected, got: text });
  }
  return n;
}

/** The options part of a help text: one line per option, descriptions aligned. */
export function optionsHelp(specs: Readonly<Record<string, OptionSpec>>): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const short = spec.short ? `-${spec.short}, ` : "    ";
    const value = spec.kind === "value" ? ` ${spec.placeholder ?? "VALUE"}` : "";
    return [`  ${short}--${name}${value}`, spec.help] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, help]) => `${left.padEnd(width)}${help}`).join("\n");
}
