// "Write the backward line yourself" (after the micrograd course's backprop ninja): the page hides one
// backward equation of the generated training step — a δ, a gradient of a forward value, or ∂L/∂P —
// and the learner writes it in the DSL from the forward values, the parameters and the backward
// values computed before it. The answer is traced like a model (a small model.ts whose inputs are
// those values, at the step's shapes) and evaluated by the compiler's float64 interpreter on the same
// batch and parameters as the compiler's own line; the two are compared element by element.
import type { Equation } from "../../compiler/explain/derivation.js";
import { derive } from "../../compiler/explain/derivation.js";
import * as dsl from "../../compiler/dsl/index.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { evaluate } from "../../compiler/ir/interpret.js";
import type { Node } from "../../compiler/ir/node.js";
import { specialize } from "../../compiler/passes/specialize.js";
import { isGradcError } from "../../runtime/errors.js";
import type { ExerciseTarget, GradeResult } from "./protocol.js";

/** Values up to this many elements are listed in a result. */
const LISTED = 16;
/** Relative difference below which an answer computed in another order still counts as right. */
const CLOSE = 1e-9;

/** The values an answer for equation `k` may use, by the names the generated code and explain give them. */
function available(g: Graph, backward: readonly Equation[], k: number, plainNames: ReadonlyMap<Node, string>, forward: readonly Equation[]): Map<string, Node> {
  const names = new Map<string, Node>();
  for (const n of [...g.inputs, ...g.params]) names.set(String(n.attrs.name), n);
  for (const e of forward) {
    const name = plainNames.get(e.node);
    if (name && name !== "loss") names.set(name, e.node);
  }
  for (const e of backward.slice(0, k)) {
    const name = plainNames.get(e.node);
    if (name) names.set(name, e.node);
  }
  return names;
}

/** The backward equations a learner can be asked for, in the order backpropagation computes them. */
export function exerciseTargets(optimized: Graph): ExerciseTarget[] {
  const g = specialize("train")(optimized).graph;
  const d = derive(g, "model.ts");
  return d.backward.flatMap((e, k) => {
    const name = d.plainNames.get(e.node);
    if (!name) return [];
    const uses = [...available(g, d.backward, k, d.plainNames, d.forward).keys()];
    return [{ name, meaning: `${e.lhs.text}${e.meaning ? ` = ${e.meaning.text}` : ""}`, loc: e.loc, origin: e.origin ?? null, shape: e.node.shape.map(String), uses }];
  });
}

/** The answer's model: every available value an input (a parameter as a param), the answer its output. */
function exerciseSource(values: ReadonlyMap<string, { readonly shape: readonly number[]; readonly param: boolean }>, answer: string): { text: string; line: number; output: string } {
  const words = new Set(answer.match(/[A-Za-z_$][\w$]*/g) ?? []);
  const fromDsl = [...words].filter((w) => !values.has(w) && w in dsl && w !== "model");
  const output = values.has("answer") ? "yourAnswer" : "answer";
  const lines = [
    `import { model as __model, input as __input, param as __param, sum as __sum${fromDsl.map((w) => `, ${w}`).join("")} } from "gradc";`,
    `export default __model("exercise", () => {`,
    ...[...values].map(([name, v]) => `  const ${name} = ${v.param ? "__param" : "__input"}(${JSON.stringify(name)}, [${v.shape.join(", ")}]);`),
    `  const ${output} = (`,
  ];
  const line = lines.length + 1;
  lines.push(answer.replace(/\s+$/, "").replace(/\n/g, " "), `  );`, `  return { loss: __sum(${output}), outputs: { ${output} } };`, `});`, ``);
  return { text: lines.join("\n"), line, output };
}

type Load = (file: string, text: string) => Graph;

/**
 * Grades `answer` (a DSL expression) for the backward value `target` on the batch and parameters given:
 * exact (every element equal), approximate (within a relative 1e-9: the same math in another order) or
 * different, with the largest difference and where it is.
 */
export function grade(optimized: Graph, bindings: { inputs: Readonly<Record<string, ArrayLike<number>>>; params: Readonly<Record<string, ArrayLike<number>>> }, target: string, answer: string, load: Load): GradeResult {
  const g = specialize("train")(optimized).graph;
  const d = derive(g, "model.ts");
  const k = d.backward.findIndex((e) => d.plainNames.get(e.node) === target);
  if (k < 0) return { ok: false, diagnostic: `the model has no backward value ${target}` };
  if (!answer.trim()) return { ok: false, diagnostic: "write an expression in the DSL, e.g. mul(sub(y, t), y)" };
  const values = evaluate(g, bindings);
  const names = available(g, d.backward, k, d.plainNames, d.forward);
  const shapes = new Map([...names].map(([name, n]) => [name, { shape: values.get(n)!.shape, param: n.op === "param" }]));
  const { text, line } = exerciseSource(shapes, answer);
  let yours: { shape: readonly number[]; data: Float64Array };
  try {
    const traced = load("/exercise.ts", text);
    const feed = (kind: "input" | "param") => Object.fromEntries([...names].filter(([, n]) => (n.op === "param") === (kind === "param")).map(([name, n]) => [name, values.get(n)!.data]));
    yours = evaluate(traced, { inputs: feed("input"), params: feed("param") }).get(traced.outputs[0]![1])!;
  } catch (e) {
    if (!isGradcError(e)) return { ok: false, diagnostic: `your answer could not be evaluated: ${e instanceof Error ? e.message : String(e)}` };
    const at = e.loc?.line === line ? `your answer:${e.loc.col}` : "your answer";
    const caret = e.loc?.line === line && e.loc.col ? `\n\n  ${answer.replace(/\s+$/, "").replace(/\n/g, " ")}\n  ${" ".repeat(e.loc.col - 1)}~` : "";
    return { ok: false, diagnostic: `${at} - error ${e.code}: ${e.message}${caret}` };
  }
  const theirs = values.get(d.backward[k]!.node)!;
  const shape = (s: readonly number[]) => `[${s.join(", ")}]`;
  if (yours.data.length !== theirs.data.length) {
    return { ok: false, diagnostic: `your answer has the shape ${shape(yours.shape)}; ${target} has ${shape(theirs.shape)}` };
  }
  let [exact, maxDifference, maxRelative, worst] = [true, 0, 0, 0];
  for (let i = 0; i < theirs.data.length; i++) {
    const [a, b] = [yours.data[i]!, theirs.data[i]!];
    if (Object.is(a, b) || a === b) continue;
    exact = false;
    const diff = Number.isNaN(a) !== Number.isNaN(b) ? Infinity : Math.abs(a - b);
    const rel = diff / Math.max(Math.abs(a), Math.abs(b), Number.MIN_VALUE);
    if (diff > maxDifference || !Number.isFinite(diff)) [maxDifference, worst] = [diff, i];
    maxRelative = Math.max(maxRelative, rel);
  }
  const list = (t: { data: Float64Array }) => (t.data.length <= LISTED ? Array.from(t.data) : null);
  return {
    ok: true,
    verdict: exact ? "exact" : maxRelative <= CLOSE ? "approximate" : "different",
    elements: theirs.data.length,
    maxDifference,
    maxRelative,
    worst,
    yours: list(yours),
    compilers: list(theirs),
    shapeNote: shape(yours.shape) === shape(theirs.shape) ? null : `your answer has the shape ${shape(yours.shape)}, ${target} ${shape(theirs.shape)}; compared element by element`,
  };
}
