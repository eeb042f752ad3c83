// plan(): which values get a loop of their own. Epilogues: an elementwise chain after a matmul or a
// convolution runs as each element is finished; slices and broadcasts are read in place.
import { describe, expect, it } from "vitest";
import * as cv from "../../compiler/dsl/conv.js";
import * as d from "../../compiler/dsl/core.js";
import * as ix from "../../compiler/dsl/indexing.js";
import { plan } from "../../compiler/lower/plan.js";
import { traceModel } from "../helpers/gradcheck.js";

const planOf = (build: () => { loss: ReturnType<typeof d.sum> }) => {
  const g = traceModel(build);
  return plan(g, [g.loss!]);
};

describe("plan", () => {
  it("conv2d → + bias → relu is one loop nest: the bias and relu are the convolution's epilogue", () => {
    const p = planOf(() => {
      const x = d.input("x", ["batch", 6, 6, 2]);
      const h = d.relu(d.add(cv.conv2d(x, d.param("K", [3, 3, 2, 4])), d.param("b", [4])));
      return { loss: d.sum(cv.maxPool2d(h, { size: 2 })) };
    });
    const conv = p.kernels.find((k) => k.producer?.op === "conv2d")!;
    expect(conv.kind).toBe("kernel");
    expect(conv.node.op).toBe("relu");
    expect(p.kernels.some((k) => k.node.op === "conv2d" || k.node.op === "add")).toBe(false);
  });
  it("an epilogue that reads a full-size tensor (a residual) keeps the convolution's own loop", () => {
    const p = planOf(() => {
      const x = d.input("x", ["batch", 4, 4, 2]);
      return { loss: d.sum(cv.maxPool2d(d.relu(d.add(cv.conv2d(x, d.param("K", [1, 1, 2, 2])), x)), { size: 2 })) };
    });
    expect(p.kernels.some((k) => k.node.op === "conv2d")).toBe(true);
    expect(p.kernels.some((k) => k.producer?.op === "conv2d")).toBe(false);
  });
  it("slices consumed by elementwise loops are read in place, not copied", () => {
    const p = planOf(() => {
      const g = d.matmul(d.input("x", ["batch", 3]), d.param("W", [3, 8]));
      return { loss: d.sum(d.mul(d.sigmoid(ix.slice(g, { end: 4 })), d.tanh(ix.slice(g, { start: 4 })))) };
    });
    expect(p.kernels.some((k) => k.node.op === "slice")).toBe(false);
    expect([...p.expanded].filter((n) => n.op === "slice")).toHaveLength(2);
  });
});
