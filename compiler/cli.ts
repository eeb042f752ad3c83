// The `gradc` command: argument parsing, diagnostics, atomic writes.
//
//   gradc compile model.ts [-o model.gen.ts | -o model.gen.js] [--dtype f32|f64] [--batch N] [--watch]
//   gradc explain model.ts [--param NAME] [--batch N] [--format text|latex|markdown] [--watch]
//   gradc graph model.ts [--format mermaid|dot] [--backward] [--fused] [--svg] [-o FILE] [--batch N]
//   gradc export model.ts --onnx [-o model.onnx] [--checkpoint FILE | --seed N] [--opset 17]
//   gradc check model.ts [--param NAME] [--points N] [--seed N] [--tol X]
//   gradc summary model.ts [--format text|json]
//   gradc init [dir] [--force]
//   gradc --help | --version
//
// Every command that loads a model runs it in gradc's box (compiler/box/): a separate Node process
// under Node's permission model, with --timeout and a heap limit; it returns plain data and this
// process writes the files. --trust-model runs the model with the user's rights (still in the box
// process, under the same limits).
//
// Exit codes: 0 success, 1 an error in the user's input (`model.ts:L:C - error GCnnnn` with a code
// frame, or `gradc: error GCnnnn: message` where there is no place to point at), 2 a usage error (the
// message and the usage on stderr). An `internal compiler error` is a bug of gradc's: it says how to
// report it, and GRADC_DEBUG=1 shows its stack. Output files are written to a temporary name in the
// same directory and renamed, so a failed compile never leaves a half-written or changed file, and an
// output that is the model itself (under any name: a symbolic or hard link) is refused.
// Tested in test/cli/cli.test.ts (gradc graph: test/cli/graph.test.ts; the box: test/cli/box.test.ts).

import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runJob, type BoxRun } from "./box/run.js";
import { DEFAULT_BOX } from "./box/policy.js";
import { closeNames } from "./closeNames.js";
import { codes, GradcError, isGradcError } from "./diagnostics.js";
import { removeStaleTemporaries, temporaryName } from "../runtime/fsAtomic.js";
import { displayPath } from "../runtime/userErrors.js";
import { refuseModelAsOutput } from "./outputs.js";
import { ownPackage, version } from "./version.js";
import type { WatchedBuild } from "./watch.js";

export interface CompileFileOptions {
  readonly dtype?: "f32" | "f64";
  readonly batch?: number;
  readonly runtime?: string;
  readonly inlineRuntime?: boolean;
  readonly javascript?: boolean;
  readonly sourceMap?: { readonly file: string; readonly source: string };
}
export interface ExplainFileOptions {
  readonly param?: string;
  readonly batch?: number;
  readonly format?: "text" | "latex" | "markdown";
}
export type CompileFileFn = (
  file: string,
  options: CompileFileOptions,
) => Promise<{ readonly code: string; readonly map?: string; readonly declarations?: string; readonly report?: import("./report.js").CompileReport; readonly files?: readonly string[] }>;
export type ExplainFileFn = (file: string, options: ExplainFileOptions) => Promise<string>;
/** model.ts → the summary's text (compiler/summary.ts). */
export type SummaryFileFn = (file: string, options: { readonly format?: "text" | "json" }) => Promise<string>;
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
  /**
   * Replace the compiler's entry points (tests: these run in this process); by default the jobs of
   * compiler/box/jobs.ts, run in gradc's box.
   */
  readonly compileFile?: CompileFileFn;
  readonly explainFile?: ExplainFileFn;
  /** Replace `gradc summary`'s entry point (tests); by default the box's summary job. */
  readonly summaryFile?: SummaryFileFn;
  /** Replace `gradc graph`'s entry points (tests); by default the box's graph job and compiler/graph/svg.ts. */
  readonly graphFile?: GraphFileFn;
  readonly renderSvg?: RenderSvgFn;
  /** Replace `gradc export`'s entry point (tests); by default compiler/export/onnx.ts. */
  readonly exportOnnxFile?: ExportOnnxFileFn;
  /** Stops `--watch` (tests); by default SIGINT or SIGTERM. */
  readonly signal?: AbortSignal;
}

export const USAGE = `Usage: gradc <command> [options]

Commands:
  gradc compile <model.ts> [-o <out.gen.ts>] [--dtype f32|f64] [--batch N] [--source-map] [--runtime inline] [--watch]
      Compile a model into a fused TypeScript trainer module
      (default output: <model>.gen.ts next to the model; -o <out>.js (or .mjs) writes JavaScript, an
      ES module, and its declarations <out>.d.ts (.d.mts) beside it; --source-map also writes <out>.map,
      mapping each statement of the generated code to the model.ts expression it implements;
      --runtime inline writes the runtime code the module uses into it, so it imports nothing;
      --report prints what each pass changed, the stabilizing rewrites, the memory plan and the code
      size; --report=json the same as JSON; --watch compiles again whenever model.ts or a file it
      imports changes, one line per build, keeping the last good output on an error, until Ctrl-C).
  gradc explain <model.ts> [--param NAME] [--batch N] [--format text|latex|markdown] [--watch]
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
  gradc summary <model.ts> [--format text|json]
      Print the model's layers, as Keras' model.summary() and torchinfo do: each layer (a dense or
      convolution layer with its bias and activation, a pooling, an embedding, a recurrence, a
      normalization) with its output shape, parameter count and FLOPs per sample; then the total
      parameters (trainable and non-trainable state), their memory as float32, and the FLOPs per
      sample of the forward pass and of a training step (--format json: the same as JSON).
  gradc init [dir] [--force]
      Create a project in dir (default: the current folder; created if missing): package.json
      (gradc as a dependency; npm run build compiles model.ts, npm run train builds and runs
      train.ts), a strict tsconfig.json, model.ts (a small MLP from gradc/layers), train.ts (trains
      it on a data set it makes itself, with progress) and .gitignore. It never replaces a file:
      if any of them exists it writes nothing and names them (--force replaces them).

Every command runs model.ts: in gradc's box, a separate process that may read only the model's
project folder and gradc's installation, and may not write files or start processes or workers.

Options:
  -o, --out <file>   output file (compile, graph, export; compile: .js or .mjs for JavaScript + .d.ts)
  --dtype f32|f64    element type of the generated code (compile; default f32)
  --runtime R        compile: import (default: the module imports gradc/runtime) or inline
  --batch N          fix the batch dimension to N (train: the batch size)
  --param NAME       explain only this parameter's gradient (explain)
  --format F         explain: text (default), latex or markdown; graph: mermaid (default) or dot;
                     summary: text (default) or json
  --backward         graph: draw the backward pass too (one training step)
  --fused            graph: group the nodes into the kernels the compiler generates
  --svg              graph: render the DOT text to an SVG picture
  --onnx             export: write ONNX (the one export format)
  --checkpoint FILE  export: take the parameters from this training checkpoint
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
  --seed N           train: the run's seed; export: initParams(N) without a checkpoint; check: seeds
                     the parameters, inputs and sampled entries (default 0)
  --tol X            check: the largest relative error that passes (default 1e-6)
  --timeout S        stop the model's own code after S seconds (default 60; gradc's compiling
                     after it may take 10 times as long, at least 10 minutes)
  --max-memory MB    the box's heap limit in MB (default 4096, or half the machine's memory)
  --trust-model      run the model with your rights instead of in the box (it may read, write
                     and start anything you can; the time and memory limits still apply)
  -w, --watch        compile, explain: again on every change to the model's files, until Ctrl-C
  --force            init: replace the scaffold's files where they exist
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
  timeout: { type: "string" },
  "max-memory": { type: "string" },
  "trust-model": { type: "boolean" },
  watch: { type: "boolean", short: "w" },
  force: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;

type OptionName = keyof typeof OPTIONS;

/** The options of every command that loads a model: how its box runs it. */
const BOX_OPTIONS: readonly OptionName[] = ["timeout", "max-memory", "trust-model"];

/** Which options each command accepts (help and version are accepted everywhere). */
const ACCEPTS: Record<string, readonly OptionName[]> = {
  compile: ["out", "dtype", "batch", "source-map", "report", "runtime", "watch", ...BOX_OPTIONS],
  explain: ["param", "batch", "format", "watch", ...BOX_OPTIONS],
  graph: ["format", "backward", "fused", "svg", "out", "batch", ...BOX_OPTIONS],
  train: ["data", "label", "task", "val-split", "epochs", "batch", "optimizer", "lr", "momentum", "weight-decay", "clip-grad-norm", "clip-grad-value", "threads", "seed", "resume", "overwrite", "check-finite", "dtype", "out", ...BOX_OPTIONS],
  export: ["onnx", "out", "checkpoint", "seed", "opset", ...BOX_OPTIONS],
  check: ["param", "points", "seed", "tol", ...BOX_OPTIONS],
  summary: ["format", ...BOX_OPTIONS],
  init: ["force"],
};

/**
 * The numeric options and the values each accepts: integers or finite decimal numbers, within a range.
 * A value outside it is a usage error naming the range (--batch: GC2008, as the compiler's own check).
 */
const NUMBERS: Partial<Record<OptionName, { readonly integer: boolean; readonly min: number; readonly above?: boolean; readonly max?: number; readonly range: string }>> = {
  batch: { integer: true, min: 1, range: "a positive integer" },
  epochs: { integer: true, min: 1, range: "an integer >= 1" },
  seed: { integer: true, min: 0, max: 2 ** 32 - 1, range: "an integer from 0 to 4294967295" },
  lr: { integer: false, min: 0, range: "a finite number >= 0" },
  momentum: { integer: false, min: 0, range: "a finite number >= 0" },
  "weight-decay": { integer: false, min: 0, range: "a finite number >= 0" },
  timeout: { integer: false, min: 0, above: true, max: 2147483, range: "a number of seconds > 0 and at most 2147483 (24 days)" },
  "max-memory": { integer: true, min: 16, max: 1 << 20, range: "an integer number of MB from 16 to 1048576" },
  points: { integer: true, min: 1, range: "a positive integer" },
  tol: { integer: false, min: 0, above: true, range: "a finite number > 0" },
  opset: { integer: true, min: 13, max: 21, range: "an integer from 13 to 21" },
  "clip-grad-norm": { integer: false, min: 0, above: true, range: "a finite number > 0" },
  "clip-grad-value": { integer: false, min: 0, above: true, range: "a finite number > 0" },
  threads: { integer: true, min: 1, max: 256, range: "an integer from 1 to 256" },
};

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

class UsageError extends Error {
  constructor(
    message: string,
    readonly code: typeof codes.usage | typeof codes.batch = codes.usage,
  ) {
    super(message);
  }
}

type Values = Partial<Record<OptionName, string | boolean>>;

/** Runs the command line `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: readonly string[], io: Partial<CliIO> = {}): Promise<number> {
  const cio: CliIO = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), ...io };
  let command: string;
  let file: string;
  let values: Values;
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
    cio.stderr.write(`gradc: error ${e.code}: ${e.message}\n\n${USAGE}`);
    return 2;
  }

  if (command === "init") {
    try {
      return await initCommand(file, values, cio);
    } catch (e) {
      return await reportError(e, cio);
    }
  }
  const modelPath = path.resolve(cio.cwd, file);
  const batch = values.batch === undefined ? undefined : Number(values.batch);
  // --watch runs until this aborts (SIGINT or SIGTERM; tests pass their own); the box process of a build then in progress is ended.
  const signal = values.watch ? (cio.signal ?? stopSignal()) : undefined;
  const box: BoxRun = {
    ...(signal ? { signal } : {}),
    timeoutSeconds: values.timeout === undefined ? DEFAULT_BOX.timeoutSeconds : Number(values.timeout),
    maxMemoryMb: values["max-memory"] === undefined ? DEFAULT_BOX.maxMemoryMb : Number(values["max-memory"]),
    trustModel: values["trust-model"] === true,
    cwd: cio.cwd,
    output: (text) => void cio.stderr.write(text),
  };
  try {
    if (command === "compile") {
      const build = compileBuild(modelPath, values, batch, box, cio);
      if (values.watch) return await watchCommand(modelPath, build, signal!, cio);
      await build.run();
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
        box,
        log: line,
        progress: { isTTY: (cio.stdout as { isTTY?: boolean }).isTTY ?? false, columns: (cio.stdout as { columns?: number }).columns ?? 80, write: (s: string) => cio.stdout.write(s) },
      });
      return 0;
    }
    if (command === "graph") return await graphCommand(modelPath, values, batch, box, cio);
    if (command === "export") return await exportCommand(modelPath, values, box, cio);
    if (command === "check") {
      const options = {
        ...(typeof values.param === "string" ? { param: values.param } : {}),
        ...(values.points !== undefined ? { points: Number(values.points) } : {}),
        ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}),
        ...(values.tol !== undefined ? { tol: Number(values.tol) } : {}),
      };
      const result = await runJob("check", { file: modelPath, ...options }, box);
      const { formatCheck } = await import("./checkFormat.js");
      cio.stdout.write(formatCheck(result));
      return result.ok ? 0 : 1;
    }
    if (command === "summary") {
      const summaryFile: SummaryFileFn = cio.summaryFile ?? ((f, o) => runJob("summary", { file: f, ...o }, box));
      cio.stdout.write(await summaryFile(modelPath, { ...(values.format === "json" ? { format: "json" as const } : {}) }));
      return 0;
    }
    const options = {
      ...(typeof values.param === "string" ? { param: values.param } : {}),
      ...(batch !== undefined ? { batch } : {}),
      ...(typeof values.format === "string" ? { format: values.format as "text" | "latex" | "markdown" } : {}),
    };
    const explain: WatchedBuild = {
      did: `explained ${path.relative(cio.cwd, modelPath) || modelPath}`,
      outputs: [],
      run: async () => {
        const { text, files } = cio.explainFile ? { text: await cio.explainFile(modelPath, options), files: undefined } : await runJob("explain", { file: modelPath, ...options }, box);
        cio.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
        return files;
      },
    };
    if (values.watch) return await watchCommand(modelPath, explain, signal!, cio);
    await explain.run();
    return 0;
  } catch (e) {
    return await reportError(e, cio);
  }
}

/**
 * A user's error as a diagnostic (exit 1; a usage error 2), anything else as an internal compiler
 * error that asks to be reported (exit 1). GRADC_DEBUG=1 adds the stack to either.
 */
async function reportError(e: unknown, cio: CliIO): Promise<number> {
  const debug = /^(1|true|yes)$/i.test(process.env.GRADC_DEBUG ?? "");
  const stack = debug && e instanceof Error && e.stack ? `\n${e.stack}\n` : "";
  if (isGradcError(e)) {
    if (e.loc && e.loc.line) {
      const { formatDiagnostic } = await import("./frontend/format.js"); // loads the TypeScript parser: not for --help
      cio.stderr.write(`${formatDiagnostic(e, undefined, cio.cwd)}\n${stack}`);
    } else {
      cio.stderr.write(`gradc: error ${e.code}: ${e.message}\n${stack}`);
    }
    return e.code === codes.usage ? 2 : 1;
  }
  const what = e instanceof Error ? `${e.name === "BoxInternalError" ? "" : `${e.name}: `}${e.message}` : String(e);
  cio.stderr.write(
    `gradc: internal compiler error: ${what}\n` +
      `This is a bug in gradc, not in your model. Please report it ${issuesUrl()}, with the command you ran and your model.ts` +
      (debug ? `.\n${stack}` : ` (GRADC_DEBUG=1 gradc … shows the stack).\n`),
  );
  return 1;
}

/** Where gradc's bugs are reported: "at" package.json's bugs (or repository) URL, else its GitHub issues. */
function issuesUrl(): string {
  const pkg = ownPackage();
  const bugs = pkg?.bugs;
  if (typeof bugs === "string") return `at ${bugs}`;
  if (bugs && typeof bugs === "object" && typeof bugs.url === "string") return `at ${bugs.url}`;
  const repo = typeof pkg?.repository === "string" ? pkg.repository : pkg?.repository?.url;
  if (typeof repo === "string") return `at ${repo.replace(/^git\+/, "").replace(/\.git$/, "")}/issues`;
  return "as an issue of gradc's GitHub repository";
}

/** --batch -3: a negative number after an option that takes a value is that value, not an option. */
function joinNegativeValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.startsWith("--") ? a.slice(2) : null;
    const next = argv[i + 1];
    if (name && name in OPTIONS && OPTIONS[name as OptionName].type === "string" && next !== undefined && /^-(?:\d|\.\d|inf|nan)/i.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

function parse(argv: readonly string[]): { positionals: string[]; values: Values } {
  try {
    // --report alone means --report=text
    const args = joinNegativeValues(argv).map((a) => (a === "--report" ? "--report=text" : a));
    return parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    const err = e as Error & { code?: string };
    const flag = /'([^']+)'/.exec(err.message)?.[1] ?? "";
    if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      const close = flag.startsWith("--") ? closeNames(flag.slice(2), Object.keys(OPTIONS)) : [];
      throw new UsageError(`unknown option '${flag}'${close.length ? `; did you mean '--${close[0]}'?` : ""}`);
    }
    if (err.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      const name = flag.replace(/ <value>$/, "");
      if (/does not take an argument/.test(err.message)) throw new UsageError(`option '${name}' does not take a value`);
      throw new UsageError(`option '${name}' needs a value`);
    }
    throw new UsageError(err.message.split("\n")[0]!);
  }
}

const COMMANDS = Object.keys(ACCEPTS);
/** "compile, explain, …, export or check", for usage messages. */
const COMMAND_LIST = COMMANDS.join(", ").replace(/, ([^,]+)$/, " or $1");

function checkCommand(positionals: readonly string[], values: Values): [string, string, Values] {
  const [command, file, ...extra] = positionals;
  if (command === undefined) throw new UsageError(`missing command (${COMMAND_LIST})`);
  const accepts = ACCEPTS[command];
  if (!accepts) {
    const close = closeNames(command, COMMANDS);
    throw new UsageError(`unknown command '${command}' (expected ${COMMAND_LIST})${close.length ? `; did you mean '${close[0]}'?` : ""}`);
  }
  for (const key of Object.keys(values) as OptionName[]) {
    if (key !== "help" && key !== "version" && !accepts.includes(key)) throw new UsageError(`option '--${key}' does not apply to ${command}`);
  }
  if (command === "init") {
    if (file !== undefined && extra.length) throw new UsageError(`init: unexpected argument '${extra[0]}' (gradc init [dir])`);
    return [command, file ?? ".", values];
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
  if (command === "summary" && values.format !== undefined && values.format !== "text" && values.format !== "json") {
    throw new UsageError(`option '--format' must be text or json, got '${String(values.format)}'`);
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
  for (const [key, rule] of Object.entries(NUMBERS) as [OptionName, NonNullable<(typeof NUMBERS)[OptionName]>][]) {
    const raw = values[key];
    if (raw === undefined) continue;
    const text = String(raw).trim();
    const n = Number(text);
    const ok = (rule.integer ? /^[+-]?\d+$/.test(text) : DECIMAL.test(text)) && Number.isFinite(n) && (rule.above ? n > rule.min : n >= rule.min) && (rule.max === undefined || n <= rule.max);
    if (ok) continue;
    if (key === "batch") throw new UsageError(`--batch must be a positive integer, got '${String(raw)}'`, codes.batch);
    throw new UsageError(`option '--${key}' must be ${rule.range}, got '${String(raw)}'`);
  }
  if (values.task !== undefined && values.task !== "classification" && values.task !== "regression") {
    throw new UsageError(`option '--task' must be classification or regression, got '${String(values.task)}'`);
  }
  if (values["val-split"] !== undefined && !(Number(values["val-split"]) > 0 && Number(values["val-split"]) < 1)) {
    throw new UsageError(`option '--val-split' must be a fraction between 0 and 1 (the share held out), got '${String(values["val-split"])}'`);
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
async function graphCommand(modelPath: string, values: Values, batch: number | undefined, box: BoxRun, cio: CliIO): Promise<number> {
  const format = values.format === "dot" || (values.format === undefined && values.svg) ? "dot" : "mermaid";
  const out = typeof values.out === "string" ? path.resolve(cio.cwd, values.out) : undefined;
  if (out) refuseModelAsOutput(modelPath, String(values.out), out, cio.cwd);
  else if (values.svg) refuseModelAsOutput(modelPath, displayPath(defaultGraphPicture(modelPath), cio.cwd), defaultGraphPicture(modelPath), cio.cwd);
  const graphFile: GraphFileFn = cio.graphFile ?? ((f, o) => runJob("graph", { file: f, ...o }, box));
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
async function exportCommand(modelPath: string, values: Values, box: BoxRun, cio: CliIO): Promise<number> {
  const out = path.resolve(cio.cwd, typeof values.out === "string" ? values.out : defaultOutput(modelPath).replace(/\.gen\.ts$/, ".onnx"));
  refuseModelAsOutput(modelPath, typeof values.out === "string" ? values.out : displayPath(out, cio.cwd), out, cio.cwd);
  const options = {
    ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}),
    ...(values.opset !== undefined ? { opset: Number(values.opset) } : {}),
  };
  let bytes: Uint8Array;
  if (cio.exportOnnxFile) {
    bytes = await cio.exportOnnxFile(modelPath, { ...options, ...(typeof values.checkpoint === "string" ? { checkpoint: path.resolve(cio.cwd, values.checkpoint) } : {}) });
  } else {
    // This process reads the checkpoint (it may lie outside the project, where the box may not read).
    const file = typeof values.checkpoint === "string" ? path.resolve(cio.cwd, values.checkpoint) : undefined;
    const checkpoint = file ? { file, bytes: (await import("./export/checkpointBytes.js")).readCheckpointBytes(file) } : undefined;
    bytes = await runJob("exportOnnx", { file: modelPath, ...options, ...(checkpoint ? { checkpoint } : {}) }, box);
  }
  await writeAtomic(out, bytes, cio.cwd);
  return 0;
}

/**
 * `gradc compile`'s build: checks the outputs first (never the model itself), then compiles in the box
 * and writes the map and the module (each atomically), and the report when asked.
 */
function compileBuild(modelPath: string, values: Values, batch: number | undefined, box: BoxRun, cio: CliIO): WatchedBuild {
  const out = path.resolve(cio.cwd, typeof values.out === "string" ? values.out : defaultOutput(modelPath));
  const javascript = outputLanguage(out) === "javascript";
  const sourceMap = values["source-map"] ? { file: path.basename(out), source: path.relative(path.dirname(out), modelPath).split(path.sep).join("/") } : undefined;
  refuseModelAsOutput(modelPath, typeof values.out === "string" ? values.out : displayPath(out, cio.cwd), out, cio.cwd);
  const extras = [...(sourceMap ? [`${out}.map`] : []), ...(javascript ? [declarationsFile(out)] : [])];
  for (const extra of extras) refuseModelAsOutput(modelPath, displayPath(extra, cio.cwd), extra, cio.cwd);
  const compileFile: CompileFileFn = cio.compileFile ?? ((f, o) => runJob("compile", { file: f, ...o, dtype: o.dtype ?? "f32" }, box));
  const dtype = (values.dtype ?? "f32") as "f32" | "f64";
  const inline = values.runtime === "inline";
  const runtime = inline ? undefined : runtimeSpecifierFor(out);
  const shown = displayPath(out, cio.cwd);
  return {
    did: `wrote ${shown}`,
    kept: `${shown} left as it was`,
    outputs: [out, ...extras],
    run: async () => {
      const { code, map, declarations, report, files } = await compileFile(modelPath, {
        dtype,
        ...(batch !== undefined ? { batch } : {}),
        ...(runtime ? { runtime } : {}),
        ...(inline ? { inlineRuntime: true } : {}),
        ...(javascript ? { javascript: true } : {}),
        ...(sourceMap ? { sourceMap } : {}),
      });
      if (javascript && declarations === undefined) throw new Error("internal: JavaScript output came without its declarations");
      // The module last: it is replaced only once its declarations and map are in place.
      await writeAllAtomic(
        [...(javascript ? [[declarationsFile(out), declarations!] as const] : []), ...(map !== undefined ? [[`${out}.map`, map] as const] : []), [out, code]],
        cio.cwd,
      );
      if (values.report !== undefined && report) {
        const { formatReport } = await import("./report.js");
        cio.stdout.write(values.report === "json" ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
      }
      return files;
    },
  };
}

/** `--watch`: builds now and on every change until `signal` aborts; exit 0 then (stopping is what was asked). */
async function watchCommand(modelPath: string, build: WatchedBuild, signal: AbortSignal, cio: CliIO): Promise<number> {
  const { watch } = await import("./watch.js");
  await watch(modelPath, build, { log: (line) => void cio.stderr.write(`${line}\n`), report: async (e) => void (await reportError(e, cio)), signal, cwd: cio.cwd });
  return 0;
}

/** Aborts on the first SIGINT or SIGTERM (Ctrl-C, or a process manager stopping gradc --watch). */
function stopSignal(): AbortSignal {
  const controller = new AbortController();
  const stop = () => {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    controller.abort();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  return controller.signal;
}

/**
 * `gradc init [dir]`: the scaffold of compiler/init.ts, each file written atomically; when a write fails,
 * the files this run created are removed again (nothing half-made is left behind).
 */
async function initCommand(dirArg: string, values: Values, cio: CliIO): Promise<number> {
  const { planInit, nextSteps } = await import("./init.js");
  const dir = path.resolve(cio.cwd, dirArg);
  const shown = path.relative(cio.cwd, dir) || ".";
  const files = planInit(dir, shown, { force: values.force === true });
  const created: string[] = [];
  try {
    for (const [name, text] of files) {
      const target = path.join(dir, name);
      const isNew = !existsSync(target);
      await writeAtomic(target, text, cio.cwd);
      if (isNew) created.push(target);
    }
  } catch (e) {
    await Promise.all(created.map((f) => rm(f, { force: true })));
    throw e;
  }
  cio.stdout.write(nextSteps(shown, [...files.keys()]));
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

/**
 * What `gradc compile -o out` writes, by out's extension: JavaScript for .js and .mjs (with its
 * declarations beside it), TypeScript otherwise. The module is an ES module, so .cjs is refused.
 */
export function outputLanguage(out: string): "typescript" | "javascript" {
  const ext = path.extname(out);
  if (ext === ".cjs" || ext === ".cts") throw new GradcError(codes.usage, `gradc writes ES modules, not CommonJS: -o ${path.basename(out)} must end in .js or .mjs (JavaScript), or .ts or .mts (TypeScript)`);
  return ext === ".js" || ext === ".mjs" ? "javascript" : "typescript";
}

/** The declarations beside a JavaScript module: model.gen.js → model.gen.d.ts, model.gen.mjs → model.gen.d.mts. */
export function declarationsFile(out: string): string {
  return out.endsWith(".mjs") ? `${out.slice(0, -".mjs".length)}.d.mts` : `${out.slice(0, -".js".length)}.d.ts`;
}

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

/**
 * Writes several files that belong together (a module, its declarations, its source map): every text
 * goes to a temporary file first, and only when all are written are they renamed into place, in the
 * order given, so a failure to write (a full disk) leaves every existing file as it was, and a failed
 * rename leaves the files after it (put the main one last) as they were. Each file is whole.
 */
export async function writeAllAtomic(files: readonly (readonly [file: string, text: string])[], cwd: string = process.cwd()): Promise<void> {
  const written: [tmp: string, file: string][] = [];
  try {
    for (const [file, text] of files) {
      const tmp = temporaryName(file);
      await mkdir(path.dirname(file), { recursive: true });
      written.push([tmp, file]);
      await writeFile(tmp, text, { flag: "wx" });
    }
  } catch (e) {
    await Promise.all(written.map(([tmp]) => rm(tmp, { force: true }).catch(() => {})));
    const failed = written[written.length - 1]?.[1] ?? files[0]![0];
    throw new GradcError(codes.io, `cannot write ${path.relative(cwd, failed) || failed}: ${(e as Error).message}`);
  }
  for (const [tmp, file] of written) {
    try {
      await rename(tmp, file);
      removeStaleTemporaries(file);
    } catch (e) {
      await Promise.all(written.map(([t]) => rm(t, { force: true }).catch(() => {})));
      throw new GradcError(codes.io, `cannot write ${path.relative(cwd, file) || file}: ${(e as Error).message}`);
    }
  }
}

/** Writes `text` to a unique temporary file next to `file`, then renames it over `file`. */
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
    throw new GradcError(codes.io, `cannot write ${displayPath(file, cwd)}: ${(e as Error).message}`);
  }
}
