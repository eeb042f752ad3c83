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
// The reference is always the finite-difference slope of the loss of the *traced forward graph*
// evaluated by the interpreter: for each parameter element p, h = relStep·max(1, |p|) and
//   fd = (L(p + h) − L(p − h)) / ((p + h) − (p − h)).
// An element passes when |analytic − fd| ≤ atol + rtol·|fd|. With `skipKinks`, elements where the
// one-sided slopes disagree (a kink of the loss: relu at 0, a tie of a max) are left out and listed.
//
// `gradientReport` returns the comparison; `checkGradients` also throws an Error naming the parameter
// and the element (flat index and coordinates) when anything disagrees.

import { grad } from "../../compiler/autodiff/grad.js";
import { createContext } from "../../compiler/dsl/context.js";
import { constant, mul, sum } from "../../compiler/dsl/core.js";
import { isModel, model, trace, type ModelDef, type ModelResult } from "../../compiler/dsl/model.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { evaluate } from "../../compiler/ir/interpret.js";
import type { Node } from "../../compiler/ir/node.js";
import { formatShape } from "../../compiler/ir/shape.js";
import { stridesOf } from "../../compiler/ir/tensor.js";
import type { Rng } from "./rng.js";

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
  /**
   * Leave out elements that sit on a kink of the loss (relu at 0, a tie of a max): where the slopes
   * (L(p + h) − L(p))/h and (L(p) − L(p − h))/h disagree, no derivative exists to compare. They are
   * listed in the report's `kinks`, so a caller can insist there are none, or few.
   */
  readonly skipKinks?: boolean;
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
  /** With `skipKinks`: elements left out because the loss has a kink there (numeric: the central difference). */
  readonly kinks: readonly ElementReport[];
  /** The element with the largest error relative to its tolerance. */
  readonly worst: ElementReport | null;
  readonly forward: Graph;
  /** The graph whose grads were evaluated (after transform), unless `analytic` was given. */
  readonly joint?: Graph;
}

const asModel = (def: ModelLike): ModelDef => (isModel(def) ? def : model("gradcheck", def));

/** Traces a model into its forward graph. */
export function traceModel(def: ModelLike, opts: { fixedBatch?: number } = {}): Graph {
  return trace(asModel(def), createContext(opts.fixedBatch !== undefined ? { fixedBatch: opts.fixedBatch } : {}));
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
export function gradientReport(def: ModelLike, values: Values, opts: GradCheckOptions = {}): GradCheckReport {
  const atol = opts.atol ?? 1e-6, rtol = opts.rtol ?? 1e-5, relStep = opts.relStep ?? 1e-6;
  const forward = traceModel(def, opts);
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
  const kinks: ElementReport[] = [];
  let worst: ElementReport | null = null;
  const checked = forward.params.filter((p) => !opts.params || opts.params.includes(p.attrs.name as string));
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
      const lp = at(xp), lm = at(xm);
      fd[k] = (lp - lm) / (xp - xm);
      const e: ElementReport = {
        param: name, index: k, coords: coordsOf(shape, k),
        analytic: analytic[name]![k]!, numeric: fd[k]!,
        error: Math.abs(analytic[name]![k]! - fd[k]!), tol: atol + rtol * Math.abs(fd[k]!),
      };
      if (opts.skipKinks) {
        const right = (lp - loss) / (xp - x), left = (loss - lm) / (x - xm);
        if (Math.abs(right - left) > 1e-3 * (1 + Math.abs(fd[k]!))) {
          kinks.push(e);
          continue;
        }
      }
      const bad = !Number.isFinite(e.analytic) || !Number.isFinite(e.numeric) || !(e.error <= e.tol);
      if (bad) failures.push(e);
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
  return { ok: problems.length === 0, message, loss, ...(result.loss !== undefined ? { analyticLoss: result.loss } : {}), analytic, numeric, failures, kinks, worst, forward, ...(joint ? { joint } : {}) };
}

/** Like gradientReport, but throws an Error with the report's message when the check fails. */
export function checkGradients(def: ModelLike, values: Values, opts: GradCheckOptions = {}): GradCheckReport {
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
