// compiler/ir/rows.ts: which losses are a mean over the batch of per-row terms (a batch may be split
// into shards) and which mix rows, with the op and why. On traced graphs; the generated spec and the
// parallel trainer's refusal, with the model.ts place of the op, in test/runtime/parallelRows.test.ts
// (traced here, outside a model file, nodes have no place: the reason ends with the op alone).
import { describe, expect, it } from "vitest";
import * as cv from "../../compiler/dsl/conv.js";
import * as d from "../../compiler/dsl/core.js";
import { embedding } from "../../compiler/dsl/indexing.js";
import { model } from "../../compiler/dsl/model.js";
import { layerNorm } from "../../compiler/dsl/normalization.js";
import { lstm } from "../../compiler/dsl/recurrent.js";
import { batchNorm, dropout } from "../../compiler/dsl/training.js";
import type { Node } from "../../compiler/ir/node.js";
import { rowIndependence } from "../../compiler/ir/rows.js";
import { traceModel } from "../helpers/gradcheck.js";

const B = "batch";
/** h = tanh(x·W) [batch, 4] and the model's loss built from it. */
const verdict = (loss: (h: Node, v: { x: Node; y: Node; W: Node }) => Node) =>
  rowIndependence(
    traceModel(
      model("rows", () => {
        const x = d.input("x", [B, 3]);
        const y = d.input("y", [B, 4]);
        const W = d.param("W", [3, 4], { init: "xavier" });
        return { loss: loss(d.tanh(d.matmul(x, W)), { x, y, W }) };
      }),
    ),
  );

describe("row-independent losses: a mean over the batch of per-row terms", () => {
  const cases: [string, (h: Node, v: { x: Node; y: Node; W: Node }) => Node][] = [
    ["mse", (h, { y }) => d.mse(h, y)],
    ["mean of everything", (h) => d.mean(d.square(h))],
    ["mean over the batch of a row sum", (h) => d.mean(d.sum(h, 1), 0)],
    ["sum divided by the batch size", (h) => d.div(d.sum(d.square(h)), d.count([B]))],
    ["a mean plus an L2 penalty on a parameter", (h, { y, W }) => d.add(d.mse(h, y), d.mul(0.01, d.sum(d.square(W))))],
    ["two means, one scaled", (h, { y }) => d.add(d.mse(h, y), d.mul(0.5, d.mean(d.abs(h))))],
    ["softmax cross-entropy of rows", (h) => d.softmaxCrossEntropy(h, d.input("labels", [B], { dtype: "int" }))],
    ["softmax along each row, max along each row", (h) => d.mean(d.mul(d.softmax(h), d.max(h, 1, true)))],
    ["layerNorm", (h, { y }) => d.mse(layerNorm(h), y)],
    ["dropout", (h, { y }) => d.mse(dropout(h, 0.3), y)],
    ["a reshape and a transpose that keep the batch leading", (h) => d.mean(d.square(d.transpose(d.reshape(h, [B, 2, 2]), [0, 2, 1])))],
  ];
  for (const [name, loss] of cases) it(name, () => expect(verdict(loss)).toEqual({ independent: true }));

  it("a convolution, a pool and an embedding lookup", () => {
    const g = traceModel(
      model("conv", () => {
        const img = d.input("img", [B, 6, 6, 1]);
        const ids = d.input("ids", [B, 2], { dtype: "int" });
        const w = d.param("w", [3, 3, 1, 2], { init: "he" });
        const table = d.param("table", [5, 3], { init: "normal" });
        const feats = cv.flatten(cv.maxPool2d(d.relu(cv.conv2d(img, w)), { size: 2 }));
        return { loss: d.add(d.mean(d.square(feats)), d.mean(embedding(ids, table))) };
      }),
    );
    expect(rowIndependence(g)).toEqual({ independent: true });
  });

  it("an LSTM over [batch, T, k] sequences (its scan body works on each row)", () => {
    const g = traceModel(
      model("seq", () => {
        const xs = d.input("xs", [B, 4, 3]);
        const y = d.input("y", [B, 5]);
        return { loss: d.mse(lstm(xs, { name: "l", hidden: 5 }).h, y) };
      }),
    );
    expect(rowIndependence(g)).toEqual({ independent: true });
  });
});

describe("losses that mix rows: refused, naming the op, its place and why", () => {
  const mixing = (loss: (h: Node, v: { x: Node; y: Node; W: Node }) => Node) => {
    const r = verdict(loss);
    expect(r.independent).toBe(false);
    return r.independent ? "" : r.why;
  };

  it("batchNorm in training mode: the batch mean flows back into every row", () => {
    expect(mixing((h, { y }) => d.mse(batchNorm(h, "bn"), y))).toMatch(/^a value over the whole batch is combined with every row \(sub\)$/);
  });
  it("a [batch, batch] similarity matrix h·hᵀ", () => {
    expect(mixing((h) => d.mean(d.square(d.matmul(h, h, { transB: true }))))).toMatch(/^\[batch, 4\]·\[batch, 4\]ᵀ pairs or sums rows of the batch \(matmul\)$/);
  });
  it("hᵀ·h, a contraction over the batch", () => {
    expect(mixing((h) => d.mean(d.square(d.matmul(h, h, { transA: true }))))).toMatch(/pairs or sums rows of the batch \(matmul/);
  });
  it("a loss that sums over the batch instead of averaging", () => {
    expect(mixing((h) => d.sum(d.square(h)))).toMatch(/^the loss sums over the batch where shards. losses are averaged: it needs a mean \(sum\)$/);
  });
  it("a softmax along the batch of a [batch] vector", () => {
    expect(mixing((h) => d.mean(d.square(d.softmax(d.sum(h, 1)))))).toMatch(/^softmax runs along the batch of \[batch\]/);
  });
  it("a max over the batch", () => {
    expect(mixing((h) => d.mean(d.max(h, 0)))).toMatch(/^max along the batch compares rows with each other \(max\)$/);
  });
  it("a nonlinear function of a batch mean (the square of the mean)", () => {
    expect(mixing((h) => d.square(d.mean(h)))).toMatch(/^it is a nonlinear function of a value over the whole batch \(square\)$/);
  });
  it("each row divided by the batch size inside a nonlinearity", () => {
    expect(mixing((h) => d.mean(d.exp(d.div(h, d.count([B])))))).toMatch(/nonlinear function of a value scaled by the batch size \(exp\)$/);
  });
  it("a mean of a value scaled by the batch size (n·mean(h) is a sum)", () => {
    expect(mixing((h) => d.mul(d.mean(d.square(h)), d.count([B])))).toMatch(/^the loss sums over the batch where shards. losses are averaged/);
  });
  it("a sum over the batch plus a constant", () => {
    expect(mixing((h) => d.add(d.sum(d.square(h)), 1))).toMatch(/adds a constant to a sum over the batch .*\(add\)$/);
  });
  it("a transpose that moves the batch off the leading axis", () => {
    expect(mixing((h) => d.mean(d.softmax(d.transpose(h))))).toMatch(/moves the batch away from the leading axis \(transpose\)$/);
  });
});
