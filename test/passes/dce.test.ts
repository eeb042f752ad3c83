// dce: only what the roots reach stays (loss, outputs, gradients, and every declared input and
// parameter, used or not); the count is the number of nodes removed.

import { describe, expect, it } from "vitest";
import { grad } from "../../compiler/autodiff/grad.js";
import * as d from "../../compiler/dsl/core.js";
import type { Graph } from "../../compiler/ir/graph.js";
import type { Node } from "../../compiler/ir/node.js";
import { printGraph } from "../../compiler/ir/print.js";
import { dce } from "../../compiler/passes/dce.js";
import { expectPreserved, opsOf, runPass, traced } from "./util.js";
import { nonEmpty } from "../helpers/nonEmpty.js";

/** A traced graph plus nodes built in the same builder that no root reaches, spliced into its node list. */
function withDeadNodes(): { g: Graph; dead: Node[] } {
  const dead: Node[] = [];
  const g = traced(() => {
    const x = d.input("x", ["batch", 2]);
    const W = d.param("W", [2, 2]);
    const h = d.tanh(d.matmul(x, W));
    const c = d.scalar(3.25);
    const m = d.mul(h, c);
    const e = d.exp(m);
    dead.push(c, m, e); // computed, never used
    return { loss: d.mean(h), outputs: { h } };
  });
  const nodes = [...g.nodes, ...dead].sort((a, b) => a.id - b.id);
  return { g: { ...g, nodes }, dead };
}

describe("dce", () => {
  it("removes unreachable nodes and counts them", () => {
    const { g, dead } = withDeadNodes();
    const r = runPass(dce, g, "dce");
    expect(r.changes).toBe(3);
    expect(r.graph.nodes).toHaveLength(g.nodes.length - 3);
    for (const n of nonEmpty(dead, "dead nodes", 3)) expect(r.graph.nodes).not.toContain(n);
    expect(opsOf(r.graph)).not.toContain("exp");
    expectPreserved(g, r.graph);
  });

  it("keeps the surviving nodes themselves, in order (no rebuild)", () => {
    const { g, dead } = withDeadNodes();
    const r = runPass(dce, g);
    expect(r.graph.nodes).toEqual(g.nodes.filter((n) => !dead.includes(n)));
  });

  it("keeps declared inputs and parameters even when nothing uses them", () => {
    const g = traced(() => {
      const x = d.input("x", ["batch", 2]);
      d.input("unusedInput", ["batch", 5]);
      const W = d.param("W", [2, 1]);
      d.param("unusedParam", [4]);
      return { loss: d.sum(d.matmul(x, W)) };
    });
    const joint = grad(g);
    const r = runPass(dce, joint);
    expect(r.changes).toBe(0);
    expect(r.graph.inputs.map((n) => n.attrs.name)).toEqual(["x", "unusedInput"]);
    expect(r.graph.nodes.filter((n) => n.op === "param").map((n) => n.attrs.name)).toEqual(["W", "unusedParam"]);
    expect(printGraph(r.graph)).toBe(printGraph(joint));
  });

  it("keeps everything gradients reach after grad", () => {
    const { g } = withDeadNodes();
    const joint = grad(g);
    const r = runPass(dce, { ...joint });
    expect(r.changes).toBe(0);
    expectPreserved(joint, r.graph);
  });
});
