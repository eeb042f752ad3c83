// Messages between the page (main.ts) and its two workers: the compiler (compileWorker.ts) and the
// trainer (trainWorker.ts).

import type { CsvFile } from "./data.js";

/**
 * The page asks the compiler to compile the text of model.ts, to take one visible training step of the
 * last model it compiled, to use a dropped CSV as the data set (null: the bundled one), or to grade an
 * exercise answer.
 */
export type CompileRequest =
  | { readonly kind: "compile"; readonly id: number; readonly text: string }
  | { readonly kind: "step"; readonly id: number }
  | { readonly kind: "data"; readonly id: number; readonly csv: CsvFile | null }
  | { readonly kind: "grade"; readonly id: number; readonly target: string; readonly answer: string };

/** What the data set is now, or why a dropped CSV cannot feed the model. */
export type DataReply =
  | { readonly kind: "data"; readonly id: number; readonly ok: true; readonly name: string; readonly rows: number }
  | { readonly kind: "data"; readonly id: number; readonly ok: false; readonly diagnostic: string };

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
  /** Its name in the generated module (the textbook name: z1, h1, delta2, dW1), when it has one. */
  readonly code: string | null;
  /** Its equation's right side as `gradc explain` writes it (`v₁ ⊙ (y ⊙ (1 − y))`), when it has one. */
  readonly formula: string | null;
  /** A larger tensor as a grid of at most 48 × 48 cells, each the mean of the elements it covers (rows × cols, row-major). */
  readonly heat: { readonly rows: number; readonly cols: number; readonly cells: readonly number[] } | null;
}

/** A backward equation the exercise can hide (./exercise.ts). */
export interface ExerciseTarget {
  /** Its name in the generated code and explain: delta2, dh1, dW1. */
  readonly name: string;
  /** What it is: `δ₂ = ∂L/∂z₂`. */
  readonly meaning: string;
  /** Where in model.ts (`model.ts:16:13`). */
  readonly loc: string;
  /** The derivative rule that produced it (`sigmoid'`). */
  readonly origin: string | null;
  readonly shape: readonly string[];
  /** The values an answer may use. */
  readonly uses: readonly string[];
}

export type GradeResult =
  | {
      readonly ok: true;
      /** exact: every element equal; approximate: within a relative 1e-9; different: not. */
      readonly verdict: "exact" | "approximate" | "different";
      readonly elements: number;
      readonly maxDifference: number;
      readonly maxRelative: number;
      /** The (flat) index of the largest difference. */
      readonly worst: number;
      /** Both values in full when they are small. */
      readonly yours: readonly number[] | null;
      readonly compilers: readonly number[] | null;
      readonly shapeNote: string | null;
    }
  | { readonly ok: false; readonly diagnostic: string };

export type GradeReply = { readonly kind: "grade"; readonly id: number; readonly target: string } & GradeResult;

export type StepReply =
  | {
      readonly kind: "step";
      readonly id: number;
      readonly ok: true;
      readonly step: number;
      readonly loss: number;
      readonly data: string;
      readonly values: readonly StepValue[];
      /** The training pass's graph (forward and backward) with each node's value, as Mermaid text. */
      readonly mermaid: string;
    }
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
      /** The backward equations the exercise can hide. */
      readonly exercises: readonly ExerciseTarget[];
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
  | { readonly kind: "start"; readonly javascript: string; readonly steps: number; readonly csv: CsvFile | null }
  | { readonly kind: "stop" }
  /** The trained parameters and optimizer state as a checkpoint file (runtime/checkpointFormat.ts). */
  | { readonly kind: "checkpoint"; readonly javascript: string };

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
  | { readonly kind: "error"; readonly message: string }
  | { readonly kind: "checkpoint"; readonly bytes: Uint8Array; readonly step: number };
