// Shared helpers for the pass tests: tracing small models, random float64 values for a graph, comparing
// two graphs under the reference interpreter, and a compact structural rendering of one node.

import { expect } from "vitest";
import { createContext, withContext, type TraceContext } from "../../compiler/ir/context.js";
import { model, trace, type ModelResult } from "../../compiler/dsl/model.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { evaluate } from "../../compiler/ir/interpret.js";
import type { Loc } from "../../compiler/ir/loc.js";
import type { Node } from "../../compiler/ir/node.js";
import { verify } from "../../compiler/ir/verify.js";
import type { Pass, PassResult } from "../../compiler/passes/pass.js";
import type { Values } from "../helpers/gradcheck.js";
import { mulberry32, uniformArray, type Rng } from "../helpers/rng.js";
import { differentiateBody } from "../../compiler/autodiff/scanBody.js";

/** Traces `build` (DSL calls) into a forward graph; `fixedBatch` is `--batch N`. */
export function traced(build: () => ModelResult, opts: { fixedBatch?: number; name?: string } = {}): Graph {
  const ctx = createContext({ differentiateBody, ...opts.fixedBatch !== undefined ? { fixedBatch: opts.fixedBatch } : {} });
  return trace(model(opts.name ?? "t", build), ctx);
}

/**
 * Traces `build` giving nodes model.ts locations: `at(line)` inside the build function sets the
 * location of every node made until the next `at` (as the frontend would from stack frames).
 */
export function tracedWithLocs(build: (at: (line: number, col?: number) => void) => ModelResult, file = "/models/demo/model.ts"): Graph {
  const ctx: TraceContext = createContext({ differentiateBody });
  const at = (line: number, col = 3) => {
    ctx.loc = { file, line, col } satisfies Loc;
  };
  return trace(model("located", () => build(at)), ctx);
}

/** Runs `fn` with DSL calls adding to a fresh builder (for building nodes outside a model). */
export function inFreshContext<T>(fn: () => T): T {
  return withContext(createContext({ differentiateBody }), fn);
}

/**
 * Random float64 values for every input and parameter of `g` (batch dimension = `batch`);
 * integer inputs get class labels in [0, classes). `overrides` replace individual entries.
 */
export function randomValues(
  g: Graph,
  seed: number,
  opts: { batch?: number; classes?: number; lo?: number; hi?: number; overrides?: Record<string, number[]> } = {},
): Values & { inputs: Record<string, number[]>; params: Record<string, number[]> } {
  const rng: Rng = mulberry32(seed);
  const batch = opts.batch ?? 3;
  const size = (n: Node) => n.shape.reduce<number>((a, d) => a * (typeof d === "number" ? d : batch), 1);
  const fill = (n: Node): number[] => {
    const name = n.attrs.name as string;
    if (opts.overrides?.[name]) return opts.overrides[name]!;
    if (n.dtype === "i") return Array.from({ length: size(n) }, () => Math.floor(rng() * (opts.classes ?? 2)));
    return uniformArray(rng, size(n), opts.lo ?? -1, opts.hi ?? 1);
  };
  const inputs: Record<string, number[]> = {};
  const params: Record<string, number[]> = {};
  for (const i of g.inputs) inputs[i.attrs.name as string] = fill(i);
  for (const p of g.params) params[p.attrs.name as string] = fill(p);
  return { inputs, params };
}

export interface RootValues {
  readonly loss: number | null;
  readonly outputs: Record<string, number[]>;
  readonly grads: Record<string, number[]>;
}

/** The loss, outputs and gradients of `g` under the reference interpreter. */
export function evalRoots(g: Graph, values: Values): RootValues {
  const v = evaluate(g, { inputs: values.inputs ?? {}, params: values.params });
  const arr = (n: Node) => Array.from(v.get(n)!.data);
  return {
    loss: g.loss ? v.get(g.loss)!.data[0]! : null,
    outputs: Object.fromEntries(g.outputs.map(([k, n]) => [k, arr(n)])),
    grads: Object.fromEntries(g.grads.map(([k, n]) => [k, arr(n)])),
  };
}

/**
 * |a − b| ≤ rtol·max(|a|, |b|) + 1e-15 element by element (relative, with an absolute floor for
 * values that cancel to about 0), with a message naming what differs. Equal non-finite values pass.
 */
export function expectClose(actual: readonly number[], expected: readonly number[], what: string, rtol = 1e-12): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  actual.forEach((a, k) => {
    const e = expected[k]!;
    const ok = Object.is(a, e) || a === e || Math.abs(a - e) <= rtol * Math.max(Math.abs(a), Math.abs(e)) + 1e-15;
    expect(ok, `${what}[${k}]: ${a} vs ${e}`).toBe(true);
  });
}

/** The two graphs compute the same loss, outputs and gradients (same root names) at `values`. */
export function expectSameSemantics(before: Graph, after: Graph, values: Values, rtol = 1e-12): void {
  const a = evalRoots(before, values), b = evalRoots(after, values);
  expect(after.loss === null).toBe(before.loss === null);
  if (a.loss !== null) expectClose([b.loss!], [a.loss], "loss", rtol);
  expect(Object.keys(b.outputs)).toEqual(Object.keys(a.outputs));
  for (const k of Object.keys(a.outputs)) expectClose(b.outputs[k]!, a.outputs[k]!, `output ${k}`, rtol);
  expect(Object.keys(b.grads)).toEqual(Object.keys(a.grads));
  for (const k of Object.keys(a.grads)) expectClose(b.grads[k]!, a.grads[k]!, `grad ${k}`, rtol);
}

/** Runs a pass and checks that its result verifies. */
export function runPass(pass: Pass, g: Graph, name = "pass"): PassResult {
  const r = pass(g);
  verify(r.graph, name);
  return r;
}

/** Several seeds of random values: the pass must preserve semantics on each. */
export function expectPreserved(before: Graph, after: Graph, opts: Parameters<typeof randomValues>[2] = {}, seeds = [1, 2, 3]): void {
  for (const s of seeds) expectSameSemantics(before, after, randomValues(before, s, opts));
}

/** The ops of a graph, in node order. */
export const opsOf = (g: Graph): string[] => g.nodes.map((n) => n.op);
export const countOp = (g: Graph, op: string): number => g.nodes.filter((n) => n.op === op).length;

/**
 * A compact rendering of the expression a node computes: inputs and params by name, the batch size
 * as `N`, scalar constants by value, tensor constants as `C[shape]`, attrs that are set (not false,
 * null or undefined) in braces: `mul(sub(softmax(z), onehot{classes=3}(y)), div(1, N))`.
 */
export function show(n: Node): string {
  switch (n.op) {
    case "input":
    case "param":
      return String(n.attrs.name);
    case "dim":
      return "N";
    case "const":
      return n.attrs.values ? `C${JSON.stringify(n.attrs.shape)}` : String(n.attrs.value);
  }
  const attrs = Object.keys(n.attrs)
    .sort()
    .filter((k) => n.attrs[k] !== false && n.attrs[k] !== null && n.attrs[k] !== undefined)
    .map((k) => `${k}=${JSON.stringify(n.attrs[k])}`);
  return `${n.op}${attrs.length ? `{${attrs.join(",")}}` : ""}(${n.inputs.map(show).join(", ")})`;
}

/** The gradient root for a parameter. */
export const gradOf = (g: Graph, name: string): Node => {
  const e = g.grads.find(([k]) => k === name);
  if (!e) throw new Error(`no gradient for ${name}`);
  return e[1];
};

export const outputOf = (g: Graph, name: string): Node => {
  const e = g.outputs.find(([k]) => k === name);
  if (!e) throw new Error(`no output ${name}`);
  return e[1];
};
