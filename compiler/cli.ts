// The `gradc` command: argument parsing, diagnostics, atomic writes.
//
//   gradc compile model.ts [-o model.gen.ts] [--dtype f32|f64] [--batch N]
//   gradc explain model.ts [--param NAME] [--batch N] [--format text|latex|markdown]
//   gradc graph model.ts [--format mermaid|dot] [--backward] [--fused] [--svg] [-o FILE] [--batch N]
//   gradc export model.ts --onnx [-o model.onnx] [--checkpoint FILE | --seed N] [--opset 17]
//   gradc check model.ts [--param NAME] [--points N] [--seed N] [--tol X]
//   gradc --help | --version
//
// Exit codes: 0 success, 1 a compile error or a failed gradient check (a `model.ts:L:C - error GCnnnn` diagnostic on stderr),
// 2 a usage error (the message and the usage on stderr). Output files are written to a temporary name
// in the same directory and renamed, so a failed compile never leaves a half-written or changed file.
// Tested in test/cli/cli.test.ts (gradc graph: test/cli/graph.test.ts).

import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { codes, GradcError, isGradcError } from "./diagnostics.js";
import { removeStaleTemporaries, temporaryName } from "../runtime/fsAtomic.js";

export interface CompileFileOptions {
  readonly dtype?: "f32" | "f64";
  readonly batch?: number;
  readonly runtime?: string;
  readonly inlineRuntime?: boolean;
  readonly sourceMap?: { readonly file: string; readonly source: string };
}
export interface ExplainFileOptions {
  readonly param?: string;
  readonly batch?: number;
  readonly format?: "text" | "latex" | "markdown";
}
export type CompileFileFn = (file: string, options: CompileFileOptions) => Promise<{ readonly code: string; readonly map?: string; readonly report?: import("./report.js").CompileReport }>;
export type ExplainFileFn = (file: string, options: ExplainFileOptions) => Promise<string>;
export interface GraphFileOptions {
  readonly format: "mermaid" | "dot";
  readonly backward?: boolean;
  readonly fused?: boolean;
  readonly batch?: number;
}
export type GraphFileFn = (file: string, options: GraphFileOptions) => Promise<string>;
export interface ExportOnnxOptions {
  readonly checkpoint?: string;
  readonly seed?: number;
  readonly opset?: number;
}
/** model.ts → the ONNX model's bytes (compiler/export/onnx.ts); the CLI writes them. */
export type ExportOnnxFileFn = (file: string, options: ExportOnnxOptions) => Promise<Uint8Array>;
/** DOT text → SVG, or null when no Graphviz renderer is available. */
export type RenderSvgFn = (dot: string) => Promise<{ readonly svg: string } | null>;

export interface CliIO {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** Relative paths on the command line, and in diagnostics, are relative to this. */
  readonly cwd: string;
  /** Replace the compiler's entry points (tests); by default compiler/compile.ts and compiler/explain.ts (loaded on first use). */
  readonly compileFile?: CompileFileFn;
  readonly explainFile?: ExplainFileFn;
  /** Replace `gradc graph`'s entry points (tests); by default compiler/graph/graphFile.ts and compiler/graph/svg.ts. */
  readonly graphFile?: GraphFileFn;
  readonly renderSvg?: RenderSvgFn;
  /** Replace `gradc export`'s entry point (tests); by default compiler/export/onnx.ts. */
  readonly exportOnnxFile?: ExportOnnxFileFn;
}

export const USAGE = `Usage: gradc <command> [options]

Commands:
  gradc compile <model.ts> [-o <out.gen.ts>] [--dtype f32|f64] [--batch N] [--source-map] [--runtime inline]
      Compile a model into a fused TypeScript trainer module
      (default output: <model>.gen.ts next to the model; --source-map also writes <out>.map,
      mapping each statement of the generated code to the model.ts expression it implements;
      --runtime inline writes the runtime code the module uses into it, so it imports nothing;
      --report prints what each pass changed, the stabilizing rewrites, the memory plan and the code
      size; --report=json the same as JSON).
  gradc explain <model.ts> [--param NAME] [--batch N] [--format text|latex|markdown]
      Print each parameter's gradient in matrix notation: the forward pass, then δℓ = ∂L/∂zℓ for
      each layer and every ∂L/∂param, and which forward values the backward pass reuses
      (--format latex: align* blocks; markdown: a document with $$ math for GitHub).
  gradc graph <model.ts> [--format mermaid|dot] [--backward] [--fused] [--svg] [-o <file>] [--batch N]
      Draw the computation graph after optimization, as Mermaid (default) or Graphviz DOT text on
      stdout (or in -o): forward only, or with --backward one training step, gradients included;
      --fused groups the nodes into the kernels the compiler generates. --svg renders the DOT to
      <model>.graph.svg (or -o) with Graphviz's dot, or its bundled WebAssembly build when dot is
      not on PATH (--svg alone implies --format dot; Mermaid text is not rendered).
  gradc train <model.ts> [--data mnist|file.csv] [--label COL] [--task classification|regression]
              [--val-split F] [--epochs N] [--batch B] [--optimizer sgd|adam|adamw] [--lr X]
              [--momentum X] [--weight-decay X] [--clip-grad-norm X] [--clip-grad-value X]
              [--threads N] [--seed N] [--resume ckpt | --overwrite] [--check-finite epoch|step|off]
              [-o outdir]
      Compile in memory and train: the model's inputs x and y take the data set's features and
      target (MNIST's pixels and labels, or a CSV's columns: the --label column is y, the others x).
      Classification (an integer y) reports accuracy per epoch; regression (a float y, or --task
      regression) reports MSE, MAE and R². A CSV is split into training and validation (--val-split,
      default 0.2 held out: per class for classification, a seeded random split for regression).
      Progress, then the curves (SVG) and a checkpoint in outdir (default .gradc-out). --batch is the
      batch size. An outdir that holds this model's checkpoint needs --resume (continue) or
      --overwrite (start over). A non-finite loss or parameter stops the run (exit 1), naming the step
      and the first operation that produced it; --check-finite step checks the parameters after every
      step (default: each epoch), off checks nothing.
  gradc export <model.ts> --onnx [-o <model.onnx>] [--checkpoint <file> | --seed N] [--opset 17]
      Write the inference graph (what forward() computes: the outputs, dropout off, batchNorm on its
      running statistics) as an ONNX model, NHWC kept, the parameters as initializers: from a training
      checkpoint (gradc train's), or initParams(seed) (default seed 0). Default output: <model>.onnx.
  gradc check <model.ts> [--param NAME] [--points N] [--seed N] [--tol X]
      Check every gradient against central finite differences, in float64: parameters from
      initParams(seed), N rows of random inputs that fit the model (default 3); each entry (a sample
      of 1,000 per larger parameter) passes when |a − n| / max(|a|, |n|, 1e-5·max(1, |loss|)) <= tol
      (default 1e-6); entries on a kink of the loss are skipped.
      Prints a table per parameter; exit 1 naming the parameters that fail.

Options:
  -o, --out <file>   output file (compile, graph, export)
  --dtype f32|f64    element type of the generated code (compile; default f32)
  --runtime R        compile: import (default: the module imports gradc/runtime) or inline
  --batch N          fix the batch dimension to N (train: the batch size)
  --param NAME       explain only this parameter's gradient (explain)
  --format F         explain: text (default), latex or markdown; graph: mermaid (default) or dot
  --backward         graph: draw the backward pass too (one training step)
  --fused            graph: group the nodes into the kernels the compiler generates
  --svg              graph: render the DOT text to an SVG picture
  --onnx             export: write ONNX (the one export format)
  --checkpoint FILE  export: take the parameters from this training checkpoint
  --seed N           train: the seed; export: initParams(N) without a checkpoint
  --label COL        train: the CSV column that holds the target y (default "label")
  --task T           train: classification or regression (default: from the model's input y,
                     integer class labels or float targets)
  --val-split F      train: the fraction of a CSV held out for validation, 0 < F < 1 (default 0.2)
  --clip-grad-norm X train: scale the gradients to a global L2 norm of at most X before each update
                     (torch.nn.utils.clip_grad_norm_)
  --clip-grad-value X train: clamp every gradient element to ±X before each update (clip_grad_value_)
  --threads N        train: data-parallel training on N threads (default 1)
  --opset N          export: the ONNX opset, 13 to 21 (default 17)
  --points N         check: rows of random inputs (default 3)
  --seed N           check: seeds the parameters, inputs and sampled entries (default 0); train: the run
  --tol X            check: the largest relative error that passes (default 1e-6)
  -h, --help         show this help
  -v, --version      print gradc's version
`;

const OPTIONS = {
  out: { type: "string", short: "o" },
  dtype: { type: "string" },
  batch: { type: "string" },
  param: { type: "string" },
  points: { type: "string" },
  tol: { type: "string" },
  format: { type: "string" },
  data: { type: "string" },
  label: { type: "string" },
  task: { type: "string" },
  "val-split": { type: "string" },
  "clip-grad-norm": { type: "string" },
  "clip-grad-value": { type: "string" },
  threads: { type: "string" },
  epochs: { type: "string" },
  optimizer: { type: "string" },
  lr: { type: "string" },
  momentum: { type: "string" },
  "weight-decay": { type: "string" },
  seed: { type: "string" },
  resume: { type: "string" },
  overwrite: { type: "boolean" },
  "check-finite": { type: "string" },
  "source-map": { type: "boolean" },
  runtime: { type: "string" },
  report: { type: "string" },
  backward: { type: "boolean" },
  fused: { type: "boolean" },
  svg: { type: "boolean" },
  onnx: { type: "boolean" },
  checkpoint: { type: "string" },
  opset: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;

type OptionName = keyof typeof OPTIONS;

/** Which options each command accepts (help and version are accepted everywhere). */
const ACCEPTS: Record<string, readonly OptionName[]> = {
  compile: ["out", "dtype", "batch", "source-map", "report", "runtime"],
  explain: ["param", "batch", "format"],
  graph: ["format", "backward", "fused", "svg", "out", "batch"],
  train: ["data", "label", "task", "val-split", "epochs", "batch", "optimizer", "lr", "momentum", "weight-decay", "clip-grad-norm", "clip-grad-value", "threads", "seed", "resume", "overwrite", "check-finite", "dtype", "out"],
  export: ["onnx", "out", "checkpoint", "seed", "opset"],
  check: ["param", "points", "seed", "tol"],
};

/** "compile, explain, …, train or check": every command ACCEPTS lists, for usage messages. */
const COMMANDS = Object.keys(ACCEPTS).join(", ").replace(/, ([^,]+)$/, " or $1");

class UsageError extends Error {
  constructor(
    message: string,
    readonly code: typeof codes.usage | typeof codes.batch = codes.usage,
  ) {
    super(message);
  }
}

/** Runs the command line `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: readonly string[], io: Partial<CliIO> = {}): Promise<number> {
  const cio: CliIO = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), ...io };
  let command: string;
  let file: string;
  let values: Partial<Record<OptionName, string | boolean>>;
  try {
    const parsed = parse(argv);
    if (parsed.values.version) {
      cio.stdout.write(`${version()}\n`);
      return 0;
    }
    if (parsed.values.help || parsed.positionals[0] === "help") {
      cio.stdout.write(USAGE);
      return 0;
    }
    [command, file, values] = checkCommand(parsed.positionals, parsed.values);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    cio.stderr.write(`error ${e.code}: ${e.message}\n\n${USAGE}`);
    return 2;
  }

  const modelPath = path.resolve(cio.cwd, file);
  const batch = values.batch === undefined ? undefined : Number(values.batch);
  try {
    if (command === "compile") {
      const out = path.resolve(cio.cwd, typeof values.out === "string" ? values.out : defaultOutput(modelPath));
      if (out === modelPath) throw new GradcError(codes.usage, `the output ${values.out} is the model file itself; choose another -o`);
      const compileFile = cio.compileFile ?? (await import("./compile.js")).compileFile;
      const dtype = (values.dtype ?? "f32") as "f32" | "f64";
      const inline = values.runtime === "inline";
      const runtime = inline ? undefined : runtimeSpecifierFor(out);
      const sourceMap = values["source-map"] ? { file: path.basename(out), source: path.relative(path.dirname(out), modelPath).split(path.sep).join("/") } : undefined;
      const { code, map, report } = await compileFile(modelPath, { dtype, ...(batch !== undefined ? { batch } : {}), ...(runtime ? { runtime } : {}), ...(inline ? { inlineRuntime: true } : {}), ...(sourceMap ? { sourceMap } : {}) });
      if (map !== undefined) await writeAtomic(`${out}.map`, map, cio.cwd);
      await writeAtomic(out, code, cio.cwd);
      if (values.report !== undefined && report) {
        const { formatReport } = await import("./report.js");
        cio.stdout.write(values.report === "json" ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
      }
      return 0;
    }
    if (command === "train") {
      const { trainFile } = await import("./train.js");
      const line = (text: string) => void cio.stdout.write(`${text}\n`);
      await trainFile(modelPath, {
        data: values.data === undefined || values.data === "mnist" ? "mnist" : path.resolve(cio.cwd, String(values.data)),
        ...(typeof values.label === "string" ? { label: values.label } : {}),
        ...(typeof values.task === "string" ? { task: values.task as "classification" | "regression" } : {}),
        ...(values["val-split"] !== undefined ? { valSplit: Number(values["val-split"]) } : {}),
        ...(values["clip-grad-norm"] !== undefined ? { clipGradNorm: Number(values["clip-grad-norm"]) } : {}),
        ...(values["clip-grad-value"] !== undefined ? { clipGradValue: Number(values["clip-grad-value"]) } : {}),
        ...(values.threads !== undefined ? { threads: Number(values.threads) } : {}),
        epochs: Number(values.epochs ?? 5),
        batchSize: batch ?? 64,
        optimizer: (values.optimizer ?? "adam") as "sgd" | "adam" | "adamw",
        lr: Number(values.lr ?? 1e-3),
        ...(values.momentum !== undefined ? { momentum: Number(values.momentum) } : {}),
        ...(values["weight-decay"] !== undefined ? { weightDecay: Number(values["weight-decay"]) } : {}),
        seed: Number(values.seed ?? 0),
        dtype: (values.dtype ?? "f32") as "f32" | "f64",
        outDir: path.resolve(cio.cwd, typeof values.out === "string" ? values.out : ".gradc-out"),
        ...(typeof values.resume === "string" ? { resume: path.resolve(cio.cwd, values.resume) } : {}),
        ...(values.overwrite ? { overwrite: true } : {}),
        ...(typeof values["check-finite"] === "string" ? { checkFinite: values["check-finite"] as "off" | "epoch" | "step" } : {}),
        log: line,
        progress: { isTTY: (cio.stdout as { isTTY?: boolean }).isTTY ?? false, columns: (cio.stdout as { columns?: number }).columns ?? 80, write: (s: string) => cio.stdout.write(s) },
      });
      return 0;
    }
    if (command === "graph") return await graphCommand(modelPath, values, batch, cio);
    if (command === "export") return await exportCommand(modelPath, values, cio);
    if (command === "check") {
      const { checkFile, formatCheck } = await import("./check.js");
      const result = await checkFile(modelPath, {
        ...(typeof values.param === "string" ? { param: values.param } : {}),
        ...(values.points !== undefined ? { points: Number(values.points) } : {}),
        ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}),
        ...(values.tol !== undefined ? { tol: Number(values.tol) } : {}),
      });
      cio.stdout.write(formatCheck(result));
      return result.ok ? 0 : 1;
    }
    const explainFile = cio.explainFile ?? (await import("./explain.js")).explainFile;
    const text = await explainFile(modelPath, {
      ...(typeof values.param === "string" ? { param: values.param } : {}),
      ...(batch !== undefined ? { batch } : {}),
      ...(typeof values.format === "string" ? { format: values.format as "text" | "latex" | "markdown" } : {}),
    });
    cio.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
    return 0;
  } catch (e) {
    if (isGradcError(e)) {
      const { formatDiagnostic } = await import("./frontend/format.js"); // loads the TypeScript parser: not for --help
      cio.stderr.write(`${formatDiagnostic(e, undefined, cio.cwd)}\n`);
      return e.code === codes.usage ? 2 : 1;
    }
    cio.stderr.write(`error: internal compiler error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}

function parse(argv: readonly string[]): { positionals: string[]; values: Partial<Record<OptionName, string | boolean>> } {
  try {
    // --report alone means --report=text
    const args = argv.map((a) => (a === "--report" ? "--report=text" : a));
    return parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    const err = e as Error & { code?: string };
    const flag = /'([^']+)'/.exec(err.message)?.[1] ?? "";
    if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw new UsageError(`unknown option '${flag}'`);
    if (err.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      const name = flag.replace(/ <value>$/, "");
      if (/does not take an argument/.test(err.message)) throw new UsageError(`option '${name}' does not take a value`);
      throw new UsageError(`option '${name}' needs a value`);
    }
    throw new UsageError(err.message.split("\n")[0]!);
  }
}

function checkCommand(
  positionals: readonly string[],
  values: Partial<Record<OptionName, string | boolean>>,
): [string, string, Partial<Record<OptionName, string | boolean>>] {
  const [command, file, ...extra] = positionals;
  if (command === undefined) throw new UsageError(`missing command (${COMMANDS})`);
  const accepts = ACCEPTS[command];
  if (!accepts) throw new UsageError(`unknown command '${command}' (expected ${COMMANDS})`);
  for (const key of Object.keys(values) as OptionName[]) {
    if (key !== "help" && key !== "version" && !accepts.includes(key)) throw new UsageError(`option '--${key}' does not apply to ${command}`);
  }
  if (file === undefined) throw new UsageError(`${command}: missing the model file (gradc ${command} model.ts)`);
  if (extra.length) throw new UsageError(`${command}: unexpected argument '${extra[0]}'`);
  if (values.dtype !== undefined && values.dtype !== "f32" && values.dtype !== "f64") {
    throw new UsageError(`option '--dtype' must be f32 or f64, got '${String(values.dtype)}'`);
  }
  if (values.runtime !== undefined && values.runtime !== "import" && values.runtime !== "inline") {
    throw new UsageError(`option '--runtime' must be import or inline, got '${String(values.runtime)}'`);
  }
  if (values.report !== undefined && values.report !== "text" && values.report !== "json") {
    throw new UsageError(`option '--report' takes text or json, got '${String(values.report)}'`);
  }
  if (command === "explain" && values.format !== undefined && !["text", "latex", "markdown"].includes(String(values.format))) {
    throw new UsageError(`option '--format' must be text, latex or markdown, got '${String(values.format)}'`);
  }
  if (command === "graph" && values.format !== undefined && values.format !== "mermaid" && values.format !== "dot") {
    throw new UsageError(`option '--format' must be mermaid or dot, got '${String(values.format)}'`);
  }
  if (values["check-finite"] !== undefined && !["off", "epoch", "step"].includes(String(values["check-finite"]))) {
    throw new UsageError(`option '--check-finite' must be off, epoch or step, got '${String(values["check-finite"])}'`);
  }
  if (values.optimizer !== undefined && !["sgd", "adam", "adamw"].includes(String(values.optimizer))) {
    throw new UsageError(`option '--optimizer' must be sgd, adam or adamw, got '${String(values.optimizer)}'`);
  }
  for (const key of ["epochs", "seed"] as const) {
    if (values[key] !== undefined && !/^\d+$/.test(String(values[key]).trim())) throw new UsageError(`option '--${key}' must be a non-negative integer, got '${String(values[key])}'`);
  }
  for (const key of ["lr", "momentum", "weight-decay"] as const) {
    if (values[key] !== undefined && !(Number(values[key]) >= 0)) throw new UsageError(`option '--${key}' must be a non-negative number, got '${String(values[key])}'`);
  }
  for (const key of ["clip-grad-norm", "clip-grad-value"] as const) {
    if (values[key] !== undefined && !(Number(values[key]) > 0 && Number.isFinite(Number(values[key])))) throw new UsageError(`option '--${key}' must be a positive number, got '${String(values[key])}'`);
  }
  if (values.task !== undefined && values.task !== "classification" && values.task !== "regression") {
    throw new UsageError(`option '--task' must be classification or regression, got '${String(values.task)}'`);
  }
  if (values["val-split"] !== undefined && !(Number(values["val-split"]) > 0 && Number(values["val-split"]) < 1)) {
    throw new UsageError(`option '--val-split' must be a fraction between 0 and 1 (the share held out), got '${String(values["val-split"])}'`);
  }
  if (values.threads !== undefined && !/^[1-9]\d*$/.test(String(values.threads).trim())) throw new UsageError(`option '--threads' must be a positive integer, got '${String(values.threads)}'`);
  if (values.points !== undefined && !/^[1-9]\d*$/.test(String(values.points).trim())) throw new UsageError(`option '--points' must be a positive integer, got '${String(values.points)}'`);
  if (values.tol !== undefined && !(Number(values.tol) > 0 && Number.isFinite(Number(values.tol)))) throw new UsageError(`option '--tol' must be a positive number, got '${String(values.tol)}'`);
  if (values.batch !== undefined && !/^[1-9]\d*$/.test(String(values.batch).trim())) {
    throw new UsageError(`--batch must be a positive integer, got '${String(values.batch)}'`, codes.batch);
  }
  if (values.out === "") throw new UsageError("option '-o, --out' needs a file name");
  if (command === "export") {
    if (!values.onnx) throw new UsageError("export: say which format to write: --onnx (gradc export model.ts --onnx -o model.onnx)");
    if (values.checkpoint !== undefined && values.seed !== undefined) throw new UsageError("export: give --checkpoint (trained parameters) or --seed (initial ones), not both");
    if (values.checkpoint === "") throw new UsageError("option '--checkpoint' needs a file name");
    if (values.opset !== undefined && !/^\d+$/.test(String(values.opset).trim())) throw new UsageError(`option '--opset' must be an integer, got '${String(values.opset)}'`);
  }
  return [command, file, values];
}

/**
 * `gradc graph`: the graph text on stdout, or in -o; with --svg (DOT) a picture in -o or next to the
 * model. When no picture can be made (Mermaid, or no renderer) the text goes to stdout with a note why.
 */
async function graphCommand(modelPath: string, values: Partial<Record<OptionName, string | boolean>>, batch: number | undefined, cio: CliIO): Promise<number> {
  const format = values.format === "dot" || (values.format === undefined && values.svg) ? "dot" : "mermaid";
  const out = typeof values.out === "string" ? path.resolve(cio.cwd, values.out) : undefined;
  if (out === modelPath) throw new GradcError(codes.usage, `the output ${values.out} is the model file itself; choose another -o`);
  const graphFile = cio.graphFile ?? (await import("./graph/graphFile.js")).graphFile;
  const text = await graphFile(modelPath, { format, ...(values.backward ? { backward: true } : {}), ...(values.fused ? { fused: true } : {}), ...(batch !== undefined ? { batch } : {}) });
  if (!values.svg) {
    if (out) await writeAtomic(out, text, cio.cwd);
    else cio.stdout.write(text);
    return 0;
  }
  // --svg: a picture, or, when none can be made, the text on stdout (never text in a file meant for SVG).
  if (format === "mermaid") {
    cio.stderr.write("note: --svg renders Graphviz DOT only; Mermaid text is drawn by its viewer (GitHub, the Mermaid Live Editor, mmdc), so here is the text. Use --format dot --svg for a picture.\n");
    cio.stdout.write(text);
    return 0;
  }
  const renderSvg = cio.renderSvg ?? (await import("./graph/svg.js")).renderSvg;
  const rendered = await renderSvg(text);
  if (rendered) {
    await writeAtomic(out ?? defaultGraphPicture(modelPath), rendered.svg, cio.cwd);
    return 0;
  }
  cio.stderr.write("note: cannot render SVG: Graphviz's dot is not on PATH and the WebAssembly Graphviz is not installed (`npm install @hpcc-js/wasm-graphviz@1.29.2`, an optional peer dependency of gradc); here is the DOT text (render it with dot -Tsvg).\n");
  cio.stdout.write(text);
  return 0;
}

/**
 * `gradc export --onnx`: the model's inference graph as ONNX, written to -o (default model.onnx next to
 * the model) only once it is complete.
 */
async function exportCommand(modelPath: string, values: Partial<Record<OptionName, string | boolean>>, cio: CliIO): Promise<number> {
  const out = path.resolve(cio.cwd, typeof values.out === "string" ? values.out : defaultOutput(modelPath).replace(/\.gen\.ts$/, ".onnx"));
  if (out === modelPath) throw new GradcError(codes.usage, `the output ${values.out} is the model file itself; choose another -o`);
  const exportOnnxFile = cio.exportOnnxFile ?? (await import("./export/onnx.js")).exportOnnxFile;
  const bytes = await exportOnnxFile(modelPath, {
    ...(typeof values.checkpoint === "string" ? { checkpoint: path.resolve(cio.cwd, values.checkpoint) } : {}),
    ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}),
    ...(values.opset !== undefined ? { opset: Number(values.opset) } : {}),
  });
  await writeAtomic(out, bytes, cio.cwd);
  return 0;
}

/** model.ts → model.graph.svg in the same directory. */
export function defaultGraphPicture(modelPath: string): string {
  return defaultOutput(modelPath).replace(/\.gen\.ts$/, ".graph.svg");
}

/** model.ts → model.gen.ts in the same directory. */
export function defaultOutput(modelPath: string): string {
  const ext = path.extname(modelPath);
  const base = /^\.[cm]?tsx?$/.test(ext) ? modelPath.slice(0, -ext.length) : modelPath;
  return `${base}.gen.ts`;
}

/** Writes `text` to a unique temporary file next to `file`, then renames it over `file`. */
/**
 * How the module written to `out` should import the runtime: "gradc/runtime" wherever that resolves
 * (a project that depends on gradc, or this package itself); elsewhere a relative path to this
 * installation's runtime, so a module compiled into any directory runs as it is. (undefined = default)
 */
export function runtimeSpecifierFor(out: string): string | undefined {
  try {
    createRequire(out).resolve("gradc/runtime");
    return undefined;
  } catch {
    const here = path.dirname(fileURLToPath(import.meta.url));
    // dist/compiler/cli.js → dist/runtime/index.js; compiler/cli.ts (tests, from source) → dist/runtime/index.js
    const runtime = [path.resolve(here, "../runtime/index.js"), path.resolve(here, "../dist/runtime/index.js")].find((f) => existsSync(f));
    if (!runtime) return undefined;
    let rel = path.relative(path.dirname(out), runtime).split(path.sep).join("/");
    if (!rel.startsWith(".")) rel = `./${rel}`;
    return rel;
  }
}

export async function writeAtomic(file: string, text: string | Uint8Array, cwd: string = process.cwd()): Promise<void> {
  const dir = path.dirname(file);
  const tmp = temporaryName(file); // named after its target, so a later write removes it if this process is killed
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(tmp, text, { flag: "wx" });
    await rename(tmp, file);
    removeStaleTemporaries(file);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    const rel = path.relative(cwd, file) || file;
    throw new GradcError(codes.io, `cannot write ${rel}: ${(e as Error).message}`);
  }
}

/** The version in gradc's package.json (found above this file, in the sources or in dist/). */
export function version(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, "package.json");
    if (existsSync(pkg)) {
      const json = JSON.parse(readFileSync(pkg, "utf8")) as { name?: string; version?: string };
      if (json.name === "gradc" && json.version) return json.version;
    }
    const up = path.dirname(dir);
    if (up === dir) return "unknown";
    dir = up;
  }
}
