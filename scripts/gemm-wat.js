// The WebAssembly text of the runtime's f32 matrix product (runtime/gemm.ts), written out by a program
// because its blocks are unrolled: C[i·N + j] = Σ_k A[a + i·sAi + k·sAk] · B[b + k·sBk + j], all in
// float32 elements of the module's memory. Rows go 4 at a time, columns 8 at a time as two f32x4
// vectors (eight vector accumulators, one splat of A per row and two vector loads of B per k), then
// 4 columns, then single elements; leftover rows one at a time. Each product is rounded to f32 and
// each sum too (WebAssembly SIMD has no fused multiply-add), the same on every machine.
// scripts/gemm-wasm.js assembles it into runtime/gemmWasm.ts.
export function gemmWat() {
  const L = [];
  const p = (s) => L.push(s);
  p(`(module`);
  p(`  (import "env" "memory" (memory 1))`);
  p(`  (func (export "gemm") (param $M i32) (param $N i32) (param $K i32) (param $a i32) (param $sAi i32) (param $sAk i32) (param $b i32) (param $sBk i32) (param $c i32)`);
  p(`    (local $i i32) (local $j i32) (local $k i32) (local $ar i32) (local $bp i32) (local $cp i32) (local $av v128) (local $b0 v128) (local $b1 v128) (local $s f32)`);
  for (let r = 0; r < 4; r++) for (let v = 0; v < 2; v++) p(`    (local $c${r}${v} v128)`);
  // byte address of A[a + (i + r)*sAi + k*sAk]
  const aAddr = (r) => `(i32.shl (i32.add (i32.add (local.get $a) (i32.mul (i32.add (local.get $i) (i32.const ${r})) (local.get $sAi))) (i32.mul (local.get $k) (local.get $sAk))) (i32.const 2))`;
  const cAddr = (r) => `(i32.shl (i32.add (i32.add (local.get $c) (i32.mul (i32.add (local.get $i) (i32.const ${r})) (local.get $N))) (local.get $j)) (i32.const 2))`;
  const bAddr = `(i32.shl (i32.add (i32.add (local.get $b) (i32.mul (local.get $k) (local.get $sBk))) (local.get $j)) (i32.const 2))`;
  // One block of R rows × V vectors (4 floats each) at (i, j).
  const block = (R, V) => {
    for (let r = 0; r < R; r++) for (let v = 0; v < V; v++) p(`        (local.set $c${r}${v} (v128.const f32x4 0 0 0 0))`);
    p(`        (local.set $k (i32.const 0))`);
    p(`        (block $kdone (loop $kloop`);
    p(`          (br_if $kdone (i32.ge_s (local.get $k) (local.get $K)))`);
    p(`          (local.set $bp ${bAddr})`);
    for (let v = 0; v < V; v++) p(`          (local.set $b${v} (v128.load offset=${16 * v} (local.get $bp)))`);
    for (let r = 0; r < R; r++) {
      p(`          (local.set $av (f32x4.splat (f32.load ${aAddr(r)})))`);
      for (let v = 0; v < V; v++) p(`          (local.set $c${r}${v} (f32x4.add (local.get $c${r}${v}) (f32x4.mul (local.get $av) (local.get $b${v}))))`);
    }
    p(`          (local.set $k (i32.add (local.get $k) (i32.const 1)))`);
    p(`          (br $kloop)))`);
    for (let r = 0; r < R; r++) {
      p(`        (local.set $cp ${cAddr(r)})`);
      for (let v = 0; v < V; v++) p(`        (v128.store offset=${16 * v} (local.get $cp) (local.get $c${r}${v}))`);
    }
  };
  // Scalar tail: one element (i + r, j).
  const scalar = (R) => {
    for (let r = 0; r < R; r++) {
      p(`        (local.set $s (f32.const 0))`);
      p(`        (local.set $k (i32.const 0))`);
      p(`        (block $sdone${r} (loop $sloop${r}`);
      p(`          (br_if $sdone${r} (i32.ge_s (local.get $k) (local.get $K)))`);
      p(`          (local.set $s (f32.add (local.get $s) (f32.mul (f32.load ${aAddr(r)}) (f32.load ${bAddr}))))`);
      p(`          (local.set $k (i32.add (local.get $k) (i32.const 1)))`);
      p(`          (br $sloop${r})))`);
      p(`        (f32.store ${cAddr(r)} (local.get $s))`);
    }
  };
  // Rows in groups of R (4, then 1 for the rest); columns in 8s, then 4s, then one at a time.
  const rows = (R, label) => {
    p(`    (block $${label}done (loop $${label}loop`);
    p(`      (br_if $${label}done (i32.gt_s (i32.add (local.get $i) (i32.const ${R - 1})) (i32.sub (local.get $M) (i32.const 1))))`);
    p(`      (local.set $j (i32.const 0))`);
    p(`      (block $j8done (loop $j8loop`);
    p(`        (br_if $j8done (i32.gt_s (i32.add (local.get $j) (i32.const 7)) (i32.sub (local.get $N) (i32.const 1))))`);
    block(R, 2);
    p(`        (local.set $j (i32.add (local.get $j) (i32.const 8)))`);
    p(`        (br $j8loop)))`);
    p(`      (block $j4done (loop $j4loop`);
    p(`        (br_if $j4done (i32.gt_s (i32.add (local.get $j) (i32.const 3)) (i32.sub (local.get $N) (i32.const 1))))`);
    block(R, 1);
    p(`        (local.set $j (i32.add (local.get $j) (i32.const 4)))`);
    p(`        (br $j4loop)))`);
    p(`      (block $j1done (loop $j1loop`);
    p(`        (br_if $j1done (i32.ge_s (local.get $j) (local.get $N)))`);
    scalar(R);
    p(`        (local.set $j (i32.add (local.get $j) (i32.const 1)))`);
    p(`        (br $j1loop)))`);
    p(`      (local.set $i (i32.add (local.get $i) (i32.const ${R})))`);
    p(`      (br $${label}loop)))`);
  };
  p(`    (local.set $i (i32.const 0))`);
  rows(4, "r4");
  rows(1, "r1");
  p(`  )`);
  p(`)`);
  return L.join("\n") + "\n";
}
