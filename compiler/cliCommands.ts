// The `gradc` commands that do more than run one box job and print its text: graph (text or a
// picture), export (ONNX bytes), compile (the module, its map and declarations, the report), --watch,
// and init (the scaffold). ./cli.ts parses the command line and dispatches here.
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { runJob, type BoxRun } from "./box/run.js";
import type { Values } from "./cliArgs.js";
import { declarationsFile, defaultGraphPicture, defaultOutput, outputLanguage, runtimeSpecifierFor, writeAllAtomic, writeAtomic } from "./cliFiles.js";
import type { CliIO, CompileFileFn, GraphFileFn } from "./cliIO.js";
import { reportError } from "./cliReport.js";
import { displayPath } from "../runtime/userErrors.js";
import { refuseModelAsOutput } from "./outputs.js";
import type { WatchedBuild } from "./watch.js";

/**
 * `gradc graph`: the graph text on stdout, or in -o; with --svg (DOT) a picture in -o or next to the
 * model. When no picture can be made (Mermaid, or no renderer) the text goes to stdout with a note why.
 */
export async function graphCommand(modelPath: string, values: Values, batch: number | undefined, box: BoxRun, cio: CliIO): Promise<number> {
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
export async function exportCommand(modelPath: string, values: Values, box: BoxRun, cio: CliIO): Promise<number> {
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
export function compileBuild(modelPath: string, values: Values, batch: number | undefined, box: BoxRun, cio: CliIO): WatchedBuild {
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
export async function watchCommand(modelPath: string, build: WatchedBuild, signal: AbortSignal, cio: CliIO): Promise<number> {
  const { watch } = await import("./watch.js");
  await watch(modelPath, build, { log: (line) => void cio.stderr.write(`${line}\n`), report: async (e) => void (await reportError(e, cio)), signal, cwd: cio.cwd });
  return 0;
}

/** Aborts on the first SIGINT or SIGTERM (Ctrl-C, or a process manager stopping gradc --watch). */
export function stopSignal(): AbortSignal {
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
export async function initCommand(dirArg: string, values: Values, cio: CliIO): Promise<number> {
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
