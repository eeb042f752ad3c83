// The WebAssembly text of the runtime's SGD loop for float32 parameters (runtime/gemm.ts `sgd`, which
// runtime/update.ts's plain SGD calls for a float32 module's large parameters):
//
//   p[e] ← p[e] + (−lr)·g[e]      e < n, p and g float32 in the module's memory, −lr a double
//
// in double precision, two lanes at a time (f64x2): each float32 promoted, the product and the sum each
// rounded to double, the sum rounded to float32 when stored — exactly what the JavaScript loop computes
// (update.ts sgdLoop: Float32Array elements read as doubles, stored back rounded), so the same bits.
// Four elements a turn (one f32x4 load of p and of g, halves promoted with a shuffle), then one at a time.
// Appended to the product's module by scripts/gemm-wat.js.

import { vectorsThenOnes } from "./wat-runs.js";

export function updateWat() {
  const get = (v) => `(local.get $${v})`;
  const half = (v, high) => (high ? `(f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${get(v)} ${get(v)}))` : `(f64x2.promote_low_f32x4 ${get(v)})`);
  const sum = (high) => `(f32x4.demote_f64x2_zero (f64x2.add ${half("pv", high)} (f64x2.mul ${get("lrv")} ${half("gv", high)})))`;
  return [
    `  (func (export "sgd") (param $p i32) (param $g i32) (param $n i32) (param $negLr f64)`,
    `    (local $pv v128) (local $gv v128) (local $lrv v128)`,
    `    (local.set $lrv (f64x2.splat ${get("negLr")}))`,
    `    (local.set $p (i32.shl ${get("p")} (i32.const 2)))`,
    `    (local.set $g (i32.shl ${get("g")} (i32.const 2)))`,
    vectorsThenOnes({
      count: "n",
      pointers: ["p", "g"],
      // Elements 0, 1 from the low half's demotion and 2, 3 from the high half's.
      vector: () =>
        `(local.set $pv (v128.load ${get("p")})) (local.set $gv (v128.load ${get("g")})) ` +
        `(v128.store ${get("p")} (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 ${sum(false)} ${sum(true)}))`,
      scalar: () => `(f32.store ${get("p")} (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load ${get("p")})) (f64.mul ${get("negLr")} (f64.promote_f32 (f32.load ${get("g")}))))))`,
    }),
    `  )`,
  ].join("\n");
}
