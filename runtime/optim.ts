// Optimizers with the semantics and defaults of torch.optim.SGD, Adam and AdamW.
//
// Each update follows PyTorch's single-tensor (foreach=False) code path, operation by operation and in
// the same order, in double precision: torch/optim/sgd.py `_single_tensor_sgd` and torch/optim/adam.py
// `_single_tensor_adam` (AdamW = Adam with decoupled weight decay). Reproducing the order matters because
// floating-point arithmetic is not associative: `p + (−lr)·d` and `p − lr·d` can differ in the last bit,
// and those bits compound over thousands of steps.
//
// Known limits of bit-faithfulness: PyTorch's vectorized CPU kernels for add/lerp use fused multiply-add
// on AVX2/AVX-512 builds, which JavaScript cannot express, and Python's `beta ** step` uses the C
// library's pow while we use V8's; either can move a result by an ulp. For float32 parameters we do not
// emulate float32 kernels (which also round every scalar to float): each element's update is computed in
// double from the stored values, and the parameter and each state buffer are rounded once when written.
//
// Performance: state buffers are allocated once and `step` allocates nothing.
//
// The per-element formulas are update.ts's. Generated trainers run them too, fused into their step
// (bindModule.ts): they call `beginFusedStep()`, which advances the step count and computes this step's
// scalars exactly as `step` does (it is what `step` itself calls), then update.ts's `applyUpdate` on the
// live state buffers it returns. So both paths share one state (checkpoints, loadState, the parallel
// trainer's runtime `step`), one computation of the scalars and one update; test/emit/fusedUpdate.test.ts
// checks them against torch's formulas bit for bit.
//
// Trainer options beyond torch.optim's constructor (OptimizerOptions): parameter groups with their own
// learning-rate multiple and weight decay (paramGroups.ts; each group's scalars are computed as torch
// computes a param_group's), and gradient clipping before the update (clip.ts, torch.nn.utils'
// clip_grad_norm_ / clip_grad_value_), both run by `step` and by a generated trainer's fused update.
//
// The specs, defaults and their checks are optimSpec.ts's. Over 400 lines on purpose: SGD and Adam
// side by side, each `step` beside its state handling, read against torch's sources.

import { checkClip } from "./clip.js";
import type { Dtype, FloatArray } from "./init.js";
import { resolveGroups, type NamedParam, type ParamGroup, type ResolvedGroup } from "./paramGroups.js";
import { checkLr, resolveOptimizerSpec, type AdamSpec, type OptimizerSpec, type ResolvedOptimizerSpec, type SgdSpec } from "./optimSpec.js";
import { applyUpdate, UPDATE, type FusedUpdate } from "./update.js";
import { BiasCorrection } from "./biasCorrection.js";

export type { SgdSpec, AdamSpec, OptimizerSpec, ResolvedOptimizerSpec } from "./optimSpec.js";
export { resolveOptimizerSpec } from "./optimSpec.js";

/**
 * A checkpointable snapshot: plain data (step count and per-parameter buffer copies in the parameters'
 * order). `state()` returns typed-array copies; `loadState` also accepts plain number arrays, so a
 * snapshot survives a JSON round trip.
 */
export interface OptimizerState {
  readonly kind: OptimizerSpec["kind"];
  readonly stepCount: number;
  /** SGD with momentum ≠ 0, once at least one step was taken: torch's `momentum_buffer`. */
  readonly momentumBuffer?: readonly (FloatArray | readonly number[])[];
  /** Adam/AdamW: torch's `exp_avg` (first moment). */
  readonly expAvg?: readonly (FloatArray | readonly number[])[];
  /** Adam/AdamW: torch's `exp_avg_sq` (second moment). */
  readonly expAvgSq?: readonly (FloatArray | readonly number[])[];
}

/** What a trainer adds to torch.optim's constructor: parameter groups and gradient clipping. */
export interface OptimizerOptions {
  /** The parameters' names and shapes, in the order of `paramSizes`: what groups select from. */
  readonly params?: readonly NamedParam[] | undefined;
  /** Parameter groups (paramGroups.ts); the parameters no group selects run the spec as given. */
  readonly groups?: readonly ParamGroup[] | undefined;
  /** Scale the gradients to a global L2 norm of at most this before each update (torch's clip_grad_norm_). */
  readonly clipGradNorm?: number | undefined;
  /** Clamp every gradient element to ±this before each update (torch's clip_grad_value_). */
  readonly clipGradValue?: number | undefined;
}

/**
 * A generated module's createTrainer options: the optimizer (torch.optim's semantics), the seed of the
 * dropout masks, parameter groups and gradient clipping.
 */
export interface TrainerOptions {
  readonly optimizer: OptimizerSpec;
  /** Seeds the dropout masks (default 0). */
  readonly seed?: number | undefined;
  readonly groups?: readonly ParamGroup[] | undefined;
  readonly clipGradNorm?: number | undefined;
  readonly clipGradValue?: number | undefined;
  /**
   * Opt-in: float32 matrix products with fused multiply-add (WebAssembly relaxed SIMD, runtime/gemm.ts)
   * where the engine has it. Results then may differ in the last bits between machines; default false
   * (bit-reproducible everywhere). Without relaxed SIMD the default kernel runs and the console says so once.
   */
  readonly fastMath?: boolean | undefined;
}

const TRAINER_OPTIONS = ["optimizer", "seed", "groups", "clipGradNorm", "clipGradValue", "fastMath"];

/**
 * The optimizer of a generated trainer: createOptimizer with the trainer's groups and clipping over its
 * trainable parameters (names and shapes in PARAM_SIZES' order). Refuses an unknown option, so a
 * misspelt `clipGradnorm` is an error rather than a run without clipping.
 */
export function createTrainerOptimizer(options: TrainerOptions, paramSizes: readonly number[], params: readonly NamedParam[], dtype: Dtype): Optimizer {
  if (typeof options !== "object" || options === null) throw new Error(`createTrainer: expected options { optimizer, seed?, groups?, clipGradNorm?, clipGradValue?, fastMath? }, got ${String(options)}`);
  for (const key of Object.keys(options)) {
    if (!TRAINER_OPTIONS.includes(key)) throw new Error(`createTrainer: unknown option ${JSON.stringify(key)}; expected ${TRAINER_OPTIONS.join(", ")}`);
  }
  if (options.fastMath !== undefined && typeof options.fastMath !== "boolean") throw new Error(`createTrainer: fastMath must be a boolean, got ${String(options.fastMath)}`);
  return createOptimizer(options.optimizer, paramSizes, dtype, { params, groups: options.groups, clipGradNorm: options.clipGradNorm, clipGradValue: options.clipGradValue });
}

export interface Optimizer {
  /** The spec being run, defaults filled in; `lr` reflects the latest `setLearningRate`. */
  readonly spec: ResolvedOptimizerSpec;
  /** The parameter groups besides the default one, as resolved (empty without groups). */
  readonly groups: readonly ResolvedGroup[];
  /** The clipping thresholds (0: off). */
  readonly clip: { readonly norm: number; readonly value: number };
  /** Number of completed `step` calls (torch's per-parameter `step`, which is the same for all). */
  readonly stepCount: number;
  /**
   * Clips the gradients in place when clipping is on, then updates every parameter in place from its
   * gradient and increments the step count once.
   */
  step(params: readonly FloatArray[], grads: readonly FloatArray[]): void;
  /** Changes the learning rate for later steps (what a torch LR scheduler does to `param_groups`). */
  setLearningRate(lr: number): void;
  state(): OptimizerState;
  loadState(s: OptimizerState): void;
  /**
   * For a caller that applies the update itself (a generated trainer's fused step): counts one step, as
   * `step` does, and returns this step's scalars and the live state buffers. The caller must then update
   * every parameter with the formula of `scalars[UPDATE.rule]`, as update.ts's `applyUpdate` does.
   */
  beginFusedStep(): FusedUpdate;
}

/**
 * Creates an optimizer for parameters of the given sizes (in the order `step` receives them). State
 * buffers have the parameters' dtype, as torch's `zeros_like(param)` state does.
 */
export function createOptimizer(spec: OptimizerSpec, paramSizes: readonly number[], dtype: Dtype, options: OptimizerOptions = {}): Optimizer {
  const resolved = resolveOptimizerSpec(spec);
  if (dtype !== "f32" && dtype !== "f64") {
    throw new Error(`unknown dtype ${JSON.stringify(dtype)}: expected "f32" or "f64"`);
  }
  paramSizes.forEach((n, i) => {
    if (!Number.isInteger(n) || n < 0) throw new Error(`parameter ${i}: size must be a non-negative integer, got ${n}`);
  });
  const sizes = paramSizes.slice(); // our own copy: the caller's array may change later
  const setup = resolveSetup(options, sizes, resolved.weightDecay, dtype);
  return resolved.kind === "sgd" ? new SgdOptimizer(resolved, sizes, dtype, setup) : new AdamOptimizer(resolved, sizes, dtype, setup);
}

/** Groups and clipping as an optimizer runs them. */
interface Setup {
  readonly dtype: Dtype;
  readonly groups: readonly ResolvedGroup[];
  /** The fused groups (default first), their scalars rewritten each step. */
  readonly fused: FusedUpdate["groups"];
  readonly clip: { readonly norm: number; readonly value: number };
}

function resolveSetup(options: OptimizerOptions, sizes: readonly number[], weightDecay: number, dtype: Dtype): Setup {
  if (typeof options !== "object" || options === null) throw new Error(`optimizer options must be an object, got ${String(options)}`);
  const clip = {
    norm: options.clipGradNorm === undefined ? 0 : checkClip(options.clipGradNorm, "clipGradNorm"),
    value: options.clipGradValue === undefined ? 0 : checkClip(options.clipGradValue, "clipGradValue"),
  };
  const all = Int32Array.from(sizes, (_, k) => k);
  if (options.groups === undefined || (Array.isArray(options.groups) && options.groups.length === 0)) {
    return { dtype, groups: [], fused: [{ scalars: new Float64Array(UPDATE.length), members: all }], clip };
  }
  const params = options.params;
  if (!Array.isArray(params) || params.length !== sizes.length) {
    throw new Error(`optimizer groups need the ${sizes.length} parameters' names and shapes (options.params), got ${params === undefined ? "none" : `${String(params.length)}`}`);
  }
  const { groups, members } = resolveGroups(options.groups, params, weightDecay);
  return { dtype, groups, fused: members.map((m) => ({ scalars: new Float64Array(UPDATE.length), members: m })), clip };
}

/** The learning rate and weight decay of fused group g: the spec's for the default group (g = 0). */
function groupLr(setup: Setup, g: number, lr: number): number {
  return g === 0 ? lr : lr * setup.groups[g - 1]!.lrScale;
}
function groupDecay(setup: Setup, g: number, weightDecay: number): number {
  return g === 0 ? weightDecay : setup.groups[g - 1]!.weightDecay;
}

// ── SGD ──────────────────────────────────────────────────────────────────────────────────────────────

class SgdOptimizer implements Optimizer {
  private cfg: Readonly<Required<SgdSpec>>;
  private steps = 0;
  /** One momentum buffer per parameter, or null when momentum = 0 (torch keeps none then). */
  private readonly buffers: FloatArray[] | null;
  private readonly fused: FusedUpdate;

  constructor(
    spec: Readonly<Required<SgdSpec>>,
    private readonly sizes: readonly number[],
    private readonly dtype: Dtype,
    private readonly setup: Setup,
  ) {
    this.cfg = spec;
    this.buffers = spec.momentum !== 0 ? sizes.map((n) => allocate(dtype, n)) : null;
    this.fused = fusedUpdate(setup, this.buffers ?? [], []);
  }

  get spec(): ResolvedOptimizerSpec {
    return this.cfg;
  }

  get groups(): readonly ResolvedGroup[] {
    return this.setup.groups;
  }

  get clip(): { readonly norm: number; readonly value: number } {
    return this.setup.clip;
  }

  get stepCount(): number {
    return this.steps;
  }

  beginFusedStep(): FusedUpdate {
    const { lr, momentum, dampening, nesterov, weightDecay } = this.cfg;
    const S = UPDATE.sgd;
    const groups = this.fused.groups;
    for (let g = 0; g < groups.length; g++) {
      // torch's param_group: its own lr and weight_decay, the spec's other settings.
      const decay = groupDecay(this.setup, g, weightDecay);
      const sc = groups[g]!.scalars;
      sc[UPDATE.rule] = this.buffers === null ? UPDATE.SGD : UPDATE.SGD_MOMENTUM;
      sc[S.negLr] = -groupLr(this.setup, g, lr);
      sc[S.decay] = decay !== 0 ? 1 : 0;
      sc[S.weightDecay] = decay;
      sc[S.momentum] = momentum;
      sc[S.oneMinusDampening] = 1 - dampening;
      sc[S.nesterov] = nesterov ? 1 : 0;
      // torch creates the momentum buffer on a parameter's first step (buf = clone(d_p)).
      sc[S.first] = this.steps === 0 ? 1 : 0;
    }
    this.steps++;
    return this.fused;
  }

  step(params: readonly FloatArray[], grads: readonly FloatArray[]): void {
    checkStepArgs(params, grads, this.sizes, this.dtype);
    applyUpdate(params, grads, this.beginFusedStep(), this.dtype);
  }


  setLearningRate(lr: number): void {
    this.cfg = Object.freeze({ ...this.cfg, lr: checkLr(lr) });
  }

  state(): OptimizerState {
    const base = { kind: "sgd" as const, stepCount: this.steps };
    // Before the first step torch has no momentum buffer; the snapshot says the same.
    if (this.buffers === null || this.steps === 0) return base;
    return { ...base, momentumBuffer: this.buffers.map((b) => b.slice()) };
  }

  loadState(s: OptimizerState): void {
    const stepCount = checkStateHeader(s, "sgd");
    if (this.buffers !== null && stepCount > 0) {
      copyBuffers(s.momentumBuffer, this.buffers, "momentumBuffer");
    }
    this.steps = stepCount;
  }
}

// ── Adam / AdamW ─────────────────────────────────────────────────────────────────────────────────────


class AdamOptimizer implements Optimizer {
  private cfg: Readonly<Required<AdamSpec>>;
  private steps = 0;
  private readonly expAvg: FloatArray[];
  private readonly expAvgSq: FloatArray[];
  private readonly fused: FusedUpdate;
  private readonly biasCorrection1: BiasCorrection;
  private readonly biasCorrection2: BiasCorrection;

  constructor(
    spec: Readonly<Required<AdamSpec>>,
    private readonly sizes: readonly number[],
    private readonly dtype: Dtype,
    private readonly setup: Setup,
  ) {
    this.cfg = spec;
    this.biasCorrection1 = new BiasCorrection(spec.beta1);
    this.biasCorrection2 = new BiasCorrection(spec.beta2);
    this.expAvg = sizes.map((n) => allocate(dtype, n));
    this.expAvgSq = sizes.map((n) => allocate(dtype, n));
    this.fused = fusedUpdate(setup, this.expAvg, this.expAvgSq);
  }

  get spec(): ResolvedOptimizerSpec {
    return this.cfg;
  }

  get groups(): readonly ResolvedGroup[] {
    return this.setup.groups;
  }

  get clip(): { readonly norm: number; readonly value: number } {
    return this.setup.clip;
  }

  get stepCount(): number {
    return this.steps;
  }

  beginFusedStep(): FusedUpdate {
    const { kind, lr: baseLr, beta1, beta2, eps, weightDecay: baseDecay } = this.cfg;
    const step = this.steps + 1;
    const groups = this.fused.groups;
    // torch's `1 - beta1 ** step` and `1 - beta2 ** step` (every group has the spec's betas).
    const biasCorrection1 = this.biasCorrection1.at(step);
    const biasCorrection2 = this.biasCorrection2.at(step);
    for (let g = 0; g < groups.length; g++) {
      // The scalars of _single_tensor_adam for this param_group (its lr and weight_decay), in its order.
      const lr = groupLr(this.setup, g, baseLr);
      const weightDecay = groupDecay(this.setup, g, baseDecay);
      const stepSize = lr / biasCorrection1;
      const biasCorrection2Sqrt = Math.sqrt(biasCorrection2);
      const w = 1 - beta1;
      const sc = groups[g]!.scalars;
      const A = UPDATE.adam;
      sc[UPDATE.rule] = UPDATE.ADAM;
      sc[A.coupledDecay] = weightDecay !== 0 && kind === "adam" ? 1 : 0;
      sc[A.decoupledDecay] = weightDecay !== 0 && kind === "adamw" ? 1 : 0;
      sc[A.weightDecay] = weightDecay;
      sc[A.paramScale] = 1 - lr * weightDecay;
      sc[A.w] = w;
      sc[A.smallWeight] = Math.abs(w) < 0.5 ? 1 : 0;
      sc[A.oneMinusW] = 1 - w;
      sc[A.beta2] = beta2;
      sc[A.oneMinusBeta2] = 1 - beta2;
      sc[A.negStepSize] = -stepSize;
      sc[A.biasCorrection2Sqrt] = biasCorrection2Sqrt;
      sc[A.eps] = eps;
    }
    this.steps = step;
    return this.fused;
  }

  step(params: readonly FloatArray[], grads: readonly FloatArray[]): void {
    checkStepArgs(params, grads, this.sizes, this.dtype);
    applyUpdate(params, grads, this.beginFusedStep(), this.dtype);
  }


  setLearningRate(lr: number): void {
    this.cfg = Object.freeze({ ...this.cfg, lr: checkLr(lr) });
  }

  state(): OptimizerState {
    return {
      kind: this.cfg.kind,
      stepCount: this.steps,
      expAvg: this.expAvg.map((b) => b.slice()),
      expAvgSq: this.expAvgSq.map((b) => b.slice()),
    };
  }

  loadState(s: OptimizerState): void {
    const stepCount = checkStateHeader(s, this.cfg.kind);
    if (stepCount > 0 || s.expAvg !== undefined || s.expAvgSq !== undefined) {
      copyBuffers(s.expAvg, this.expAvg, "expAvg");
      copyBuffers(s.expAvgSq, this.expAvgSq, "expAvgSq");
    } else {
      // A snapshot taken before any step: torch would have no state, i.e. zero moments.
      for (const b of this.expAvg) b.fill(0);
      for (const b of this.expAvgSq) b.fill(0);
    }
    this.steps = stepCount;
  }
}

/** The fused step's view of an optimizer: its groups' scalars, its state buffers and the clipping. */
function fusedUpdate(setup: Setup, first: readonly FloatArray[], second: readonly FloatArray[]): FusedUpdate {
  return { scalars: setup.fused[0]!.scalars, groups: setup.fused, first, second, clipGradNorm: setup.clip.norm, clipGradValue: setup.clip.value };
}

// ── shared checks ────────────────────────────────────────────────────────────────────────────────────

function allocate(dtype: Dtype, n: number): FloatArray {
  return dtype === "f32" ? new Float32Array(n) : new Float64Array(n);
}

/** Cheap (per parameter, not per element) guard against passing the wrong arrays to `step`. */
function checkStepArgs(
  params: readonly FloatArray[],
  grads: readonly FloatArray[],
  sizes: readonly number[],
  dtype: Dtype,
): void {
  if (params.length !== sizes.length || grads.length !== sizes.length) {
    throw new Error(
      `optimizer step: expected ${sizes.length} parameters and gradients, got ${params.length} and ${grads.length}`,
    );
  }
  const ParamArray = dtype === "f32" ? Float32Array : Float64Array;
  for (let k = 0; k < sizes.length; k++) {
    const p = params[k];
    const g = grads[k]!;
    if (!(p instanceof ParamArray)) {
      throw new Error(`optimizer step: parameter ${k} must be a ${ParamArray.name} (dtype ${dtype})`);
    }
    if (p.length !== sizes[k] || g.length !== sizes[k]) {
      throw new Error(
        `optimizer step: parameter ${k} expects ${sizes[k]} values, got parameter ${p.length} and gradient ${g.length}`,
      );
    }
  }
}

function checkStateHeader(s: OptimizerState, kind: OptimizerSpec["kind"]): number {
  if (typeof s !== "object" || s === null) throw new Error("optimizer state must be an object");
  if (s.kind !== kind) {
    throw new Error(`optimizer state is for ${JSON.stringify(s.kind)}, this optimizer is ${JSON.stringify(kind)}`);
  }
  if (!Number.isInteger(s.stepCount) || s.stepCount < 0) {
    throw new Error(`optimizer state: stepCount must be a non-negative integer, got ${String(s.stepCount)}`);
  }
  return s.stepCount;
}

/** Validates every source buffer before copying any, so a bad snapshot leaves the optimizer untouched. */
function copyBuffers(source: readonly ArrayLike<number>[] | undefined, target: FloatArray[], what: string): void {
  if (!Array.isArray(source) || source.length !== target.length) {
    throw new Error(
      `optimizer state: ${what} must hold ${target.length} buffers, got ${source === undefined ? "none" : source.length}`,
    );
  }
  for (let k = 0; k < target.length; k++) {
    const src = source[k];
    if (src == null || src.length !== target[k]!.length) {
      throw new Error(`optimizer state: ${what}[${k}] must have ${target[k]!.length} values, got ${src?.length}`);
    }
  }
  for (let k = 0; k < target.length; k++) target[k]!.set(source[k]!);
}
