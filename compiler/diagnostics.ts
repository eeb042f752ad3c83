// Compile errors carry a GCnnnn code and, when they come from the model, the model.ts location.
import type { Loc } from "./ir/loc.js";

export const codes = {
  parse: "GC1001", // model.ts does not parse
  typecheck: "GC1002", // model.ts does not type-check
  threw: "GC1003", // model.ts threw while it was loaded or traced
  noModel: "GC1004", // no `export default model(...)`
  shape: "GC2001", // shapes do not fit the op
  unknownOp: "GC2002", // a DSL function that does not exist
  unknownInit: "GC2003", // an initializer that does not exist
  duplicate: "GC2004", // two inputs/params/outputs with one name
  noLoss: "GC2005", // the model returns no loss
  lossNotScalar: "GC2006", // the loss is not a scalar
  badArgument: "GC2007", // an argument of the wrong kind (axis, shape, name, option)
  batch: "GC2008", // more than one symbolic dimension name, or a bad --batch
  io: "GC3001", // output could not be written
  usage: "GC3002", // command-line usage
  render: "GC3003", // Graphviz could not render a graph picture (gradc graph --svg)
} as const;

export type Code = (typeof codes)[keyof typeof codes];

export class GradcError extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly loc?: Loc,
  ) {
    super(message);
    this.name = "GradcError";
  }
}
