// ReLU and max pooling without a branch, for the loops of generated modules. `z <= 0 ? 0 : z` compiles to
// a conditional jump, and a pre-activation's sign is as good as random: the CPU mispredicts about every
// other element (~9 ns an element on this machine against ~3 ns for the same loop storing z; a ReLU
// epilogue over a convolution's output was an eighth of an MNIST CNN training step). Which value of a
// pooling window is the largest is as random. Here the comparison becomes an index (0 or 1) into a
// two-slot table, which V8 computes without a jump and inlines into the caller's loop.
//
// Each gives exactly what the branch gave, for every double: relu is `z <= 0 ? 0 : z` (NaN fails `<= 0`
// and is returned: NaN in, NaN out, as in PyTorch; −0 and −∞ give +0 — `z * +(z > 0)` would give −0 for
// a negative z and NaN for −∞), poolMax is `v > m || v !== v ? v : m`.

/** Slot 0 holds 0 for good; slot 1 the argument of the call in progress (JavaScript is single-threaded per isolate). */
const RELU_PICK = new Float64Array(2);

/** max(z, 0) with NaN passed through: `z <= 0 ? 0 : z`, without a branch. */
export function relu(z: number): number {
  RELU_PICK[1] = z;
  return RELU_PICK[+!(z <= 0)]!;
}

/** Slots of poolMax: the maximum so far (0) and the candidate (1). */
const POOL_PICK = new Float64Array(2);

/**
 * Max pooling's running maximum: v when it beats m — larger, or NaN (PyTorch's `val > max || isnan(val)`,
 * so the first maximum stays on ties and a diverged input is never skipped) — else m; without a branch.
 */
export function poolMax(m: number, v: number): number {
  POOL_PICK[0] = m;
  POOL_PICK[1] = v;
  return POOL_PICK[+(v > m) | +(v !== v)]!;
}
