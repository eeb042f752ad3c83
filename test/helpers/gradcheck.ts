// Gradient checking against central finite differences, in float64.
//
//   checkGradients(def, { inputs, params })                 grad() + reference interpreter
//   checkGradients(def, values, { transform })              grad(), then a Graph → Graph transform (a pass,
//                                                           the optimized pipeline), then the interpreter
//   checkGradients(def, values, { differentiate })          a Forward → joint Graph function in place of
//                                                           grad() (e.g. the whole optimizing pipeline,
//                                                           which also rewrites the forward graph)
//   checkGradients(def, values, { analytic })               any other source of gradients (e.g. the
//                                                           compiled, generated module)
//
// `def` is a model (or its build function), or an already traced forward graph.
//
// The reference is always the finite-difference slope of the loss of the *traced forward graph*
// evaluated by the interpreter: for each parameter element p, h = relStep·max(1, |p|) and
//   fd = (L(p + h) − L(p − h)) / ((p + h) − (p − h)).
// An element passes when |analytic − fd| ≤ atol + rtol·|fd|.
//
// With `kinks: "skip"`, an element that fails is looked at again before it counts: it passes when the
// central difference with a step ten times smaller agrees (the first step straddled a nearby kink, or
// its truncation error was large), and it is *skipped* (reported in `skipped`, not a failure) when the
// loss has a kink exactly there: the one-sided slopes (L(p + h) − L(p))/h and (L(p) − L(p − h))/h
// keep differing by more than the tolerance as h shrinks tenfold, where for a smooth loss their
// difference shrinks with h (it is about h·L''). Nothing about the ops is assumed: relu, abs, max,
// max-pooling and any later op with a kink are found the same way.
//
// `gradientReport` returns the comparison; `checkGradients` also throws an Error naming the parameter
// and the element (flat index and coordinates) when anything disagrees.

import { grad } from "../../compiler/autodiff/grad.js";
import { createContext } from "../../compiler/ir/context.js";
import { constant, mul, sum } from "../../compiler/dsl/core.js";
import { isModel, model, trace, type ModelDef, type ModelResult } from "../../compiler/dsl/model.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { evaluate } from "../../compiler/ir/interpret.js";
import type { Node } from "../../compiler/ir/node.js";
import { formatShape } from "../../compiler/ir/shape.js";
import { stridesOf } from "../../compiler/ir/tensor.js";
import type { Rng } from "./rng.js";
import { differentiateBody } from "../../compiler/autodiff/scanBody.js";

/** A model: what `model(...)` returns, or just its build function. */
export type ModelLike = ModelDef | (() => ModelResult);

export interface Values {
  readonly inputs?: Readonly<Record<string, ArrayLike<number>>>;
  readonly params: Readonly<Record<string, ArrayLike<number>>>;
}

/** Gradients (and optionally the loss) from some implementation under test. */
export interface AnalyticResult {
  readonly loss?: number;
  readonly grads: Readonly<Record<string, ArrayLike<number>>>;
}

export interface GradCheckOptions {
  /** Forward graph → joint graph with `grads` (default: grad). */
  readonly differentiate?: (forward: Graph) => Graph;
  /** Applied to the joint graph that grad() returns, before the interpreter runs it. */
  readonly transform?: (g: Graph) => Graph;
  /** Replaces differentiate + transform + interpreter: gradients from elsewhere (compiled code). */
  readonly analytic?: (forward: Graph, values: Values) => AnalyticResult;
  /** Only these parameters are checked (default: all). */
  readonly params?: readonly string[];
  /** Absolute and relative tolerance: |a − fd| ≤ atol + rtol·|fd|. Defaults 1e-6 and 1e-5. */
  readonly atol?: number;
  readonly rtol?: number;
  /** Finite-difference step relative to max(1, |p|). Default 1e-6. */
  readonly relStep?: number;
  /** `--batch N` for tracing. */
  readonly fixedBatch?: number;
  /** "skip": elements where the loss has a kink are reported in `skipped` instead of failing (default "fail"). */
  readonly kinks?: "fail" | "skip";
}

export interface ElementReport {
  readonly param: string;
  readonly index: number;
  readonly coords: readonly number[];
  readonly analytic: number;
  readonly numeric: number;
  readonly error: number;
  readonly tol: number;
}

export interface GradCheckReport {
  readonly ok: boolean;
  /** Human-readable summary of every problem ("" when ok). */
  readonly message: string;
  /** The reference loss (interpreter on the traced forward graph). */
  readonly loss: number;
  /** The loss the implementation under test reports, when it reports one. */
  readonly analyticLoss?: number;
  readonly analytic: Readonly<Record<string, Float64Array>>;
  readonly numeric: Readonly<Record<string, Float64Array>>;
  readonly failures: readonly ElementReport[];
  /** Elements not checked because the loss has a kink there (only with `kinks: "skip"`). */
  readonly skipped: readonly ElementReport[];
  /** How many elements were compared. */
  readonly checked: number;
  /** The element with the largest error relative to its tolerance. */
  readonly worst: ElementReport | null;
  readonly forward: Graph;
  /** The graph whose grads were evaluated (after transform), unless `analytic` was given. */
  readonly joint?: Graph;
}

/** A traced forward graph (a model loaded from model.ts source) may stand in for the model. */
const isGraph = (def: ModelLike | Graph): def is Graph => typeof def === "object" && "nodes" in def && Array.isArray(def.nodes);

const asModel = (def: ModelLike): ModelDef => (isModel(def) ? def : model("gradcheck", def));

/** Traces a model into its forward graph. */
export function traceModel(def: ModelLike, opts: { fixedBatch?: number } = {}): Graph {
  return trace(asModel(def), createContext({ differentiateBody, ...opts.fixedBatch !== undefined ? { fixedBatch: opts.fixedBatch } : {} }));
}

/** The loss of a forward graph at the given values, by the reference interpreter. */
export function lossAt(forward: Graph, values: Values): number {
  const v = evaluate(forward, { inputs: values.inputs ?? {}, params: values.params });
  return v.get(forward.loss!)!.data[0]!;
}

/** grad() (or `differentiate`), an optional transform, then the interpreter: each parameter's gradient and the loss. */
export function interpretedGradients(
  forward: Graph,
  values: Values,
  transform?: (g: Graph) => Graph,
  differentiate: (forward: Graph) => Graph = grad,
): AnalyticResult & { joint: Graph } {
  let joint = differentiate(forward);
  if (transform) joint = transform(joint);
  const v = evaluate(joint, { inputs: values.inputs ?? {}, params: values.params });
  const grads: Record<string, Float64Array> = {};
  for (const [name, node] of joint.grads) grads[name] = v.get(node)!.data;
  return { joint, grads, ...(joint.loss ? { loss: v.get(joint.loss)!.data[0]! } : {}) };
}

const coordsOf = (shape: readonly number[], k: number): number[] => stridesOf(shape).map((s, i) => Math.floor(k / s) % shape[i]!);
const fmt = (x: number): string => (Number.isFinite(x) ? x.toPrecision(8) : String(x));

/** Compares gradients against central finite differences; never throws for a mismatch. */
export function gradientReport(def: ModelLike | Graph, values: Values, opts: GradCheckOptions = {}): GradCheckReport {
  const atol = opts.atol ?? 1e-6, rtol = opts.rtol ?? 1e-5, relStep = opts.relStep ?? 1e-6;
  const forward = isGraph(def) ? def : traceModel(def, opts);
  const problems: string[] = [];
  const loss = lossAt(forward, values);
  if (!Number.isFinite(loss)) problems.push(`the reference loss is ${loss}: choose other test values`);

  let result: AnalyticResult;
  let joint: Graph | undefined;
  if (opts.analytic) result = opts.analytic(forward, values);
  else {
    const r = interpretedGradients(forward, values, opts.transform, opts.differentiate);
    result = r;
    joint = r.joint;
  }
  if (result.loss !== undefined && !(Math.abs(result.loss - loss) <= atol + rtol * Math.abs(loss))) {
    problems.push(`loss: implementation ${fmt(result.loss)}, reference ${fmt(loss)}`);
  }

  const analytic: Record<string, Float64Array> = {};
  const numeric: Record<string, Float64Array> = {};
  const failures: ElementReport[] = [];
  const skipped: ElementReport[] = [];
  let worst: ElementReport | null = null;
  const checked = forward.params.filter((p) => !opts.params || opts.params.includes(p.attrs.name as string));
  // A check of nothing passes: refuse it (a model without parameters, or a misspelt `params` entry).
  const names = new Set(forward.params.map((p) => p.attrs.name as string));
  for (const n of opts.params ?? []) if (!names.has(n)) problems.push(`no parameter "${n}" in the model`);
  if (checked.length === 0) problems.push("no parameter to check");
  for (const p of checked) {
    const name = p.attrs.name as string;
    const shape = p.shape as number[];
    const base = values.params[name];
    if (!base) {
      problems.push(`no value given for parameter "${name}"`);
      continue;
    }
    const a = result.grads[name];
    if (!a) {
      problems.push(`no gradient for parameter "${name}"`);
      continue;
    }
    if (a.length !== base.length) {
      problems.push(`gradient of "${name}" has ${a.length} elements, the parameter ${formatShape(shape)} has ${base.length}`);
      continue;
    }
    analytic[name] = Float64Array.from(a);
    const fd = (numeric[name] = new Float64Array(base.length));
    for (let k = 0; k < base.length; k++) {
      const x = base[k]!;
      const h = relStep * Math.max(1, Math.abs(x));
      const xp = x + h, xm = x - h;
      const at = (v: number) => {
        const moved = Float64Array.from(base);
        moved[k] = v;
        return lossAt(forward, { ...values, params: { ...values.params, [name]: moved } });
      };
      fd[k] = (at(xp) - at(xm)) / (xp - xm);
      const report = (numeric: number): ElementReport => ({
        param: name, index: k, coords: coordsOf(shape, k),
        analytic: analytic[name]![k]!, numeric,
        error: Math.abs(analytic[name]![k]! - numeric), tol: atol + rtol * Math.abs(numeric),
      });
      const bad = (r: ElementReport) => !Number.isFinite(r.analytic) || !Number.isFinite(r.numeric) || !(r.error <= r.tol);
      let e = report(fd[k]!);
      if (bad(e) && opts.kinks === "skip" && Number.isFinite(e.analytic)) {
        const centre = at(x);
        const jump = (step: number) => {
          const up = x + step, down = x - step;
          return (at(up) - centre) / (up - x) - (centre - at(down)) / (x - down);
        };
        const finer = report((at(x + h / 10) - at(x - h / 10)) / (x + h / 10 - (x - h / 10)));
        if (!bad(finer)) e = finer;
        else {
          const j1 = Math.abs(jump(h / 10)), j2 = Math.abs(jump(h / 100));
          if (j1 > e.tol && j2 > j1 / 2) {
            skipped.push(e);
            continue;
          }
        }
      }
      if (bad(e)) failures.push(e);
      const score = (r: ElementReport) => (Number.isFinite(r.error) ? r.error / r.tol : Infinity);
      if (!worst || score(e) > score(worst)) worst = e;
    }
  }

  const describe = (e: ElementReport) =>
    `  ∂L/∂${e.param}[${e.coords.join(", ")}] (flat ${e.index}): analytic ${fmt(e.analytic)}, finite difference ${fmt(e.numeric)}, |diff| ${e.error.toExponential(2)} > tol ${e.tol.toExponential(2)}`;
  if (failures.length) {
    const total = Object.values(numeric).reduce((n, a) => n + a.length, 0);
    problems.push(`${failures.length} of ${total} gradient elements disagree with central finite differences:\n${failures.slice(0, 8).map(describe).join("\n")}${failures.length > 8 ? `\n  … and ${failures.length - 8} more` : ""}`);
  }
  const message = problems.length ? `gradient check of model "${forward.name}" failed (loss ${fmt(loss)}):\n${problems.join("\n")}` : "";
  const checkedCount = Object.values(numeric).reduce((n, a) => n + a.length, 0) - skipped.length;
  return { ok: problems.length === 0, message, loss, ...(result.loss !== undefined ? { analyticLoss: result.loss } : {}), analytic, numeric, failures, skipped, checked: checkedCount, worst, forward, ...(joint ? { joint } : {}) };
}

/** Like gradientReport, but throws an Error with the report's message when the check fails. */
export function checkGradients(def: ModelLike | Graph, values: Values, opts: GradCheckOptions = {}): GradCheckReport {
  const r = gradientReport(def, values, opts);
  if (!r.ok) throw new Error(r.message);
  return r;
}

/**
 * Σ C ⊙ x for a fixed random C of x's (static) shape: a scalar loss to which every element of x
 * contributes with its own weight, so a wrong derivative for any one element shows.
 */
export function randomlyWeighted(x: Node, rng: Rng): Node {
  const shape = x.shape.map((d) => {
    if (typeof d !== "number") throw new Error(`randomlyWeighted needs a static shape, got ${formatShape(x.shape)}`);
    return d;
  });
  const n = shape.reduce((a, b) => a * b, 1);
  // |C| in [0.2, 1) with a random sign: no weight so small that an element hardly matters.
  const weights = Array.from({ length: n }, () => (rng() < 0.5 ? -1 : 1) * (0.2 + 0.8 * rng()));
  return sum(mul(x, constant(weights, shape)));
}
