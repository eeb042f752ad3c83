// Random small MLPs for property tests: a fast-check arbitrary of { spec, build, source, values }.
//
//   spec    1–3 linear layers (x·W + b), widths 1–5, hidden activations from ACTIVATIONS, a loss from
//           LOSSES, batch 1–4 (the batch dimension stays symbolic: "batch")
//   build   the model's build function (DSL calls), for traceModel / checkGradients
//   source  the same model as a model.ts text importing from "gradc", for tests of the compiled path
//   values  float64 params and inputs, with every relu/leakyRelu pre-activation at least `margin`
//           away from 0 (cases that are not are filtered out), so finite differences never straddle a kink
//
// The symbolic-gradient property is in test/property/mlp.property.test.ts; a test of generated code can
// reuse `mlpCaseArbitrary` and pass its gradients to checkGradients(c.build, c.values, { analytic }).

import fc from "fast-check";
import * as dsl from "../../compiler/dsl/index.js";
import type { ModelResult } from "../../compiler/dsl/model.js";
import { evaluate } from "../../compiler/ir/interpret.js";
import type { Node } from "../../compiler/ir/node.js";
import { traceModel, type ModelLike, type Values } from "./gradcheck.js";

export const ACTIVATIONS = ["sigmoid", "tanh", "relu", "leakyRelu", "softplus"] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/**
 * mse: raw outputs vs float targets [batch, out];
 * softmaxCrossEntropy: logits vs integer labels [batch];
 * binaryCrossEntropy: sigmoid(outputs) vs targets in [0, 1];
 * crossEntropy: softmax(outputs) vs integer labels [batch].
 */
export const LOSSES = ["mse", "softmaxCrossEntropy", "binaryCrossEntropy", "crossEntropy"] as const;
export type LossKind = (typeof LOSSES)[number];

export interface MlpSpec {
  readonly inWidth: number;
  /** 0–2 hidden layers, each followed by its activation. */
  readonly hidden: readonly { readonly width: number; readonly activation: Activation }[];
  /** Output width (classes for the softmax losses). */
  readonly outWidth: number;
  readonly loss: LossKind;
  readonly batch: number;
}

export interface MlpCase {
  readonly spec: MlpSpec;
  readonly build: () => ModelResult;
  readonly source: string;
  readonly values: Values & { readonly inputs: Readonly<Record<string, number[]>>; readonly params: Readonly<Record<string, number[]>> };
}

const labelsLoss = (l: LossKind) => l === "softmaxCrossEntropy" || l === "crossEntropy";
const widthsOf = (s: MlpSpec) => [s.inWidth, ...s.hidden.map((h) => h.width), s.outWidth];

/** Parameter names and shapes, in declaration order: W1, b1, W2, b2, ... */
export function mlpParams(spec: MlpSpec): [string, number[]][] {
  const w = widthsOf(spec);
  return w.slice(1).flatMap((out, i) => [[`W${i + 1}`, [w[i]!, out]], [`b${i + 1}`, [out]]] as [string, number[]][]);
}

/** Input names, shapes and element types. */
export function mlpInputs(spec: MlpSpec): [string, (number | string)[], "float" | "int"][] {
  return [
    ["x", ["batch", spec.inWidth], "float"],
    labelsLoss(spec.loss) ? ["y", ["batch"], "int"] : ["y", ["batch", spec.outWidth], "float"],
  ];
}

const activate = (a: Activation, h: Node): Node => (a === "leakyRelu" ? dsl.leakyRelu(h, 0.1) : dsl[a](h));

/** The model's build function, written with the public DSL. */
export function mlpBuild(spec: MlpSpec): () => ModelResult {
  return () => {
    const [[, xs], [, ys, yt]] = mlpInputs(spec) as [[string, (number | string)[]], [string, (number | string)[], "float" | "int"]];
    const x = dsl.input("x", xs);
    const y = dsl.input("y", ys, { dtype: yt });
    const ps = mlpParams(spec).map(([name, shape]) => dsl.param(name, shape));
    let h = x;
    for (let i = 0; i <= spec.hidden.length; i++) {
      h = dsl.add(dsl.matmul(h, ps[2 * i]!), ps[2 * i + 1]!);
      if (i < spec.hidden.length) h = activate(spec.hidden[i]!.activation, h);
    }
    const loss =
      spec.loss === "mse" ? dsl.mse(h, y)
      : spec.loss === "softmaxCrossEntropy" ? dsl.softmaxCrossEntropy(h, y)
      : spec.loss === "binaryCrossEntropy" ? dsl.binaryCrossEntropy(dsl.sigmoid(h), y)
      : dsl.crossEntropy(dsl.softmax(h), y);
    return { loss, outputs: { out: h } };
  };
}

/** The same model as a model.ts file (plain JavaScript syntax apart from the import/export lines). */
export function mlpSource(spec: MlpSpec, name = "mlp"): string {
  const used = new Set<string>(["model", "input", "param", "matmul", "add", spec.loss, ...spec.hidden.map((h) => h.activation)]);
  if (spec.loss === "binaryCrossEntropy") used.add("sigmoid");
  if (spec.loss === "crossEntropy") used.add("softmax");
  const lines = [`import { ${[...used].sort().join(", ")} } from "gradc";`, "", `export default model(${JSON.stringify(name)}, () => {`];
  const [[, xs], [, ys, yt]] = mlpInputs(spec);
  lines.push(`  const x = input("x", ${JSON.stringify(xs)});`);
  lines.push(`  const y = input("y", ${JSON.stringify(ys)}${yt === "int" ? `, { dtype: "int" }` : ""});`);
  for (const [n, shape] of mlpParams(spec)) lines.push(`  const ${n} = param(${JSON.stringify(n)}, ${JSON.stringify(shape)});`);
  let h = "x";
  spec.hidden.forEach((layer, i) => {
    const z = `add(matmul(${h}, W${i + 1}), b${i + 1})`;
    lines.push(`  const h${i + 1} = ${layer.activation === "leakyRelu" ? `leakyRelu(${z}, 0.1)` : `${layer.activation}(${z})`};`);
    h = `h${i + 1}`;
  });
  const k = spec.hidden.length + 1;
  lines.push(`  const out = add(matmul(${h}, W${k}), b${k});`);
  const loss =
    spec.loss === "binaryCrossEntropy" ? "binaryCrossEntropy(sigmoid(out), y)"
    : spec.loss === "crossEntropy" ? "crossEntropy(softmax(out), y)"
    : `${spec.loss}(out, y)`;
  lines.push(`  return { loss: ${loss}, outputs: { out } };`, "});", "");
  return lines.join("\n");
}

/**
 * The smallest |pre-activation| over every kink in the model (relu, leakyRelu, abs inputs) at these
 * values, by the reference interpreter; Infinity when there is no kink.
 */
export function kinkMargin(def: ModelLike, values: Values): number {
  const g = traceModel(def);
  const v = evaluate(g, { inputs: values.inputs ?? {}, params: values.params });
  let m = Infinity;
  for (const n of g.nodes) if (n.op === "relu" || n.op === "leakyRelu" || n.op === "abs") for (const z of v.get(n.inputs[0]!)!.data) m = Math.min(m, Math.abs(z));
  return m;
}

// ── arbitraries ───────────────────────────────────────────────────────────────────────────────────

const width = fc.integer({ min: 1, max: 5 });

export const mlpSpecArbitrary: fc.Arbitrary<MlpSpec> = fc
  .record({
    inWidth: width,
    hidden: fc.array(fc.record({ width, activation: fc.constantFrom(...ACTIVATIONS) }), { minLength: 0, maxLength: 2 }),
    loss: fc.constantFrom(...LOSSES),
    outWidth: width,
    batch: fc.integer({ min: 1, max: 4 }),
  })
  // two or more classes for the softmax losses (with one class the loss is constant)
  .map((s) => (labelsLoss(s.loss) && s.outWidth < 2 ? { ...s, outWidth: 2 } : s));

/**
 * Uniform reals in [min, max]. (fc.double is uniform over bit patterns, so most of its values are tiny,
 * and biased toward 0 and the bounds: useless weights, and relu inputs of exactly 0.)
 */
const real = (min: number, max: number): fc.Arbitrary<number> =>
  fc.noBias(fc.integer({ min: 0, max: 2 ** 30 })).map((k) => min + ((max - min) * k) / 2 ** 30);
const vector = (n: number, min: number, max: number) => fc.array(real(min, max), { minLength: n, maxLength: n });

/** Params in [−1, 1], x in [−2, 2], targets per loss: mse [−1, 1], BCE [0, 1], labels in [0, classes). */
export function mlpValuesArbitrary(spec: MlpSpec): fc.Arbitrary<MlpCase["values"]> {
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  const params = fc.record(Object.fromEntries(mlpParams(spec).map(([n, s]) => [n, vector(size(s), -1, 1)])) as Record<string, fc.Arbitrary<number[]>>);
  const x = vector(spec.batch * spec.inWidth, -2, 2);
  const y = labelsLoss(spec.loss)
    ? fc.array(fc.integer({ min: 0, max: spec.outWidth - 1 }), { minLength: spec.batch, maxLength: spec.batch })
    : vector(spec.batch * spec.outWidth, spec.loss === "mse" ? -1 : 0, 1);
  return fc.record({ params, inputs: fc.record({ x, y }) });
}

/** Random MLP cases whose relu/leakyRelu pre-activations are all at least `margin` from 0. */
export function mlpCaseArbitrary(opts: { margin?: number } = {}): fc.Arbitrary<MlpCase> {
  const margin = opts.margin ?? 1e-3;
  return mlpSpecArbitrary
    .chain((spec) => mlpValuesArbitrary(spec).map((values): MlpCase => ({ spec, build: mlpBuild(spec), source: mlpSource(spec), values })))
    .filter((c) => kinkMargin(c.build, c.values) >= margin);
}

/** A one-line description of a case, for failure messages. */
export const describeMlp = (s: MlpSpec): string =>
  `${[s.inWidth, ...s.hidden.map((h) => `${h.width}(${h.activation})`), s.outWidth].join("→")}, ${s.loss}, batch ${s.batch}`;
