// `gradc export model.ts --onnx`: the model's inference graph as an ONNX model, its parameters as
// initializers.
//
//   model.ts ──load──▶ graph ──optimize──▶ inference graph (what forward() computes: dropout off,
//   batchNorm on its running statistics) ──lower──▶ ONNX graph + parameters ──encode──▶ bytes
//
// The parameters come from a training checkpoint (gradc train, saveTrainingCheckpoint) or, without one,
// are exactly the generated module's initParams(seed): the runtime's initializers drawn in declaration
// order, in float32. Nothing here writes a file: the caller writes the bytes (atomically).
// Test: test/export/onnx.test.ts, test/cli/export.test.ts
import path from "node:path";
import { decodeCheckpoint, type CheckpointSpec } from "../../runtime/checkpoint.js";
import { initTensor } from "../../runtime/init.js";
import { createRng } from "../../runtime/rng.js";
import { codes, GradcError, isGradcError } from "../diagnostics.js";
import { version } from "../version.js";
import { readCheckpointBytes } from "./checkpointBytes.js";
import { displayPath } from "../../runtime/userErrors.js";
import { inferenceGraph } from "../pipeline.js";
import { loadModel } from "../frontend/load.js";
import type { Graph } from "../ir/graph.js";
import { optimize } from "../pipeline.js";
import { lowerInference } from "./lower.js";
import { encodeModel } from "./onnxGraph.js";

export const DEFAULT_OPSET = 17;
/** Opsets the exporter writes: 13 (Softmax on one axis, ReduceSum's axes as an input) to 21. */
export const OPSETS = { min: 13, max: 21 } as const;

export interface ExportOnnxOptions {
  /** A training checkpoint of this model to take the parameters from. */
  readonly checkpoint?: string;
  /** Without a checkpoint: the seed of initParams (default 0). */
  readonly seed?: number;
  /** The ONNX opset (default 17). */
  readonly opset?: number;
}

/** The ONNX model of `file`'s inference graph, as bytes to write. Throws GradcError. */
export async function exportOnnxFile(file: string, options: ExportOnnxOptions = {}): Promise<Uint8Array> {
  checkOptions(options);
  const traced = await loadModel(file);
  const params = options.checkpoint !== undefined ? checkpointParams(traced, options.checkpoint) : initialParams(traced, options.seed ?? 0);
  return exportOnnxGraph(traced, params, { ...options, source: path.basename(file) });
}

/** As exportOnnxFile, for a traced graph and its parameters (float32 values by name). */
export function exportOnnxGraph(traced: Graph, params: ReadonlyMap<string, Float32Array>, options: ExportOnnxOptions & { readonly source?: string } = {}): Uint8Array {
  checkOptions(options);
  const opset = options.opset ?? DEFAULT_OPSET;
  if (!traced.outputs.length) throw new GradcError(codes.badArgument, `model "${traced.name}" has no outputs: gradc export writes what forward() computes; return { loss, outputs: { … } }`);
  // Recurrences keep their input products in the loop: ONNX's LSTM, GRU and RNN compute them (./cells.ts).
  const inference = inferenceGraph(optimize(traced, { hoistStepProducts: false }).graph);
  const from = options.checkpoint !== undefined ? `checkpoint ${path.basename(options.checkpoint)}` : `initParams(${options.seed ?? 0})`;
  const doc = `${inference.name}: the inference graph of ${options.source ?? "model.ts"} (gradc forward(): NHWC images, dropout off, batchNorm on running statistics), parameters from ${from}`;
  const graph = lowerInference(inference, { opset, params }, doc);
  return encodeModel({ graph, opset, irVersion: irVersionFor(opset), producerVersion: version() });
}

function checkOptions(o: ExportOnnxOptions): void {
  if (o.checkpoint !== undefined && o.seed !== undefined) throw new GradcError(codes.usage, "give either --checkpoint or --seed, not both (a checkpoint holds trained parameters; --seed draws initial ones)");
  if (o.seed !== undefined && !(Number.isInteger(o.seed) && o.seed >= 0)) throw new GradcError(codes.usage, `--seed must be a non-negative integer, got ${o.seed}`);
  const opset = o.opset ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < OPSETS.min || opset > OPSETS.max) {
    throw new GradcError(codes.usage, `--opset must be an integer from ${OPSETS.min} to ${OPSETS.max}, got ${opset}`);
  }
}

/** The ONNX IR version that goes with an opset (the ONNX release that introduced the opset). */
export function irVersionFor(opset: number): number {
  return opset <= 15 ? 7 : opset <= 18 ? 8 : opset <= 20 ? 9 : 10;
}

/** Exactly the generated module's initParams(seed) in float32: every parameter drawn in declaration order. */
export function initialParams(g: Graph, seed: number): Map<string, Float32Array> {
  const rng = createRng(seed);
  return new Map(g.params.map((p) => [p.attrs.name as string, initTensor(rng, p.shape as number[], p.attrs.init as Parameters<typeof initTensor>[2], "f32") as Float32Array]));
}

/**
 * A training checkpoint's parameters (batchNorm's running statistics included), checked against the
 * model by the runtime's decoder, in float32 (a float64 checkpoint is rounded).
 */
export function checkpointParams(g: Graph, file: string): Map<string, Float32Array> {
  return checkpointParamsFromBytes(g, readCheckpointBytes(file), file);
}

/** As checkpointParams, for the bytes of `file` already read. */
export function checkpointParamsFromBytes(g: Graph, bytes: Uint8Array, file: string): Map<string, Float32Array> {
  const spec = (dtype: "f32" | "f64"): CheckpointSpec => ({ name: g.name, dtype, params: g.params.map((p) => ({ name: p.attrs.name as string, shape: p.shape as number[], trainable: p.attrs.trainable !== false })) });
  // The decoder checks the dtype too; try the one the file says first, so its message is about what differs.
  const order: ("f32" | "f64")[] = storedDtype(bytes) === "f64" ? ["f64", "f32"] : ["f32", "f64"];
  let first: unknown;
  for (const dtype of order) {
    try {
      const checkpoint = decodeCheckpoint(bytes, spec(dtype), displayPath(file));
      return new Map(Object.entries(checkpoint.params).map(([name, values]) => [name, values instanceof Float32Array ? values : Float32Array.from(values)]));
    } catch (e) {
      first ??= e;
    }
  }
  if (isGradcError(first)) throw first;
  throw new GradcError(codes.checkpoint, (first as Error).message);
}

/**
 * The dtype a gradc checkpoint's header names (format version 1: a u32 header length at byte 12, the
 * JSON header at byte 24), or null when the bytes do not say. Only a hint: decodeCheckpoint validates.
 */
function storedDtype(bytes: Uint8Array): string | null {
  try {
    const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(12, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(24, 24 + length))) as { dtype?: unknown };
    return typeof header.dtype === "string" ? header.dtype : null;
  } catch {
    return null;
  }
}
