// The layers of the house, checked from the sources' import statements (tests excluded):
// - no import circle among the files of compiler/ and runtime/ (a circle ties its files into one
//   unit: none can be loaded, tested or understood without the others);
// - compiler/ir imports nothing above it (dsl/, ops/, autodiff/, passes/, lower/, emit/, frontend/);
// - compiler/ops imports only ir/ (with its ambient builder, ir/context.ts), other op files and runtime/:
//   derivative rules are handed the graph-building functions they use, never import compiler/dsl;
// - compiler/dsl (what model.ts runs) imports no autodiff, pass, lowering or emitter, and not the registry;
// - only the layers above the ops import the registry (compiler/ops/index.ts): no op file, no ir/, dsl/
//   or autodiff/ file (a node carries its op: compiler/ops/op.ts's opOf);
// - runtime/ imports nothing from compiler/ (generated modules import the runtime, never the compiler).
// Type-only imports count: a layer that names a higher layer's types depends on it as much.
// The imports are read with TypeScript's own preProcessFile (ts-morph's copy), so every form counts:
// `import … from`, `export … from`, `import type`, dynamic `import("…")`.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ts } from "ts-morph";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const rel = (f: string) => relative(root, f).split("\\").join("/");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith(".ts") && !p.endsWith(".d.ts") ? [p] : [];
  });
}

/** The modules one source file names: relative ones as repository paths (`.js` names the `.ts`), and bare ones (packages, `node:…`) as written. */
function importsOf(file: string): { files: string[]; bare: string[] } {
  const names = ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles.map((i) => i.fileName);
  return {
    files: names.filter((s) => s.startsWith(".")).map((s) => rel(resolve(dirname(file), s.replace(/\.js$/, ".ts")))),
    bare: names.filter((s) => !s.startsWith(".")),
  };
}

/** Each source file of compiler/ and runtime/ → the source files it imports. */
export function importGraph(): Map<string, string[]> {
  const files = [...sources(join(root, "compiler")), ...sources(join(root, "runtime"))];
  const known = new Set(files.map(rel));
  const graph = new Map<string, string[]>();
  for (const file of files) graph.set(rel(file), [...new Set(importsOf(file).files.filter((t) => known.has(t)))].sort());
  return graph;
}

/** The bare modules (packages, Node built-ins) named by each file `entry` reaches through `graph`. */
export function reachedBareImports(graph: ReadonlyMap<string, readonly string[]>, entry: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const visit = (f: string) => {
    if (out.has(f)) return;
    out.set(f, importsOf(join(root, f)).bare);
    for (const t of graph.get(f) ?? []) visit(t);
  };
  visit(entry);
  return out;
}

/** The import circles: each strongly connected component of more than one file (or a file importing itself), as one circle through it. */
export function circles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  // Tarjan's algorithm, iterative so a deep chain of imports cannot overflow the stack.
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>(), onStack = new Set<string>();
  const stack: string[] = [], components: string[][] = [];
  for (const start of [...graph.keys()].sort()) {
    if (idx.has(start)) continue;
    const work: [string, number][] = [[start, 0]];
    idx.set(start, index); low.set(start, index++); stack.push(start); onStack.add(start);
    while (work.length) {
      const top = work[work.length - 1]!;
      const [v, k] = top;
      const next = graph.get(v) ?? [];
      if (k < next.length) {
        top[1]++;
        const w = next[k]!;
        if (!idx.has(w)) {
          idx.set(w, index); low.set(w, index++); stack.push(w); onStack.add(w);
          work.push([w, 0]);
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
        continue;
      }
      work.pop();
      if (work.length) { const u = work[work.length - 1]![0]; low.set(u, Math.min(low.get(u)!, low.get(v)!)); }
      if (low.get(v) === idx.get(v)) {
        const c: string[] = [];
        let w: string;
        do { w = stack.pop()!; onStack.delete(w); c.push(w); } while (w !== v);
        if (c.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(c.sort());
      }
    }
  }
  // One readable circle per component: the shortest path back to its first file.
  return components.map((c) => {
    const inC = new Set(c), first = c[0]!;
    const from = new Map<string, string>();
    const queue = [first];
    while (queue.length) {
      const v = queue.shift()!;
      for (const w of graph.get(v) ?? []) {
        if (!inC.has(w)) continue;
        if (w === first) {
          const path = [first];
          for (let x = v; x !== first; x = from.get(x)!) path.splice(1, 0, x);
          return [...path, first, `(${c.length} files in this knot: ${c.join(", ")})`];
        }
        if (!from.has(w)) { from.set(w, v); queue.push(w); }
      }
    }
    return c;
  });
}

/** Imports that break a layer rule: `from → to` for every `from` under `layer` importing a file under a forbidden folder. */
export function layerViolations(graph: ReadonlyMap<string, readonly string[]>, layer: string, forbidden: readonly string[]): string[] {
  const out: string[] = [];
  for (const [from, tos] of graph) {
    if (!from.startsWith(layer)) continue;
    for (const to of tos) if (forbidden.some((f) => to.startsWith(f))) out.push(`${from} → ${to}`);
  }
  return out.sort();
}

describe("the layers hold", () => {
  const graph = importGraph();

  it("reads the imports it checks (a file with known imports is found)", () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get("compiler/ir/graph.ts")).toContain("compiler/ir/node.ts");
    expect(graph.get("runtime/index.ts")?.length).toBeGreaterThan(0);
  });

  it("the circle finder finds a circle and names it, and passes a graph without one", () => {
    const g = new Map([["a.ts", ["b.ts"]], ["b.ts", ["c.ts"]], ["c.ts", ["a.ts", "d.ts"]], ["d.ts", []], ["e.ts", ["e.ts"]]]);
    const found = circles(g);
    expect(found.map((c) => c.slice(0, -1))).toEqual([["a.ts", "b.ts", "c.ts", "a.ts"], ["e.ts", "e.ts"]]);
    expect(circles(new Map([["a.ts", ["b.ts"]], ["b.ts", []]]))).toEqual([]);
  });

  it("has no import circle in compiler/ or runtime/", () => {
    const found = circles(graph);
    expect(found.map((c) => c.join(" → ")).join("\n")).toBe("");
  });

  it("compiler/ir imports nothing above it", () => {
    const above = ["dsl/", "ops/", "autodiff/", "passes/", "lower/", "emit/", "frontend/", "explain/", "graph/", "export/", "box/"].map((d) => `compiler/${d}`);
    expect(layerViolations(graph, "compiler/ir/", above)).toEqual([]);
  });

  it("compiler/ops imports only ir/, other op files and runtime/", () => {
    const others = [...new Set([...graph.keys()].map((f) => f.split("/").slice(0, 2).join("/") + "/"))].filter((d) => !["compiler/ir/", "compiler/ops/", "runtime/"].includes(d));
    expect(others).toContain("compiler/dsl/");
    expect(layerViolations(graph, "compiler/ops/", [...others, "compiler/diagnostics.ts", "compiler/pipeline.ts"])).toEqual([]);
  });

  it("compiler/dsl imports no autodiff, pass, lowering, emitter or frontend", () => {
    const above = ["autodiff/", "passes/", "lower/", "emit/", "frontend/", "explain/", "export/", "box/"].map((d) => `compiler/${d}`);
    expect(layerViolations(graph, "compiler/dsl/", above)).toEqual([]);
  });

  it("the registry (compiler/ops/index.ts) is imported by no op file, nor by ir/, dsl/ or autodiff/", () => {
    const importers = [...graph].filter(([, tos]) => tos.includes("compiler/ops/index.ts")).map(([from]) => from);
    expect(importers.length).toBeGreaterThan(0); // the entry points and the layers above do import it
    expect(importers.filter((f) => ["compiler/ops/", "compiler/ir/", "compiler/dsl/", "compiler/autodiff/"].some((d) => f.startsWith(d)))).toEqual([]);
  });

  it("runtime/ imports nothing from compiler/", () => {
    expect(layerViolations(graph, "runtime/", ["compiler/"])).toEqual([]);
  });

  // gradc/runtime is what generated modules import in Node, browsers and Web Workers (files, MNIST and
  // worker threads are gradc/runtime/node's).
  it("gradc/runtime (runtime/index.ts) reaches no Node built-in; gradc/runtime/node does", () => {
    const builtin = (m: string) => m.startsWith("node:") || ["fs", "path", "os", "url", "util", "worker_threads", "child_process"].includes(m);
    const reached = reachedBareImports(graph, "runtime/index.ts");
    expect(reached.size).toBeGreaterThan(15);
    expect([...reached].flatMap(([f, bare]) => bare.filter(builtin).map((m) => `${f} imports ${m}`))).toEqual([]);
    expect([...reachedBareImports(graph, "runtime/node.ts").values()].flat().filter(builtin)).toContain("node:fs");
  });
});
