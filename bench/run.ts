// The benchmark driver of BENCH.md: `npm run bench [-- --json] [NAME...]`.
import { spawnSync } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";
import type { Unit } from "./workload.js";
import { loadWorkload, workloadNames } from "./workloads/index.js";

const args = process.argv.slice(2);
const json = args.includes("--json");
// By default the workloads import the built package (`dist/`), which is what users run; `--source`
// runs the TypeScript sources through tsx instead, whose keepNames wrapping of every closure
// costs the hot paths several percent.
const source = args.includes("--source");
const wanted = args.filter((a) => !a.startsWith("--"));
const all = workloadNames();
const unknown = wanted.filter((n) => !all.includes(n) && !all.some((w) => w.startsWith(`${n}`)));
if (unknown.length > 0) {
  console.error(`unknown workload(s): ${unknown.join(", ")}; known: ${all.join(", ")}`);
  process.exit(2);
}
const names = wanted.length === 0 ? all : all.filter((n) => wanted.includes(n));

console.error(
  `node ${process.version} on ${os.cpus()[0]?.model ?? "unknown cpu"} (${os.cpus().length} cores)`,
);

if (!source) {
  const build = spawnSync("npm", ["run", "-s", "build"], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (build.status !== 0) {
    console.error("bench: `npm run build` failed; fix it or pass --source");
    process.exit(1);
  }
}

const worker = fileURLToPath(new URL("./worker.ts", import.meta.url));
const lowerIsBetter = (unit: Unit) => unit === "ms" || unit === "bytes/process";
const rows: string[] = [];

for (const name of names) {
  const workload = await loadWorkload(name);
  const samples: Record<string, number[]> = {};
  const failed = new Set<string>();
  for (let pass = 0; pass < (workload.rounds ?? 1); pass++) {
    for (const impl of Object.keys(workload.impls)) {
      if (failed.has(impl)) continue;
      const taken = runImpl(name, impl);
      if (taken === undefined) failed.add(impl);
      else samples[impl] = [...(samples[impl] ?? []), ...taken];
    }
  }
  const results: Record<string, number> = {};
  for (const [impl, taken] of Object.entries(samples)) {
    if (failed.has(impl)) continue;
    // Whole numbers, but keep 3 decimals for small figures (a 1.13 ms timer wait).
    const figure = median(taken);
    results[impl] = round(figure, Math.abs(figure) < 100 ? 3 : 0);
  }
  const pairs =
    workload.ratios ??
    Object.keys(workload.impls)
      .filter((k) => k !== "beamish")
      .map((peer) => ["beamish", peer] as const);
  const ratios: Record<string, number> = {};
  for (const [a, b] of pairs) {
    const x = results[a];
    const y = results[b];
    if (x !== undefined && y !== undefined && y !== 0) ratios[`${a}/${b}`] = round(x / y, 3);
  }
  const record = { workload: name, unit: workload.unit, params: workload.params, results, ratios };
  if (json) {
    process.stdout.write(`${JSON.stringify(record)}\n`);
  } else {
    const figures = Object.entries(results)
      .map(([k, v]) => `${k} ${format(v)}`)
      .join(", ");
    const ratioText = Object.entries(ratios)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    const better = lowerIsBetter(workload.unit) ? "lower is better" : "higher is better";
    rows.push(`| ${name} | ${workload.unit} (${better}) | ${figures} | ${ratioText} |`);
    console.log(rows[rows.length - 1]);
  }
}

/** Runs one implementation in a fresh Node process; its samples, or undefined if it failed. */
function runImpl(name: string, impl: string): number[] | undefined {
  const child = spawnSync(
    process.execPath,
    [
      "--expose-gc",
      "--import",
      "tsx",
      ...(source ? ["--conditions=beamish-source"] : []),
      worker,
      name,
      impl,
    ],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "inherit"] },
  );
  const line = child.stdout.trim().split("\n").pop() ?? "";
  if (child.status !== 0 || !line.startsWith("{")) {
    console.error(`${name}/${impl} failed (exit ${child.status})`);
    process.exitCode = 1;
    return undefined;
  }
  return (JSON.parse(line) as { samples: number[] }).samples;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function round(value: number, digits = 0): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function format(value: number): string {
  return value >= 1e6
    ? `${(value / 1e6).toFixed(2)}M`
    : value >= 1e4
      ? `${(value / 1e3).toFixed(0)}k`
      : String(value);
}
