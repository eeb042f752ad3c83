// Parameter initializers with the formulas of torch.nn.init, so a model trained with gradc starts from
// the same distributions a PyTorch user expects (not the same numbers: the random stream is our own
// platform-independent xoshiro128**, see rng.ts).
//
// Layout note: gradc stores weights as [in, out] (applied as x·W), the transpose of PyTorch's
// [out, in]. The fans are therefore read from the *last* dimension for fan-in and the second-to-last for
// fan-out, which gives the same numbers PyTorch computes for the corresponding layer.

import type { Rng } from "./rng.js";

/** Element type of parameters and of the arrays generated code computes with. */
export type Dtype = "f32" | "f64";
/** A flat row-major tensor buffer. */
export type FloatArray = Float32Array | Float64Array;

/** How to fill one parameter tensor; the compiler resolves a model's `init:` option to one of these. */
export type InitSpec =
  | { kind: "zeros" }
  | { kind: "ones" }
  | { kind: "constant"; value: number }
  | { kind: "uniform"; low: number; high: number }
  | { kind: "normal"; mean: number; std: number }
  | { kind: "xavierUniform"; gain: number }
  | { kind: "xavierNormal"; gain: number }
  | { kind: "heUniform"; gain: number }
  | { kind: "heNormal"; gain: number }
  | { kind: "values"; values: readonly number[] };

/** Number of elements of a shape; validates that every dimension is a non-negative integer. */
export function shapeSize(shape: readonly number[]): number {
  let size = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (!Number.isInteger(d) || d < 0) {
      throw new Error(`invalid shape [${shape.join(", ")}]: dimension ${i} must be a non-negative integer`);
    }
    size *= d;
  }
  return size;
}

/**
 * Fan-in and fan-out as torch.nn.init._calculate_fan_in_and_fan_out computes them for the same layer in
 * PyTorch's layout. For rank ≥ 2: fanIn = size / shape[rank−1], fanOut = size / shape[rank−2], so
 * [in, out] gives (in, out) and a conv kernel [kh, kw, cin, cout] gives (kh·kw·cin, kh·kw·cout).
 * Computed as products of the other dimensions, which also stays finite for zero-size tensors.
 * PyTorch rejects rank < 2; we define rank 1 (a bias) as fanIn = fanOut = size, and rank 0 as 1.
 */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  const size = shapeSize(shape);
  const rank = shape.length;
  if (rank === 0) return { fanIn: 1, fanOut: 1 };
  if (rank === 1) return { fanIn: size, fanOut: size };
  let fanIn = 1;
  let fanOut = 1;
  for (let i = 0; i < rank; i++) {
    if (i !== rank - 1) fanIn *= shape[i]!;
    if (i !== rank - 2) fanOut *= shape[i]!;
  }
  return { fanIn, fanOut };
}

/** The distribution an InitSpec resolves to for a given shape, with its parameters worked out. */
export type InitDistribution =
  | { kind: "fill"; value: number }
  | { kind: "uniform"; low: number; high: number }
  | { kind: "normal"; mean: number; std: number };

/**
 * Resolves a spec to a concrete distribution (torch.nn.init formulas). Exported so the compiler and
 * tests can show or check the exact bound / std a parameter will use.
 */
export function initDistribution(shape: readonly number[], spec: InitSpec): InitDistribution {
  switch (spec.kind) {
    case "zeros":
      return { kind: "fill", value: 0 };
    case "ones":
      return { kind: "fill", value: 1 };
    case "constant":
      return { kind: "fill", value: spec.value };
    case "uniform":
      requireFinite("uniform low", spec.low);
      requireFinite("uniform high", spec.high);
      if (spec.low > spec.high) {
        throw new Error(`uniform init needs low <= high, got low=${spec.low}, high=${spec.high}`);
      }
      return { kind: "uniform", low: spec.low, high: spec.high };
    case "normal":
      requireFinite("normal mean", spec.mean);
      requireNonNegative("normal std", spec.std);
      return { kind: "normal", mean: spec.mean, std: spec.std };
    case "xavierUniform": {
      // xavier_uniform_: bound = gain·sqrt(6 / (fanIn + fanOut))
      const { fanIn, fanOut } = fans(shape);
      const bound = requireFinite("xavierUniform gain", spec.gain) * Math.sqrt(6 / (fanIn + fanOut));
      return { kind: "uniform", low: -bound, high: bound };
    }
    case "xavierNormal": {
      // xavier_normal_: std = gain·sqrt(2 / (fanIn + fanOut))
      const { fanIn, fanOut } = fans(shape);
      const std = requireFinite("xavierNormal gain", spec.gain) * Math.sqrt(2 / (fanIn + fanOut));
      return { kind: "normal", mean: 0, std };
    }
    case "heUniform": {
      // kaiming_uniform_ (mode fan_in): std = gain / sqrt(fanIn), bound = sqrt(3)·std
      const std = requireFinite("heUniform gain", spec.gain) / Math.sqrt(fans(shape).fanIn);
      const bound = Math.sqrt(3) * std;
      return { kind: "uniform", low: -bound, high: bound };
    }
    case "heNormal": {
      // kaiming_normal_ (mode fan_in): std = gain / sqrt(fanIn)
      const std = requireFinite("heNormal gain", spec.gain) / Math.sqrt(fans(shape).fanIn);
      return { kind: "normal", mean: 0, std };
    }
    case "values":
      throw new Error("initDistribution: 'values' is not a distribution");
    default:
      throw new Error(`unknown init kind ${JSON.stringify((spec as { kind: unknown }).kind)}`);
  }
}

/**
 * A new tensor of `shape` filled according to `spec`, drawing from `rng` in row-major order (one
 * `uniform()` per element for uniform kinds, one `normal()` for normal kinds, none for constants).
 * Values are drawn in double precision and rounded once when stored into a Float32Array.
 */
export function initTensor(rng: Rng, shape: readonly number[], spec: InitSpec, dtype: Dtype): FloatArray {
  const size = shapeSize(shape);
  const out = dtype === "f32" ? new Float32Array(size) : dtype === "f64" ? new Float64Array(size) : badDtype(dtype);
  if (spec.kind === "values") {
    if (spec.values.length !== size) {
      throw new Error(
        `init values for shape [${shape.join(", ")}]: expected ${size} values, got ${spec.values.length}`,
      );
    }
    for (let i = 0; i < size; i++) out[i] = spec.values[i]!;
    return out;
  }
  // A zero-size tensor draws nothing, and xavier/he would divide by a zero fan: there is nothing to do.
  if (size === 0) return out;
  const dist = initDistribution(shape, spec);
  if (dist.kind === "fill") {
    if (dist.value !== 0) out.fill(dist.value);
  } else if (dist.kind === "uniform") {
    fillUniform(rng, out, dist.low, dist.high);
  } else {
    fillNormal(rng, out, dist.mean, dist.std);
  }
  return out;
}

/** U(low, high) as low + (high − low)·u, u ∈ [0, 1) (torch's uniform_ formula). */
function fillUniform(rng: Rng, out: FloatArray, low: number, high: number): void {
  const range = high - low;
  for (let i = 0; i < out.length; i++) out[i] = low + range * rng.uniform();
}

/** N(mean, std²) as mean + std·z. */
function fillNormal(rng: Rng, out: FloatArray, mean: number, std: number): void {
  for (let i = 0; i < out.length; i++) out[i] = mean + std * rng.normal();
}

function requireFinite(what: string, x: number): number {
  if (!Number.isFinite(x)) throw new Error(`${what} must be a finite number, got ${String(x)}`);
  return x;
}

function requireNonNegative(what: string, x: number): number {
  if (!(Number.isFinite(x) && x >= 0)) throw new Error(`${what} must be a finite number >= 0, got ${String(x)}`);
  return x;
}

function badDtype(dtype: never): never {
  throw new Error(`unknown dtype ${JSON.stringify(dtype)}: expected "f32" or "f64"`);
}
