// Graphs held in a node's attrs: a scan's body (and the reverse body of its derivative) and a
// customGradient's traced vjp. The IR prints them (./print.ts) and the trace context names the hook
// that differentiates a body (./context.ts), so their shapes live here, below the ops that use them
// (compiler/ops/scan.ts, compiler/ops/customGradient.ts).
import type { Builder } from "./node.js";
import type { Graph } from "./graph.js";

let bodies = 0;
/** A fresh identity for a graph held in attrs (see ScanBody.canonicalKey): never compared by content. */
export const bodyKey = (): string => `body${++bodies}`;

/** A traced loop body. Graph inputs: carries, then step inputs, then captures; outputs: new carries, then per-step outputs. */
export interface ScanBody {
  /** Identity for hash-consing (a body is never compared by content). */
  readonly canonicalKey: string;
  readonly graph: Graph;
  readonly carries: number;
  readonly steps: number;
  /** How the body is differentiated (forward bodies only). */
  readonly backward?: BackwardBody;
  /** Which step inputs and captured values need gradients (forward bodies only; see compiler/autodiff/scanBody.ts). */
  readonly differentiable?: Differentiable;
}

/**
 * The reverse body and how it is wired to the forward scan. Its inputs: ∂carry (one per forward
 * carry), the running ∂capture sums (one per `dCaptures`), ∂y per step (one per per-step output),
 * the `saved` forward values, the forward step inputs listed in `stepRefs`, the forward captures
 * listed in `captureRefs`. Its outputs: ∂carry at the step before, the sums, ∂step-input for each
 * of `dSteps`.
 */
export interface BackwardBody {
  readonly body: ScanBody;
  /** The forward body's last `saved` outputs are values kept per step for the reverse body. */
  readonly saved: number;
  readonly stepRefs: readonly number[];
  readonly captureRefs: readonly number[];
  readonly dSteps: readonly number[];
  readonly dCaptures: readonly number[];
}

export interface Differentiable {
  /** Which step inputs and captured values need a gradient (those that depend on a trainable parameter). */
  readonly steps: readonly boolean[];
  readonly captures: readonly boolean[];
}

/**
 * Makes a traced forward body (traced in `builder`) into a differentiable one: its reverse body, and the
 * values the forward body saves for it (compiler/autodiff/scanBody.ts's differentiateBody).
 */
export type DifferentiateBody = (fwd: Graph, builder: Builder, carries: number, steps: number, wants: Differentiable) => ScanBody;

/** A vjp traced into a graph: inputs g, y, the arguments, then captures; outputs `d${k}` for argument k (1-based). */
export interface CustomVjp {
  /** Identity for hash-consing (a graph is never compared by content). */
  readonly canonicalKey: string;
  readonly graph: Graph;
  /** The number of arguments (x₁ … xₙ). */
  readonly arity: number;
}
