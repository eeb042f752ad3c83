// The gradient checker itself: it passes correct gradients, and catches (and names) wrong ones coming
// from a graph transform, from an external implementation, or from a wrong loss.

import { describe, expect, it } from "vitest";
import { grad } from "../../compiler/autodiff/grad.js";
import * as d from "../../compiler/dsl/core.js";
import { makeGraph, type Graph } from "../../compiler/ir/graph.js";
import { inBuilder, rebuild } from "../../compiler/passes/rewrite.js";
import { checkGradients, gradientReport, interpretedGradients, type Values } from "../helpers/gradcheck.js";

const mlp = () => {
  const x = d.input("x", ["batch", 2]);
  const y = d.input("y", ["batch", 1]);
  const W = d.param("W", [2, 3]);
  const b = d.param("b", [3]);
  const V = d.param("V", [3, 1]);
  return { loss: d.mse(d.matmul(d.tanh(d.add(d.matmul(x, W), b)), V), y) };
};
const values = {
  inputs: { x: [0.5, -1, 2, 0.3], y: [0.2, -0.4] },
  params: { W: [0.1, -0.2, 0.3, 0.4, 0.5, -0.6], b: [0.01, -0.02, 0.03], V: [0.7, -0.8, 0.9] },
};

/** A transform that scales one parameter's gradient (rebuilt into a fresh builder first). */
const scaleGrad = (param: string, factor: number) => (g: Graph): Graph => {
  const { graph, builder } = rebuild(g);
  const grads = graph.grads.map(([n, node]) => [n, n === param ? inBuilder(builder, node.loc, () => d.mul(node, factor)) : node] as const);
  return makeGraph({ ...graph, grads });
};

describe("checkGradients", () => {
  it("passes the symbolic gradients of a small MLP with a symbolic batch", () => {
    const r = checkGradients(mlp, values);
    expect(r.ok).toBe(true);
    expect(Object.keys(r.analytic).sort()).toEqual(["V", "W", "b"]);
    expect(r.worst).not.toBeNull();
  });

  it("passes an identity transform (a rebuild)", () => {
    expect(checkGradients(mlp, values, { transform: (g) => rebuild(g).graph }).ok).toBe(true);
  });

  it("accepts a replacement for grad()", () => {
    expect(checkGradients(mlp, values, { differentiate: (g) => grad(rebuild(g).graph) }).ok).toBe(true);
  });

  it("catches a transform that gets one gradient slightly wrong, naming the parameter and the element", () => {
    const r = gradientReport(mlp, values, { transform: scaleGrad("b", 1.001) });
    expect(r.ok).toBe(false);
    expect(r.failures.every((f) => f.param === "b")).toBe(true);
    expect(r.message).toMatch(/∂L\/∂b\[0\] \(flat 0\): analytic/);
    expect(() => checkGradients(mlp, values, { transform: scaleGrad("W", 1.001) })).toThrow(/∂L\/∂W\[\d, \d\] \(flat \d\)/);
  });

  it("checks gradients from an external implementation, and its loss", () => {
    const truth = (f: Graph, v: Values) => interpretedGradients(f, v);
    expect(checkGradients(mlp, values, { analytic: truth }).ok).toBe(true);
    const wrongElement = gradientReport(mlp, values, {
      analytic: (f, v) => {
        const r = truth(f, v);
        const V = Float64Array.from(r.grads.V!);
        V[2]! += 1e-3;
        return { ...r, grads: { ...r.grads, V } };
      },
    });
    expect(wrongElement.failures.map((f) => `${f.param}${JSON.stringify(f.coords)}`)).toEqual(["V[2,0]"]);
    const wrongLoss = gradientReport(mlp, values, { analytic: (f, v) => ({ ...truth(f, v), loss: 123 }) });
    expect(wrongLoss.message).toMatch(/loss: implementation 123/);
    const missing = gradientReport(mlp, values, { analytic: (f, v) => ({ grads: { W: truth(f, v).grads.W! } }) });
    expect(missing.message).toMatch(/no gradient for parameter "b"/);
    const nonFinite = gradientReport(mlp, values, { analytic: (f, v) => ({ grads: { ...truth(f, v).grads, b: [NaN, 0, 0] } }) });
    expect(nonFinite.failures.some((e) => e.param === "b" && e.index === 0)).toBe(true);
  });

  it("with kinks: \"skip\", leaves out and lists the elements where the loss has a kink (relu at 0), and only those", () => {
    const kinked = () => ({ loss: d.sum(d.relu(d.param("X", [3]))) });
    const at = { params: { X: [0, 0.5, -0.5] } };
    expect(gradientReport(kinked, at).failures.map((f) => f.index)).toEqual([0]); // fd ½, relu'(0) = 0
    const r = gradientReport(kinked, at, { kinks: "skip" });
    expect(r.ok).toBe(true);
    expect(r.skipped.map((k) => k.index)).toEqual([0]);
    expect(gradientReport(mlp, values, { kinks: "skip" }).skipped).toEqual([]);
  });

  it("restricts the check to some parameters", () => {
    const r = gradientReport(mlp, values, { transform: scaleGrad("b", 2), params: ["W", "V"] });
    expect(r.ok).toBe(true);
    expect(Object.keys(r.numeric).sort()).toEqual(["V", "W"]);
  });
});

describe("kinks: \"skip\"", () => {
  // relu(x·w) with x = 1: at w = 0 the loss has a kink exactly at the parameter's value.
  const kinked = () => {
    const x = d.input("x", [1]);
    const w = d.param("w", [2]);
    return { loss: d.sum(d.relu(d.mul(x, w))) };
  };
  const atKink = { inputs: { x: [1] }, params: { w: [0, 0.5] } };
  // The derivative of relu at 0 is a convention (0 here); the finite difference there is 1/2.
  const oneSided = (f: Graph, v: Values) => interpretedGradients(f, v);

  it("fails at a kink by default, and skips exactly that element when asked", () => {
    const strict = gradientReport(kinked, atKink, { analytic: oneSided });
    expect(strict.failures.map((f) => f.index)).toEqual([0]);
    const lenient = gradientReport(kinked, atKink, { analytic: oneSided, kinks: "skip" });
    expect(lenient.ok).toBe(true);
    expect(lenient.skipped.map((f) => f.index)).toEqual([0]);
    expect(lenient.checked).toBe(1);
  });

  it("never skips a wrong gradient where the loss is smooth", () => {
    const r = gradientReport(mlp, values, { transform: scaleGrad("b", 1.001), kinks: "skip" });
    expect(r.ok).toBe(false);
    expect(r.skipped).toEqual([]);
    expect(r.failures.length).toBeGreaterThan(0);
  });

  it("passes an element whose first step straddles a nearby kink, when a ten times smaller step agrees", () => {
    const nearKink = { inputs: { x: [1] }, params: { w: [4e-7, 0.5] } };
    expect(gradientReport(kinked, nearKink, { analytic: oneSided }).ok).toBe(false);
    const r = gradientReport(kinked, nearKink, { analytic: oneSided, kinks: "skip" });
    expect(r.ok).toBe(true);
    expect(r.skipped).toEqual([]);
    expect(r.checked).toBe(2);
  });

  it("refuses to check nothing: no parameter, or a misspelt one", () => {
    expect(gradientReport(mlp, values, { params: ["Q"] }).message).toMatch(/no parameter "Q" in the model[^]*no parameter to check/);
  });
});
