// What `gradc graph` draws: the nodes of the generated pass, edges in data-flow direction, gradients
// only with --backward, and clusters that are exactly plan()'s kernels, labelled with the comment the
// emitted module carries above each kernel.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { evaluatePass, passPlan, trainPass } from "../../compiler/emit/passGraphs.js";
import { nodeLabel, opText, shapeText } from "../../compiler/graph/labels.js";
import { getOp } from "../../compiler/ops/index.js";
import { root } from "../examples/util.js";
import { EXAMPLES, exampleDrawing, MODES, modeName, optimizedExample } from "./drawings.js";
import { nonEmpty } from "../helpers/nonEmpty.js";

describe.each(EXAMPLES)("examples/%s", (name) => {
  test.each(MODES.map((m) => [modeName(m), m] as const))("%s: nodes, edges and roles are those of the pass", async (_, mode) => {
    const optimized = await optimizedExample(name);
    const pass = mode.backward ? trainPass(optimized) : evaluatePass(optimized);
    const p = passPlan(pass);
    const d = await exampleDrawing(name, mode);

    expect(d.nodes.map((n) => n.key)).toEqual(p.nodes.map((n) => `n${n.id}`));
    expect(d.edges.length).toBe(p.nodes.reduce((k, n) => k + n.inputs.length, 0));
    const keys = new Set(d.nodes.map((n) => n.key));
    const order = new Map(d.nodes.map((n, i) => [n.key, i]));
    for (const e of d.edges) {
      expect(keys.has(e.from) && keys.has(e.to)).toBe(true);
      expect(order.get(e.from)!).toBeLessThan(order.get(e.to)!); // data flows from producer to consumer
    }

    const count = (role: string) => d.nodes.filter((n) => n.role === role).length;
    expect(count("loss")).toBe(1);
    expect(d.nodes.find((n) => n.role === "loss")!.label).toMatch(/^L = /);
    expect(count("input")).toBeGreaterThan(0);
    expect(count("param")).toBe(pass.graph.params.filter((q) => p.nodes.includes(q)).length);
    if (mode.backward) {
      // One node per gradient value (two parameters may share one: an LSTM's two biases), named by each.
      expect(count("paramGradient")).toBe(new Set(pass.graph.grads.map(([, n]) => n)).size);
      for (const [param] of nonEmpty(pass.graph.grads, "gradients")) expect(d.nodes.some((n) => n.role === "paramGradient" && n.label.includes(`∂L/∂${param} = `))).toBe(true);
      expect(count("gradient")).toBeGreaterThan(0);
      expect(d.edges.some((e) => e.backward)).toBe(true);
    } else {
      expect(count("gradient") + count("paramGradient")).toBe(0);
      expect(d.edges.some((e) => e.backward)).toBe(false);
      expect(count("output") + (pass.graph.outputs.some(([, o]) => o === pass.graph.loss) ? 1 : 0)).toBe(new Set(pass.graph.outputs.map(([, o]) => o)).size);
    }
    expect(d.title).toContain(mode.backward ? "forward and backward" : "forward (loss and outputs)");
  });

  test.each(MODES.filter((m) => m.fused).map((m) => [modeName(m), m] as const))("%s: one cluster per kernel of plan(), labelled as the emitted comment", async (_, mode) => {
    const optimized = await optimizedExample(name);
    const pass = mode.backward ? trainPass(optimized) : evaluatePass(optimized);
    const p = passPlan(pass);
    const d = await exampleDrawing(name, mode);

    expect(d.clusters.map((c) => c.key)).toEqual(p.kernels.map((_, i) => `k${i + 1}`));
    // Each kernel's stored node is in its own cluster, and no node is in two clusters.
    nonEmpty(p.kernels, "kernels").forEach((k, i) => expect(d.clusters[i]!.members).toContain(`n${k.node.id}`));
    const clustered = d.clusters.flatMap((c) => c.members);
    expect(new Set(clustered).size).toBe(clustered.length);
    // Every node with a loop of its own or inside another's is in a cluster; only leaves, views and
    // index-arithmetic broadcasts stay outside.
    const inCluster = new Set(clustered);
    for (const n of nonEmpty(p.nodes, "nodes")) {
      const kind = getOp(n.op).kind;
      if (p.inline.has(n)) expect(inCluster.has(`n${n.id}`)).toBe(true);
      if (!inCluster.has(`n${n.id}`)) expect(kind === "leaf" || kind === "view" || n.op === "broadcastTo" || n.op === "onehot").toBe(true);
    }

    // The cluster's math is the comment the generated module writes above that kernel, in the section
    // of the pass drawn (the examples' committed modules are the compiler's output).
    const code = readFileSync(path.join(root, "examples", name, "model.gen.ts"), "utf8");
    const section = (heading: string) => {
      const start = code.indexOf(heading);
      expect(start, heading).toBeGreaterThanOrEqual(0);
      const end = code.indexOf("// ════", start + heading.length);
      return code.slice(start, end < 0 ? undefined : end);
    };
    // The evaluation pass calls the forward pass and then computes the loss: its kernels are in both sections.
    // So does the training pass, where the mode makes no difference (emit/sharedForward.ts).
    const training = pass.forwardFirst ? section("// ════ forward pass") + section("// ════ training pass") : section("// ════ training pass");
    const comments = (mode.backward ? training : section("// ════ forward pass") + section("// ════ evaluation pass"))
      .split("\n")
      .map((l) => l.trim());
    for (const c of nonEmpty(d.clusters, "clusters")) {
      const math = `// ${c.label[0]}`;
      expect(comments.some((l) => l === math || l.startsWith(`${math}   (`)), `${c.key}: ${math}`).toBe(true);
      expect(c.label[1]).toMatch(new RegExp(`^kernel ${c.key.slice(1)} · `));
    }
  });
});

test("labels: name = op · shape, the batch as N, the derivative rule on gradients", async () => {
  const d = await exampleDrawing("simple", { backward: true, fused: false });
  const labels = d.nodes.map((n) => n.label);
  expect(labels).toContain("x = input · [N,1]");
  expect(labels).toContain("W1 = param · [1,2]");
  expect(labels).toContain("h1 = relu · [N,2]");
  expect(labels).toContain("out = add · [N,1]");
  expect(labels).toContain("L = div · scalar");
  expect(labels).toContain("∂L/∂W1 = matmul aᵀ·b · [1,2] · matmul'");
  expect(labels).toContain("dh1 = matmul a·bᵀ · [N,2] · matmul'");
  expect(labels).toContain("N");
  expect(d.nodes.find((n) => n.label === "h1 = relu · [N,2]")!.where).toBe("model.ts:11:14");
  expect(shapeText([])).toBe("scalar");
  expect(shapeText(["batch", 28, 28, 1])).toBe("[N,28,28,1]");
  expect(shapeText([64, 10])).toBe("[64,10]");
});

test("reductions name their axis; plain ops their name", async () => {
  const optimized = await optimizedExample("simple");
  const g = trainPass(optimized).graph;
  const db1 = g.grads.find(([p]) => p === "b1")![1];
  expect(opText(db1)).toBe("sum axis 0");
  expect(nodeLabel(db1, undefined, true)).toBe("sum axis 0 · [2] · add'");
  expect(nodeLabel(db1, undefined, false)).toBe("sum axis 0 · [2]");
});

test("a fixed batch is drawn as its number", async () => {
  const { loadModel } = await import("../../compiler/frontend/load.js");
  const { optimize } = await import("../../compiler/pipeline.js");
  const { drawing } = await import("../../compiler/graph/model.js");
  const { exampleModel } = await import("../examples/util.js");
  const g = optimize(await loadModel(exampleModel("simple"), { batch: 4 })).graph;
  const labels = drawing(g, { source: "model.ts" }).nodes.map((n) => n.label);
  expect(labels).toContain("h1 = relu · [4,2]");
  expect(labels.some((l) => l.includes("[N"))).toBe(false);
});

describe("evaluatePass: the evaluation pass's results", () => {
  test("the loss, the outputs, and the forward values the loss reads beyond them (xor: one), each once", async () => {
    const pass = evaluatePass(await optimizedExample("xor"));
    const outputs = pass.graph.outputs.map(([, n]) => n);
    expect(pass.roots[0]).toBe(pass.graph.loss);
    expect(pass.roots.slice(1, 1 + outputs.length)).toEqual(outputs);
    const cut = pass.roots.slice(1 + outputs.length);
    expect(cut).toHaveLength(1);
    for (const n of cut) expect(outputs).not.toContain(n);
    expect(new Set(pass.roots).size).toBe(pass.roots.length);
  });
});
