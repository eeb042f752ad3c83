// The contract between the kernel emitter (./kernels.ts) and the pass emitter (./module.ts,
// ./fuseBatch.ts): what a kernel is given (KernelEnv: the plan, the names and storage of every value)
// and what it gives back (KernelCode: its statements before, in and after the loop over batch rows, and
// what it reads and writes, from which the pass emitter decides which kernels share one batch loop).
import type { Node } from "../ir/node.js";
import type { Plan } from "../lower/plan.js";
import type { NestedContext, Precision, StepView } from "../ops/op.js";
import type { Names } from "./names.js";

export interface KernelEnv {
  readonly plan: Plan;
  readonly names: Names;
  /** Identifier of each node's storage: an array (buffers, inputs, params, constants) or a scalar local. */
  readonly storage: Map<Node, string>;
  /** Nodes held in scalar locals rather than arrays. */
  readonly scalars: Set<Node>;
  /** Nodes of the backward pass (for the comment's derivative-rule note). */
  readonly backward: ReadonlySet<Node>;
  /** Human names used in comments. */
  readonly display: (n: Node) => string;
  /** The name `gradc explain` gives a value (z1, delta2, v1), if it gives one: a local's hint. */
  readonly textbook?: ReadonlyMap<Node, string>;
  /**
   * Batch-leading values kept as per-row scalars (`h1_0`, `h1_1`) instead of arrays: the fused batch
   * loop writes and reads each element of row i at a compile-time position (see ./module.ts).
   */
  readonly rowScalars: ReadonlySet<Node>;
  /** A scan body's step inputs read in place from their stacked arrays (../ops/op.ts StepView). */
  readonly views?: ReadonlyMap<Node, StepView>;
  /** How kernel templates emit a graph inside their loop (a scan's body). */
  readonly nested?: NestedContext;
  /** The blocked GEMM's register block (default GEMM_ROWS × GEMM_COLS, ../ops/matmul.ts). */
  readonly gemmBlock?: { readonly rows: number; readonly cols: number };
  /**
   * float32 modules: the identifier of the runtime's SIMD product engine (runtime/gemm.ts) that large
   * matmuls call; absent (float64), every matmul is a JS loop nest.
   */
  readonly simdGemm?: string;
  /** The element type of the module's arrays (elementwise ops that compare exactly need it). */
  readonly precision: Precision;
}

export interface KernelCode {
  readonly node: Node;
  readonly comment: string;
  /** Statements before the batch loop (initialize accumulators). */
  readonly pre: string[];
  /** The body of the loop over batch rows `i`, or null when the kernel has no batch loop. */
  readonly loop: string[] | null;
  /** Statements after the batch loop, or the whole kernel when it has none. */
  readonly post: string[];
  /** Arrays read → the index expressions that selected their batch row. */
  readonly reads: Map<Node, Set<string>>;
  /** Whether the kernel sums over the batch (its value is complete only after the loop). */
  readonly accumulates: boolean;
  /** Arrays read somewhere at a run-time position within the row (they cannot become row scalars). */
  readonly varReads: Set<Node>;
  /** Whether every element the kernel writes is at (row i, compile-time position). */
  readonly constWrite: boolean;
  /** Arrays the kernel writes besides its node's own (the parts of a scan). */
  readonly writes: readonly Node[];
}
