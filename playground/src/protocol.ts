// Messages between the page (main.ts) and its two workers: the compiler (compileWorker.ts) and the
// trainer (trainWorker.ts).

/** The page asks the compiler to compile the text of model.ts, or to take one visible training step of the last model it compiled. */
export type CompileRequest = { readonly kind: "compile"; readonly id: number; readonly text: string } | { readonly kind: "step"; readonly id: number };

/** One value of a visible step (./step.ts). */
export interface StepValue {
  readonly name: string;
  readonly kind: "input" | "param" | "forward" | "gradient";
  readonly shape: readonly number[];
  /** All its elements when it is small, else null (then see norm, min and max). */
  readonly values: readonly number[] | null;
  readonly norm: number;
  readonly min: number;
  readonly max: number;
  /** Its line in model.ts. */
  readonly line: number | null;
}

export type StepReply =
  | { readonly kind: "step"; readonly id: number; readonly ok: true; readonly step: number; readonly loss: number; readonly data: string; readonly values: readonly StepValue[] }
  | { readonly kind: "step"; readonly id: number; readonly ok: false; readonly message: string };

export type CompileReply =
  | {
      readonly kind: "compile";
      readonly id: number;
      readonly ok: true;
      /** The generated module, byte for byte what `gradc compile model.ts` writes. */
      readonly code: string;
      /** The same module transpiled to a CommonJS function body, for the trainer. */
      readonly javascript: string;
      /** `gradc explain --format latex`. */
      readonly latex: string;
      /** The parameters, in the order explain lists their gradients. */
      readonly params: readonly string[];
      /** `gradc graph` (forward) as Mermaid text. */
      readonly mermaid: string;
      readonly ms: number;
    }
  | {
      readonly kind: "compile";
      readonly id: number;
      readonly ok: false;
      /** As the CLI prints it: `model.ts:LINE:COL - error GCnnnn: message` and its code frame. */
      readonly diagnostic: string;
      /** The line (1-based) it is located at, if any. */
      readonly line: number | null;
    };

/** A data set: each input's values, row-major, for `rows` rows. */
export interface DataSet {
  readonly name: string;
  readonly rows: number;
  readonly columns: Readonly<Record<string, Float32Array>>;
}

export type TrainRequest =
  | { readonly kind: "start"; readonly javascript: string; readonly steps: number }
  | { readonly kind: "stop" };

export type TrainReply =
  | { readonly kind: "data"; readonly name: string; readonly rows: number }
  | {
      readonly kind: "progress" | "done";
      readonly step: number;
      /** The latest step's loss (before its update). */
      readonly loss: number;
      /** Losses of the steps since the last message, thinned evenly to at most 100: the curve. */
      readonly losses: readonly number[];
      readonly stepsPerSecond: number;
    }
  | { readonly kind: "error"; readonly message: string };
