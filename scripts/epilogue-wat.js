// The WebAssembly text of the runtime's product epilogue (runtime/gemm.ts `epilogue`): a bias vector
// added to every row of C and/or a ReLU, in place in the module's memory, four floats at a time —
//
//   C[r, c] = relu?(C[r, c] + bias[c])      r < rows, c < cols, offsets in float32 elements
//
// For what emitted JavaScript did element by element as it stored a product (compiler/ops/simdEpilogue.ts):
// a dense or convolution layer's `relu(x·W + b)`. The sum is rounded to float32 like the stored
// JavaScript sum of two float32 values; f32x4.max(z, 0) is runtime/branchless.ts's relu — NaN stays
// NaN, −0 gives +0 — and has no branch for the CPU to mispredict.
// Appended to the product's module by scripts/gemm-wat.js.

export function epilogueWat() {
  const L = [];
  const p = (s) => L.push(s);
  const get = (v) => `(local.get $${v})`;
  /** One pass over C with the bias (or not) and the ReLU (or not). */
  const pass = (bias, relu) => {
    const step = (width, load, store, add, max, zero) => {
      let v = `(${load} ${get("yp")})`;
      if (bias) v = `(${add} ${v} (${load} ${get("bp")}))`;
      if (relu) v = `(${max} ${v} ${zero})`;
      return `(${store} ${get("yp")} ${v})`;
    };
    p(`      (local.set $r (i32.const 0))`);
    p(`      (loop $rows`);
    p(`        (local.set $bp (i32.shl ${get("b")} (i32.const 2)))`);
    p(`        (local.set $c ${get("cols")})`);
    p(`        (block $vectorsDone (loop $vectors`);
    p(`          (br_if $vectorsDone (i32.lt_s ${get("c")} (i32.const 4)))`);
    p(`          ${step(16, "v128.load", "v128.store", "f32x4.add", "f32x4.max", "(v128.const f32x4 0 0 0 0)")}`);
    p(`          (local.set $yp (i32.add ${get("yp")} (i32.const 16)))`);
    p(`          (local.set $bp (i32.add ${get("bp")} (i32.const 16)))`);
    p(`          (local.set $c (i32.sub ${get("c")} (i32.const 4)))`);
    p(`          (br $vectors)))`);
    p(`        (block $scalarsDone (loop $scalars`);
    p(`          (br_if $scalarsDone (i32.eqz ${get("c")}))`);
    p(`          ${step(4, "f32.load", "f32.store", "f32.add", "f32.max", "(f32.const 0)")}`);
    p(`          (local.set $yp (i32.add ${get("yp")} (i32.const 4)))`);
    p(`          (local.set $bp (i32.add ${get("bp")} (i32.const 4)))`);
    p(`          (local.set $c (i32.sub ${get("c")} (i32.const 1)))`);
    p(`          (br $scalars)))`);
    p(`        (br_if $rows (i32.lt_s (local.tee $r (i32.add ${get("r")} (i32.const 1))) ${get("rows")})))`);
  };
  p(`  (func (export "epilogue") (param $y i32) (param $rows i32) (param $cols i32) (param $b i32) (param $relu i32)`);
  p(`    (local $r i32) (local $c i32) (local $yp i32) (local $bp i32)`);
  p(`    (if (i32.or (i32.le_s ${get("rows")} (i32.const 0)) (i32.le_s ${get("cols")} (i32.const 0))) (then (return)))`);
  p(`    (local.set $yp (i32.shl ${get("y")} (i32.const 2)))`);
  // Without a bias the rows are one run: C is ReLU'd as one row of rows·cols.
  p(`    (if (i32.lt_s ${get("b")} (i32.const 0)) (then`);
  p(`      (local.set $cols (i32.mul ${get("cols")} ${get("rows")}))`);
  p(`      (local.set $rows (i32.const 1))`);
  pass(false, true);
  p(`    ) (else (if ${get("relu")} (then`);
  pass(true, true);
  p(`    ) (else`);
  pass(true, false);
  p(`    ))))`);
  p(`  )`);
  return L.join("\n");
}
