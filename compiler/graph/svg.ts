// DOT → SVG for `gradc graph --svg`. Graphviz's own `dot` when it is on PATH (the reference renderer);
// otherwise the WebAssembly build of Graphviz that ships inside the @hpcc-js/wasm-graphviz package,
// which needs no system install and no network. Both are deterministic for a given version.
import { spawnSync } from "node:child_process";
import { codes, GradcError } from "../diagnostics.js";

export interface RenderedSvg {
  readonly svg: string;
  /** Which renderer made it, for the message the CLI prints. */
  readonly renderer: "graphviz" | "wasm";
}

export interface RenderOptions {
  /** The Graphviz executable (tests point this elsewhere). */
  readonly dotCommand?: string;
}

/** Renders DOT text to SVG; null when neither Graphviz nor its WebAssembly build is available. */
export async function renderSvg(dot: string, options: RenderOptions = {}): Promise<RenderedSvg | null> {
  const command = options.dotCommand ?? "dot";
  const run = spawnSync(command, ["-Tsvg"], { input: dot, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const missing = (run.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
  if (!missing) {
    if (run.error) throw new GradcError(codes.render, `cannot run Graphviz (${command}): ${run.error.message}`);
    if (run.status !== 0) throw new GradcError(codes.render, `Graphviz (${command}) failed with exit code ${run.status}: ${run.stderr.trim()}`);
    return { svg: run.stdout, renderer: "graphviz" };
  }
  let Graphviz: typeof import("@hpcc-js/wasm-graphviz").Graphviz;
  try {
    ({ Graphviz } = await import("@hpcc-js/wasm-graphviz"));
  } catch {
    return null; // an installation without the optional renderer: the caller prints the DOT text instead
  }
  const graphviz = await Graphviz.load();
  try {
    return { svg: graphviz.layout(dot, "svg", "dot"), renderer: "wasm" };
  } catch (e) {
    throw new GradcError(codes.render, `Graphviz (WebAssembly) could not render the graph: ${(e as Error).message}`);
  }
}
