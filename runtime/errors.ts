// Errors caused by the user's input — a model, a data file, a checkpoint, an option — carry a GCnnnn
// code and, where there is one, the place in the user's file (model.ts:LINE:COL, or data.csv:LINE).
// The CLI prints them as `file:line:col - error GCnnnn: message` or `gradc: error GCnnnn: message` and
// exits 1 without a stack trace; anything else is an internal error of gradc's.
//
// The class lives in the runtime (the lowest layer) so the runtime's own user errors (a corrupt
// checkpoint, a bad CSV cell, a diverged run) and the compiler's share one type. Recognize it with
// isGradcError, not instanceof: a generated module may load a second copy of the runtime.

export const codes = {
  // ── the model file ──
  parse: "GC1001", // model.ts does not parse
  typecheck: "GC1002", // model.ts does not type-check
  threw: "GC1003", // model.ts threw while it was loaded or traced, or tried something the box denies
  noModel: "GC1004", // no `export default model(...)`
  timeout: "GC1005", // the model's evaluation did not finish within --timeout
  outOfMemory: "GC1006", // the model's evaluation ran out of memory
  modelExit: "GC1007", // model code called process.exit (or the box process died)
  asyncModel: "GC1008", // the build function returned a Promise / the model needs asynchronous work
  leftoverTimers: "GC1009", // the model left timers or other pending work behind
  // ── the model's graph ──
  shape: "GC2001", // shapes do not fit the op
  unknownOp: "GC2002", // a DSL function that does not exist
  unknownInit: "GC2003", // an initializer that does not exist
  duplicate: "GC2004", // two inputs/params/outputs with one name
  noLoss: "GC2005", // the model returns no loss
  lossNotScalar: "GC2006", // the loss is not a scalar
  badArgument: "GC2007", // an argument of the wrong kind (axis, shape, name, option)
  batch: "GC2008", // more than one symbolic dimension name, or a bad --batch
  lossBroadcast: "GC2009", // a loss whose prediction and target broadcast to a larger shape than either
  reservedName: "GC2010", // a name that collides with Object.prototype (__proto__, constructor, ...)
  noExport: "GC2011", // an op with no export to the asked format (gradc export --onnx)
  // ── files and the command line ──
  io: "GC3001", // a file could not be read or written (missing, permissions, disk full)
  usage: "GC3002", // command-line usage, a bad option value
  render: "GC3003", // Graphviz could not render a graph picture (gradc graph --svg)
  checkpoint: "GC3004", // a checkpoint that is corrupt, of another model, or holds an invalid training state
  data: "GC3005", // a data file with a bad cell, label, column or shape
  emptyData: "GC3006", // an empty data set, or a split that leaves no rows
  outputExists: "GC3007", // the output folder already holds this model's checkpoint (--resume or --overwrite), or gradc init's files (--force)
  // ── training ──
  diverged: "GC4001", // a non-finite loss, gradient or parameter while training
  unsplittable: "GC4002", // a batch that cannot be split across threads: the loss mixes rows of the batch, or a fixed --batch
} as const;

export type Code = (typeof codes)[keyof typeof codes];

/** A place in a user's file: 1-based line and column (col 0 when only the line is known). */
export interface ErrorLoc {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export class GradcError extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly loc?: ErrorLoc,
  ) {
    super(message);
    this.name = "GradcError";
  }
}

/** True for a GradcError of any copy of the runtime (instanceof fails across copies). */
export function isGradcError(e: unknown): e is GradcError {
  if (!(e instanceof Error) || e.name !== "GradcError") return false;
  const code = (e as { code?: unknown }).code;
  return typeof code === "string" && /^GC\d{4}$/.test(code);
}
