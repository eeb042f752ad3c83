// `gradc train`: compile a model in memory and train it on a bundled or CSV data set, for users who do
// not want to write a loop. The generated module is compiled and transpiled (in gradc's box when the
// CLI asks) and imported from memory (no files besides the checkpoint and pictures of the run),
// importing this installation's runtime.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { runJob, type BoxRun } from "./box/run.js";
import { codes, GradcError } from "./diagnostics.js";
import type { OptimizerSpec } from "../runtime/optim.js";
import type { Dataset } from "../runtime/data.js";
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
  readonly log?: (line: string) => void;
  /** Compile the model in gradc's box (the CLI); without it the model runs in this process. */
  readonly box?: BoxRun;
  /** Where the progress bar or per-epoch lines go (default process.stdout). */
  readonly progress?: import("../runtime/progress.js").ProgressStream;
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

export async function trainFile(file: string, o: TrainOptions): Promise<RunResult> {
  const dir = runtimeDir();
  const runtime = pathToFileURL(path.join(dir, "index.js")).href;
  const dtype = o.dtype ?? "f32";
  const { js } = await runJob("trainModule", { file: path.resolve(file), dtype, runtime }, o.box);
  const module = (await import(`data:text/javascript;base64,${Buffer.from(js).toString("base64")}`)) as TrainableModule & {
    spec: { inputs: readonly { name: string; shape: readonly (number | string)[]; dtype: string }[] };
  };
  const node = (await import(pathToFileURL(path.join(dir, "node.js")).href)) as typeof import("../runtime/node.js");

  const { train, test } = loadData(o, dtype, node, file);
  checkInputs(module.spec.inputs, train, file);
  const optimizer: OptimizerSpec =
    o.optimizer === "sgd"
      ? { kind: "sgd", lr: o.lr, ...(o.momentum !== undefined ? { momentum: o.momentum } : {}), ...(o.weightDecay !== undefined ? { weightDecay: o.weightDecay } : {}) }
      : { kind: o.optimizer, lr: o.lr, ...(o.weightDecay !== undefined ? { weightDecay: o.weightDecay } : {}) };
  const log = o.log ?? ((line: string) => console.log(line));
  log(`training model "${module.spec.name}" (${dtype}) on ${train.size} samples, testing on ${test.size}; ${o.optimizer}(lr = ${o.lr}), batch ${o.batchSize}, ${o.epochs} epochs`);
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
    ...(o.progress ? { progress: o.progress } : {}),
  });
}

function loadData(o: TrainOptions, dtype: "f32" | "f64", node: typeof import("../runtime/node.js"), file: string): { train: Dataset; test: Dataset } {
  if (o.data === "mnist") return node.loadMnist({ dtype });
  let text: string;
  try {
    text = readFileSync(o.data, "utf8");
  } catch (e) {
    throw new GradcError(codes.io, `--data: cannot read ${o.data} (${(e as Error).message}); use "mnist" or a CSV file`);
  }
  void file;
  const all = node.fromCsv(text, { label: o.label ?? "label", dtype });
  return node.splitByClass(all, "y", 0.8) as { train: Dataset; test: Dataset };
}

/** The data set provides x and y; the model must take inputs of those names and sizes. */
function checkInputs(inputs: readonly { name: string; shape: readonly (number | string)[]; dtype: string }[], data: Dataset, file: string): void {
  for (const i of inputs) {
    const field = data.fields[i.name];
    const have = Object.entries(data.fields).map(([k, f]) => `${k} [${f.shape.join(", ")}] ${f.dtype}`).join(", ");
    if (!field) throw new GradcError(codes.badArgument, `${path.basename(file)} takes an input "${i.name}", but the data set has ${have}`);
    const want = i.shape.filter((d) => typeof d === "number").reduce<number>((a, b) => a * (b as number), 1);
    const got = field.shape.reduce((a, b) => a * b, 1);
    if (want !== got) throw new GradcError(codes.badArgument, `input "${i.name}" has ${want} values per sample, the data set's field has ${got} (${have})`);
  }
}
