// The WebAssembly text of the runtime's ReLU′ mask (runtime/gemm.ts `reluMask`): a gradient multiplied,
// in place in the module's memory, by relu's derivative at the values it was taken at —
//
//   g[e] ← g[e] · [z[e] > 0]      e < n, [z > 0] = 0 when z ≤ 0, else 1 (1 for NaN), offsets in float32 elements
//
// what emitted JavaScript computes as `g * +!(z <= 0)` (compiler/ops/activations.ts, step): the same
// product, exact (g·1 = g, g·0 = ±0, ∞·0 and NaN·0 = NaN), so the same bits. For the backward of a
// layer's ReLU after a product or a max pooling gradient (compiler/ops/simdEpilogue.ts), four floats at
// a time with the comparison as a lane mask: no branch for the CPU to mispredict on a random sign.
// Appended to the product's module by scripts/gemm-wat.js.

import { vectorsThenOnes } from "./wat-runs.js";

export function maskWat() {
  const get = (v) => `(local.get $${v})`;
  const masked = (load, mul, le, select) => `(${mul} (${load} ${get("g")}) ${select((`(${le} (${load} ${get("z")}) ${load === "v128.load" ? "(v128.const f32x4 0 0 0 0)" : "(f32.const 0)"})`))})`;
  const vectorStep = (le) => `(v128.bitselect (v128.const f32x4 0 0 0 0) (v128.const f32x4 1 1 1 1) ${le})`;
  const scalarStep = (le) => `(select (f32.const 0) (f32.const 1) ${le})`;
  return [
    `  (func (export "reluMask") (param $g i32) (param $z i32) (param $n i32)`,
    `    (local.set $g (i32.shl ${get("g")} (i32.const 2)))`,
    `    (local.set $z (i32.shl ${get("z")} (i32.const 2)))`,
    vectorsThenOnes({
      count: "n",
      pointers: ["g", "z"],
      vector: () => `(v128.store ${get("g")} ${masked("v128.load", "f32x4.mul", "f32x4.le", vectorStep)})`,
      scalar: () => `(f32.store ${get("g")} ${masked("f32.load", "f32.mul", "f32.le", scalarStep)})`,
    }),
    `  )`,
  ].join("\n");
}
