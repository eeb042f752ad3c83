// printGraph: one stable text form, `%k = op(inputs) {attrs} : shape  # name`, numbered locally in
// node order, then the roots.

import { describe, expect, it } from "vitest";
import { grad } from "../../compiler/autodiff/grad.js";
import * as d from "../../compiler/dsl/core.js";
import { makeGraph } from "../../compiler/ir/graph.js";
import { noLoc } from "../../compiler/ir/loc.js";
import { Builder } from "../../compiler/ir/node.js";
import { printGraph } from "../../compiler/ir/print.js";
import { rebuild } from "../../compiler/passes/rewrite.js";
import { getOp } from "../../compiler/ops/index.js";
import { traced } from "../passes/util.js";
import { nonEmpty } from "../helpers/nonEmpty.js";

const linear = () =>
  traced(() => {
    const x = d.input("x", ["batch", 2]);
    const W = d.param("W", [2, 1], { init: "zeros" });
    const out = d.matmul(x, W);
    return { loss: d.sum(out), outputs: { out } };
  }, { name: "linear" });

describe("printGraph", () => {
  it("prints one line per node and the roots", () => {
    expect(printGraph(linear())).toBe(
      [
        '%0 = input() {"dtype":"f","name":"x","shape":["batch",2]} : [batch, 2]  # x',
        '%1 = param() {"init":{"kind":"zeros"},"name":"W","shape":[2,1]} : [2, 1]  # W',
        '%2 = matmul(%0, %1) {"transA":false,"transB":false} : [batch, 1]',
        '%3 = sum(%2) {"axis":null,"keepdims":false} : []',
        "loss = %3",
        'output "out" = %2',
        "",
      ].join("\n"),
    );
  });

  it("prints gradients as roots, and numbers nodes locally (ids need not start at 0)", () => {
    const g = grad(linear());
    const text = printGraph(g);
    expect(text).toMatch(/^grad "W" = %\d+$/m);
    const lines = text.trim().split("\n").filter((l) => l.startsWith("%"));
    nonEmpty(lines, "node lines").forEach((l, k) => expect(l.startsWith(`%${k} = `)).toBe(true));
    // A rebuild into a fresh builder renumbers ids but prints the same text.
    expect(printGraph(rebuild(g).graph)).toBe(text);
  });

  it("is deterministic: tracing twice prints the same bytes", () => {
    expect(printGraph(grad(linear()))).toBe(printGraph(grad(linear())));
  });

  it("prints attrs with sorted keys, whatever order they were written in; omits empty attrs", () => {
    const b = new Builder();
    const p = b.make(getOp("param"), [], { shape: [2], name: "p", init: { kind: "zeros" } }, noLoc, "p");
    const e = b.make(getOp("exp"), [p], {}, noLoc, "e");
    const s = b.make(getOp("sum"), [e], { keepdims: false, axis: 0 }, noLoc);
    const g = makeGraph({ name: "g", batchDim: null, inputs: [], params: [p], loss: s, outputs: [["e", e]], grads: [] });
    expect(printGraph(g)).toBe(
      [
        '%0 = param() {"init":{"kind":"zeros"},"name":"p","shape":[2]} : [2]  # p',
        "%1 = exp(%0) : [2]  # e",
        '%2 = sum(%1) {"axis":0,"keepdims":false} : []',
        "loss = %2",
        'output "e" = %1',
        "",
      ].join("\n"),
    );
  });

  it("keeps −0 and ±∞ constants apart in text", () => {
    const b = new Builder();
    const consts = [0, -0, Infinity, -Infinity].map((value) => b.make(getOp("const"), [], { value }, noLoc));
    const g = makeGraph({ name: "c", batchDim: null, inputs: [], params: [], loss: null, outputs: consts.map((c, k) => [`c${k}`, c] as const), grads: [] });
    const text = printGraph(g);
    expect(text).toContain('%0 = const() {"value":0} : []');
    expect(text).toContain('%1 = const() {"value":-0} : []');
    expect(text).toContain('%2 = const() {"value":Infinity} : []');
    expect(text).toContain('%3 = const() {"value":-Infinity} : []');
  });
});
