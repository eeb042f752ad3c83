// One idea per file (issue 14 §4): no source file of the repository's own code over about 400 lines
// unless its header says why. Checked here so a file that grows past it is split, or explained, when it
// grows, not found years later: a file over LIMIT lines fails unless its header (the comment lines it
// opens with) has a sentence naming its length, "over 400 lines because …". Generated modules
// (*.gen.ts), declarations and tests are out of scope (a test file holds one subject's many cases).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
/** "About 400": a file a few lines over is not split for that alone. */
const LIMIT = 450;
const DIRS = ["compiler", "runtime", "bench", "playground", "scripts", "bin"];
const SKIP = new Set(["node_modules", "dist", ".out"]);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    if (SKIP.has(e)) return [];
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.(ts|js|mjs)$/.test(e) && !/\.(gen|d)\.ts$/.test(e) ? [p] : [];
  });
}

/** The comment lines a file opens with (after a #! line). */
function header(text: string): string {
  const lines = text.split("\n");
  const start = lines[0]?.startsWith("#!") ? 1 : 0;
  const out: string[] = [];
  for (const l of lines.slice(start)) {
    if (!/^\s*(\/\/|\/\*|\*)/.test(l)) break;
    out.push(l);
  }
  return out.join("\n");
}

describe("file sizes", () => {
  const files = DIRS.flatMap((d) => sources(join(root, d)));

  it("finds the sources (bench/run.ts, playground/src/main.ts, compiler/cli.ts among them)", () => {
    const names = files.map((f) => relative(root, f).split("\\").join("/"));
    expect(names).toEqual(expect.arrayContaining(["bench/run.ts", "playground/src/main.ts", "compiler/cli.ts", "runtime/index.ts"]));
  });

  it(`no source file is over ${LIMIT} lines without saying why in its header`, () => {
    const over = files
      .map((f) => ({ file: relative(root, f), text: readFileSync(f, "utf8") }))
      .map(({ file, text }) => ({ file, lines: text.split("\n").length - (text.endsWith("\n") ? 1 : 0), why: /over (about )?400 lines because/i.test(header(text)) }))
      .filter((f) => f.lines > LIMIT && !f.why)
      .map((f) => `${f.file}: ${f.lines} lines`);
    expect(over).toEqual([]);
  });
});
