// `gradc check`: does the compiled module's gradient equal the derivative of its loss? As
// torch.autograd.gradcheck and JAX's check_grads, for a user's own model: the model is compiled in
// float64 in memory, parameters are drawn by its initParams(seed) and inputs at random to fit its spec,
// and each gradient entry lossAndGrad reports is compared with a central finite difference of the
// module's own loss.
//
//  - Inputs: `points` rows of a batch (a model without a batch dimension: `points` separate draws).
//    Float inputs ~ N(0, 1); integer inputs uniform over their valid range, which the compiler finds in
//    the graph (class labels below the class count, indices below the table's rows: the spec's
//    `classes`); an integer input with no bound in sight is 0, valid for any table.
//  - Entries: every entry of a parameter, or a seeded sample of MAX_ENTRIES of a larger one.
//  - The numeric derivative: central differences D(s) = (L(p + s) − L(p − s)) / 2s with one Richardson
//    step, n = (4·D(s/2) − D(s)) / 3 (error O(s⁴), not O(s²)), s = REL_STEP·max(1, |p|).
//  - Kinks (relu at 0, max, |x|): for a smooth loss the one-sided slopes differ by s·L'' at step s and
//    by half that at s/2; where they do not, a kink lies within the step. Such an entry, and any entry
//    that fails, is measured again with a step ten times smaller (a kink a little way off then falls
//    outside it); an entry still on a kink there is skipped and counted.
//  - An entry passes when its relative error |a − n| / max(|a|, |n|, ATOL·max(1, |L|)) is at most
//    `tol`: gradients far below the loss L are compared absolutely, since rounding in L alone moves
//    the numeric derivative by about 10⁻¹⁶·|L|/s ≈ 10⁻¹³·|L|.
//
// checkFile returns plain data (no file is written); formatCheck (./checkFormat.ts) lays it out as the
// CLI prints it.
// Tested in test/cli/check.test.ts.
import { basename } from "node:path";
import { compileGraph } from "./compile.js";
import { loadModel } from "./frontend/load.js";
import type { Graph } from "./ir/graph.js";
import { codes, GradcError } from "./diagnostics.js";
import { builtRuntimeUrl, importCompiled } from "./loadCompiled.js";
import { createRng, uniformInt, type Rng } from "../runtime/rng.js";

export interface CheckOptions {
  /** Check only this parameter. */
  readonly param?: string;
  /** Rows of random inputs (a model without a batch dimension: separate draws). Default 3. */
  readonly points?: number;
  /** Seeds initParams, the inputs and the sample of entries. Default 0. */
  readonly seed?: number;
  /** The largest relative error that passes. Default 1e-6. */
  readonly tol?: number;
}

export const CHECK_DEFAULTS = { points: 3, seed: 0, tol: 1e-6 } as const;
/** At most this many entries of each parameter are checked (a seeded random sample of larger ones). */
export const MAX_ENTRIES = 1000;
/** The floor of the relative error's denominator, relative to max(1, |loss|): gradients below it are compared absolutely. */
export const ATOL = 1e-5;
/** The finite-difference step, relative to max(1, |p|). */
export const REL_STEP = 1e-3;
/** The entries listed per parameter, worst first. */
const WORST_LISTED = 5;

export interface CheckedEntry {
  /** Flat (row-major) index, and the same as coordinates. */
  readonly index: number;
  readonly coords: readonly number[];
  readonly analytic: number;
  readonly numeric: number;
  readonly absError: number;
  /** |a − n| / max(|a|, |n|, ATOL·max(1, |L|)); Infinity when either is not finite. */
  readonly relError: number;
}

export interface ParamCheck {
  readonly name: string;
  readonly shape: readonly number[];
  /** Entries compared, over all draws. */
  readonly checked: number;
  /** Entries of the parameter (per draw). */
  readonly size: number;
  /** Entries skipped because they sit on a kink of the loss. */
  readonly kinks: number;
  readonly maxAbsError: number;
  readonly maxRelError: number;
  readonly ok: boolean;
  /** The entries with the largest relative error, worst first. */
  readonly worst: readonly CheckedEntry[];
}

export interface DrawnInput {
  readonly name: string;
  readonly shape: readonly number[];
  /** How its values were drawn: "N(0, 1)", "integers in [0, 10)", "0". */
  readonly drawn: string;
}

export interface CheckResult {
  readonly model: string;
  /** The model file's name. */
  readonly source: string;
  readonly ok: boolean;
  readonly tol: number;
  /** ATOL: the relative error's floor is atol·max(1, |L|). */
  readonly atol: number;
  readonly seed: number;
  readonly points: number;
  /** Batch rows per draw (null: the model has no batch dimension, and each point is a draw). */
  readonly rows: number | null;
  /** Draws of the inputs: 1 with a batch dimension (or no inputs), else `points`. */
  readonly draws: number;
  /** The loss at the first draw. */
  readonly loss: number;
  readonly inputs: readonly DrawnInput[];
  readonly params: readonly ParamCheck[];
  /** The parameter with the largest relative error, and that error. */
  readonly worst: { readonly param: string; readonly relError: number } | null;
  /** Why nothing could be compared (a loss that is not finite at the drawn point). */
  readonly problem?: string;
}

type Params = Record<string, Float64Array>;
type Inputs = Record<string, Float64Array | Int32Array>;
interface InputSpec {
  readonly name: string;
  readonly shape: readonly (number | string)[];
  readonly dtype: string;
  readonly classes?: number;
}
interface CheckedModule {
  readonly spec: { readonly name: string; readonly inputs: readonly InputSpec[] };
  initParams(seed: number): Params;
  lossAndGrad(params: Params, inputs: Inputs): { loss: number; grads: Params };
  evaluate(params: Params, inputs: Inputs): { loss: number };
}

export async function checkFile(file: string, options: CheckOptions = {}): Promise<CheckResult> {
  return checkGraph(await loadModel(file), basename(file), options);
}

/** As checkFile, for a model already traced (`source` names it in the generated module). */
export async function checkGraph(traced: Graph, source: string, options: CheckOptions = {}): Promise<CheckResult> {
  const points = options.points ?? CHECK_DEFAULTS.points;
  const seed = options.seed ?? CHECK_DEFAULTS.seed;
  const tol = options.tol ?? CHECK_DEFAULTS.tol;
  if (!Number.isInteger(points) || points < 1) throw new GradcError(codes.usage, `--points must be a positive integer, got ${points}`);
  if (!Number.isInteger(seed)) throw new GradcError(codes.usage, `--seed must be an integer, got ${seed}`);
  if (!(tol > 0 && Number.isFinite(tol))) throw new GradcError(codes.usage, `--tol must be a positive number, got ${tol}`);

  const { code, optimized } = await compileGraph(traced, source, { dtype: "f64", runtime: builtRuntimeUrl() });
  const names = optimized.graph.grads.map(([name]) => name);
  if (options.param !== undefined && !names.includes(options.param)) {
    throw new GradcError(codes.badArgument, `no parameter named ${JSON.stringify(options.param)}; parameters: ${names.join(", ")}`);
  }
  const module = await importCompiled<CheckedModule>(code);
  // Training and inference compute the same loss unless the model has dropout or batchNorm; then the
  // loss is the training pass's (lossAndGrad draws the same dropout masks on every call).
  const modeDependent = optimized.graph.nodes.some((n) => n.op === "select" || n.op === "dropoutMask");
  const lossOf = modeDependent ? (p: Params, i: Inputs) => module.lossAndGrad(p, i).loss : (p: Params, i: Inputs) => module.evaluate(p, i).loss;

  const rng = createRng(seed);
  const params = module.initParams(seed);
  const specs = module.spec.inputs;
  const batched = specs.some((s) => s.shape.some((d) => typeof d === "string"));
  const rows = batched ? points : null;
  const draws = batched || specs.length === 0 ? 1 : points;
  const shapes = optimized.graph.params.filter((p) => names.includes(p.attrs.name as string)).map((p) => [p.attrs.name as string, p.shape as number[]] as const);
  const checked = shapes.filter(([name]) => options.param === undefined || name === options.param);

  const tallies = new Map(checked.map(([name, shape]) => [name, new Tally(name, shape)]));
  let inputs: DrawnInput[] = [];
  let firstLoss = NaN;
  for (let d = 0; d < draws; d++) {
    const drawn = drawInputs(specs, rows ?? 1, rng);
    if (d === 0) inputs = drawn.described;
    const { grads } = module.lossAndGrad(params, drawn.values);
    const lossAt = () => lossOf(params, drawn.values);
    // The loss at the point, from the function the finite differences evaluate (the kink test compares slopes to it).
    const loss = lossAt();
    if (d === 0) firstLoss = loss;
    if (!Number.isFinite(loss)) {
      const problem = `the loss at the drawn parameters and inputs is ${loss}, so no gradient can be compared; try another --seed`;
      return { model: module.spec.name, source, ok: false, tol, atol: ATOL, seed, points, rows, draws, loss, inputs, params: [], worst: null, problem };
    }
    for (const [name] of checked) {
      const p = params[name]!;
      for (const k of sampleEntries(p.length, rng)) tallies.get(name)!.add(k, grads[name]![k]!, compareEntry(p, k, grads[name]![k]!, loss, lossAt, tol));
    }
  }

  const reports = [...tallies.values()].map((t) => t.report(tol));
  const worst = reports.reduce<ParamCheck | null>((w, r) => (r.checked > 0 && (!w || !(r.maxRelError <= w.maxRelError)) ? r : w), null);
  return {
    model: module.spec.name,
    source,
    ok: reports.every((r) => r.ok),
    tol, atol: ATOL, seed, points, rows, draws,
    loss: firstLoss,
    inputs,
    params: reports,
    worst: worst ? { param: worst.name, relError: worst.maxRelError } : null,
  };
}

/** Random inputs that fit the spec: `rows` rows of the batch dimension. */
function drawInputs(specs: readonly InputSpec[], rows: number, rng: Rng): { values: Inputs; described: DrawnInput[] } {
  const values: Inputs = {};
  const described: DrawnInput[] = [];
  for (const s of specs) {
    const shape = s.shape.map((d) => (typeof d === "number" ? d : rows));
    const size = shape.reduce((a, b) => a * b, 1);
    if (s.dtype === "i32") {
      const bound = s.classes;
      values[s.name] = Int32Array.from({ length: size }, () => (bound === undefined ? 0 : uniformInt(rng, bound)));
      described.push({ name: s.name, shape, drawn: bound === undefined ? "0 (no bound found)" : `integers in [0, ${bound})` });
    } else {
      values[s.name] = Float64Array.from({ length: size }, () => rng.normal());
      described.push({ name: s.name, shape, drawn: "N(0, 1)" });
    }
  }
  return { values, described };
}

/** Every index below `size`, or a seeded sample of MAX_ENTRIES of them, ascending. */
function sampleEntries(size: number, rng: Rng): number[] {
  if (size <= MAX_ENTRIES) return Array.from({ length: size }, (_, k) => k);
  const order = Int32Array.from({ length: size }, (_, k) => k);
  for (let i = 0; i < MAX_ENTRIES; i++) {
    const j = i + uniformInt(rng, size - i);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return Array.from(order.subarray(0, MAX_ENTRIES)).sort((a, b) => a - b);
}

type Comparison = { readonly numeric: number; readonly floor: number } | { readonly kink: true };

const relativeError = (a: number, n: number, floor: number): number =>
  Number.isFinite(a) && Number.isFinite(n) ? Math.abs(a - n) / Math.max(Math.abs(a), Math.abs(n), floor) : Infinity;

/** The numeric derivative of entry k (or: it sits on a kink), measured again with a smaller step when the first disagrees. */
function compareEntry(p: Float64Array, k: number, analytic: number, loss: number, lossAt: () => number, tol: number): Comparison {
  const floor = ATOL * Math.max(1, Math.abs(loss));
  const first = probe(p, k, REL_STEP * Math.max(1, Math.abs(p[k]!)), loss, lossAt, analytic, tol, floor);
  if (!first.kink && relativeError(analytic, first.numeric, floor) <= tol) return { numeric: first.numeric, floor };
  const again = probe(p, k, (REL_STEP / 10) * Math.max(1, Math.abs(p[k]!)), loss, lossAt, analytic, tol, floor);
  return again.kink ? { kink: true } : { numeric: again.numeric, floor };
}

/** Richardson-extrapolated central difference at step s, and whether the one-sided slopes show a kink. */
function probe(p: Float64Array, k: number, s: number, loss: number, lossAt: () => number, analytic: number, tol: number, floor: number): { numeric: number; kink: boolean } {
  const x = p[k]!;
  const at = (v: number): [number, number] => {
    p[k] = v;
    const moved = p[k]! - x; // the step actually taken (x + s rounds)
    return [moved, lossAt()];
  };
  const [up, lUp] = at(x + s), [down, lDown] = at(x - s), [upHalf, lUpHalf] = at(x + s / 2), [downHalf, lDownHalf] = at(x - s / 2);
  p[k] = x;
  const whole = (lUp - lDown) / (up - down);
  const half = (lUpHalf - lDownHalf) / (upHalf - downHalf);
  const numeric = (4 * half - whole) / 3;
  // One-sided slopes: smooth, their difference is s·L'' at step s and half of it at s/2.
  const spread = (lUp - loss) / up - (loss - lDown) / -down;
  const spreadHalf = (lUpHalf - loss) / upHalf - (loss - lDownHalf) / -downHalf;
  const mismatch = Math.abs(spread - 2 * spreadHalf);
  // What rounding in the loss alone can cause, and what would matter at tol.
  const rounding = (64 * Number.EPSILON * Math.max(Math.abs(loss), Math.abs(lUp), Math.abs(lDown))) / s;
  const matters = tol * Math.max(Math.abs(numeric), Math.abs(analytic), floor);
  return { numeric, kink: !(mismatch <= Math.max(rounding, matters)) };
}

/** One parameter's comparisons, over all draws. */
class Tally {
  private checked = 0;
  private kinks = 0;
  private maxAbs = 0;
  private maxRel = 0;
  private worst: CheckedEntry[] = [];
  constructor(
    private readonly name: string,
    private readonly shape: readonly number[],
  ) {}

  add(index: number, analytic: number, c: Comparison): void {
    if ("kink" in c) {
      this.kinks++;
      return;
    }
    this.checked++;
    const absError = Number.isFinite(analytic) && Number.isFinite(c.numeric) ? Math.abs(analytic - c.numeric) : Infinity;
    const relError = relativeError(analytic, c.numeric, c.floor);
    this.maxAbs = Math.max(this.maxAbs, absError);
    this.maxRel = Math.max(this.maxRel, relError);
    if (this.worst.length < WORST_LISTED || relError > this.worst[this.worst.length - 1]!.relError) {
      this.worst.push({ index, coords: coordsOf(this.shape, index), analytic, numeric: c.numeric, absError, relError });
      this.worst.sort((a, b) => b.relError - a.relError);
      this.worst.length = Math.min(this.worst.length, WORST_LISTED);
    }
  }

  report(tol: number): ParamCheck {
    const size = this.shape.reduce((a, b) => a * b, 1);
    return { name: this.name, shape: this.shape, size, checked: this.checked, kinks: this.kinks, maxAbsError: this.maxAbs, maxRelError: this.maxRel, ok: this.maxRel <= tol, worst: this.worst };
  }
}

const coordsOf = (shape: readonly number[], k: number): number[] => {
  const out: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    out.unshift(k % shape[d]!);
    k = Math.floor(k / shape[d]!);
  }
  return out;
};

// ── the table ─────────────────────────────────────────────────────────────────────────────────────
