// The generated module: the model's code — spec, workspaces and three straight-line passes (forward;
// forward + backward; forward + loss) — and one call of gradc/runtime's bindModule, which gives the
// exported functions (initParams, forward, evaluate, lossAndGrad, gradInto, createTrainer) and the
// optimizer update; in one deterministic text. Each pass's code comes from ./pass.ts; here the passes
// are chosen and assembled with the spec, the workspaces and the constants into the module's text.
import { reachable, type Graph } from "../ir/graph.js";
import { rowIndependence } from "../ir/rows.js";
import type { Node } from "../ir/node.js";
import { batchDims } from "../ir/shape.js";
import { inferenceGraph, trainingGraph, type Optimized } from "../pipeline.js";
import { sizeExpr } from "../ops/affine.js";
import { opOf, type RuntimeMath } from "../ops/op.js";
import type { ScanAttrs } from "../ops/scan.js";
import { evaluationCut, forwardResults, sharedForwardOf, trainRoots as trainRootsOf } from "./passGraphs.js";
import { literal } from "./kernels.js";
import { readsName } from "./codeText.js";
import { commentText, Names, prop } from "./names.js";
import { emitPass, SIMD_GEMM, type Given, type PassCode, type SavedValue } from "./pass.js";

export type { SavedValue } from "./pass.js";

export interface EmitOptions {
  readonly dtype: "f32" | "f64";
  /** The model file's name for the header (basename only: output must not depend on where it was built). */
  readonly source: string;
  /** `--batch N`, when given. */
  readonly batch?: number;
  /** Module specifier of the runtime (default "gradc/runtime"). */
  readonly runtime?: string;
  /** The blocked GEMM's register block (default GEMM_ROWS × GEMM_COLS, ../ops/matmul.ts; bench/gemmBlocks.ts measures others). */
  readonly gemmBlock?: { readonly rows: number; readonly cols: number };
}

const J = JSON.stringify;

/** The memory plan of one pass: its workspace buffers, elements as code (`n * 128` with the batch). */
export interface MemoryPlan {
  readonly pass: "forward" | "train" | "evaluate";
  /** `holds`: the values an array holds one after another, when the memory plan lets several share it. */
  readonly buffers: readonly { readonly name: string; readonly elements: string; readonly holds?: readonly string[] }[];
  /** Training pass only: forward values the backward part reads, and inputs/params it reads in place. */
  readonly savedForBackward?: readonly SavedValue[];
  readonly readInPlace?: readonly string[];
}

/** The nodes of the graphs and of their scan bodies. */
function nodesOf(graphs: readonly Graph[]): Node[] {
  const nodes: Node[] = [];
  const visit = (g: Graph): void => {
    for (const n of g.nodes) {
      nodes.push(n);
      if (n.op === "scan") visit((n.attrs as unknown as ScanAttrs).body.graph);
    }
  };
  graphs.forEach(visit);
  return nodes;
}

/** The gradc/runtime functions (erf) the ops' expressions call, in the graphs and their scan bodies: what the module imports. */
function runtimeMathOf(graphs: readonly Graph[]): RuntimeMath[] {
  return [...new Set(nodesOf(graphs).flatMap((n) => opOf(n).runtime?.(n.attrs) ?? []))];
}

/** The row functions of the ops in the graphs and their scan bodies (what a float32 module may call). */
function rowFunctionsOf(graphs: readonly Graph[]): RuntimeMath[] {
  return [...new Set(nodesOf(graphs).flatMap((n) => opOf(n).rowFunction ?? []))];
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
  // Module-level names made here: constants (C_…) and explicit init values (INIT_…), in capitals with
  // these prefixes, which no other module-level name of a generated module has (moduleConstants.test.ts
  // checks the golden modules), so they can only meet each other.
  const globalNames = new Names();
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
  const forwardSet = reachable([g.loss!, ...g.outputs.map(([, n]) => n)]);
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
  const evaluationResults = forwardResults(inference);
  // The training pass calls the forward pass too where the mode makes no difference (./sharedForward.ts):
  // the forward pass is then lowered from the training graph, and the forward values the training
  // pass reads become results of it as well.
  const trainRoots = trainRootsOf(g);
  const shared = sharedForwardOf(g, inference);
  const forwardResultList = shared ? shared.results : evaluationResults;
  const lowered = emitPass(shared ? g : inference, forwardResultList, reachable(forwardResultList), constantFor, arrayType, "forward", block);
  // Where the forward pass left each result, also by the inference graph's node for it.
  const fwd: PassCode = shared ? { ...lowered, rootStorage: new Map([...lowered.rootStorage, ...evaluationResults.map((n) => [n, lowered.rootStorage.get(shared.inTraining.get(n)!)!] as const)]) } : lowered;
  const fromForward = (values: Iterable<Node>): Given => ({ values: new Map([...values].map((n) => [n, fwd.rootStorage.get(n)!])), fields: fwd.buffers.map(([id]) => id) });
  // The training workspace holds the forward pass's as `ws.forward`: the two passes name their arrays independently.
  const trainGiven = shared ? fromForward(shared.cut) : undefined;
  const emittedTrain = emitPass(g, trainRoots, forwardSet, constantFor, arrayType, "train", block, trainGiven && { values: trainGiven.values, fields: [...new Set(trainGiven.values.values())], workspace: "ws.forward" });
  // A result of the training pass that the forward pass left (a gradient that is a forward value) is read there.
  const train: PassCode = shared ? { ...emittedTrain, rootStorage: new Map([...emittedTrain.rootStorage].map(([n, id]) => [n, trainGiven!.values.has(n) ? `forward.${id}` : id])) } : emittedTrain;
  const evaluation = split
    ? emitPass(inference, [lossNode], reachable([lossNode]), constantFor, arrayType, "evaluate", block, fromForward(cut))
    : emitPass(inference, [lossNode, ...forwardRoots], reachable([lossNode, ...forwardRoots]), constantFor, arrayType, "evaluate", block);
  const random = g.nodes.some((n) => n.op === "dropoutMask");
  // Row functions (sigmoidRow, …) are called where the kernel emitter chose them: read from the code.
  const rowCalls = rowFunctionsOf([g, inference]).filter((f) => [fwd, train, evaluation].some((p) => p.lines.some((l) => l.trimStart().startsWith(`${f}(`))));
  // An op's runtime function is imported when some emitted line still calls it: a ReLU fused after a
  // float32 product runs in the runtime's WebAssembly epilogue instead (compiler/ops/simdEpilogue.ts).
  const called = runtimeMathOf([g, inference]).filter((f) => [fwd, train, evaluation].some((p) => p.lines.some((l) => readsName(l, f))));
  const math = [...called, ...rowCalls].sort().map((f) => `, ${f}`).join("");
  const simd = [fwd, train, evaluation].some((p) => p.lines.some((l) => readsName(l, SIMD_GEMM)));
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
    // (The batch size N as a value, a dim node, comes from a mean over a batch-shaped value, reached too.)
    const hasBatch = (n: Node) => batchDims(n.shape) > 0;
    const names = read.map(pname);
    if (read.some(hasBatch) || ![...reachable(roots)].some(hasBatch)) return names;
    return [...names, ...g.inputs.filter((i) => hasBatch(i) && !names.includes(pname(i))).map(pname)];
  };
  // A training pass that calls the forward pass reads the forward pass's inputs too.
  const trainReads = new Set([...train.inputs, ...(shared ? fwd.inputs : [])].map(pname));
  const trainSizing = sizing(g.nodes.filter((n) => n.op === "input" && trainReads.has(pname(n))), [g.loss!, ...g.grads.map(([, n]) => n)]);
  const forwardSizing = sizing(fwd.inputs, forwardRoots);
  // evaluate() computes the loss and returns the outputs: it needs what either of the two needs (an
  // output may depend on an input the training step never reads).
  const evaluateSizing = g.inputs.map(pname).filter((name) => trainSizing.includes(name) || forwardSizing.includes(name));

  // A pass reads its inputs as typed arrays: the caller's array when it has the right type, else a
  // copy. The training step allocates nothing when the caller's arrays have the module's dtype.
  // The signature is the runtime's (ModulePasses); a parameter the body never reads (the batch size of
  // a module compiled for a fixed batch, say) is named with a leading underscore, which a strict
  // project's noUnusedParameters accepts.
  const passFunction = (name: string, code: PassCode, ws: string, inputsType: string, returns: string, rng = false, prologue: string[] = []) => {
    const body = [...prologue, ...code.inputs.flatMap((i, k) => (code.inputIds[k] === null ? [] : [`const ${code.inputIds[k]} = toArray(${prop("inputs", pname(i))}, ${J(inputDtype(i))});`])), ...code.lines];
    const param = (p: string) => (body.some((line) => readsName(line, p)) ? p : `_${p}`);
    return [`function ${name}(${param("params")}: Params, ${param("ws")}: ${ws}, ${param("n")}: number, ${param("inputs")}: ${inputsType}${rng ? `, ${param("rng")}: Rng` : ""}): ${returns} {`, ...body, "}"];
  };
  /**
   * A pass's workspace type and constructor; `base`: the workspace of the pass it calls first, which it
   * extends; `forward`: the forward pass's workspace, which it holds as `forward` (the training pass).
   */
  const workspace = (name: string, code: PassCode, base?: string, forward?: string) => [
    `export interface ${name} ${base ? `extends ${base} ` : ""}{`,
    ...(base ? [] : ["readonly n: number;"]),
    ...(forward ? [`/** The forward pass's workspace: the training pass calls the forward pass first. */`, `readonly forward: ${forward};`] : []),
    ...code.buffers.map(([id]) => `readonly ${id}: ${arrayType};`),
    "}",
    "",
    `function create${name}(n: number): ${name} {`,
    `return { ${base ? `...create${base}(n)` : "n"}${forward ? `, forward: create${forward}(n)` : ""}${code.buffers.map(([id, size]) => `, ${id}: new ${arrayType}(${size})`).join("")} };`,
    "}",
  ];
  const evaluateWorkspace = split && evaluation.buffers.length === 0 ? "ForwardWorkspace" : "EvaluateWorkspace";
  /**
   * An arrow's parameters (`ws: W, n: number, …`) up to the last one `body` reads, none if it reads none
   * (the runtime passes them all; an arrow may take fewer). One it does not read before that one is
   * named with a leading underscore, as a pass's are (noUnusedParameters).
   */
  const arrowParams = (list: readonly string[], body: string) => {
    const used = list.map((p) => readsName(body, p.split(":")[0]!));
    return list.slice(0, used.lastIndexOf(true) + 1).map((p, k) => (used[k] ? p : `_${p}`)).join(", ");
  };
  const outputsBody = (code: PassCode) => `{ ${inference.outputs.map(([name, n]) => `${J(name)}: ${gradArray(code, n, "ws")}.slice(0, ${sizeExpr(n.shape)})`).join(", ")} }`;
  const outputsParams = (ws: string, inputsType: string, body: string) => arrowParams([`ws: ${ws}`, "n: number", `inputs: ${inputsType}`, "params: Params"], body);
  const outputsOf = (code: PassCode, ws: string, inputsType: string) => `outputs: (${outputsParams(ws, inputsType, outputsBody(code))}): Outputs => (${outputsBody(code)}),`;
  const gradsBody = `[${g.grads.map(([, n]) => gradArray(train, n, "ws")).join(", ")}]`;
  const gradsReadInputs = readsName(gradsBody, "inputs");
  const usesToArray = [fwd, train, evaluation].some((p) => p.inputs.length > 0) || gradsReadInputs;

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
    ...(simd ? ["", "/** The runtime's WebAssembly SIMD engine (matrix products; im2col, epilogues and max pooling beside them), which the float32 kernels below call. */", `const ${SIMD_GEMM} = createGemm();`] : []),
    "",
    ...workspace("ForwardWorkspace", fwd),
    "",
    ...workspace("TrainWorkspace", train, undefined, shared ? "ForwardWorkspace" : undefined),
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
    ...(shared
      ? ["// ════ training pass: the forward pass, then the loss and every gradient by reverse-mode differentiation ════", ...passFunction("trainPass", train, "TrainWorkspace", "Inputs", "number", random, ["forwardPass(params, ws.forward, n, inputs);"])]
      : ["// ════ training pass: the loss, then every gradient by reverse-mode differentiation ════", ...passFunction("trainPass", train, "TrainWorkspace", "Inputs", "number", random)]),
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
    `sizing: ${J(evaluateSizing)},`,
    `workspace: create${evaluateWorkspace},`,
    "run: evaluatePass,",
    split ? "outputs: outputsOf," : outputsOf(evaluation, "EvaluateWorkspace", "Inputs"),
    "},",
    // The trainer's plain SGD update of large float32 parameters runs on the same engine (runtime/update.ts).
    ...(simd ? [`simd: ${SIMD_GEMM},`] : []),
    "};",
    "",
    // The heading stands above a statement that JavaScript keeps (a type alias and its comments are erased).
    "// ════ the module's functions: gradc/runtime's, bound to the passes above ════",
    "const bound = bindModule(spec, passes);",
    "export type Trainer = ModuleTrainer<Params, Inputs, Outputs, typeof spec>;",
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
    { pass: "train", buffers: shared ? [...planOf(fwd, "forward."), ...planOf(train)] : planOf(train), savedForBackward: train.saved, readInPlace: train.readInPlace },
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
  lines.push(line, `]${tail}`); // the last line holds at least one value: the list is longer than INLINE_VALUES
  return lines;
}

/** A pass's workspace buffers for the memory plan, with the values each shared one holds in turn; `prefix`: where its workspace is (`forward.`). */
const planOf = (p: PassCode, prefix = ""): MemoryPlan["buffers"] =>
  p.buffers.map(([id, elements]) => {
    const name = prefix + id;
    const holds = p.shared.get(id)?.map((h) => prefix + h);
    return holds && holds.length > 1 ? { name, elements, holds } : { name, elements };
  });

/** The expression for a root's array: a workspace buffer, or a param/input/constant array. */
function gradArray(p: PassCode, n: Node, ws: string): string {
  const id = p.rootStorage.get(n)!;
  return id.startsWith("params[") || id.startsWith("toArray(") || /^[A-Z]/.test(id) ? id : `${ws}.${id}`;
}

/**
 * Integer inputs used as class labels or row indices (each op's `indexBounds`: onehot, cross-entropy,
 * pick, gather, scatterAdd): the bound they must stay under, checked at run time. An index reaches its
 * use through ops that move integer values without changing them (`carries`): slices, joins and
 * reshapes of the input, and lookups — labels read from an integer table, gather(table, i), are the
 * table's values, so the table is bounded too. An input with several uses gets the smallest bound.
 */
function classesOf(g: Graph): Map<Node, number> {
  const out = new Map<Node, number>();
  const sources = (n: Node): Node[] => (n.op === "input" ? [n] : (opOf(n).carries?.(n) ?? []).flatMap((k) => sources(n.inputs[k]!)));
  for (const n of g.nodes) {
    for (const [k, classes] of opOf(n).indexBounds?.(n) ?? []) {
      for (const i of sources(n.inputs[k]!)) out.set(i, Math.min(out.get(i) ?? Infinity, classes));
    }
  }
  return out;
}
