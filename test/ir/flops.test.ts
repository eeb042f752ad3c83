// Flop counts: the standard 2·M·N·K for a matmul, the same dot-product count for convolutions and their
// gradients, and T times the body for a scan.
import { describe, expect, it } from "vitest";
import { grad } from "../../compiler/autodiff/grad.js";
import * as cv from "../../compiler/dsl/conv.js";
import * as d from "../../compiler/dsl/core.js";
import { scan } from "../../compiler/dsl/scan.js";
import { flops } from "../../compiler/ir/flops.js";
import type { Node } from "../../compiler/ir/node.js";
import type { ScanAttrs } from "../../compiler/ops/scan.js";
import { traceModel } from "../helpers/gradcheck.js";

const only = (g: ReturnType<typeof traceModel>, op: string) => ({ ...g, nodes: g.nodes.filter((n) => n.op === op) });

describe("flops", () => {
  it("matmul: 2·M·N·K with the batch counted", () => {
    const g = traceModel(() => ({ loss: d.sum(d.matmul(d.input("x", ["batch", 3]), d.param("W", [3, 5]))) }));
    expect(flops(only(g, "matmul"), 64)).toBe(2 * 64 * 5 * 3);
  });
  it("conv2d and both of its gradients: 2 · outputs · kh·kw·Cin each", () => {
    // x + X: the input gets a gradient too (∂x, conv2dBackwardInput)
    const g = grad(traceModel(() => ({ loss: d.sum(cv.conv2d(d.add(d.input("x", ["batch", 6, 6, 2]), d.param("X", [6, 6, 2])), d.param("w", [3, 3, 2, 4]))) })));
    const perConv = 2 * (10 * 4 * 4 * 4) * (3 * 3 * 2);
    expect(flops(only(g, "conv2d"), 10)).toBe(perConv);
    expect(flops(only(g, "conv2dBackwardFilter"), 10)).toBe(perConv);
    expect(flops(only(g, "conv2dBackwardInput"), 10)).toBe(perConv);
  });
  it("scan: T times its body", () => {
    const g = traceModel(() => {
      const xs = d.input("xs", ["batch", 7, 2]);
      const W = d.param("W", [2, 3]);
      const r = scan((h: Node, x: Node) => ({ carry: d.tanh(d.add(h, d.matmul(x, W))) }), d.zeros(["batch", 3]), xs);
      return { loss: d.sum(r.carry) };
    });
    const s = g.nodes.find((n) => n.op === "scan")!;
    const body = (s.attrs as unknown as ScanAttrs).body.graph;
    expect(flops(body, 4)).toBeGreaterThan(2 * 4 * 3 * 2);
    expect(flops(only(g, "scan"), 4)).toBe(7 * flops(body, 4));
  });
});
