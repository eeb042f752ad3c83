// The `gradc` command line's grammar: the usage text, the options and which command accepts each, the
// ranges of the numeric ones, and the parsing and checking of argv into a command, its file and its
// option values. A mistake here is a usage error (exit 2, the message and the usage on stderr), before
// anything is loaded or written.
import { parseArgs } from "node:util";
import { closeNames } from "./closeNames.js";
import { codes } from "./diagnostics.js";

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

export type OptionName = keyof typeof OPTIONS;

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

export class UsageError extends Error {
  constructor(
    message: string,
    readonly code: typeof codes.usage | typeof codes.batch = codes.usage,
  ) {
    super(message);
  }
}

export type Values = Partial<Record<OptionName, string | boolean>>;

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

export function parse(argv: readonly string[]): { positionals: string[]; values: Values } {
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

export function checkCommand(positionals: readonly string[], values: Values): [string, string, Values] {
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
