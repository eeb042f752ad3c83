// `gradc train`: compile a model in memory and train it on a bundled or CSV data set, for users who do
// not want to write a loop. The generated module is compiled and transpiled (in gradc's box when the
// CLI asks) and imported from memory (no files besides the checkpoint and pictures of the run),
// importing this installation's runtime; with --threads N > 1 the workers of the parallel trainer
// (runtime/parallel.ts) import it from a file, so its JavaScript is written to a temporary folder of the
// OS for the run and removed afterwards.
//
// The task follows the model's target input y: integer class labels make a classifier (accuracy, a
// split per class), float targets a regression (MSE, MAE and R², a seeded random split); --task says it
// explicitly and is refused when the model's y says otherwise. A CSV's target column is read as numbers
// and, for a classifier, each label must then be an integer (GC3005 with its line).
//
// Everything the user gives is checked before the first step, with the data's file and line where
// there is one: an unreadable data file (GC3001), a bad cell or a label the model cannot take
// (GC3005, the label's line in the CSV), a split that leaves nothing to train on (GC3006), an output
// folder that already holds this model's checkpoint (GC3007, see runtime/session.ts). When the run
// diverges, the failing step is replayed on the model's graph (./anomaly.ts, the box's diagnoseStep
// job) and the error points at the first operation that produced a non-finite value, in model.ts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describeAnomaly, type Anomaly, type StepValues } from "./anomaly.js";
import { runJob, type BoxRun } from "./box/run.js";
import { codes, GradcError } from "./diagnostics.js";
import type { OptimizerSpec } from "../runtime/optim.js";
import type { Dataset } from "../runtime/data.js";
import type { CheckFinite } from "../runtime/divergence.js";
import type { RunResult, TrainableModule } from "../runtime/session.js";

export interface TrainOptions {
  /** "mnist", or a CSV file with a header row (features and an integer label column). */
  readonly data: string;
  /** The CSV column holding the target y (default "label"). */
  readonly label?: string;
  /** Default: from the model's input y (integer: classification; float: regression). */
  readonly task?: Task;
  /** The fraction of a CSV held out for validation (default 0.2). */
  readonly valSplit?: number;
  readonly clipGradNorm?: number;
  readonly clipGradValue?: number;
  /** Data-parallel threads (default 1: the single-thread trainer). */
  readonly threads?: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly optimizer: "sgd" | "adam" | "adamw";
  readonly lr: number;
  readonly momentum?: number;
  readonly weightDecay?: number;
  readonly seed?: number;
  readonly dtype?: "f32" | "f64";
  readonly outDir: string;
  readonly resume?: string;
  /** Replace a checkpoint of this model already in outDir (otherwise such a run is refused). */
  readonly overwrite?: boolean;
  /** Divergence checks: "epoch" (default), "step" or "off" (fit's checkFinite). */
  readonly checkFinite?: CheckFinite;
  readonly log?: (line: string) => void;
  /** Compile the model in gradc's box (the CLI); without it the model runs in this process. */
  readonly box?: BoxRun;
  /** Where the progress bar or per-epoch lines go (default process.stdout). */
  readonly progress?: import("../runtime/progress.js").ProgressStream;
}

type Task = "classification" | "regression";
type InputSpecs = readonly { name: string; shape: readonly (number | string)[]; dtype: string; classes?: number }[];
type Module = TrainableModule & { spec: { inputs: InputSpecs } };

/** The trainer module and how to examine one of its steps: what `gradc train` needs of the compiler. */
interface CompiledModel {
  readonly module: Module;
  /** The module as JavaScript text (what `module` was imported from), for workers that import it themselves. */
  readonly javascript: string;
  /** The first non-finite value of one training step (see ./anomaly.ts), or null when all are finite. */
  diagnose(step: StepValues): Promise<Anomaly | null>;
}

/** This installation's runtime (built JS), for the in-memory module to import. */
function runtimeDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // dist/compiler/train.js → dist/runtime; compiler/train.ts (from source) → dist/runtime
  for (const dir of [path.resolve(here, "../runtime"), path.resolve(here, "../dist/runtime")]) {
    try {
      readFileSync(path.join(dir, "index.js"));
      return dir;
    } catch {
      /* try the next */
    }
  }
  throw new Error("gradc train needs the built runtime (dist/runtime); run npm run build");
}

/**
 * The one place the model is compiled and its module loaded: both the compile and a diverged step's
 * replay load the model, so both run as jobs (in gradc's box when the CLI gives one).
 */
async function compileModel(file: string, dtype: "f32" | "f64", runtime: string, box: BoxRun | undefined): Promise<CompiledModel> {
  const model = path.resolve(file);
  const { js } = await runJob("trainModule", { file: model, dtype, runtime }, box);
  const module = (await import(`data:text/javascript;base64,${Buffer.from(js).toString("base64")}`)) as Module;
  return { module, javascript: js, diagnose: (step) => runJob("diagnoseStep", { file: model, dtype, step }, box) };
}

export async function trainFile(file: string, o: TrainOptions): Promise<RunResult> {
  const dir = runtimeDir();
  const dtype = o.dtype ?? "f32";
  const node = (await import(pathToFileURL(path.join(dir, "node.js")).href)) as typeof import("../runtime/node.js");
  // The data first: a bad data file is reported without waiting for the compiler.
  const data = loadData(o, dtype, node);
  if ("mnist" in data && o.valSplit !== undefined) throw new GradcError(codes.badArgument, "--val-split applies to a CSV; MNIST comes with its own test set");
  const model = await compileModel(file, dtype, pathToFileURL(path.join(dir, "index.js")).href, o.box);
  const module = model.module;
  const task = chooseTask(o.task, module.spec.inputs, file, "mnist" in data);
  const { train, test } = splitData(data, task, o, node);
  checkInputs(module.spec.inputs, train, file);
  checkInputs(module.spec.inputs, test, file);
  const regression = task === "regression" ? { output: predictionOutput(module, file), target: "y" } : undefined;
  const optimizer: OptimizerSpec =
    o.optimizer === "sgd"
      ? { kind: "sgd", lr: o.lr, ...(o.momentum !== undefined ? { momentum: o.momentum } : {}), ...(o.weightDecay !== undefined ? { weightDecay: o.weightDecay } : {}) }
      : { kind: o.optimizer, lr: o.lr, ...(o.weightDecay !== undefined ? { weightDecay: o.weightDecay } : {}) };
  const clip = { ...(o.clipGradNorm !== undefined ? { clipGradNorm: o.clipGradNorm } : {}), ...(o.clipGradValue !== undefined ? { clipGradValue: o.clipGradValue } : {}) };
  const seed = o.seed ?? 0;
  const threads = o.threads ?? 1;
  const log = o.log ?? ((line: string) => console.log(line));
  const extras = [
    ...(o.clipGradNorm !== undefined ? [`gradient norm clipped to ${o.clipGradNorm}`] : []),
    ...(o.clipGradValue !== undefined ? [`gradients clamped to ±${o.clipGradValue}`] : []),
    ...(threads > 1 ? [`${threads} threads`] : []),
  ];
  log(
    `training model "${module.spec.name}" (${dtype}) on ${train.size} samples, testing on ${test.size}; ${task}; ${o.optimizer}(lr = ${o.lr}), batch ${o.batchSize}, ${o.epochs} epochs` +
      (extras.length ? `; ${extras.join(", ")}` : ""),
  );
  // --threads: the parallel trainer's workers import the module from a file of their own.
  const parallel = threads > 1 ? await parallelTrainer(model, node, { optimizer, seed, threads, ...clip }) : undefined;
  try {
    return node.runTraining({
      module,
      train,
      test,
      epochs: o.epochs,
      batchSize: o.batchSize,
      optimizer,
      ...clip,
      seed,
      outDir: o.outDir,
      log,
      ...(regression ? { regression } : {}),
      ...(parallel ? { trainer: parallel.trainer as unknown as import("../runtime/trainCheckpoint.js").CheckpointTrainer } : {}),
      ...(o.resume ? { resume: o.resume } : {}),
      ...(o.overwrite ? { overwrite: true } : {}),
      ...(o.checkFinite ? { checkFinite: o.checkFinite } : {}),
      ...(o.progress ? { progress: o.progress } : {}),
    });
  } catch (e) {
    if (!node.isDivergedError(e) || !e.divergence.failing) throw e;
    // Name the operation: replay the failing step on the model's graph.
    const failing = e.divergence.failing;
    const anomaly = await model.diagnose({ params: failing.params, inputs: failing.inputs, rngState: failing.rngState });
    if (!anomaly) {
      throw node.withOperation(e, "replayed on the model's graph, every value of the step is finite: the optimizer's update (the learning rate times the gradient) made it non-finite");
    }
    const row = anomaly.sample !== undefined ? failing.rows[anomaly.sample] : undefined;
    const line = row !== undefined && failing.source ? `${path.basename(failing.source.file)}:${failing.source.lines[row]}` : undefined;
    throw node.withOperation(e, describeAnomaly(anomaly, line), anomaly.loc ? { ...anomaly.loc, file } : undefined);
  } finally {
    await parallel?.close();
  }
}

/**
 * createParallelTrainer over the model's JavaScript written to a fresh folder in the OS's temporary
 * directory (its runtime import is an absolute file URL, so it loads from anywhere); `close` ends the
 * workers and removes the folder.
 */
async function parallelTrainer(
  model: CompiledModel,
  node: typeof import("../runtime/node.js"),
  options: import("../runtime/parallel.js").ParallelTrainerOptions & { seed: number },
): Promise<{ trainer: unknown; close(): Promise<void> }> {
  const folder = mkdtempSync(path.join(tmpdir(), "gradc-train-"));
  try {
    const url = path.join(folder, `${model.module.spec.name.replace(/[^\w.-]/g, "_")}.gen.js`);
    writeFileSync(url, model.javascript);
    const trainer = await node.createParallelTrainer(pathToFileURL(url), model.module.initParams(options.seed) as never, options);
    return {
      trainer,
      close: async () => {
        try {
          await trainer.close();
        } finally {
          rmSync(folder, { recursive: true, force: true });
        }
      },
    };
  } catch (e) {
    rmSync(folder, { recursive: true, force: true });
    throw e;
  }
}

/** The task: --task when given (refused when the model's y says otherwise), else what the model's y takes. */
function chooseTask(asked: Task | undefined, inputs: InputSpecs, file: string, mnist: boolean): Task {
  const y = inputs.find((i) => i.name === "y");
  const name = path.basename(file);
  const modelTask: Task | undefined = y === undefined ? undefined : y.dtype === "i32" ? "classification" : "regression";
  if (asked === "regression" && modelTask === "classification") {
    throw new GradcError(codes.badArgument, `--task regression, but ${name}'s input "y" takes integer class labels; a regression model takes float targets, e.g. input("y", ["batch", 1])`);
  }
  if (asked === "classification" && modelTask === "regression") {
    throw new GradcError(codes.badArgument, `--task classification, but ${name}'s input "y" takes float values; a classifier takes class labels: input("y", ["batch"], { dtype: "int" })`);
  }
  const task = asked ?? modelTask ?? "classification";
  if (task === "regression" && mnist) throw new GradcError(codes.badArgument, `${name} is a regression model (its input "y" takes float targets), but MNIST's targets are class labels; give a CSV (--data file.csv)`);
  return task;
}

/** The output a regression compares with y: the first with as many values per sample as y. */
function predictionOutput(module: Module, file: string): string {
  const perSample = (shape: readonly (number | string)[]) => shape.reduce<number>((a, d) => a * (typeof d === "number" ? d : 1), 1);
  const y = module.spec.inputs.find((i) => i.name === "y")!;
  const want = perSample(y.shape);
  const out = module.spec.outputs.find((o) => perSample(o.shape) === want);
  if (!out) {
    const have = module.spec.outputs.map((o) => `${o.name} [${o.shape.join(", ")}]`).join(", ") || "none";
    throw new GradcError(codes.badArgument, `${path.basename(file)}: a regression needs an output with ${want} value${want === 1 ? "" : "s"} per sample to compare with y; the model's outputs: ${have}`);
  }
  return out.name;
}

/** MNIST, or the CSV file with its targets as numbers (GC3001 when it cannot be read; fromCsv's GC3005/GC3006 with its lines). */
function loadData(o: TrainOptions, dtype: "f32" | "f64", node: typeof import("../runtime/node.js")): Dataset | { mnist: { train: Dataset; test: Dataset } } {
  if (o.data === "mnist") return { mnist: node.loadMnist({ dtype }) };
  let text: string;
  try {
    text = readFileSync(o.data, "utf8");
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message;
    throw new GradcError(codes.io, `--data: cannot read ${o.data} (${why}); use "mnist" or a CSV file`);
  }
  // Numbers first: whether they must be class labels depends on the model (chooseTask).
  return node.fromCsv(text, { label: o.label ?? "label", labelDtype: "f64", dtype, file: o.data });
}

/**
 * The training and validation parts: MNIST's own; a classifier's CSV per class (each class keeps the
 * same share), a regression's by a seeded shuffle (the run's seed); both must hold samples.
 */
function splitData(
  data: Dataset | { mnist: { train: Dataset; test: Dataset } },
  task: Task,
  o: TrainOptions,
  node: typeof import("../runtime/node.js"),
): { train: Dataset; test: Dataset } {
  if ("mnist" in data) return data.mnist as { train: Dataset; test: Dataset };
  const held = o.valSplit ?? 0.2;
  const fraction = 1 - held;
  const percent = (x: number) => `${+(100 * x).toFixed(2)}`;
  const { train, test } = task === "classification" ? node.splitByClass(classLabels(data, o, node), "y", fraction) : node.split(data, fraction, o.seed ?? 0);
  if (train.size === 0 || test.size === 0) {
    throw new GradcError(
      codes.emptyData,
      `${path.basename(o.data)} has ${data.size} row${data.size === 1 ? "" : "s"}; split ${percent(fraction)}/${percent(held)}${task === "classification" ? " within each class" : ""}, that leaves ${train.size} for training and ${test.size} for testing. ` +
        (task === "classification" ? "Each class needs enough rows for both parts (at least 2)" : "Give more rows, or another --val-split"),
    );
  }
  return { train, test };
}

/** The CSV's targets as integer class labels: GC3005 with the line of the first that is not one. */
function classLabels(data: Dataset, o: TrainOptions, node: typeof import("../runtime/node.js")): Dataset {
  const y = data.columns["y"]!;
  const labels = new Int32Array(data.size);
  for (let k = 0; k < data.size; k++) {
    const v = y[k]!;
    if (!(Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff)) {
      const line = data.source?.lines[k];
      throw new GradcError(
        codes.data,
        `column "${o.label ?? "label"}": ${v} is not an integer class label; for numeric targets, give the model a float input y (a regression) or pass --task regression`,
        data.source && line !== undefined ? { file: data.source.file, line, col: 0 } : undefined,
      );
    }
    labels[k] = v;
  }
  const x = data.fields["x"]!;
  const ds = node.fromArrays({ x: { shape: x.shape, dtype: x.dtype, values: data.columns["x"]! }, y: { shape: [], dtype: "i32", values: labels } });
  return data.source ? { ...ds, source: data.source } : ds;
}

/**
 * The data set provides x and y; the model must take inputs of those names and sizes, and every class
 * label must be one the model has an output for (the label's line in the CSV when it is not).
 */
function checkInputs(inputs: InputSpecs, data: Dataset, file: string): void {
  for (const i of inputs) {
    const field = data.fields[i.name];
    const have = Object.entries(data.fields).map(([k, f]) => `${k} [${f.shape.join(", ")}] ${f.dtype}`).join(", ");
    if (!field) throw new GradcError(codes.badArgument, `${path.basename(file)} takes an input "${i.name}", but the data set has ${have}`);
    const want = i.shape.filter((d) => typeof d === "number").reduce<number>((a, b) => a * (b as number), 1);
    const got = field.shape.reduce((a, b) => a * b, 1);
    if (want !== got) throw new GradcError(codes.badArgument, `input "${i.name}" has ${want} values per sample, the data set's field has ${got} (${have})`);
    if (i.classes === undefined) continue;
    const labels = data.columns[i.name]!;
    for (let k = 0; k < labels.length; k++) {
      const v = labels[k]!;
      if (Number.isInteger(v) && v >= 0 && v < i.classes) continue;
      const line = data.source?.lines[Math.floor(k / got)];
      throw new GradcError(
        codes.data,
        `label ${v} is not a class of model ${path.basename(file)}: its input "${i.name}" takes class indices 0 … ${i.classes - 1}`,
        data.source && line !== undefined ? { file: data.source.file, line, col: 0 } : undefined,
      );
    }
  }
}
