// Every ```ts block of README.md and docs/*.md runs as a program and must exit 0: the manual is
// code. A block whose first line is `// not runnable` is skipped (fragments inside prose).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

const root = join(import.meta.dirname, "..");
const scratch = join(root, ".tmp", "docs");
const documents = [
  "README.md",
  ...(existsSync(join(root, "docs"))
    ? readdirSync(join(root, "docs"))
        .filter((f) => f.endsWith(".md"))
        .map((f) => `docs/${f}`)
    : []),
];

test("the manual has runnable examples", () => {
  const blocks = documents.flatMap((doc) => codeBlocks(readFileSync(join(root, doc), "utf8")));
  assert.ok(blocks.length > 0, "README.md and docs/ hold no ```ts example");
});

for (const doc of documents) {
  codeBlocks(readFileSync(join(root, doc), "utf8")).forEach((code, index) => {
    if (code.startsWith("// not runnable")) return;
    test(`${doc} example ${index + 1} runs`, () => {
      mkdirSync(scratch, { recursive: true });
      const file = join(scratch, `${doc.replace(/[/.]/g, "_")}_${index + 1}.ts`);
      writeFileSync(file, code);
      const run = spawnSync(
        process.execPath,
        ["--import", "tsx", "--conditions=beamish-source", file],
        {
          cwd: root,
          encoding: "utf8",
          timeout: 30_000,
        },
      );
      assert.equal(
        run.status,
        0,
        `exit ${run.status}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`,
      );
      // A crash inside a process does not fail the program, but it does fail the example.
      assert.doesNotMatch(run.stderr, /\[beamish\] process .* crashed/, run.stderr);
    });
  });
}

test("the manual's examples typecheck", () => {
  mkdirSync(scratch, { recursive: true });
  const files: string[] = [];
  for (const doc of documents) {
    codeBlocks(readFileSync(join(root, doc), "utf8")).forEach((code, index) => {
      if (code.startsWith("// not runnable")) return;
      const file = join(scratch, `typecheck_${doc.replace(/[/.]/g, "_")}_${index + 1}.ts`);
      // Each block is a module of its own, as it is when it runs.
      writeFileSync(
        file,
        code.includes("import ") || code.includes("export ") ? code : `${code}\nexport {};\n`,
      );
      files.push(file);
    });
  }
  const config = join(scratch, "tsconfig.json");
  writeFileSync(
    config,
    JSON.stringify({
      extends: "../../tsconfig.json",
      include: files,
      compilerOptions: { noEmit: true },
    }),
  );
  const tsc = spawnSync(
    process.execPath,
    [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", config],
    {
      cwd: root,
      encoding: "utf8",
      timeout: 120_000,
    },
  );
  assert.equal(tsc.status, 0, `${tsc.stdout}${tsc.stderr}`);
});

function codeBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
}
