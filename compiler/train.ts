// `gradc train`: compile a model in memory and train it on a bundled or CSV data set, for users who do
// not want to write a loop. The generated module is compiled and transpiled (in gradc's box when the
// CLI asks) and imported from memory (no files besides the checkpoint and pictures of the run),
// importing this installation's runtime.
//
// Everything the user gives is checked before the first step, with the data's file and line where
// there is one: an unreadable data file (GC3001), a bad cell or a label the model cannot take
// (GC3005, the label's line in the CSV), a split that leaves nothing to train on (GC3006), an output
// folder that already holds this model's checkpoint (GC3007, see runtime/session.ts). When the run
// diverges, the failing step is replayed on the model's graph (./anomaly.ts, the box's diagnoseStep
// job) and the error points at the first operation that produced a non-finite value, in model.ts.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describeAnomaly, type Anomaly, type StepValues } from "./anomaly.js";
import { runJob, type BoxRun } from "./box/run.js";
import { codes, GradcError } from "./diagnostics.js";
import { displayPath } from "../runtime/userErrors.js";
import type { OptimizerSpec } from "../runtime/optim.js";
import type { Dataset } from "../runtime/data.js";
import type { CheckFinite } from "../runtime/divergence.js";
import type { RunResult, TrainableModule } from "../runtime/session.js";

export interface TrainOptions {
  /** "mnist", or a CSV file with a header row (features and an integer label column). */
  readonly data: string;
  /** The CSV label column (default "label"). */
  readonly label?: string;
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

type InputSpecs = readonly { name: string; shape: readonly (number | string)[]; dtype: string; classes?: number }[];
type Module = TrainableModule & { spec: { inputs: InputSpecs } };

/** The trainer module and how to examine one of its steps: what `gradc train` needs of the compiler. */
interface CompiledModel {
  readonly module: Module;
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
  return { module, diagnose: (step) => runJob("diagnoseStep", { file: model, dtype, step }, box) };
}

export async function trainFile(file: string, o: TrainOptions): Promise<RunResult> {
  const dir = runtimeDir();
  const dtype = o.dtype ?? "f32";
  const node = (await import(pathToFileURL(path.join(dir, "node.js")).href)) as typeof import("../runtime/node.js");
  // The data first: a bad data file is reported without waiting for the compiler.
  const { train, test } = splitData(loadData(o, dtype, node), o.data, node);
  const model = await compileModel(file, dtype, pathToFileURL(path.join(dir, "index.js")).href, o.box);
  const module = model.module;
  checkInputs(module.spec.inputs, train, file);
  checkInputs(module.spec.inputs, test, file);
  const optimizer: OptimizerSpec =
    o.optimizer === "sgd"
      ? { kind: "sgd", lr: o.lr, ...(o.momentum !== undefined ? { momentum: o.momentum } : {}), ...(o.weightDecay !== undefined ? { weightDecay: o.weightDecay } : {}) }
      : { kind: o.optimizer, lr: o.lr, ...(o.weightDecay !== undefined ? { weightDecay: o.weightDecay } : {}) };
  const log = o.log ?? ((line: string) => console.log(line));
  log(`training model "${module.spec.name}" (${dtype}) on ${train.size} samples, testing on ${test.size}; ${o.optimizer}(lr = ${o.lr}), batch ${o.batchSize}, ${o.epochs} epochs`);
  try {
    return node.runTraining({
      module,
      train,
      test,
      epochs: o.epochs,
      batchSize: o.batchSize,
      optimizer,
      seed: o.seed ?? 0,
      outDir: o.outDir,
      log,
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
  }
}

/** MNIST, or the CSV file (GC3001 when it cannot be read; fromCsv's GC3005/GC3006 with its lines). */
function loadData(o: TrainOptions, dtype: "f32" | "f64", node: typeof import("../runtime/node.js")): Dataset | { mnist: { train: Dataset; test: Dataset } } {
  if (o.data === "mnist") return { mnist: node.loadMnist({ dtype }) };
  let text: string;
  try {
    text = readFileSync(o.data, "utf8");
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message;
    throw new GradcError(codes.io, `--data: cannot read ${displayPath(o.data)} (${why}); use "mnist" or a CSV file`);
  }
  return node.fromCsv(text, { label: o.label ?? "label", dtype, file: o.data });
}

/** 80% of each class trains, the rest tests; both must hold samples. */
function splitData(data: Dataset | { mnist: { train: Dataset; test: Dataset } }, file: string, node: typeof import("../runtime/node.js")): { train: Dataset; test: Dataset } {
  if ("mnist" in data) return data.mnist as { train: Dataset; test: Dataset };
  const { train, test } = node.splitByClass(data, "y", 0.8);
  if (train.size === 0 || test.size === 0) {
    throw new GradcError(
      codes.emptyData,
      `${path.basename(file)} has ${data.size} row${data.size === 1 ? "" : "s"}; split 80/20 within each class, that leaves ${train.size} for training and ${test.size} for testing. ` +
        "Each class needs at least 2 rows (one to train on, one to test with)",
    );
  }
  return { train, test };
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
