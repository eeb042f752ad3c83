// Running an exported ONNX model in ONNX Runtime (onnxruntime-node) and comparing its outputs with the
// generated module's forward().
import { onnx } from "../../compiler/export/onnxGraph.js";
import { createRng } from "../../runtime/rng.js";
import * as ort from "onnxruntime-node";
import { expect } from "vitest";

export type Arrays = Record<string, Float32Array | Int32Array>;

/** Runs the model (its bytes, or its file as the README does) on `inputs` (row-major arrays, the batch taken from each input's length). */
export async function runOnnx(model: Uint8Array | string, inputs: Arrays, shapes: Record<string, readonly (number | string)[]>): Promise<Arrays> {
  const session = typeof model === "string" ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of session.inputNames) {
      const data = inputs[name];
      if (!data) throw new Error(`no value for the ONNX input "${name}"`);
      const shape = shapes[name]!;
      const row = shape.reduce<number>((a, d) => (typeof d === "number" ? a * d : a), 1);
      const dims = shape.map((d) => (typeof d === "number" ? d : data.length / row));
      feeds[name] = new ort.Tensor(data instanceof Int32Array ? "int32" : "float32", data, dims);
    }
    const out = await session.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array | Int32Array]));
  } finally {
    await session.release();
  }
}

export interface InputSpec {
  readonly name: string;
  readonly shape: readonly (number | string)[];
  readonly dtype: string;
  readonly classes?: number;
}

/** Random inputs of a batch size: floats in [−1, 1), integers in [0, classes) (or [0, intBound)). */
export function randomInputs(inputs: readonly InputSpec[], batch: number, seed: number, intBound = 2): Arrays {
  const rng = createRng(seed);
  const out: Arrays = {};
  for (const i of inputs) {
    const size = i.shape.reduce<number>((a, d) => a * (typeof d === "number" ? d : batch), 1);
    if (i.dtype === "i32") out[i.name] = Int32Array.from({ length: size }, () => Math.floor(rng.uniform() * (i.classes ?? intBound)));
    else out[i.name] = Float32Array.from({ length: size }, () => rng.uniform() * 2 - 1);
  }
  return out;
}

/**
 * Every element within 1e-4 relative of the module's value, with an absolute floor of 1e-5 of the
 * output's largest magnitude (float32 sums in another order differ in the last bits, which is a large
 * relative difference for a value that cancels to nearly 0).
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  expect(expected.length, `${what}: empty`).toBeGreaterThan(0);
  let scale = 0;
  for (let k = 0; k < expected.length; k++) scale = Math.max(scale, Math.abs(expected[k]!));
  let worst = 0, at = -1;
  for (let k = 0; k < expected.length; k++) {
    const a = actual[k]!, e = expected[k]!;
    const excess = Math.abs(a - e) - (1e-4 * Math.abs(e) + 1e-5 * scale);
    if (!(excess <= worst)) {
      worst = excess;
      at = k;
    }
  }
  expect(at, `${what}: element ${at} is ${actual[at]}, the module's is ${expected[at]}`).toBe(-1);
}

type ValueInfo = { name?: string | null; type?: { tensorType?: { elemType?: number | null; shape?: { dim?: { dimValue?: unknown; dimParam?: string | null }[] | null } | null } | null } | null };
type GraphLike = { node?: { opType?: string | null; attribute?: { g?: unknown }[] | null }[] | null };

const info = (v: ValueInfo) => ({
  name: v.name ?? "",
  dims: (v.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue))),
  elemType: v.type?.tensorType?.elemType ?? 0,
});

/** Every op type in a graph and in its bodies. */
function opTypes(graph: GraphLike | null | undefined): string[] {
  const out: string[] = [];
  for (const n of graph?.node ?? []) {
    out.push(n.opType ?? "");
    for (const a of n.attribute ?? []) if (a.g) out.push(...opTypes(a.g as GraphLike));
  }
  return out;
}

/** What an ONNX file holds, decoded with onnx-proto: versions, inputs, outputs, initializers, op types. */
export function inspect(bytes: Uint8Array) {
  const m = onnx.ModelProto.decode(bytes);
  const g = m.graph;
  return {
    irVersion: Number(m.irVersion),
    opsets: m.opsetImport.map((o) => [o.domain ?? "", Number(o.version)] as const),
    inputs: (g?.input ?? []).map((v) => info(v as ValueInfo)),
    outputs: (g?.output ?? []).map((v) => info(v as ValueInfo)),
    initializers: (g?.initializer ?? []).map((t) => ({
      name: t.name ?? "",
      dims: (t.dims ?? []).map(Number),
      dataType: t.dataType ?? 0,
      values: t.dataType === 1 && t.rawData ? new Float32Array(Uint8Array.from(t.rawData).buffer) : null,
    })),
    ops: opTypes(g as GraphLike),
  };
}
