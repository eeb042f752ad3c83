// verify: graph invariants. Each bad graph here is built by hand (node literals, so no shape rule or
// hash-consing gets in the way) and must be refused with a message naming the problem.

import { describe, expect, it } from "vitest";
import { grad } from "../../compiler/autodiff/grad.js";
import * as d from "../../compiler/dsl/core.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { noLoc } from "../../compiler/ir/loc.js";
import type { Attrs, Node } from "../../compiler/ir/node.js";
import type { Shape } from "../../compiler/ir/shape.js";
import { verify } from "../../compiler/ir/verify.js";
import { getOp } from "../../compiler/ops/index.js";
import { traced } from "../passes/util.js";

const node = (id: number, op: string, inputs: Node[], shape: Shape, attrs: Attrs = {}): Node => ({ id, op, def: getOp(op), inputs, attrs, shape, dtype: "f", loc: noLoc });
const param = (id: number, name: string, shape: number[]) => node(id, "param", [], shape, { name, shape, init: { kind: "zeros" } });

const graph = (nodes: Node[], parts: Partial<Graph> = {}): Graph => ({
  name: "bad",
  batchDim: null,
  inputs: [],
  params: nodes.filter((n) => n.op === "param"),
  loss: null,
  outputs: [],
  grads: [],
  nodes,
  ...parts,
});

describe("verify accepts", () => {
  it("traced and differentiated graphs", () => {
    const g = traced(() => {
      const x = d.input("x", ["batch", 3]);
      const W = d.param("W", [3, 2]);
      const out = d.tanh(d.matmul(x, W));
      return { loss: d.mse(out, d.input("y", ["batch", 2])), outputs: { out } };
    });
    expect(() => verify(g, "trace")).not.toThrow();
    expect(() => verify(grad(g), "grad")).not.toThrow();
  });

  it("a hand-built graph that is right", () => {
    const p = param(0, "p", [2, 3]);
    const e = node(1, "exp", [p], [2, 3]);
    const s = node(2, "sum", [e], [], { axis: null, keepdims: false });
    const dp = node(3, "mul", [e, e], [2, 3]);
    expect(() => verify(graph([p, e, s, dp], { loss: s, grads: [["p", dp]] }))).not.toThrow();
  });
});

describe("verify refuses", () => {
  it("a node whose shape disagrees with its op's rule", () => {
    const p = param(0, "p", [2, 3]);
    const q = param(1, "q", [3]);
    const bad = node(2, "add", [p, q], [3, 2]);
    expect(() => verify(graph([p, q, bad], { outputs: [["o", bad]] }), "simplify")).toThrow(
      "verify after simplify: add#2 has shape [3, 2], its rule gives [2, 3]",
    );
  });

  it("a reduction with the wrong keepdims shape", () => {
    const p = param(0, "p", [2, 3]);
    const bad = node(1, "sum", [p], [2], { axis: 1, keepdims: true });
    expect(() => verify(graph([p, bad]))).toThrow(/sum#1 has shape \[2\], its rule gives \[2, 1\]/);
  });

  it("a node that uses an input defined after it", () => {
    const p = param(0, "p", [2]);
    const later = node(2, "exp", [p], [2]);
    const early = node(1, "neg", [later], [2]); // reads %2 although it is %1
    expect(() => verify(graph([p, early, later], { outputs: [["o", early]] }), "cse")).toThrow("verify after cse: neg#1 uses a later node exp#2");
  });

  it("a node list out of order", () => {
    const p = param(0, "p", [2]);
    const e = node(1, "exp", [p], [2]);
    expect(() => verify(graph([e, p]))).toThrow("nodes out of order at param#0");
  });

  it("an input that is not in the graph at all", () => {
    const p = param(0, "p", [2]);
    const ghost = param(1, "ghost", [2]);
    const e = node(2, "mul", [p, ghost], [2]);
    expect(() => verify(graph([p, e]))).toThrow("mul#2 uses param#1, which is not in the graph");
  });

  it("a gradient of the wrong shape", () => {
    const W = param(0, "W", [2, 3]);
    const s = node(1, "sum", [W], [], { axis: null, keepdims: false });
    const Wt = node(2, "transpose", [W], [3, 2], { perm: [1, 0] });
    const dW = node(3, "exp", [Wt], [3, 2]); // every node is right, only the root is the wrong shape
    expect(() => verify(graph([W, s, Wt, dW], { loss: s, grads: [["W", dW]] }), "grad")).toThrow(
      'verify after grad: gradient of "W" has shape [3, 2], the parameter [2, 3]',
    );
  });

  it("a gradient for a parameter that does not exist", () => {
    const W = param(0, "W", [2]);
    const s = node(1, "sum", [W], [], { axis: null, keepdims: false });
    expect(() => verify(graph([W, s], { loss: s, grads: [["V", W]] }))).toThrow('gradient for unknown parameter "V"');
  });

  it("a loss that is not a scalar", () => {
    const W = param(0, "W", [2]);
    const e = node(1, "exp", [W], [2]);
    expect(() => verify(graph([W, e], { loss: e }))).toThrow("the loss is not a scalar");
  });
});
