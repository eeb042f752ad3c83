// gradc/runtime (runtime/index.ts) is what generated modules import, in Node, in browsers and in Web
// Workers: nothing it reaches may import a Node built-in. (Files, MNIST and worker threads are
// gradc/runtime/node's.) The import graph is read with TypeScript's own pre-processor.
import { readFileSync } from "node:fs";
import path from "node:path";
import { ts } from "ts-morph"; // the TypeScript compiler API ts-morph bundles
import { describe, expect, it } from "vitest";

/** Every runtime file `entry` reaches through relative imports and re-exports, with the bare modules each names. */
function reach(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    const bare: string[] = [];
    seen.set(file, bare);
    for (const { fileName } of info.importedFiles) {
      if (fileName.startsWith(".")) visit(path.resolve(path.dirname(file), fileName.replace(/\.js$/, ".ts")));
      else bare.push(fileName);
    }
  };
  visit(path.resolve(entry));
  return seen;
}

describe("gradc/runtime in a browser", () => {
  it("runtime/index.ts reaches no Node built-in module", () => {
    const graph = reach("runtime/index.ts");
    expect(graph.size).toBeGreaterThan(15);
    const offending = [...graph].flatMap(([file, bare]) => bare.filter((m) => m.startsWith("node:") || ["fs", "path", "os", "url", "util", "worker_threads", "child_process"].includes(m)).map((m) => `${path.relative(".", file)} imports ${m}`));
    expect(offending).toEqual([]);
  });

  it("while runtime/node.ts does (the check would see one)", () => {
    const bare = [...reach("runtime/node.ts").values()].flat();
    expect(bare).toContain("node:fs");
  });
});
