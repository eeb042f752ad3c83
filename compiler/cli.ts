// The `gradc` command: main() parses the command line and runs the command. The parts: the grammar
// (./cliArgs.ts), the commands that write files (./cliCommands.ts), the files and atomic writes
// (./cliFiles.ts), failure reports (./cliReport.ts) and the I/O a command runs against (./cliIO.ts);
// every name tests and bin/gradc.js import is exported from here.
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

import path from "node:path";
import { runJob, type BoxRun } from "./box/run.js";
import { DEFAULT_BOX } from "./box/policy.js";
import { checkCommand, parse, USAGE, UsageError, type Values } from "./cliArgs.js";
import { compileBuild, exportCommand, graphCommand, initCommand, stopSignal, watchCommand } from "./cliCommands.js";
import type { CliIO, SummaryFileFn } from "./cliIO.js";
import { reportError } from "./cliReport.js";
import { version } from "./version.js";
import type { WatchedBuild } from "./watch.js";

export { USAGE } from "./cliArgs.js";
export { declarationsFile, defaultGraphPicture, defaultOutput, outputLanguage, runtimeSpecifierFor, writeAllAtomic, writeAtomic } from "./cliFiles.js";
export type * from "./cliIO.js";

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
