// Property: random whole models (test/helpers/randomModel.ts), compiled from model.ts source text the
// way `gradc compile` does (frontend with the type-checker, every pass, the emitter, prettier), hold up:
//
//   - every compile either succeeds or throws a GradcError located in model.ts; anything else (an
//     internal error) is a bug. A model with one deliberate mistake is refused with an error at the
//     mistake's line and with a code that fits it;
//   - every compiled model's lossAndGrad matches central finite differences of the reference
//     interpreter in float64 (elements where the loss has a kink are skipped, see helpers/gradcheck.ts),
//     its forward() and evaluate() match the interpreter and lossAndGrad;
//   - the float32 module of the same model agrees with the float64 module at the same (float32)
//     values: loss, outputs and raw gradients, to float32 precision.
//
// Per-op tables of compiled code against finite differences live in test/ops; this file is about whole
// models: ops meeting each other, the batch loop, fusion and memory reuse across many values.
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { isGradcError } from "../../compiler/diagnostics.js";
import { emitModuleWithPlan } from "../../compiler/emit/module.js";
import { loadModelSource } from "../../compiler/frontend/load.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { evaluate } from "../../compiler/ir/interpret.js";
import { optimize } from "../../compiler/pipeline.js";
import { importCode, type GeneratedModule } from "../helpers/compiled.js";
import { gradientReport, lossAt } from "../helpers/gradcheck.js";
import { generateModel, MISTAKES, type InputSpec, type MistakeKind, type RandomModel } from "../helpers/randomModel.js";
import { mulberry32 } from "../helpers/rng.js";

// The suite's fixed seed and run counts. To search further: GRADC_PROPERTY_SEED=<n> and
// GRADC_PROPERTY_SCALE=<factor> (e.g. 10) run other and more models; a failure prints its model.ts.
const SEED = Number(process.env.GRADC_PROPERTY_SEED ?? 20260401);
const SCALE = Number(process.env.GRADC_PROPERTY_SCALE ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));
/** model.ts of every random model: loadModelSource needs no file on disk, only its path. */
const FILE = path.resolve("test/property/random-model.ts");

type Params = Record<string, Float64Array | Float32Array>;
type Inputs = Record<string, number[]>;

// Unbiased: fast-check's default bias toward small numbers would make the first alternative of every
// choice (v % n) far more likely than the others. Shrinking still goes toward fewer and smaller choices.
const choices = fc.noBias(fc.array(fc.noBias(fc.nat({ max: 2 ** 30 })), { minLength: 60, maxLength: 160 }));

/** A random model, the batch size to run it at, whether to compile with --batch, and a seed for the values. */
interface Case {
  readonly choices: number[];
  readonly mistake: MistakeKind | null;
  readonly batch: number;
  readonly fixedBatch: boolean;
  readonly seed: number;
  readonly model: RandomModel;
}

const caseArbitrary = (opts: { mistake?: boolean; batchTwice?: boolean; batches?: readonly number[] } = {}): fc.Arbitrary<Case> =>
  fc.record({
    choices,
    mistake: opts.mistake ? fc.constantFrom<MistakeKind | null>(...MISTAKES) : fc.constant<MistakeKind | null>(null),
    batch: fc.constantFrom(...(opts.batches ?? [1, 2, 3, 5])),
    fixedBatch: fc.boolean(),
    seed: fc.nat(),
  }).map((c) => ({ ...c, model: generateModel(c.choices, { mistake: c.mistake, batchTwice: !!opts.batchTwice }) }));


// ── compiling ─────────────────────────────────────────────────────────────────────────────────────

class InternalError extends Error {}

/**
 * Traces model.ts text as `gradc compile` does (type-check included), optimizes once with the IR
 * verifier after every pass, and emits a float64 and a float32 module; a thrown error that is not a
 * GradcError becomes an InternalError. Not run: prettier (formatting only, and most of the time of a
 * compile; the golden tests cover it), and the --report summary. A syntax error in the emitted text
 * still shows: importing the module fails.
 */
async function compile(m: RandomModel, batch: number | undefined): Promise<{ graph: Graph; f64: GeneratedModule; f32: GeneratedModule } | { error: unknown }> {
  const options = batch !== undefined ? { batch } : {};
  let graph: Graph;
  let texts: [string, string];
  try {
    graph = loadModelSource(FILE, m.source, options);
    const optimized = optimize(graph, { verify: true });
    const emit = (dtype: "f64" | "f32") => emitModuleWithPlan(optimized, { dtype, source: "random-model.ts", ...options }).text;
    texts = [emit("f64"), emit("f32")];
  } catch (e) {
    if (!isGradcError(e)) throw new InternalError(`internal error (not a GradcError): ${e instanceof Error ? e.stack : String(e)}\n${listing(m)}`);
    return { error: e };
  }
  return { graph, f64: await importCode(texts[0]), f32: await importCode(texts[1]) };
}

const listing = (m: RandomModel) => `── model.ts ──\n${m.source.split("\n").map((l, i) => `${String(i + 1).padStart(3)}  ${l}`).join("\n")}`;

// ── values ────────────────────────────────────────────────────────────────────────────────────────

function drawValues(graph: Graph, inputs: readonly InputSpec[], batch: number, seed: number): { params: Record<string, Float64Array>; inputs: Inputs } {
  const rng = mulberry32(seed);
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * rng();
  const params = Object.fromEntries(
    graph.params.map((p) => {
      const n = (p.shape as number[]).reduce((a, b) => a * b, 1);
      return [p.attrs.name as string, Float64Array.from({ length: n }, () => uniform(-1, 1))];
    }),
  );
  const values: Inputs = {};
  for (const i of inputs) {
    const n = i.shape.reduce<number>((a, d) => a * (d === "B" ? batch : d), 1);
    values[i.name] = Array.from({ length: n }, () =>
      i.kind === "int" ? Math.floor(rng() * i.bound!) : i.kind === "unit" ? uniform(0.05, 0.95) : uniform(-1.5, 1.5),
    );
  }
  return { params, inputs: values };
}

const f64 = (r: Params) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Float64Array.from(v)]));
const f32 = (r: Params) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Float32Array.from(v)]));
const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

// ── what is checked ───────────────────────────────────────────────────────────────────────────────

const stats = { valid: 0, refused: 0, checked: 0, skipped: 0, zeroGradient: 0, f32Compared: 0, ops: new Map<string, number>() };

/** float64: gradients against finite differences, forward/evaluate against the interpreter. */
function checkF64(c: Case, graph: Graph, mod: GeneratedModule, values: ReturnType<typeof drawValues>): void {
  const where = () => `batch ${c.batch}${c.fixedBatch ? " (compiled with --batch)" : ""}\n${listing(c.model)}`;
  const r = gradientReport(graph, values, { analytic: () => mod.lossAndGrad(values.params, values.inputs), kinks: "skip", rtol: 1e-5, atol: 1e-7 });
  if (!r.ok) throw new Error(`${r.message}\n${where()}`);
  stats.checked += r.checked;
  stats.skipped += r.skipped.length;
  if (Math.max(...Object.values(r.numeric).map(maxAbs)) < 1e-9) stats.zeroGradient++;

  const reference = evaluate(graph, { inputs: values.inputs, params: values.params });
  const outputs = mod.forward(values.params, values.inputs);
  for (const [name, node] of graph.outputs) {
    const want = reference.get(node)!.data;
    const got = outputs[name]!;
    expect(got.length, `output ${name} length; ${where()}`).toBe(want.length);
    for (let k = 0; k < want.length; k++) {
      if (!(Math.abs(got[k]! - want[k]!) <= 1e-9 * (1 + Math.abs(want[k]!)))) throw new Error(`forward ${name}[${k}]: ${got[k]} ≠ interpreter ${want[k]}\n${where()}`);
    }
  }
  const ev = mod.evaluate(values.params, values.inputs);
  const loss = lossAt(graph, values);
  if (!(Math.abs(ev.loss - loss) <= 1e-9 * (1 + Math.abs(loss)))) throw new Error(`evaluate().loss ${ev.loss} ≠ interpreter ${loss}\n${where()}`);
  for (const [name, v] of Object.entries(outputs)) {
    const e = ev.outputs[name]!;
    for (let k = 0; k < v.length; k++) if (!Object.is(e[k], v[k])) throw new Error(`evaluate().outputs.${name}[${k}] ${e[k]} ≠ forward() ${v[k]}\n${where()}`);
  }
}

/**
 * float32 against float64 at the same float32 values. Per parameter, max |g32 − g64| ≤ 1e-4·max |g64|
 * + 1e-6: float32 rounding (2⁻²⁴ ≈ 6e-8 per operation) grown by a few hundred operations, while a
 * gradient scaled by 1.001 or taken from the wrong buffer fails.
 */
function checkF32(c: Case, mod32: GeneratedModule, mod64: GeneratedModule, values: ReturnType<typeof drawValues>): void {
  const where = () => `batch ${c.batch}\n${listing(c.model)}`;
  const p32 = f32(values.params);
  const inputs32 = Object.fromEntries(Object.entries(values.inputs).map(([k, v]) => [k, v.map(Math.fround)]));
  const ref = mod64.lossAndGrad(f64(p32), inputs32);
  const got = mod32.lossAndGrad(p32, inputs32);
  if (!(Math.abs(got.loss - ref.loss) <= 1e-5 * (1 + Math.abs(ref.loss)))) throw new Error(`float32 loss ${got.loss} ≠ float64 ${ref.loss}\n${where()}`);
  for (const [name, g64] of Object.entries(ref.grads)) {
    const g32 = got.grads[name]!;
    expect(g32, `float32 gradient of ${name}`).toBeInstanceOf(Float32Array);
    const tol = 1e-4 * maxAbs(g64) + 1e-6;
    for (let k = 0; k < g64.length; k++) {
      if (!(Math.abs(g32[k]! - g64[k]!) <= tol)) throw new Error(`float32 ∂L/∂${name}[${k}] = ${g32[k]}, float64 ${g64[k]} (tolerance ${tol.toExponential(2)})\n${where()}`);
    }
  }
  const o32 = mod32.forward(p32, inputs32);
  const o64 = mod64.forward(f64(p32), inputs32);
  for (const [name, v64] of Object.entries(o64)) {
    const tol = 1e-5 * maxAbs(v64) + 1e-6;
    for (let k = 0; k < v64.length; k++) if (!(Math.abs(o32[name]![k]! - v64[k]!) <= tol)) throw new Error(`float32 output ${name}[${k}] = ${o32[name]![k]}, float64 ${v64[k]}\n${where()}`);
  }
  stats.f32Compared++;
}

async function checkValid(c: Case): Promise<void> {
  const compiled = await compile(c.model, c.fixedBatch ? c.batch : undefined);
  if ("error" in compiled) throw new Error(`a valid model was refused: ${String(compiled.error)}\n${listing(c.model)}`);
  stats.valid++;
  for (const op of c.model.uses) stats.ops.set(op, (stats.ops.get(op) ?? 0) + 1);
  const values = drawValues(compiled.graph, c.model.inputs, c.batch, c.seed);
  const loss = lossAt(compiled.graph, values);
  fc.pre(Number.isFinite(loss) && Math.abs(loss) < 1e6);
  checkF64(c, compiled.graph, compiled.f64, values);
  checkF32(c, compiled.f32, compiled.f64, values);
}

async function checkMistake(c: Case): Promise<void> {
  const m = c.model;
  const mistake = m.mistake!;
  const compiled = await compile(m, c.fixedBatch && !mistake.symbolicBatch ? c.batch : undefined);
  if (!("error" in compiled)) {
    if (!mistake.mayCompile) throw new Error(`the mistake (${mistake.kind}, line ${mistake.line}) was not diagnosed\n${listing(m)}`);
    // Accepted: then it is a model like any other, and its gradients must be right.
    const values = drawValues(compiled.graph, m.inputs, c.batch, c.seed);
    fc.pre(Number.isFinite(lossAt(compiled.graph, values)));
    checkF64(c, compiled.graph, compiled.f64, values);
    return;
  }
  stats.refused++;
  const e = compiled.error as { code: string; message: string; loc?: { file: string; line: number; col: number } };
  const said = `${e.code} at ${e.loc ? `${e.loc.line}:${e.loc.col}` : "no location"}: ${e.message}`;
  if (!e.loc || e.loc.file !== FILE || !(e.loc.line >= 1) || !(e.loc.col >= 1)) throw new Error(`the error is not located in model.ts: ${said}\n${listing(m)}`);
  if (e.loc.line !== mistake.line) throw new Error(`the error points at line ${e.loc.line}, the mistake (${mistake.kind}) is on line ${mistake.line}: ${said}\n${listing(m)}`);
  if (!mistake.codes.includes(e.code)) throw new Error(`${mistake.kind}: expected ${mistake.codes.join(" or ")}, got ${said}\n${listing(m)}`);
}

// ── the properties ────────────────────────────────────────────────────────────────────────────────

describe("random whole models, compiled", () => {
  afterAll(() => {
    const ops = [...stats.ops].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(", ");
    console.log(`random models: ${stats.valid} compiled and checked (${stats.checked} gradient elements, ${stats.skipped} skipped at kinks, ${stats.zeroGradient} with a zero gradient; ${stats.f32Compared} float32 modules compared), ${stats.refused} mistakes refused\nDSL calls: ${ops}`);
  });

  // Timeouts: a guard against a hang, generous for a busy machine (each model is compiled twice).
  it("valid models: gradients match finite differences (f64); f32 agrees with f64; forward and evaluate agree", { timeout: 900_000 }, async () => {
    await fc.assert(fc.asyncProperty(caseArbitrary(), checkValid), { seed: SEED, numRuns: runs(40) });
    // Not vacuous: most models were checked, with real gradients, and kinks were rare.
    expect(stats.valid).toBeGreaterThanOrEqual(runs(40) * 0.9);
    expect(stats.zeroGradient).toBeLessThan(stats.valid / 10);
    expect(stats.skipped).toBeLessThan(stats.checked / 100);
  });

  it("models with one mistake: refused with a GradcError at the mistake's line, with a fitting code", { timeout: 900_000 }, async () => {
    await fc.assert(fc.asyncProperty(caseArbitrary({ mistake: true }), checkMistake), { seed: SEED, numRuns: runs(100) });
  });
});

describe("random models with a [batch, batch] value", () => {
  // KNOWN BUG, kept failing on purpose (issue 12, section 2, "Every value gets a buffer of its own
  // size"; the emit branch fixes the memory plan): a value whose shape has the batch dimension twice,
  // such as matmul(h, h, { transB: true }), is given a workspace of `batch` elements, so lossAndGrad
  // returns NaN gradients and evaluate() reads past the values it wrote. `it.fails` keeps the property
  // in the suite and passes while the bug is there; once the fix is merged this fails: change
  // `it.fails` to `it` (the integrator, on merging the emit branch).
  it.fails("matmul(h, h, { transB: true }) and an op over it, at batch sizes 4 to 20: gradients, f32, forward and evaluate", { timeout: 900_000 }, async () => {
    await fc.assert(fc.asyncProperty(caseArbitrary({ batchTwice: true, batches: [4, 7, 17, 20] }), checkValid), { seed: SEED, numRuns: runs(8) });
  });
});

describe("the generator", () => {
  const sample = fc.sample(caseArbitrary(), { seed: SEED, numRuns: 300 });

  it("reaches every family of ops", () => {
    const used = new Set(sample.flatMap((c) => [...c.model.uses]));
    for (const op of [
      "matmul", "add", "sub", "mul", "div", "neg", "exp", "log", "sqrt", "square", "pow", "abs", "sigmoid", "tanh", "relu",
      "leakyRelu", "softplus", "sum", "mean", "max", "reshape", "transpose", "softmax", "logSoftmax", "mse", "crossEntropy",
      "softmaxCrossEntropy", "binaryCrossEntropy", "concat", "slice", "gather", "embedding", "conv2d", "maxPool2d", "avgPool2d",
      "flatten", "layerNorm", "variance", "rnn", "lstm", "gru", "lstmCell", "gruCell", "rnnCell", "zeros", "cellParams",
    ]) expect(used, op).toContain(op);
  });

  it("writes every mistake kind at its own line", () => {
    const kinds = new Set<string>();
    for (const kind of MISTAKES) {
      for (const c of fc.sample(choices, { seed: SEED, numRuns: 20 })) {
        const m = generateModel(c, { mistake: kind });
        expect(m.mistake, kind).not.toBeNull();
        const line = m.source.split("\n")[m.mistake!.line - 1];
        expect(line, `${kind}: line ${m.mistake!.line}`).toMatch(/\S/);
        kinds.add(m.mistake!.kind);
      }
    }
    // A kind the drawn model has no place for falls back to another; each one still occurs itself.
    expect([...kinds].sort()).toEqual([...MISTAKES].sort());
  });

  it("with batchTwice, every model holds a [batch, batch] value", () => {
    const twice = fc.sample(caseArbitrary({ batchTwice: true }), { seed: SEED, numRuns: 50 });
    expect(twice).toHaveLength(50);
    for (const c of twice) {
      expect(c.model.batchTwice).toBe(true);
      expect(c.model.source).toMatch(/matmul\((\w+), \1, \{ transB: true \}\)/);
    }
  });

  it("shrinks toward small models (a counterexample is short)", () => {
    const r = fc.check(fc.property(choices, (c) => !generateModel(c).source.includes("conv2d")), { seed: SEED, numRuns: 300 });
    expect(r.failed).toBe(true);
    expect(r.counterexample![0].filter((x) => x !== 0).length).toBeLessThanOrEqual(6);
  });
});
