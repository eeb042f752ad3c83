// The generated module: the model's code — spec, workspaces and three straight-line passes (forward;
// forward + backward; forward + loss) — and one call of gradc/runtime's bindModule, which gives the
// exported functions (initParams, forward, evaluate, lossAndGrad, gradInto, createTrainer) and the
// optimizer update; in one deterministic text.
import { reachable, type Graph } from "../ir/graph.js";
import { rowIndependence } from "../ir/rows.js";
import type { Node } from "../ir/node.js";
import { shareArrays, type Lifetime, type SharedArray } from "../lower/memory.js";
import { plan, reachableUntil } from "../lower/plan.js";
import { batchDims, staticPart } from "../ir/shape.js";
import { storageOf } from "../lower/plan.js";
import { inferenceGraph, trainingGraph, type Optimized } from "../pipeline.js";
import { sizeExpr } from "../ops/affine.js";
import { evaluationCut } from "./passGraphs.js";
import { fuseBatchLoops } from "./fuseBatch.js";
import { shareRowStatistics } from "./rowStatistics.js";
import { opOf } from "../ops/op.js";
import { scaledByBatch } from "../ops/kernelLoops.js";
import type { NestedContext, Precision, RuntimeMath } from "../ops/op.js";
import type { ScanAttrs } from "../ops/scan.js";
import { KernelEmitter, literal, type KernelCode } from "./kernels.js";
import { formula } from "./notation.js";
import { derive } from "../explain/derivation.js";
import { commentText, Names, prop } from "./names.js";

export interface EmitOptions {
  readonly dtype: "f32" | "f64";
  /** The model file's name for the header (basename only: output must not depend on where it was built). */
  readonly source: string;
  /** `--batch N`, when given. */
  readonly batch?: number;
  /** Module specifier of the runtime (default "gradc/runtime"). */
  readonly runtime?: string;
  /** The blocked GEMM's register block (default GEMM_ROWS × GEMM_COLS; bench/gemmBlocks.ts measures others). */
  readonly gemmBlock?: { readonly rows: number; readonly cols: number };
}

/** What a pass reads from the workspace an earlier pass filled: node → that pass's field, and every field name it uses. */
interface Given {
  readonly values: ReadonlyMap<Node, string>;
  readonly fields: readonly string[];
}

interface PassCode {
  readonly lines: string[];
  /** Workspace buffers: identifier → size expression. */
  readonly buffers: [string, string][];
  /** Buffer identifier → the values it holds one after another, when it holds more than one. */
  readonly shared: Map<string, string[]>;
  readonly inputs: Node[];
  /** The pass function's parameter name for each of `inputs`. */
  readonly inputIds: string[];
  /** Root node → identifier of the array holding it (in the workspace, or a param/input). */
  readonly rootStorage: Map<Node, string>;
  readonly loss?: string;
  /** Training pass: the forward values the backward kernels read (see SavedValue). */
  readonly saved: SavedValue[];
  /** Training pass: inputs and parameters the backward kernels read (they stay in place, nothing is copied). */
  readonly readInPlace: string[];
}

const J = JSON.stringify;

/** The module-level engine of the runtime's WebAssembly SIMD matrix product (float32 modules that use it). */
const SIMD_GEMM = "GEMM";

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

/** The memory plan of one pass: its workspace buffers, elements as code (`n * 128` with the batch). */
export interface MemoryPlan {
  readonly pass: "forward" | "train" | "evaluate";
  /** `holds`: the values an array holds one after another, when the memory plan lets several share it. */
  readonly buffers: readonly { readonly name: string; readonly elements: string; readonly holds?: readonly string[] }[];
  /** Training pass only: forward values the backward part reads, and inputs/params it reads in place. */
  readonly savedForBackward?: readonly SavedValue[];
  readonly readInPlace?: readonly string[];
}

/** Whether a scalar value can be a local: a rowwise op writes its one value per row into an array, also when it makes a single row. */
const inLocal = (n: Node): boolean => opOf(n).kind !== "rowwise";

/** The gradc/runtime functions (erf) the ops' expressions call, in the graphs and their scan bodies: what the module imports. */
function runtimeMathOf(graphs: readonly Graph[]): RuntimeMath[] {
  const found = new Set<RuntimeMath>();
  const visit = (g: Graph): void => {
    for (const n of g.nodes) {
      for (const f of opOf(n).runtime?.(n.attrs) ?? []) found.add(f);
      if (n.op === "scan") visit((n.attrs as unknown as ScanAttrs).body.graph);
    }
  };
  graphs.forEach(visit);
  return [...found].sort();
}

export function emitModule(opt: Optimized, options: EmitOptions): string {
  return emitModuleWithPlan(opt, options).text;
}

export function emitModuleWithPlan(opt: Optimized, options: EmitOptions): { text: string; memory: MemoryPlan[] } {
  // Each pass is lowered from the graph of its mode (dropout and batchNorm differ; see passes/specialize.ts).
  const g = trainingGraph(opt.graph);
  const rows = rowIndependence(g);
  const inference = inferenceGraph(opt.graph);
  const dtype = options.dtype;
  const arrayType = dtype === "f32" ? "Float32Array" : "Float64Array";
  const constants: string[] = [];
  const constNames = new Map<string, string>();
  const globalNames = new Names();
  for (const r of ["createOptimizer", "createTrainerOptimizer", "TrainerOptions", "TRAINABLE_PARAMS", "createRng", "createRngFromState", "initTensor", "resolveBatch", "toArray", "checkParams", "Optimizer", "OptimizerSpec", "InputSpec", "Params", "Inputs", "ForwardInputs", "Outputs", "Trainer", "forward", "lossAndGrad", "createTrainer", "initParams", "forwardPass", "trainPass", "ForwardWorkspace", "TrainWorkspace", "createForwardWorkspace", "createTrainWorkspace", "PARAM_SIZES", "TRAIN_INPUTS", "FORWARD_INPUTS", "FIXED_BATCH", "forwardWorkspace", "trainWorkspace", "evaluate", "evaluatePass", "EvaluateWorkspace", "createEvaluateWorkspace", "evaluateWorkspace", "evaluateWith", "gradInto", "Rng", "STATE", "bindModule", "passes", "ModuleTrainer", "ModulePasses", "bound", "outputsOf"]) globalNames.reserve(r);
  const constantFor = (n: Node): string => {
    const key = J([n.attrs.shape, n.attrs.values]);
    let name = constNames.get(key);
    if (!name) {
      name = globalNames.fresh(`C_${n.name ?? "const"}`.toUpperCase());
      constNames.set(key, name);
      const values = n.attrs.values as number[];
      if (values.length > INLINE_VALUES) constants.push(...bulkValues(`const ${name} = ${arrayType}.from(`, values, ");"));
      else constants.push(`const ${name} = ${arrayType}.from(${J(values)});`);
    }
    return name;
  };
  // Explicit init values: inline in the spec and in initParams when short, else one module constant.
  const initValues: string[] = [];
  const initOf = new Map<Node, string>();
  for (const p of g.params) {
    const init = p.attrs.init as { kind: string; values?: number[] };
    if (init.kind !== "values" || init.values!.length <= INLINE_VALUES) continue;
    const name = globalNames.fresh(`INIT_${p.attrs.name as string}`.toUpperCase());
    initOf.set(p, `{ kind: "values", values: ${name} }`);
    initValues.push(`/** The initial values of ${commentText(J(p.attrs.name))} given in the model, row-major. */`, ...bulkValues(`const ${name}: readonly number[] = `, init.values!, ";"), "");
  }
  const initText = (p: Node) => initOf.get(p) ?? J(p.attrs.init);

  const forwardRoots = inference.outputs.map(([, n]) => n);
  const forwardSet = reachable([...(g.loss ? [g.loss] : []), ...g.outputs.map(([, n]) => n)]);
  const updates = g.updates ?? [];
  const block = options.gemmBlock;
  // evaluate() is forward() and then the loss: the evaluation pass calls the forward pass and computes
  // only what the loss needs beyond it, reading the forward values it needs (the cut) from the forward
  // workspace, so the forward kernels are emitted once. The cut's values become results of the forward
  // pass. A loss that is itself a forward value (an output, say) keeps a pass of its own.
  const lossNode = inference.loss!;
  const cutList = evaluationCut(inference);
  const split = cutList !== null;
  const cut = new Set(cutList ?? []);
  const forwardResults = [...forwardRoots, ...[...cut].filter((n) => !forwardRoots.includes(n))];
  const fwd = emitPass(inference, forwardResults, reachable(forwardResults), constantFor, arrayType, "forward", block);
  const train = emitPass(g, [g.loss!, ...g.grads.map(([, n]) => n), ...updates.map(([, n]) => n)], forwardSet, constantFor, arrayType, "train", block);
  const given: Given = { values: new Map([...cut].map((n) => [n, fwd.rootStorage.get(n)!])), fields: fwd.buffers.map(([id]) => id) };
  const evaluation = split
    ? emitPass(inference, [lossNode], reachable([lossNode]), constantFor, arrayType, "evaluate", block, given)
    : emitPass(inference, [lossNode, ...forwardRoots], reachable([lossNode, ...forwardRoots]), constantFor, arrayType, "evaluate", block);
  const random = g.nodes.some((n) => n.op === "dropoutMask");
  const math = runtimeMathOf([g, inference]).map((f) => `, ${f}`).join("");
  const simd = [fwd, train, evaluation].some((p) => p.lines.some((l) => l.includes(`${SIMD_GEMM}.product(`) || l.includes(`${SIMD_GEMM}.productAt(`)));
  const trainable = g.params.filter((p) => p.attrs.trainable !== false);
  if (g.grads.length !== trainable.length || g.grads.some(([name], k) => name !== trainable[k]!.attrs.name)) {
    throw new Error("internal: the gradients are not the trainable parameters in their order (the runtime's update pairs them by position)");
  }

  const inputDtype = (n: Node) => (n.dtype === "i" ? "i32" : dtype);
  const classes = classesOf(g);
  const inputSpec = (n: Node) => {
    const c = classes.get(n);
    return `{ name: ${J(n.attrs.name)}, shape: ${J(n.shape)}, dtype: ${J(inputDtype(n))}${c ? `, classes: ${c}` : ""} }`;
  };
  const pname = (n: Node) => n.attrs.name as string;
  // The inputs whose lengths give a pass its batch size: those it reads, or, when none of them has the
  // batch dimension although its values do (a parameter broadcast to [batch, k]), every input that has it.
  const sizing = (read: readonly Node[], roots: readonly Node[]): string[] => {
    const hasBatch = (n: Node) => batchDims(n.shape) > 0 || n.op === "dim";
    const names = read.map(pname);
    if (read.some(hasBatch) || ![...reachable(roots)].some(hasBatch)) return names;
    return [...names, ...g.inputs.filter((i) => hasBatch(i) && !names.includes(pname(i))).map(pname)];
  };
  const trainSizing = sizing(train.inputs, [g.loss!, ...g.grads.map(([, n]) => n)]);
  const forwardSizing = sizing(fwd.inputs, forwardRoots);

  // A pass reads its inputs as typed arrays: the caller's array when it has the right type, else a
  // copy. The training step allocates nothing when the caller's arrays have the module's dtype.
  const passFunction = (name: string, code: PassCode, ws: string, inputsType: string, returns: string, rng = false, prologue: string[] = []) => [
    `function ${name}(params: Params, ws: ${ws}, n: number, inputs: ${inputsType}${rng ? ", rng: Rng" : ""}): ${returns} {`,
    ...prologue,
    ...code.inputs.map((i, k) => `const ${code.inputIds[k]} = toArray(${prop("inputs", pname(i))}, ${J(inputDtype(i))});`),
    ...code.lines,
    "}",
  ];
  /** A pass's workspace type and constructor; `base`: the workspace of the pass it calls first, which it extends. */
  const workspace = (name: string, code: PassCode, base?: string) => [
    `export interface ${name} ${base ? `extends ${base} ` : ""}{`,
    ...(base ? [] : ["readonly n: number;"]),
    ...code.buffers.map(([id]) => `readonly ${id}: ${arrayType};`),
    "}",
    "",
    `function create${name}(n: number): ${name} {`,
    `return { ${base ? `...create${base}(n)` : "n"}${code.buffers.map(([id, size]) => `, ${id}: new ${arrayType}(${size})`).join("")} };`,
    "}",
  ];
  const evaluateWorkspace = split && evaluation.buffers.length === 0 ? "ForwardWorkspace" : "EvaluateWorkspace";
  /** An arrow's parameters (`ws: W, n: number, …`), up to the last one `body` reads. */
  const arrowParams = (list: readonly string[], body: string) => {
    const used = list.map((p, k) => k === 0 || new RegExp(`\\b${p.split(":")[0]}\\b`).test(body));
    return list.slice(0, used.lastIndexOf(true) + 1).join(", ");
  };
  const outputsBody = (code: PassCode) => `{ ${inference.outputs.map(([name, n]) => `${J(name)}: ${gradArray(code, n, "ws")}.slice(0, ${sizeExpr(n.shape)})`).join(", ")} }`;
  const outputsParams = (ws: string, inputsType: string, body: string) => arrowParams([`ws: ${ws}`, "n: number", `inputs: ${inputsType}`, "params: Params"], body);
  const outputsOf = (code: PassCode, ws: string, inputsType: string) => `outputs: (${outputsParams(ws, inputsType, outputsBody(code))}): Outputs => (${outputsBody(code)}),`;
  const gradsBody = `[${g.grads.map(([, n]) => gradArray(train, n, "ws")).join(", ")}]`;
  const gradsReadInputs = /\binputs\b/.test(gradsBody);
  const usesToArray = [fwd, train, evaluation].some((p) => p.inputs.length > 0) || gradsReadInputs || (split ? [fwd] : [fwd, evaluation]).some((p) => inference.outputs.some(([, n]) => gradArray(p, n, "ws").startsWith("toArray(")));

  const lines = [
    `// Generated by gradc from ${commentText(options.source)}: model ${J(g.name)}, ${dtype === "f32" ? "float32" : "float64"}${options.batch !== undefined ? `, batch ${options.batch}` : ""}.`,
    "// Do not edit: change the model and run `gradc compile` again. Each block says what it computes and",
    "// which model.ts expression it comes from; gradient blocks also name the derivative rule. The",
    "// functions a module exports around its passes (forward, createTrainer, …) are gradc/runtime's bindModule.",
    `import { bindModule${simd ? ", createGemm" : ""}${math}${usesToArray ? ", toArray" : ""}, type ModulePasses, type ModuleTrainer${random ? ", type Rng" : ""}, type TrainerOptions } from ${J(options.runtime ?? "gradc/runtime")};`,
    "",
    `export type Params = { ${g.params.map((p) => `${J(pname(p))}: ${arrayType}`).join("; ")} };`,
    `export type Inputs = { ${g.inputs.map((i) => `${J(pname(i))}: ArrayLike<number>`).join("; ")} };`,
    `/** forward() needs only the inputs the outputs depend on. */`,
    `export type ForwardInputs = { ${g.inputs.map((i) => `${J(pname(i))}${forwardSizing.includes(pname(i)) ? "" : "?"}: ArrayLike<number>`).join("; ")} };`,
    `export type Outputs = { ${g.outputs.map(([name]) => `${J(name)}: ${arrayType}`).join("; ")} };`,
    "",
    ...initValues,
    "export const spec = {",
    `name: ${J(g.name)},`,
    `dtype: ${J(dtype)},`,
    `batch: ${options.batch !== undefined ? options.batch : J(g.batchDim)},`,
    `inputs: [${g.inputs.map(inputSpec).join(", ")}],`,
    `params: [${g.params.map((p) => `{ name: ${J(pname(p))}, shape: ${J(p.shape)}, init: ${initText(p)}${p.attrs.trainable === false ? ", trainable: false" : ""} }`).join(", ")}],`,
    `outputs: [${g.outputs.map(([name, n]) => `{ name: ${J(name)}, shape: ${J(n.shape)} }`).join(", ")}],`,
    "/** Whether the loss is a mean over the batch of terms of one row each, so that a batch may be split into shards (runtime/parallel.ts); if not, why. */",
    `rowIndependent: ${rows.independent},`,
    ...(rows.independent ? [] : [`rowMixing: ${J(rows.why)},`]),
    "} as const;",
    ...(constants.length ? ["", ...constants] : []),
    ...(simd ? ["", "/** The runtime's WebAssembly SIMD matrix product, which the large float32 matmuls and the convolutions below call. */", `const ${SIMD_GEMM} = createGemm();`] : []),
    "",
    ...workspace("ForwardWorkspace", fwd),
    "",
    ...workspace("TrainWorkspace", train),
    "",
    ...(evaluateWorkspace === "EvaluateWorkspace" ? [...workspace("EvaluateWorkspace", evaluation, split ? "ForwardWorkspace" : undefined), ""] : []),
    "// ════ forward pass: the outputs ════",
    ...passFunction("forwardPass", fwd, "ForwardWorkspace", "ForwardInputs", "void"),
    "",
    ...(split
      ? [
          "/** The outputs the forward pass left in its workspace (fresh arrays). */",
          `function outputsOf(${outputsParams("ForwardWorkspace", "ForwardInputs", outputsBody(fwd))}): Outputs {`,
          `return ${outputsBody(fwd)};`,
          "}",
          "",
        ]
      : []),
    "// ════ training pass: the loss, then every gradient by reverse-mode differentiation ════",
    ...passFunction("trainPass", train, "TrainWorkspace", "Inputs", "number", random),
    "",
    ...(split
      ? ["// ════ evaluation pass: the forward pass, then the loss from the values it left ════", ...passFunction("evaluatePass", evaluation, evaluateWorkspace, "Inputs", "number", false, ["forwardPass(params, ws, n, inputs);"])]
      : ["// ════ evaluation pass: the loss and the outputs, no gradients ════", ...passFunction("evaluatePass", evaluation, "EvaluateWorkspace", "Inputs", "number")]),
    "",
    "/**",
    " * The passes as gradc/runtime's bindModule runs them: the inputs whose lengths give the batch size, a",
    " * workspace for a batch of n, the pass, and where it leaves its results (the trainable parameters'",
    " * gradients in their order, for the optimizer's update).",
    " */",
    `export const passes: ModulePasses<Params, Inputs, ForwardInputs, Outputs, ForwardWorkspace, TrainWorkspace, ${evaluateWorkspace}> = {`,
    "forward: {",
    `sizing: ${J(forwardSizing)},`,
    "workspace: createForwardWorkspace,",
    "run: forwardPass,",
    split ? "outputs: outputsOf," : outputsOf(fwd, "ForwardWorkspace", "ForwardInputs"),
    "},",
    "train: {",
    `sizing: ${J(trainSizing)},`,
    "workspace: createTrainWorkspace,",
    "run: trainPass,",
    `random: ${random},`,
    `grads: (${arrowParams(["ws: TrainWorkspace", "inputs: Inputs", "params: Params"], gradsBody)}): ${arrayType}[] => ${gradsBody},`,
    // A gradient that is an input array itself (rare) is whatever array this step's inputs hold.
    ...(gradsReadInputs ? ["gradsReadInputs: true,"] : []),
    ...(updates.length
      ? ["afterStep: (params: Params, ws: TrainWorkspace): void => {", ...updates.map(([name, n]) => `${prop("params", name)}.set(${gradArray(train, n, "ws")}); // the new running statistics`), "},"]
      : []),
    "},",
    "evaluate: {",
    `sizing: ${J(trainSizing)},`,
    `workspace: create${evaluateWorkspace},`,
    "run: evaluatePass,",
    split ? "outputs: outputsOf," : outputsOf(evaluation, "EvaluateWorkspace", "Inputs"),
    "},",
    "};",
    "",
    "// ════ the module's functions: gradc/runtime's, bound to the passes above ════",
    "export type Trainer = ModuleTrainer<Params, Inputs, Outputs, typeof spec>;",
    "const bound = bindModule(spec, passes);",
    "/** Parameters drawn with each param's init from a seeded generator: the same seed gives the same values everywhere. */",
    "export const initParams: (seed?: number) => Params = bound.initParams;",
    "/** The model's outputs for a batch (fresh arrays). */",
    "export const forward: (params: Params, inputs: ForwardInputs) => Outputs = bound.forward;",
    "/** The loss and the outputs for a batch, without gradients (fresh arrays). */",
    "export const evaluate: (params: Params, inputs: Inputs) => { loss: number; outputs: Outputs } = bound.evaluate;",
    "/** The loss and ∂loss/∂param for every trainable parameter (fresh arrays). */",
    "export const lossAndGrad: (params: Params, inputs: Inputs) => { loss: number; grads: Params } = bound.lossAndGrad;",
    "/** lossAndGrad into the caller's gradient arrays, allocating nothing; `seed` seeds this call's dropout masks. */",
    "export const gradInto: (params: Params, inputs: Inputs, grads: Params, seed?: number) => number = bound.gradInto;",
    "/** A trainer that updates `params` in place: torch.optim's SGD, Adam or AdamW, with optional param groups, clipping and a dropout seed. */",
    "export const createTrainer: (params: Params, options: TrainerOptions) => Trainer = bound.createTrainer;",
    "",
  ];
  const memory: MemoryPlan[] = [
    { pass: "forward", buffers: planOf(fwd) },
    { pass: "train", buffers: planOf(train), savedForBackward: train.saved, readInPlace: train.readInPlace },
    { pass: "evaluate", buffers: split ? [...planOf(fwd), ...planOf(evaluation)] : planOf(evaluation) },
  ];
  return { text: lines.join("\n"), memory };
}

/** Explicit values (a parameter's init, a constant) longer than this are laid out by bulkValues. */
const INLINE_VALUES = 1024;

/**
 * A long list of numbers as a module-level statement `head[` … `]tail`, packed into lines of at most
 * 120 columns under `// prettier-ignore`: prettier would spend seconds laying out a megabyte literal
 * number by number, and ./format.ts sets such a statement aside without reading it.
 */
function bulkValues(head: string, values: readonly number[], tail: string): string[] {
  const lines = ["// prettier-ignore", `${head}[`];
  let line = " ";
  for (const v of values) {
    const item = ` ${J(v)},`;
    if (line.length + item.length > 120) {
      lines.push(line);
      line = " ";
    }
    line += item;
  }
  if (line.length > 1) lines.push(line);
  lines.push(`]${tail}`);
  return lines;
}

/** A pass's workspace buffers for the memory plan, with the values each shared one holds in turn. */
const planOf = (p: PassCode): MemoryPlan["buffers"] =>
  p.buffers.map(([name, elements]) => {
    const holds = p.shared.get(name);
    return holds && holds.length > 1 ? { name, elements, holds } : { name, elements };
  });

/** The expression for a root's array: a workspace buffer, or a param/input/constant array. */
function gradArray(p: PassCode, n: Node, ws: string): string {
  const id = p.rootStorage.get(n)!;
  return id.startsWith("params[") || id.startsWith("toArray(") || /^[A-Z]/.test(id) ? id : `${ws}.${id}`;
}

/** The typed array a pass reads for an input: the caller's array when it has the right type, else a copy. */
function inputArray(n: Node, dtype: "f32" | "f64"): string {
  return `toArray((inputs as Record<string, ArrayLike<number>>)[${J(n.attrs.name)}]!, ${J(n.dtype === "i" ? "i32" : dtype)})`;
}


/**
 * Integer inputs used as class labels (onehot, cross-entropy, pick) or as row indices (gather, scatterAdd):
 * the bound they must stay under, checked at run time. An index reaches its use through slices, joins
 * and reshapes of the input, which move indices but never change them; an input with several uses
 * gets the smallest bound.
 */
function classesOf(g: Graph): Map<Node, number> {
  const out = new Map<Node, number>();
  const sources = (n: Node): Node[] => (n.op === "input" ? [n] : n.op === "slice" || n.op === "concat" || n.op === "reshape" ? n.inputs.flatMap(sources) : []);
  const bound = (indices: Node, classes: number) => {
    for (const i of sources(indices)) out.set(i, Math.min(out.get(i) ?? Infinity, classes));
  };
  for (const n of g.nodes) {
    if (n.op === "onehot") bound(n.inputs[0]!, n.attrs.classes as number);
    if (n.op === "softmaxCE" && n.inputs[1]!.dtype === "i") bound(n.inputs[1]!, n.inputs[0]!.shape[1] as number);
    if (n.op === "gather") bound(n.inputs[1]!, n.inputs[0]!.shape[0] as number);
    if (n.op === "scatterAdd") bound(n.inputs[1]!, n.attrs.rows as number);
    if (n.op === "pick") bound(n.inputs[1]!, n.inputs[0]!.shape.at(-1) as number);
    if (n.op === "pickGrad") bound(n.inputs[1]!, n.attrs.classes as number);
  }
  return out;
}

/**
 * Emits a pass twice: the first time to learn which batch-leading values are written and read only
 * at compile-time positions of row i inside one fused batch loop; the second keeps those values in
 * scalar locals (no buffer, no memory traffic), which turns a small network's step into straight-line
 * scalar arithmetic inside the loop over the batch.
 */
function emitPass(
  g: Graph,
  roots: readonly Node[],
  forwardSet: ReadonlySet<Node>,
  constantFor: (n: Node) => string,
  arrayType: string,
  kind: "forward" | "train" | "evaluate",
  gemmBlock?: EmitOptions["gemmBlock"],
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
  if (![...arrayOf.values()].some((a) => a.members.length > 1)) return scheduled.pass;
  return emit(rowScalars, arrayOf).pass;
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
  gemmBlock?: EmitOptions["gemmBlock"],
  given?: Given,
): { pass: PassCode; codes: KernelCode[]; loopOf: Map<Node, number>; segmentOf: Map<Node, number>; buffered: Node[] } {
  const names = new Names();
  const storage = new Map<Node, string>();
  const head: string[] = [];
  const buffers: [string, string][] = [];
  const inputs: Node[] = [];
  const inputIds: string[] = [];
  // Values an earlier pass left in the workspace: read from its fields, whose names stay taken.
  for (const field of given?.fields ?? []) names.reserve(field);
  for (const [n, field] of given?.values ?? []) {
    storage.set(n, field);
    storage.set(storageOf(n), field);
    if (!head.includes(`const ${field} = ws.${field};`)) head.push(`const ${field} = ws.${field};`);
  }
  const givenNodes = new Set(given?.values.keys() ?? []);
  const needed = reachableUntil(roots, givenNodes);
  for (const n of g.nodes) {
    if (n.op === "input" && needed.has(n)) {
      const id = names.fresh(n.attrs.name as string);
      storage.set(n, id);
      inputs.push(n);
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
    const id = storage.get(s);
    if (!id) throw new Error(`internal: root ${r.op} has no storage`);
    const field = fieldOf.get(id) ?? id;
    rootStorage.set(r, s.op === "param" ? prop("params", s.attrs.name as string) : s.op === "input" ? inputArray(s, arrayType === "Float32Array" ? "f32" : "f64") : s.op === "const" ? constantFor(s) : field);
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
  readonly gemmBlock?: EmitOptions["gemmBlock"];
  /** float32 passes: large matmuls call the runtime's SIMD product through this module-level engine. */
  readonly simdGemm?: string;
  /** The element type of the workspace and parameter arrays. */
  readonly precision: Precision;
  /** The names `gradc explain` gives this pass's values (z1, h1, delta1, v1, dW1): the code uses them too. */
  readonly textbook: ReadonlyMap<Node, string>;
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
): { lines: string[]; codes: KernelCode[]; loopOf: Map<Node, number>; segmentOf: Map<Node, number>; saved: SavedValue[]; readInPlace: string[]; buffered: Node[] } {
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
      storage.set(n, valueBuffer(n, n.name ?? "part")); // written by its scan's kernel
    }
  }
  const kernelNodes = new Set(p.kernels.map((k) => k.node));
  const label = (n: Node): string => st.textbook.get(n) ?? n.name ?? n.op;
  // The loss is a local the pass returns, unless an output is the loss itself: outputs are read from arrays.
  const outputSet = new Set(g.outputs.map(([, o]) => o));
  for (const n of p.nodes) {
    if (!kernelNodes.has(n) || opOf(n).tuple) continue;
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
    body(bg, bodyRoots, bind) {
      const inner = new Map(bind);
      // A body's own values are all "forward" (its derivative is a separate reverse body).
      const { sharing: _outer, ...rest } = st;
      const r = emitKernels(bg, bodyRoots, { ...rest, storage: inner, forwardSet: new Set(bg.nodes), rowScalars: new Set(), textbook: new Map(), headings: false, given: new Set() });
      return { lines: r.lines, storage: new Map(bodyRoots.map((n) => [n, inner.get(storageOf(n))!])) };
    },
  };
  const emitter = new KernelEmitter({ plan: p, names, storage, scalars, backward, display, textbook: st.textbook, rowScalars: st.rowScalars, nested, precision: st.precision, ...(st.gemmBlock ? { gemmBlock: st.gemmBlock } : {}), ...(st.simdGemm ? { simdGemm: st.simdGemm } : {}) });
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
    return "// ──── forward ────";
  };
  const fused = fuseBatchLoops(codes, section);
  const { loopOf, segmentOf } = fused;
  const lines = shareRowStatistics(fused.lines);
  // Saved for backward: stored forward values that some backward kernel reads.
  const readByBackward = new Set(codes.filter((c) => backward.has(c.node)).flatMap((c) => [...c.reads.keys()]));
  const saved: SavedValue[] = [];
  const readInPlace: string[] = [];
  for (const n of p.nodes) {
    if (!readByBackward.has(n) || backward.has(n)) continue;
    if (n.op === "input" || n.op === "param") readInPlace.push(String(n.attrs.name));
    else if ((kernelNodes.has(n) || n.op === "part") && storage.has(n)) {
      const where = scalars.has(n) ? "scalar local" : st.rowScalars.has(n) ? "row locals" : "buffer";
      saved.push({ name: storage.get(n)!, elements: sizeExpr(n.shape), storage: where, math: `${display(n)} = ${formula(n, p.expanded, display)}` });
    }
  }
  return { lines, codes, loopOf, segmentOf, saved, readInPlace, buffered };
}
