// `gradc graph`, run in-process: formats, output to stdout or -o, --svg with and without a renderer,
// usage errors and model errors in the gradc style, and byte-for-byte deterministic output.
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { main, USAGE, type CliIO } from "../../compiler/cli.js";

const fixtures = fileURLToPath(new URL("../fixtures/models/", import.meta.url));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "gradc-graph-"));
  copyFileSync(path.join(fixtures, "simple.ts"), path.join(dir, "model.ts"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function run(argv: string[], extra: Partial<CliIO> = {}) {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    cwd: dir,
    ...extra,
  });
  return { code, stdout, stderr, first: stderr.split("\n")[0] };
}

const listing = () => readdirSync(dir).sort();

describe("text output", () => {
  test("Mermaid on stdout by default, the same bytes every time", async () => {
    const r = await run(["graph", "model.ts"]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toMatch(/^---\ntitle: "gradc graph of model \\"simple\\" \(model\.ts\): forward \(loss and outputs\), after optimization"\n---\nflowchart TB\n/);
    expect(r.stdout).toContain('["h1 = relu · [N,2]"]');
    expect(r.stdout).not.toContain("∂L/∂");
    expect((await run(["graph", "model.ts"])).stdout).toBe(r.stdout);
    expect(listing()).toEqual(["model.ts"]);
  });

  test("--format dot --backward --fused: gradients and kernel clusters", async () => {
    const r = await run(["graph", "model.ts", "--format", "dot", "--backward", "--fused"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\/\/ gradc graph of model "simple" \(model\.ts\): forward and backward \(one training step\), after optimization, grouped into the kernels the compiler generates\ndigraph gradc \{\n/);
    expect(r.stdout).toContain("subgraph cluster_k1 {");
    expect(r.stdout).toContain('label="∂L/∂W1 = matmul aᵀ·b · [1,2] · matmul\'"');
    expect(r.stdout.trimEnd().endsWith("}")).toBe(true);
  });

  test("-o writes the text atomically (no temporary file left) and prints nothing", async () => {
    const r = await run(["graph", "model.ts", "--backward", "-o", "out/graph.mmd"]);
    expect(r).toMatchObject({ code: 0, stdout: "", stderr: "" });
    const written = readFileSync(path.join(dir, "out/graph.mmd"), "utf8");
    expect(written).toBe((await run(["graph", "model.ts", "--backward"])).stdout);
    expect(readdirSync(path.join(dir, "out"))).toEqual(["graph.mmd"]);
  });

  test("--batch fixes the batch dimension in the shapes", async () => {
    const r = await run(["graph", "model.ts", "--batch", "4"]);
    expect(r.stdout).toContain("h1 = relu · [4,2]");
  });
});

describe("--svg", () => {
  test("renders DOT to <model>.graph.svg next to the model (--svg alone means DOT)", async () => {
    const r = await run(["graph", "model.ts", "--svg", "--fused"]);
    expect(r).toMatchObject({ code: 0, stdout: "", stderr: "" });
    expect(listing()).toEqual(["model.graph.svg", "model.ts"]);
    const svg = readFileSync(path.join(dir, "model.graph.svg"), "utf8");
    expect(svg).toMatch(/<svg [^]*<title>cluster_k1<\/title>[^]*<\/svg>/);
  });

  test("-o names the picture; the renderer receives the DOT text", async () => {
    let given = "";
    const r = await run(["graph", "model.ts", "--format", "dot", "--svg", "-o", "pic.svg"], {
      renderSvg: async (dot) => {
        given = dot;
        return { svg: "<svg>stand-in</svg>\n" };
      },
    });
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(dir, "pic.svg"), "utf8")).toBe("<svg>stand-in</svg>\n");
    expect(given).toBe((await run(["graph", "model.ts", "--format", "dot"])).stdout);
  });

  test("with no renderer at all: a note, and the DOT text on stdout; no file", async () => {
    const r = await run(["graph", "model.ts", "--svg", "-o", "pic.svg"], { renderSvg: async () => null });
    expect(r.code).toBe(0);
    expect(r.first).toMatch(/^note: cannot render SVG: Graphviz's dot is not on PATH/);
    expect(r.stdout).toMatch(/^\/\/ gradc graph[^]*digraph gradc \{/);
    expect(listing()).toEqual(["model.ts"]);
  });

  test("with Mermaid: a note that only DOT is rendered, and the Mermaid text", async () => {
    const r = await run(["graph", "model.ts", "--format", "mermaid", "--svg"]);
    expect(r.code).toBe(0);
    expect(r.first).toMatch(/^note: --svg renders Graphviz DOT only/);
    expect(r.stdout).toContain("flowchart TB");
    expect(listing()).toEqual(["model.ts"]);
  });
});

describe("errors", () => {
  test("a bad --format is a usage error GC3002, exit 2, nothing written", async () => {
    const r = await run(["graph", "model.ts", "--format", "png", "-o", "g.txt"]);
    expect(r.code).toBe(2);
    expect(r.first).toBe("gradc: error GC3002: option '--format' must be mermaid or dot, got 'png'");
    expect(r.stdout).toBe("");
    expect(listing()).toEqual(["model.ts"]);
  });

  test("options of other commands are refused", async () => {
    const r = await run(["graph", "model.ts", "--param", "W1"]);
    expect(r.code).toBe(2);
    expect(r.first).toBe("gradc: error GC3002: option '--param' does not apply to graph");
    expect((await run(["compile", "model.ts", "--fused"])).first).toBe("gradc: error GC3002: option '--fused' does not apply to compile");
  });

  test("a model error is a diagnostic at its line, exit 1, nothing written", async () => {
    copyFileSync(path.join(fixtures, "shapeMismatch.ts"), path.join(dir, "model.ts"));
    const r = await run(["graph", "model.ts", "--svg"]);
    expect(r.code).toBe(1);
    expect(r.first).toBe("model.ts:7:15 - error GC2001: matmul: inner dimensions differ: [batch, 3] · [2, 1] (3 vs 2)");
    expect(listing()).toEqual(["model.ts"]);
  });

  test("the output may not be the model itself", async () => {
    const r = await run(["graph", "model.ts", "-o", "model.ts"]);
    expect(r.code).toBe(2);
    expect(r.first).toMatch(/GC3002: the output model\.ts is the model file itself/);
  });
});

test("the help lists the command and its options", () => {
  expect(USAGE).toContain("gradc graph <model.ts> [--format mermaid|dot] [--backward] [--fused] [--svg] [-o <file>] [--batch N]");
  expect(USAGE).toMatch(/--fused\s+graph: group the nodes into the kernels the compiler generates/);
});
