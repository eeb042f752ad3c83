// What the `gradc` command (./cli.ts) runs against: its output streams, its working directory, and the
// compiler's entry points, which tests replace to run a command in their own process. Types only.

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
