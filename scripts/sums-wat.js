// The WebAssembly text of the runtime's column sums (runtime/gemm.ts `columnSums`): the rows of a
// matrix added, in order, into a row of sums, in the module's memory —
//
//   s[c] ← s[c] + x[r, c]      r = 0, 1, …, rows − 1 in turn; c < cols; offsets in float32 elements
//
// what emitted JavaScript does for a large sum over the batch of a float32 array (compiler/ops/reduce.ts:
// `s[j] += x[i * cols + j]` into a Float32Array, i outermost): each addition of two float32 values
// rounded to float32, in the same order, so the same bits. A layer's bias gradient, Σ over the batch
// of its δ (the MNIST CNN's first convolution sums 295,000 a step). Four columns a vector; s stays in
// L1 while x streams through.
// Appended to the product's module by scripts/gemm-wat.js.

import { vectorsThenOnes } from "./wat-runs.js";

export function sumsWat() {
  const get = (v) => `(local.get $${v})`;
  return [
    `  (func (export "columnSums") (param $x i32) (param $rows i32) (param $cols i32) (param $s i32)`,
    `    (local $c i32) (local $sp i32)`,
    `    (local.set $x (i32.shl ${get("x")} (i32.const 2)))`,
    `    (block $rowsDone (loop $rows`,
    `      (br_if $rowsDone (i32.le_s ${get("rows")} (i32.const 0)))`,
    `      (local.set $sp (i32.shl ${get("s")} (i32.const 2)))`,
    `      (local.set $c ${get("cols")})`,
    vectorsThenOnes({
      count: "c",
      pointers: ["sp", "x"],
      vector: () => `(v128.store ${get("sp")} (f32x4.add (v128.load ${get("sp")}) (v128.load ${get("x")})))`,
      scalar: () => `(f32.store ${get("sp")} (f32.add (f32.load ${get("sp")}) (f32.load ${get("x")})))`,
      indent: "      ",
    }),
    `      (local.set $rows (i32.sub ${get("rows")} (i32.const 1)))`,
    `      (br $rows)))`,
    `  )`,
  ].join("\n");
}
