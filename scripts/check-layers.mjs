#!/usr/bin/env node
// Enforces the layering of DESIGN.md over src/: no import runs upward across the layers, no
// import cycle exists between files (or between the concept folders of one layer), and broker
// client libraries are imported only inside src/connectors/. Specifiers are found by a regex over
// the source with comments removed, which is enough for the import forms TypeScript allows.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const srcRoot = join(root, "src");

/** DESIGN.md's layers, lowest first; a file may import only its own layer or earlier ones. */
const layers = [
  { name: "kernel", folders: ["kernel"] },
  { name: "behaviours", folders: ["gen-server", "agent", "task"] },
  { name: "supervision", folders: ["supervisor"] },
  { name: "state", folders: ["registry", "table"] },
  { name: "stages", folders: ["stage"] },
  { name: "pipeline", folders: ["pipeline"] },
  { name: "connectors", folders: ["connectors"] },
  { name: "threads", folders: ["threads"] },
  { name: "observability", folders: ["metrics", "dashboard"] },
  { name: "faces", folders: ["index.ts", "cli", "testing"] },
];
const layerOfFolder = new Map(
  layers.flatMap((layer, rank) => layer.folders.map((folder) => [folder, { ...layer, rank }])),
);

/** Broker clients are optional peers: only their own connector folder may load them. */
const brokerClients = ["amqplib", "nats", "ioredis", "redis", "pg", "mqtt"];
const brokerScopes = ["@nats-io/", "@redis/"];
const isBrokerClient = (specifier) =>
  brokerScopes.some((scope) => specifier.startsWith(scope)) ||
  brokerClients.some((name) => specifier === name || specifier.startsWith(`${name}/`));

const builtins = new Set(builtinModules);
const isBuiltin = (specifier) =>
  specifier.startsWith("node:") || builtins.has(specifier.split("/")[0]);

const show = (file) => relative(root, file).split(sep).join("/");

function listSources(dir) {
  if (!existsSync(dir)) return [];
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...listSources(path));
    else if (entry.isFile() && /\.[cm]?ts$/.test(entry.name)) found.push(path);
  }
  return found.sort();
}

/** The concept a file belongs to: its top folder under src/ (`connectors/<broker>` for brokers). */
function conceptOf(file) {
  const parts = relative(srcRoot, file).split(sep);
  if (parts.length === 1) return parts[0];
  return parts[0] === "connectors" && parts.length > 2 ? `connectors/${parts[1]}` : parts[0];
}

function layerOf(file) {
  return layerOfFolder.get(relative(srcRoot, file).split(sep)[0]);
}

/** Source with comments blanked out (newlines kept), strings and template literals intact. */
function stripComments(source) {
  let out = "";
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end === -1 ? source.length : end + 2;
      out += source.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < source.length && source[j] !== c) j += source[j] === "\\" ? 2 : 1;
      out += source.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const importPatterns = [
  // import x from "m"; import type { A } from "m"; export * as n from "m"; export { a } from "m"
  /\b(?:import|export)\s+(?:type\s+)?[\w$\s{},*]*?\bfrom\s*(["'])([^"'\n]+)\1/g,
  // import "m";
  /\bimport\s*(["'])([^"'\n]+)\1/g,
  // import("m"), also in types: typeof import("m")
  /\bimport\s*\(\s*(["'])([^"'\n]+)\1\s*[,)]/g,
];

function specifiersOf(source) {
  const code = stripComments(source);
  const found = [];
  for (const pattern of importPatterns) {
    for (const match of code.matchAll(pattern)) {
      const line = code.slice(0, match.index).split("\n").length;
      // Type-only imports vanish at run time: they count for layers, not for load cycles.
      const typeOnly = /^(?:import|export)\s+type\b/.test(match[0]);
      found.push({ specifier: match[2], line, typeOnly });
    }
  }
  return found.sort((a, b) => a.line - b.line);
}

function resolveFile(base) {
  const candidates = [base];
  const js = /\.([cm]?)js$/.exec(base);
  if (js) candidates.push(`${base.slice(0, -js[0].length)}.${js[1]}ts`);
  candidates.push(`${base}.ts`, join(base, "index.ts"));
  return candidates.find((path) => existsSync(path) && statSync(path).isFile());
}

/** `beamish` and `beamish/<sub>` imported from inside the package resolve to their sources. */
function selfReferenceTarget(specifier) {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  if (specifier !== pkg.name && !specifier.startsWith(`${pkg.name}/`)) return undefined;
  const subpath = `.${specifier.slice(pkg.name.length)}`;
  const entry = pkg.exports?.[subpath];
  const target = typeof entry === "string" ? entry : entry?.["beamish-source"];
  return target ? resolve(root, target) : null;
}

const violations = [];
const report = (file, line, message) => violations.push(`${show(file)}:${line}: ${message}`);

const files = listSources(srcRoot);
const edges = new Map(files.map((file) => [file, new Set()]));

const runtimeEdges = new Map(files.map((file) => [file, new Set()]));

for (const file of files) {
  const from = layerOf(file);
  if (!from) {
    report(file, 1, "lies in no layer of DESIGN.md (add its folder to scripts/check-layers.mjs)");
  }
  for (const { specifier, line, typeOnly } of specifiersOf(readFileSync(file, "utf8"))) {
    let target;
    if (specifier.startsWith(".") || specifier.startsWith("/")) {
      target = resolveFile(resolve(dirname(file), specifier));
      if (!target) {
        report(file, line, `imports ${specifier} (unresolved)`);
        continue;
      }
      if (relative(srcRoot, target).startsWith("..")) {
        report(file, line, `imports ${specifier} (outside src/)`);
        continue;
      }
    } else if (isBuiltin(specifier)) {
      continue;
    } else if (isBrokerClient(specifier)) {
      if (relative(srcRoot, file).split(sep)[0] !== "connectors") {
        report(file, line, `imports ${specifier} (broker client outside src/connectors/)`);
      }
      continue;
    } else {
      target = selfReferenceTarget(specifier);
      if (target === undefined) continue;
      if (target === null || !existsSync(target)) {
        report(file, line, `imports ${specifier} (unresolved package subpath)`);
        continue;
      }
    }
    edges.get(file)?.add(target);
    if (!typeOnly) runtimeEdges.get(file)?.add(target);
    const to = layerOf(target);
    if (from && to && to.rank > from.rank) {
      report(file, line, `imports ${specifier} (layer ${from.name} -> layer ${to.name})`);
    }
  }
}

/** Strongly connected components (Tarjan) with more than one node, or a node importing itself. */
function cycles(graph) {
  let index = 0;
  const stack = [];
  const state = new Map();
  const components = [];
  const visit = (node) => {
    const s = { index, low: index, onStack: true };
    index++;
    state.set(node, s);
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const t = state.get(next);
      if (!t) {
        visit(next);
        s.low = Math.min(s.low, state.get(next).low);
      } else if (t.onStack) {
        s.low = Math.min(s.low, t.index);
      }
    }
    if (s.low === s.index) {
      const component = [];
      let member;
      do {
        member = stack.pop();
        state.get(member).onStack = false;
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || graph.get(node)?.has(node)) components.push(component);
    }
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return components.map((component) => ({
    loop: shortestLoop(graph, component),
    members: [...component].sort(),
  }));
}

/** One concrete loop through a component, starting from its first node in sorted order. */
function shortestLoop(graph, component) {
  const members = new Set(component);
  const start = [...component].sort()[0];
  const previous = new Map();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift();
    for (const next of graph.get(node) ?? []) {
      if (!members.has(next)) continue;
      if (next === start) {
        const loop = [start];
        for (let at = node; at !== start; at = previous.get(at)) loop.splice(1, 0, at);
        return [...loop, start];
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start, start];
}

/** A cycle group may hold several loops; name one and list the rest of the group. */
const describe = ({ loop, members }, name) => {
  const others = members.filter((member) => !loop.includes(member));
  const rest = others.length > 0 ? ` (same cycle group: ${others.map(name).join(", ")})` : "";
  return `${loop.map(name).join(" -> ")}${rest}`;
};
for (const cycle of cycles(runtimeEdges)) {
  violations.push(`import cycle: ${describe(cycle, show)}`);
}

// Folders of one layer (gen-server, agent, task; registry, table; ...) may use each other only
// while no cycle results between the folders themselves.
const conceptEdges = new Map();
for (const [file, targets] of edges) {
  const from = conceptOf(file);
  if (!conceptEdges.has(from)) conceptEdges.set(from, new Set());
  for (const target of targets) {
    const to = conceptOf(target);
    if (to !== from && layerOf(file)?.rank === layerOf(target)?.rank) {
      conceptEdges.get(from).add(to);
    }
  }
}
for (const cycle of cycles(conceptEdges)) {
  violations.push(`folder cycle within a layer: ${describe(cycle, String)}`);
}

if (violations.length > 0) {
  for (const violation of violations) console.error(violation);
  console.error(`check-layers: ${violations.length} violation(s) in ${files.length} file(s)`);
  process.exit(1);
}
console.log(`check-layers: ${files.length} file(s) under src/, no upward import, no cycle`);
