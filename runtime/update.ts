// The optimizer update, one function per update rule of torch.optim (SGD, SGD with momentum,
// Adam/AdamW), over every parameter at once: what an optimizer's `step` runs (optim.ts) and what a
// generated trainer's fused step runs right after its training pass has left the gradients in its
// workspace (bindModule.ts). One code path, so the runtime optimizer and a generated trainer are the
// same update by construction; test/emit/fusedUpdate.test.ts checks it against torch's formulas
// written from scratch, bit for bit.
//
// The step's scalars (−lr, bias corrections, …) are not computed here: `beginFusedStep()` computes them
// once per step and per parameter group, in the order torch computes them (optim.ts). Each rule loops
// over the groups, reads the group's scalars once, then updates the group's parameters; the
// per-element formulas and their operation order are torch's single-tensor code path:
//   SGD             p ← p + (−lr)·(g + wd·p), the decay term only when wd ≠ 0
//   SGD + momentum  d = g + wd·p; buf = d on the first step, else buf·μ + (1 − dampening)·d;
//                   p ← p + (−lr)·(d + μ·buf) with Nesterov, else p + (−lr)·buf
//   Adam / AdamW    AdamW p = p·(1 − lr·wd), Adam g = g + wd·p (when wd ≠ 0); m = lerp(m, g, 1 − β1)
//                   (torch's lerp: two formulas, switching at weight 0.5); v = v·β2 + ((1 − β2)·g)·g
//                   (addcmul); p = p + ((−lr/bc1)·m) / (√v / √bc2 + ε) (addcdiv), bc = 1 − β^step.
// State buffers (buf, m, v) are read back after they are stored, so float32 uses the rounded values
// torch's in-place tensors hold (for float64 the re-read changes nothing).
//
// Gradient clipping (clip.ts: torch's clip_grad_value_ and clip_grad_norm_) runs first, over all the
// gradients, since the global norm needs every gradient before any parameter moves.
//
// Speed: these loops used to be emitted into every generated module, typed with the module's one array
// type, so that V8 saw monomorphic element accesses. Measured with bench/ab.ts (README "The generated
// module"), the shared loops run within noise of the emitted ones; so the runtime holds the one copy.
import { clipGradNorm, clipGradValue } from "./clip.js";
import type { Dtype, FloatArray } from "./init.js";

/**
 * A float32 module's WebAssembly engine (runtime/gemm.ts, which the module hands bindModule): plain SGD
 * on a large float32 parameter runs there, two doubles a lane, the same bits as sgdLoop.
 */
export interface SimdUpdate {
  sgd(P: Float32Array, G: Float32Array, negLr: number): void;
}

/**
 * Clips `grads` as `u` says (values first, then the norm), then updates every parameter of `params` in
 * place from `grads` (the same order) with the rule `u.scalars` names, each group with its own scalars.
 */
export function applyUpdate(params: readonly FloatArray[], grads: readonly FloatArray[], u: FusedUpdate, dtype: Dtype, simd?: SimdUpdate): void {
  if (u.clipGradValue !== 0 || u.clipGradNorm !== 0) grads = ownGradients(params, grads);
  if (u.clipGradValue !== 0) clipGradValue(grads, u.clipGradValue);
  if (u.clipGradNorm !== 0) clipGradNorm(grads, u.clipGradNorm, dtype);
  switch (u.scalars[UPDATE.rule]) {
    case UPDATE.SGD:
      return sgdUpdate(params, grads, u, simd);
    case UPDATE.SGD_MOMENTUM:
      return sgdMomentumUpdate(params, grads, u);
    case UPDATE.ADAM:
      return adamUpdate(params, grads, u);
    default:
      throw new Error(`unknown update rule ${String(u.scalars[UPDATE.rule])}`);
  }
}

/**
 * The gradients with every array clipping may scale in place made the parameter's own: a generated
 * module hands two parameters the same array when their gradients are one value (an LSTM's two biases,
 * b_ih and b_hh, get Σ δ both), and a gradient may be a parameter's own array (∂(½‖W‖²)/∂W = W). Scaled
 * in place, a shared array would be scaled twice and a parameter would move before its update. Copies
 * only where arrays are shared (a fresh array per step there; none otherwise).
 */
function ownGradients(params: readonly FloatArray[], grads: readonly FloatArray[]): readonly FloatArray[] {
  const taken = new Set<FloatArray>(params);
  let own = grads;
  grads.forEach((g, k) => {
    if (!taken.has(g)) return void taken.add(g);
    if (own === grads) own = grads.slice();
    (own as FloatArray[])[k] = g.slice();
  });
  return own;
}

function sgdUpdate(list: readonly FloatArray[], grads: readonly FloatArray[], u: FusedUpdate, simd: SimdUpdate | undefined): void {
  const groups = u.groups;
  for (let i = 0; i < groups.length; i++) {
    const sc = groups[i]!.scalars;
    const negLr = sc[UPDATE.sgd.negLr]!;
    const weightDecay = sc[UPDATE.sgd.weightDecay]!;
    const decay = sc[UPDATE.sgd.decay] !== 0;
    const members = groups[i]!.members;
    for (let j = 0; j < members.length; j++) {
      const k = members[j]!;
      const P = list[k]!, G = grads[k]!;
      if (decay) sgdDecayLoop(P, G, negLr, weightDecay);
      else if (simd && P.length >= SIMD_SGD_MIN && P instanceof Float32Array && G instanceof Float32Array) simd.sgd(P, G, negLr);
      else sgdLoop(P, G, negLr);
    }
  }
}

// On the engine, the update of a 784 × 512 float32 weight takes ~0.6 ns an element with the copies in
// and out of its memory against ~1.2 ns in sgdLoop (a micro-benchmark, 2026-12-07); in whole steps
// (bench/ab.ts) W3 1.10×, W4 1.01–1.02× (its weights, 1.6 MB each, leave the cache on the round trip).
// Below a few hundred elements the call and the copies cost more than they save.
const SIMD_SGD_MIN = 256;

// The plain SGD loop runs over every weight of every step (W3's 100,000, W4's 670,000), so its shape is
// measured: with the decay test outside the loop and four elements per turn it takes ~1.1 ns an element
// against ~1.95 ns with the test inside (a micro-benchmark of W3's W1, 2026-12-07, node 20); whole steps
// (bench/ab.ts, with the input scan's four sums in inputs.ts): W3 1.19–1.21×, W4 1.12× as many steps
// per CPU-second. Each element's formula and rounding are unchanged: p + (−lr)·g.
function sgdLoop(P: FloatArray, G: FloatArray, negLr: number): void {
  const length = P.length;
  let e = 0;
  for (; e + 3 < length; e += 4) {
    const p0 = P[e]!, p1 = P[e + 1]!, p2 = P[e + 2]!, p3 = P[e + 3]!;
    const g0 = G[e]!, g1 = G[e + 1]!, g2 = G[e + 2]!, g3 = G[e + 3]!;
    P[e] = p0 + negLr * g0;
    P[e + 1] = p1 + negLr * g1;
    P[e + 2] = p2 + negLr * g2;
    P[e + 3] = p3 + negLr * g3;
  }
  for (; e < length; e++) P[e] = P[e]! + negLr * G[e]!;
}

/** SGD with weight decay: p + (−lr)·(g + wd·p). */
function sgdDecayLoop(P: FloatArray, G: FloatArray, negLr: number, weightDecay: number): void {
  for (let e = 0; e < P.length; e++) {
    const p = P[e]!;
    P[e] = p + negLr * (G[e]! + weightDecay * p);
  }
}

function sgdMomentumUpdate(list: readonly FloatArray[], grads: readonly FloatArray[], u: FusedUpdate): void {
  const groups = u.groups;
  for (let i = 0; i < groups.length; i++) {
    const sc = groups[i]!.scalars;
    const negLr = sc[UPDATE.sgd.negLr]!;
    const weightDecay = sc[UPDATE.sgd.weightDecay]!;
    const momentum = sc[UPDATE.sgd.momentum]!;
    const oneMinusDampening = sc[UPDATE.sgd.oneMinusDampening]!;
    const decay = sc[UPDATE.sgd.decay] !== 0;
    const nesterov = sc[UPDATE.sgd.nesterov] !== 0;
    const first = sc[UPDATE.sgd.first] !== 0;
    const members = groups[i]!.members;
    for (let j = 0; j < members.length; j++) {
      const k = members[j]!;
      const P = list[k]!;
      const G = grads[k]!;
      const B = u.first[k]!;
      for (let e = 0; e < P.length; e++) {
        const p = P[e]!;
        const d = decay ? G[e]! + weightDecay * p : G[e]!;
        B[e] = first ? d : B[e]! * momentum + oneMinusDampening * d;
        P[e] = p + negLr * (nesterov ? d + momentum * B[e]! : B[e]!);
      }
    }
  }
}

function adamUpdate(list: readonly FloatArray[], grads: readonly FloatArray[], u: FusedUpdate): void {
  const groups = u.groups;
  for (let i = 0; i < groups.length; i++) {
    const sc = groups[i]!.scalars;
    const weightDecay = sc[UPDATE.adam.weightDecay]!;
    const paramScale = sc[UPDATE.adam.paramScale]!;
    const w = sc[UPDATE.adam.w]!;
    const oneMinusW = sc[UPDATE.adam.oneMinusW]!;
    const beta2 = sc[UPDATE.adam.beta2]!;
    const oneMinusBeta2 = sc[UPDATE.adam.oneMinusBeta2]!;
    const negStepSize = sc[UPDATE.adam.negStepSize]!;
    const biasCorrection2Sqrt = sc[UPDATE.adam.biasCorrection2Sqrt]!;
    const eps = sc[UPDATE.adam.eps]!;
    const coupledDecay = sc[UPDATE.adam.coupledDecay] !== 0;
    const decoupledDecay = sc[UPDATE.adam.decoupledDecay] !== 0;
    const smallWeight = sc[UPDATE.adam.smallWeight] !== 0;
    const members = groups[i]!.members;
    for (let j = 0; j < members.length; j++) {
      const k = members[j]!;
      const P = list[k]!;
      const G = grads[k]!;
      const M = u.first[k]!;
      const V = u.second[k]!;
      if (smallWeight && !decoupledDecay && !coupledDecay) {
        adamLoop(P, G, M, V, w, beta2, oneMinusBeta2, negStepSize, biasCorrection2Sqrt, eps);
        continue;
      }
      for (let e = 0; e < P.length; e++) {
        let p = P[e]!;
        let g = G[e]!;
        if (decoupledDecay) p = p * paramScale;
        if (coupledDecay) g = g + weightDecay * p;
        const m = M[e]!;
        M[e] = smallWeight ? m + w * (g - m) : g - (g - m) * oneMinusW;
        V[e] = V[e]! * beta2 + oneMinusBeta2 * g * g;
        P[e] = p + (negStepSize * M[e]!) / (Math.sqrt(V[e]!) / biasCorrection2Sqrt + eps);
      }
    }
  }
}

/**
 * Adam without weight decay and with 1 − β1 < 0.5 (torch's default β1 = 0.9): the general loop's
 * formulas with its three per-element tests gone, ~25% less time an element (a micro-benchmark of
 * 100,000 weights, 2026-12-07, node 20); W3's network trained with Adam takes 1.08–1.09× as many steps
 * per CPU-second (bench/ab.ts --adam). The same operations in the same order: bit for bit the same.
 */
function adamLoop(P: FloatArray, G: FloatArray, M: FloatArray, V: FloatArray, w: number, beta2: number, oneMinusBeta2: number, negStepSize: number, biasCorrection2Sqrt: number, eps: number): void {
  for (let e = 0; e < P.length; e++) {
    const g = G[e]!;
    const m = M[e]!;
    M[e] = m + w * (g - m);
    V[e] = V[e]! * beta2 + oneMinusBeta2 * g * g;
    P[e] = P[e]! + (negStepSize * M[e]!) / (Math.sqrt(V[e]!) / biasCorrection2Sqrt + eps);
  }
}

/**
 * What a fused step reads: this step's scalars (layout `UPDATE`) per parameter group, the state buffers
 * per parameter, and the clipping thresholds.
 */
export interface FusedUpdate {
  /**
   * The default group's scalars (every parameter's when there are no groups). Rewritten by every
   * `beginFusedStep()` (the same array each time, so a step allocates nothing).
   */
  readonly scalars: Float64Array;
  /** Every group (the default one first): its scalars and its parameters' indices. */
  readonly groups: readonly { readonly scalars: Float64Array; readonly members: Int32Array }[];
  /** clip_grad_norm_'s max_norm, or 0: no clipping by norm. */
  readonly clipGradNorm: number;
  /** clip_grad_value_'s clip_value, or 0: no clipping by value. */
  readonly clipGradValue: number;
  /** SGD with momentum: the momentum buffers; Adam/AdamW: exp_avg. Empty for plain SGD. */
  readonly first: readonly FloatArray[];
  /** Adam/AdamW: exp_avg_sq. Empty for SGD. */
  readonly second: readonly FloatArray[];
}

/**
 * Layout of `FusedUpdate.scalars`: which update rule runs, then that rule's scalars, each computed once
 * per step from the spec (and the step count) in the order torch computes them. Flags are 0 or 1.
 */
export const UPDATE = {
  rule: 0,
  /** `rule` values. */
  SGD: 1,
  SGD_MOMENTUM: 2,
  ADAM: 3,
  sgd: { negLr: 1, decay: 2, weightDecay: 3, momentum: 4, oneMinusDampening: 5, nesterov: 6, first: 7 },
  adam: {
    /** Adam's L2 term g + wd·p (weight decay ≠ 0, not decoupled). */
    coupledDecay: 1,
    /** AdamW's p·(1 − lr·wd) (weight decay ≠ 0, decoupled). */
    decoupledDecay: 2,
    weightDecay: 3,
    /** 1 − lr·wd. */
    paramScale: 4,
    /** lerp weight w = 1 − β1, and whether |w| < 0.5 (torch's lerp switches formula there). */
    w: 5,
    smallWeight: 6,
    oneMinusW: 7,
    beta2: 8,
    oneMinusBeta2: 9,
    /** −lr / (1 − β1^t). */
    negStepSize: 10,
    /** √(1 − β2^t). */
    biasCorrection2Sqrt: 11,
    eps: 12,
  },
  length: 13,
} as const;
