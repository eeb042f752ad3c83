// One pass of the generated module (forward, training step, evaluation) as straight-line code: storage
// for every value (workspace buffers, scalar locals, per-row scalars of the fused batch loop, arrays
// shared under the memory plan), the kernels in order, then batch-loop fusion. ./module.ts assembles
// the passes, the spec and the workspaces into the module's text.
import type { Graph } from "../ir/graph.js";
import type { Node } from "../ir/node.js";
import { batchDims, staticPart } from "../ir/shape.js";
import { shareArrays, type Lifetime, type SharedArray } from "../lower/memory.js";
import { plan, reachableUntil, storageOf } from "../lower/plan.js";
import { sizeExpr } from "../ops/affine.js";
import { scaledByBatch } from "../ops/kernelLoops.js";
import { opOf, readOnlyElementwise, type NestedContext, type Precision } from "../ops/op.js";
import { derive } from "../explain/derivation.js";
import { dropDeadLocals } from "./deadLocals.js";
import { fuseBatchLoops } from "./fuseBatch.js";
import type { KernelEnv } from "./kernelCode.js";
import { KernelEmitter, literal, type KernelCode } from "./kernels.js";
import { Names, prop } from "./names.js";
import { formula } from "./notation.js";
import { shareRowStatistics } from "./rowStatistics.js";

const J = JSON.stringify;

/** The module-level engine of the runtime's WebAssembly SIMD matrix product (float32 modules that use it). */
export const SIMD_GEMM = "GEMM";

/**
 * A forward value the backward part of the training pass reads again (saved for backward): where it is
 * kept — a workspace buffer, per-row locals of the fused batch loop (`h1_0`, `h1_1`: no workspace
 * memory) or one scalar local — and how many elements it has (`n * 128` with the batch).
 */
export interface SavedValue {
  readonly name: string;
  readonly elements: string;
  readonly storage: "buffer" | "row locals" | "scalar local";
  /** What the value is, in math notation (`h1 = σ(x·W1 + b1)`). */
  readonly math: string;
}

/** What a pass reads from the workspace an earlier pass filled: node → that pass's field, and every field name it uses. */
export interface Given {
  readonly values: ReadonlyMap<Node, string>;
  readonly fields: readonly string[];
  /** Where that workspace is: `ws` itself (the default: this pass's workspace extends it) or a field of it (`ws.forward`). */
  readonly workspace?: string;
}

export interface PassCode {
  readonly lines: string[];
  /** Workspace buffers: identifier → size expression. */
  readonly buffers: [string, string][];
  /** Buffer identifier → the values it holds one after another, when it holds more than one. */
  readonly shared: Map<string, string[]>;
  /** The inputs the pass needs: those its kernels read, and those it returns as they are (an output that is an input). */
  readonly inputs: Node[];
  /**
   * The pass function's local for each of `inputs`, or null for an input it only returns (the root's array
   * is then read where it is returned, ./module.ts): a local nothing reads would be an unused declaration.
   */
  readonly inputIds: (string | null)[];
  /** Root node → identifier of the array holding it (in the workspace, or a param/input). */
  readonly rootStorage: Map<Node, string>;
  readonly loss?: string;
  /** Training pass: the forward values the backward kernels read (see SavedValue). */
  readonly saved: SavedValue[];
  /** Training pass: inputs and parameters the backward kernels read (they stay in place, nothing is copied). */
  readonly readInPlace: string[];
}

/** Whether a scalar value can be a local: a rowwise op writes its one value per row into an array, also when it makes a single row. */
const inLocal = (n: Node): boolean => opOf(n).kind !== "rowwise";

/**
 * An input that is a root of a pass (an output, or a gradient that is an input's own array) as the
 * module's typed array: the caller's array when it has that type, else a copy. An integer input too
 * (class labels as an output): every output has the module's array type (`Outputs` says so); int32
 * values are exact in float64, and in float32 up to 2^24.
 */
function inputArray(n: Node, dtype: "f32" | "f64"): string {
  return `toArray((inputs as Record<string, ArrayLike<number>>)[${J(n.attrs.name)}]!, ${J(dtype)})`;
}

/**
 * Emits a pass twice: the first time to learn which batch-leading values are written and read only
 * at compile-time positions of row i inside one fused batch loop; the second keeps those values in
 * scalar locals (no buffer, no memory traffic), which turns a small network's step into straight-line
 * scalar arithmetic inside the loop over the batch.
 */
export function emitPass(
  g: Graph,
  roots: readonly Node[],
  forwardSet: ReadonlySet<Node>,
  constantFor: (n: Node) => string,
  arrayType: string,
  kind: "forward" | "train" | "evaluate",
  gemmBlock?: KernelEnv["gemmBlock"],
  given?: Given,
): PassCode {
  // explain's names for the values it shows; a graph without a loss (no equations) keeps op names.
  const textbook = g.loss ? derive(g, "").plainNames : new Map<Node, string>();
  const emit = (rowScalars: ReadonlySet<Node>, sharing?: ReadonlyMap<Node, SharedArray<Node>>) => emitPassWith(g, roots, forwardSet, constantFor, arrayType, kind, rowScalars, textbook, sharing, gemmBlock, given);
  const first = emit(new Set());
  // A result stays in an array, also when the root is a view of it (an output reshape(y) is stored as y).
  const rootSet = new Set(roots.map(storageOf));
  const rowScalars = new Set<Node>();
  const firstReaders = readersOf(first.codes);
  for (const k of first.codes) {
    const loop = first.loopOf.get(k.node);
    if (loop === undefined || !k.constWrite || rootSet.has(k.node)) continue;
    const readers = firstReaders.get(k.node) ?? [];
    if (readers.every((r) => first.loopOf.get(r.node) === loop && !r.varReads.has(k.node))) rowScalars.add(k.node);
  }
  const scheduled = rowScalars.size ? emit(rowScalars) : first;
  // The memory plan: buffers whose lifetimes in the schedule do not overlap share an array. Storage
  // does not change the schedule, so the last emission runs the same kernels in the same order.
  // The pass's results keep arrays of their own (read after the pass as ws.logits, ws.dW, …).
  const results = new Set(roots.map(storageOf));
  const scheduledReaders = readersOf(scheduled.codes);
  const lifetimes = scheduled.buffered
    .filter((n) => !results.has(n))
    .map((n): Lifetime<Node> => {
      const start = scheduled.segmentOf.get(n.op === "part" ? n.inputs[0]! : n)!;
      let end = start;
      for (const k of scheduledReaders.get(n) ?? []) end = Math.max(end, scheduled.segmentOf.get(k.node)!);
      return { key: n, start, end, batchDims: batchDims(n.shape), elements: staticPart(n.shape) };
    });
  const { arrayOf } = shareArrays(lifetimes);
  const pass = [...arrayOf.values()].some((a) => a.members.length > 1) ? emit(rowScalars, arrayOf).pass : scheduled.pass;
  return { ...pass, lines: dropDeadLocals(pass.lines) };
}

/** Array → the kernels that read it, in kernel order (one index instead of a scan of every kernel per array). */
function readersOf(codes: readonly KernelCode[]): Map<Node, KernelCode[]> {
  const out = new Map<Node, KernelCode[]>();
  for (const k of codes) {
    for (const n of k.reads.keys()) {
      const list = out.get(n);
      if (list) list.push(k);
      else out.set(n, [k]);
    }
  }
  return out;
}

function emitPassWith(
  g: Graph,
  roots: readonly Node[],
  forwardSet: ReadonlySet<Node>,
  constantFor: (n: Node) => string,
  arrayType: string,
  kind: "forward" | "train" | "evaluate",
  rowScalars: ReadonlySet<Node>,
  textbook: ReadonlyMap<Node, string>,
  sharing?: ReadonlyMap<Node, SharedArray<Node>>,
  gemmBlock?: KernelEnv["gemmBlock"],
  given?: Given,
): { pass: PassCode; codes: KernelCode[]; loopOf: Map<Node, number>; segmentOf: Map<Node, number>; buffered: Node[] } {
  const names = new Names();
  const storage = new Map<Node, string>();
  const head: string[] = [];
  const buffers: [string, string][] = [];
  const inputs: Node[] = [];
  const inputIds: (string | null)[] = [];
  // Values an earlier pass left in the workspace: read from its fields, whose names stay taken.
  for (const field of given?.fields ?? []) names.reserve(field);
  for (const [n, field] of given?.values ?? []) {
    storage.set(n, field);
    storage.set(storageOf(n), field);
    const line = `const ${field} = ${given?.workspace ?? "ws"}.${field};`;
    if (!head.includes(line)) head.push(line);
  }
  const givenNodes = new Set(given?.values.keys() ?? []);
  const needed = reachableUntil(roots, givenNodes);
  const read = new Set([...needed].flatMap((n) => n.inputs));
  for (const n of g.nodes) {
    if (n.op === "input" && needed.has(n)) {
      inputs.push(n);
      if (!read.has(n)) {
        inputIds.push(null);
        continue;
      }
      const id = names.fresh(n.attrs.name as string);
      storage.set(n, id);
      inputIds.push(id);
    }
  }
  const shared = new Map<string, string[]>();
  const out = emitKernels(g, roots, { names, storage, head, buffers, constantFor, forwardSet, rowScalars, textbook, given: givenNodes, headings: kind === "train", precision: arrayType === "Float32Array" ? "f32" : "f64", ...(gemmBlock ? { gemmBlock } : {}), ...(arrayType === "Float32Array" ? { simdGemm: SIMD_GEMM } : {}), ...(sharing ? { sharing: { arrayOf: sharing, field: new Map(), shared } } : {}) });
  const rootStorage = new Map<Node, string>();
  // Outside the pass a shared array is known by its workspace field, not by the value's local name.
  const fieldOf = new Map<string, string>();
  for (const [field, ids] of shared) for (const id of ids) if (!fieldOf.has(id)) fieldOf.set(id, field);
  for (const r of roots) {
    const s = storageOf(r);
    // An input is returned as the caller's array (or its copy in the module's type), with or without a local.
    if (s.op === "input") {
      rootStorage.set(r, inputArray(s, arrayType === "Float32Array" ? "f32" : "f64"));
      continue;
    }
    const id = storage.get(s);
    if (!id) throw new Error(`internal: root ${r.op} has no storage`);
    rootStorage.set(r, s.op === "param" ? prop("params", s.attrs.name as string) : s.op === "const" ? constantFor(s) : (fieldOf.get(id) ?? id));
  }
  const lossStorage = storage.get(g.loss!);
  // An output that is the loss itself keeps it in an array (see emitKernels' storage), else it is a local.
  const lossInArray = g.outputs.some(([, o]) => o === g.loss) || !inLocal(g.loss!);
  const lossValue = lossStorage === undefined ? literal(g.loss!.attrs.value as number) : lossInArray ? `${lossStorage}[0]!` : lossStorage;
  const lossLine = kind !== "forward" ? [`return ${lossValue};`] : [];
  return {
    pass: { lines: [...head, "", ...out.lines, ...lossLine], buffers, shared, inputs, inputIds, rootStorage, saved: out.saved, readInPlace: out.readInPlace },
    codes: out.codes,
    loopOf: out.loopOf,
    segmentOf: out.segmentOf,
    buffered: out.buffered,
  };
}

/** What the kernels of one pass share: names, the workspace, the statements before the first kernel. */
interface PassState {
  readonly names: Names;
  /** Storage of nodes bound before the kernels run (inputs; a scan body's carries and step inputs). */
  readonly storage: Map<Node, string>;
  readonly head: string[];
  readonly buffers: [string, string][];
  readonly constantFor: (n: Node) => string;
  readonly forwardSet: ReadonlySet<Node>;
  readonly rowScalars: ReadonlySet<Node>;
  /** Print "forward"/"backward" headings (the training pass). */
  readonly headings: boolean;
  /** Values computed before this pass (bound in `storage`): read, never computed. */
  readonly given: ReadonlySet<Node>;
  readonly gemmBlock?: KernelEnv["gemmBlock"];
  /** float32 passes: large matmuls call the runtime's SIMD product through this module-level engine. */
  readonly simdGemm?: string;
  /** The element type of the workspace and parameter arrays. */
  readonly precision: Precision;
  /** The names `gradc explain` gives this pass's values (z1, h1, delta1, v1, dW1): the code uses them too. */
  readonly textbook: ReadonlyMap<Node, string>;
  /** A scan body's step inputs read in place (bound in `storage` to their stacked arrays). */
  readonly views?: KernelEnv["views"];
  /** A scan body's per-step results offered a place in their stacked arrays (NestedContext.body). */
  readonly outputViews?: KernelEnv["views"];
  /** The memory plan: which values share a workspace array (../lower/memory.ts). */
  readonly sharing?: {
    readonly arrayOf: ReadonlyMap<Node, SharedArray<Node>>;
    /** Each shared array's workspace field, once its first value has taken it. */
    readonly field: Map<SharedArray<Node>, string>;
    /** Field → the identifiers of the values it holds. */
    readonly shared: Map<string, string[]>;
  };
}

/**
 * The kernels computing `roots` of `g`, in one fused sequence: storage for every value (workspace
 * buffers, scalar locals, row scalars), then each planned kernel, then batch-loop fusion. A scan's
 * body is emitted by the same function, sharing the pass's names and workspace.
 */
function emitKernels(
  g: Graph,
  roots: readonly Node[],
  st: PassState,
): { lines: string[]; codes: KernelCode[]; loopOf: Map<Node, number>; segmentOf: Map<Node, number>; saved: SavedValue[]; readInPlace: string[]; buffered: Node[]; inPlace: ReadonlySet<Node> } {
  const p = plan(g, roots, st.given);
  const { names, storage, head, buffers } = st;
  const scalars = new Set<Node>();
  const rootSet = new Set(roots);
  const buffer = (hint: string, shape: Node["shape"]) => {
    const id = names.fresh(hint);
    buffers.push([id, sizeExpr(shape)]);
    head.push(`const ${id} = ws.${id};`);
    return id;
  };
  /** Values of this pass held in workspace buffers (not a scan body's), for the memory plan. */
  const buffered: Node[] = [];
  const valueBuffer = (n: Node, hint: string): string => {
    buffered.push(n);
    const array = st.sharing?.arrayOf.get(n);
    if (!array || array.members.length === 1) return buffer(hint, n.shape);
    const { field, shared } = st.sharing!;
    const id = names.fresh(hint);
    const taken = field.get(array);
    if (!taken) {
      field.set(array, id);
      shared.set(id, [id]);
      buffers.push([id, scaledByBatch(array.batchDims, array.elements)]);
      head.push(`const ${id} = ws.${id};`);
    } else {
      shared.get(taken)!.push(id);
      head.push(`const ${id} = ws.${taken}; // reuses ${taken}'s array: ${taken} is no longer needed when ${id} is written`);
    }
    return id;
  };

  // An array is named as the comments name its value: its textbook name (delta1), its own, or its op.
  const label = (n: Node): string => st.textbook.get(n) ?? n.name ?? n.op;
  for (const n of p.nodes) {
    if (storage.has(n)) continue;
    if (n.op === "param") {
      const id = names.fresh(n.attrs.name as string);
      storage.set(n, id);
      head.push(`const ${id} = ${prop("params", n.attrs.name as string)};`);
    } else if (n.op === "const" && n.attrs.values) {
      const id = names.fresh((n.name ?? "c").toLowerCase());
      storage.set(n, id);
      head.push(`const ${id} = ${st.constantFor(n)};`);
    } else if (n.op === "part") {
      storage.set(n, valueBuffer(n, label(n))); // written by its scan's kernel
    }
  }
  const kernelNodes = new Set(p.kernels.map((k) => k.node));
  // Per-step results written straight into their stacked arrays: those an element-wise kernel of their
  // own stores (its elements go through write(), or a row call) and only element-wise ops read.
  const views = new Map(st.views ?? []);
  const inPlace = new Set<Node>();
  for (const [n, view] of st.outputViews ?? []) {
    const own = p.kernels.some((k) => k.node === n && k.kind === "elementwise" && !k.producer);
    if (!own || n.shape.length === 0 || !readOnlyElementwise(g, n)) continue;
    views.set(n, view);
    inPlace.add(n);
    storage.set(n, view.array);
  }
  // The loss is a local the pass returns, unless an output is the loss itself: outputs are read from arrays.
  const outputSet = new Set(g.outputs.map(([, o]) => o));
  for (const n of p.nodes) {
    if (!kernelNodes.has(n) || opOf(n).tuple || inPlace.has(n)) continue;
    if (n.shape.length === 0 && inLocal(n) && !(rootSet.has(n) && (n !== g.loss || outputSet.has(n)))) {
      scalars.add(n);
      storage.set(n, names.fresh(n === g.loss ? "loss" : label(n)));
    } else if (st.rowScalars.has(n)) {
      storage.set(n, names.fresh(label(n)));
    } else storage.set(n, valueBuffer(n, label(n)));
  }
  const backward = new Set(p.nodes.filter((n) => !st.forwardSet.has(n)));
  const display = (n: Node): string => {
    if (n.op === "const" && n.attrs.value !== undefined) return literal(n.attrs.value as number);
    if (n.op === "dim") return "N";
    if (n.op === "reshape") return display(n.inputs[0]!);
    return st.textbook.get(n) ?? n.name ?? storage.get(storageOf(n)) ?? n.op;
  };
  const nested: NestedContext = {
    buffer,
    body(bg, bodyRoots, bind, views, outputViews) {
      const inner = new Map(bind);
      for (const [ph, view] of views ?? []) inner.set(ph, view.array);
      // A body's own values are all "forward" (its derivative is a separate reverse body).
      const { sharing: _outer, views: _outerViews, outputViews: _outerOutputs, ...rest } = st;
      const r = emitKernels(bg, bodyRoots, {
        ...rest,
        storage: inner,
        forwardSet: new Set(bg.nodes),
        rowScalars: new Set(),
        textbook: new Map(),
        headings: false,
        given: new Set(),
        ...(views?.size ? { views } : {}),
        ...(outputViews?.size ? { outputViews } : {}),
      });
      return { lines: r.lines, storage: new Map(bodyRoots.map((n) => [n, inner.get(storageOf(n))!])), inPlace: r.inPlace };
    },
  };
  const emitter = new KernelEmitter({ plan: p, names, storage, scalars, backward, display, textbook: st.textbook, rowScalars: st.rowScalars, nested, precision: st.precision, ...(views.size ? { views } : {}), ...(st.gemmBlock ? { gemmBlock: st.gemmBlock } : {}), ...(st.simdGemm ? { simdGemm: st.simdGemm } : {}) });
  const codes = p.kernels.map((k) => emitter.emit(k));
  let headed: "none" | "forward" | "backward" = "none";
  const section = (k: KernelCode) => {
    if (!st.headings || headed === "backward") return null;
    if (backward.has(k.node)) {
      headed = "backward";
      return "// ──── backward: ∂loss/∂ each value, from the loss back to the parameters ────";
    }
    if (headed === "forward") return null;
    headed = "forward";
    // After the forward pass (a training pass that calls it), what is left of the forward part is the loss.
    return st.given.size ? "// ──── loss ────" : "// ──── forward ────";
  };
  const fused = fuseBatchLoops(codes, section);
  const { loopOf, segmentOf } = fused;
  const lines = shareRowStatistics(fused.lines);
  // Saved for backward: stored forward values that some backward kernel reads.
  const readByBackward = new Set(codes.filter((c) => backward.has(c.node)).flatMap((c) => [...c.reads.keys()]));
  const saved: SavedValue[] = [];
  const readInPlace: string[] = [];
  // A value the forward pass left is written out back to the values the training pass reads too, as
  // that pass's fused kernels computed it (h1 = σ(x·W1 + b1)).
  const forwardMath = new Set([...reachableUntil([...st.given].flatMap((n) => n.inputs), st.given)].filter((n) => !st.given.has(n) && n.inputs.length > 0 && n.op !== "part" && !opOf(n).tuple));
  for (const n of p.nodes) {
    if (!readByBackward.has(n) || backward.has(n)) continue;
    if (n.op === "input" || n.op === "param") readInPlace.push(String(n.attrs.name));
    else if ((kernelNodes.has(n) || n.op === "part" || st.given.has(n)) && storage.has(n)) {
      const where = scalars.has(n) ? "scalar local" : st.rowScalars.has(n) ? "row locals" : "buffer";
      saved.push({ name: storage.get(n)!, elements: sizeExpr(n.shape), storage: where, math: `${display(n)} = ${formula(n, st.given.has(n) ? forwardMath : p.expanded, display)}` });
    }
  }
  return { lines, codes, loopOf, segmentOf, saved, readInPlace, buffered, inPlace };
}
