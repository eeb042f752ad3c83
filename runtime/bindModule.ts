// What every generated module exports besides its own code: `initParams`, `forward`, `evaluate`,
// `lossAndGrad`, `gradInto` and `createTrainer`, bound to the module's passes. A generated module is the
// model's code — its `spec`, its passes (straight-line kernels over a workspace) and their workspaces —
// and one call `bindModule(spec, passes)`; the argument checks, workspace caching, gradient copies,
// optimizer and dropout generator of the trainer are written once, here, instead of in every module.
//
// The training step stays fused and allocates nothing: it runs the training pass into a workspace kept
// for its batch size, then update.ts's `applyUpdate` on the gradients that pass left (the optimizer's
// `beginFusedStep()` gives the step's scalars). Measured against the wrappers and update each module
// used to emit, with bench/ab.ts: within noise (README "The generated module").
import type { Dtype, FloatArray, InitSpec } from "./init.js";
import { initTensor, shapeSize } from "./init.js";
import { resolveBatch, type InputSpec } from "./inputs.js";
import { createTrainerOptimizer, type Optimizer, type TrainerOptions } from "./optim.js";
import { checkParams } from "./params.js";
import { createRng, createRngFromState, type Rng } from "./rng.js";
import { applyUpdate, type SimdUpdate } from "./update.js";
import { withFastMath } from "./fastMath.js";

/** The part of a generated module's `spec` the wrappers read. */
export interface ModuleSpec {
  readonly dtype: Dtype;
  /** The batch dimension's name, or the batch size the module was compiled for (`--batch N`). */
  readonly batch: string | number;
  readonly inputs: readonly InputSpec[];
  readonly params: readonly { readonly name: string; readonly shape: readonly number[]; readonly init: InitSpec; readonly trainable?: boolean }[];
}

/** A pass's workspace: its arrays for a batch of `n` rows. */
export interface Workspace {
  readonly n: number;
}

/** A pass that computes outputs (forward: the outputs; evaluate: the loss, returned, and the outputs). */
export interface OutputPass<P, I, O, W extends Workspace, R> {
  /** The inputs whose lengths give the batch size. */
  readonly sizing: readonly string[];
  workspace(n: number): W;
  run(params: P, ws: W, n: number, inputs: I): R;
  /** Fresh copies of the outputs the pass left in `ws` (an output that is an input or a param is read from those). */
  outputs(ws: W, n: number, inputs: I, params: P): O;
}

/** The training pass: the loss, returned, and every trainable parameter's gradient. */
export interface TrainPass<P, I, W extends Workspace> {
  readonly sizing: readonly string[];
  workspace(n: number): W;
  /** `rng` draws the dropout masks (a model without dropout ignores it). */
  run(params: P, ws: W, n: number, inputs: I, rng: Rng): number;
  /** The gradient arrays the pass fills, in the order of the trainable params. */
  grads(ws: W, inputs: I, params: P): FloatArray[];
  /** Whether `grads` depends on the inputs (a gradient that is an input array itself): then it is asked every step. */
  readonly gradsReadInputs?: boolean;
  /** Whether the pass draws dropout masks. */
  readonly random: boolean;
  /** After the update: copies new running statistics (batchNorm) from `ws` into their params. */
  afterStep?(params: P, ws: W): void;
}

export interface ModulePasses<P, I, FI, O, FW extends Workspace, TW extends Workspace, EW extends Workspace> {
  readonly forward: OutputPass<P, FI, O, FW, void>;
  readonly train: TrainPass<P, I, TW>;
  readonly evaluate: OutputPass<P, I, O, EW, number>;
  /** A float32 module's WebAssembly engine, where the trainer's plain SGD update runs (runtime/update.ts). */
  readonly simd?: SimdUpdate;
}

export interface ModuleTrainer<P, I, O, S> {
  readonly params: P;
  /** One training step on a batch: forward, backward and the optimizer update. Returns the loss before the update. */
  step(inputs: I): number;
  setLearningRate(lr: number): void;
  readonly learningRate: number;
  readonly optimizer: Optimizer;
  /** The loss and outputs at the current parameters, without training (fresh arrays). */
  evaluate(inputs: I): { loss: number; outputs: O };
  readonly spec: S;
  /** The dropout generator's four xoshiro128** state words (a copy, for a checkpoint); null when the model has no dropout. */
  rngState(): number[] | null;
  /** Continues the dropout masks from words rngState() returned; null, or a model without dropout, changes nothing. */
  setRngState(state: ArrayLike<number> | null): void;
}

export interface BoundModule<P, I, FI, O, S> {
  /** Parameters drawn with each param's init from a seeded generator: the same seed gives the same values everywhere. */
  initParams(seed?: number): P;
  /** The model's outputs for a batch (fresh arrays). */
  forward(params: P, inputs: FI): O;
  /** The loss and the outputs for a batch, without gradients (fresh arrays). */
  evaluate(params: P, inputs: I): { loss: number; outputs: O };
  /** The loss and ∂loss/∂param for every trainable parameter (fresh arrays). */
  lossAndGrad(params: P, inputs: I): { loss: number; grads: P };
  /**
   * The loss, with ∂loss/∂param written into `grads` (arrays of the params' sizes): lossAndGrad without
   * allocating, for callers that keep their own gradient buffers (the multi-threaded trainer's workers).
   * `seed` seeds this call's dropout masks (the multi-threaded trainer gives each shard its own).
   */
  gradInto(params: P, inputs: I, grads: P, seed?: number): number;
  /**
   * A trainer that updates `params` in place with torch.optim's SGD, Adam or AdamW; `groups` gives some
   * parameters their own learning-rate multiple and weight decay (torch's param_groups); `clipGradNorm` /
   * `clipGradValue` clip the gradients before each update (torch.nn.utils' clip_grad_norm_ / clip_grad_value_);
   * `seed` seeds the generator of dropout masks (default 0), which rngState()/setRngState() save and restore.
   */
  createTrainer(params: P, options: TrainerOptions): ModuleTrainer<P, I, O, S>;
}

/** The generated module's exported functions, bound to its passes. */
export function bindModule<S extends ModuleSpec, P, I, FI, O, FW extends Workspace, TW extends Workspace, EW extends Workspace>(
  spec: S,
  passes: ModulePasses<P, I, FI, O, FW, TW, EW>,
): BoundModule<P, I, FI, O, S> {
  const dtype = spec.dtype;
  const fixedBatch = typeof spec.batch === "number" ? spec.batch : undefined;
  const sizing = (names: readonly string[]) => spec.inputs.filter((i) => names.includes(i.name));
  const trainInputs = sizing(passes.train.sizing);
  const forwardInputs = sizing(passes.forward.sizing);
  const evaluateInputs = sizing(passes.evaluate.sizing);
  const trainable = spec.params.filter((p) => p.trainable !== false);
  const paramSizes = trainable.map((p) => shapeSize(p.shape));
  const { forward: fwd, train, evaluate: evaluation } = passes;
  // The passes are called as plain functions, not as methods of `passes`, so a stack trace names them
  // `trainPass`, not `Object.trainPass` (and a source map then points into model.ts).
  const { run: forwardPass } = fwd;
  const { run: trainPass } = train;
  const { run: evaluatePass } = evaluation;

  /** The workspace for a batch of `n`: `cached` when it has that size, else a new one. */
  const sized = <W extends Workspace>(cached: W | null, n: number, create: (n: number) => W): W => (cached?.n === n ? cached : create(n));
  let forwardWs: FW | null = null;
  let trainWs: TW | null = null;
  let evaluateWs: EW | null = null;
  /** The training pass with the module's shared workspace (lossAndGrad, gradInto). */
  const trainShared = (params: P, inputs: I, seed: number): { loss: number; grads: FloatArray[] } => {
    const n = resolveBatch(trainInputs, inputs, fixedBatch);
    const ws = (trainWs = sized(trainWs, n, train.workspace));
    const loss = trainPass(params, ws, n, inputs, train.random ? createRng(seed) : NO_RNG);
    return { loss, grads: train.grads(ws, inputs, params) };
  };
  const evaluateWith = (params: P, inputs: I, cached: EW | null): { ws: EW; loss: number; outputs: O } => {
    const n = resolveBatch(evaluateInputs, inputs, fixedBatch);
    const ws = sized(cached, n, evaluation.workspace);
    const loss = evaluatePass(params, ws, n, inputs);
    return { ws, loss, outputs: evaluation.outputs(ws, n, inputs, params) };
  };
  const gradsByName = (grads: readonly FloatArray[], copy: (g: FloatArray) => FloatArray): P => Object.fromEntries(trainable.map((p, k) => [p.name, copy(grads[k]!)])) as P;

  return {
    initParams(seed = 0): P {
      const rng = createRng(seed);
      return Object.fromEntries(spec.params.map((p) => [p.name, initTensor(rng, p.shape, p.init, dtype)])) as P;
    },
    forward(params: P, inputs: FI): O {
      checkParams(spec.params, params, dtype);
      const n = resolveBatch(forwardInputs, inputs, fixedBatch);
      const ws = (forwardWs = sized(forwardWs, n, fwd.workspace));
      forwardPass(params, ws, n, inputs);
      return fwd.outputs(ws, n, inputs, params);
    },
    evaluate(params: P, inputs: I): { loss: number; outputs: O } {
      checkParams(spec.params, params, dtype);
      const r = evaluateWith(params, inputs, evaluateWs);
      evaluateWs = r.ws;
      return { loss: r.loss, outputs: r.outputs };
    },
    lossAndGrad(params: P, inputs: I): { loss: number; grads: P } {
      checkParams(spec.params, params, dtype);
      const r = trainShared(params, inputs, 0);
      return { loss: r.loss, grads: gradsByName(r.grads, (g) => g.slice()) };
    },
    gradInto(params: P, inputs: I, grads: P, seed = 0): number {
      const r = trainShared(params, inputs, seed);
      const into = grads as Record<string, FloatArray>;
      trainable.forEach((p, k) => into[p.name]!.set(r.grads[k]!));
      return r.loss;
    },
    createTrainer(params: P, options: TrainerOptions): ModuleTrainer<P, I, O, S> {
      checkParams(spec.params, params, dtype);
      const optimizer = createTrainerOptimizer(options, paramSizes, trainable, dtype);
      let rng = train.random ? createRng(options.seed ?? 0) : NO_RNG;
      const list = trainable.map((p) => (params as Record<string, FloatArray>)[p.name]!);
      let ws: TW | null = null;
      let evaluationWs: EW | null = null;
      let grads: FloatArray[] = [];
      const step = (inputs: I): number => {
        const n = resolveBatch(trainInputs, inputs, fixedBatch);
        if (ws?.n !== n) {
          ws = train.workspace(n);
          grads = train.grads(ws, inputs, params);
        } else if (train.gradsReadInputs) grads = train.grads(ws, inputs, params);
        const loss = trainPass(params, ws, n, inputs, rng);
        // Clipping (if asked) and the optimizer update; the optimizer counts the step.
        applyUpdate(list, grads, optimizer.beginFusedStep(), dtype, passes.simd);
        train.afterStep?.(params, ws);
        return loss;
      };
      const evaluate = (inputs: I): { loss: number; outputs: O } => {
        const r = evaluateWith(params, inputs, evaluationWs);
        evaluationWs = r.ws;
        return { loss: r.loss, outputs: r.outputs };
      };
      // fastMath: the trainer's step and evaluate run their f32 products on the fused kernel (runtime/fastMath.ts).
      const fast = options.fastMath === true;
      return {
        params,
        spec,
        step: fast ? (inputs: I): number => withFastMath(step, inputs) : step,
        setLearningRate(lr: number): void {
          optimizer.setLearningRate(lr);
        },
        get learningRate(): number {
          return optimizer.spec.lr;
        },
        optimizer,
        evaluate: fast ? (inputs: I): { loss: number; outputs: O } => withFastMath(evaluate, inputs) : evaluate,
        rngState(): number[] | null {
          return train.random ? rng.state() : null; // no dropout: nothing random to save
        },
        setRngState(state: ArrayLike<number> | null): void {
          if (train.random && state !== null) rng = createRngFromState(state);
        },
      };
    },
  };
}

/** The generator a pass without dropout is given: it never draws from it. */
const NO_RNG: Rng = createRng(0);
