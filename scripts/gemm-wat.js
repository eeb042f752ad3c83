// The WebAssembly text of the runtime's f32 matrix product (runtime/gemm.ts), written out by a program
// because its blocks are unrolled: C[i·N + j] = Σ_k A[a + i·sAi + k·sAk] · B[b + k·sBk + j], all in
// float32 elements of the module's memory. Rows go ROWS at a time and columns 4·VECTORS at a time (ROWS ×
// VECTORS f32x4 accumulators, one splat of A per row and VECTORS vector loads of B per k), then 8 and
// 4 columns, then single elements; leftover rows one at a time. Each product is rounded to f32 and each
// sum too, in k order (WebAssembly SIMD has no fused multiply-add), the same on every machine.
//
// The k loop walks pointers (A's and B's byte addresses advance by their k strides; the rows of A are
// fixed byte offsets from the first) instead of recomputing addresses with multiplications each step.
// The block is chosen by measurement (bench/gemmKernel.ts; bench/README.md has the numbers): ROWS ×
// VECTORS accumulators plus VECTORS B vectors and one splat must fit x64's 16 vector registers, and
// blocks of 12 or more accumulators ran slower in V8 than 4 × 8 and 2 × 16, and 2 × 16 beat 4 × 8
// by 1.06–1.14× on W3's and W4's products (2026-12-06). Packing B into contiguous
// panels gained at most 5%, within the noise, so B is read in place.
// scripts/gemm-wasm.js assembles it into runtime/gemmWasm.ts.
export const GEMM_BLOCK = { rows: 2, vectors: 4 };

export function gemmWat({ rows: R0 = GEMM_BLOCK.rows, vectors: V0 = GEMM_BLOCK.vectors } = {}) {
  const L = [];
  const p = (s) => L.push(s);
  const get = (name) => `(local.get $${name})`;
  p(`(module`);
  p(`  (import "env" "memory" (memory 1))`);
  p(`  (func (export "gemm") (param $M i32) (param $N i32) (param $K i32) (param $a i32) (param $sAi i32) (param $sAk i32) (param $b i32) (param $sBk i32) (param $c i32)`);
  p(`    (local $i i32) (local $j i32) (local $k i32) (local $ap i32) (local $bp i32) (local $cp i32) (local $av v128) (local $s f32)`);
  p(`    (local $sAi4 i32) (local $sAk4 i32) (local $sBk4 i32) (local $N4 i32)`);
  for (let v = 0; v < V0; v++) p(`    (local $b${v} v128)`);
  for (let r = 1; r < R0; r++) p(`    (local $o${r} i32)`); // byte offset of row i + r from row i
  for (let r = 0; r < R0; r++) for (let v = 0; v < V0; v++) p(`    (local $c${r}_${v} v128)`);
  p(`    (local.set $sAi4 (i32.shl ${get("sAi")} (i32.const 2)))`);
  p(`    (local.set $sAk4 (i32.shl ${get("sAk")} (i32.const 2)))`);
  p(`    (local.set $sBk4 (i32.shl ${get("sBk")} (i32.const 2)))`);
  p(`    (local.set $N4 (i32.shl ${get("N")} (i32.const 2)))`);
  for (let r = 1; r < R0; r++) p(`    (local.set $o${r} (i32.mul ${get("sAi4")} (i32.const ${r})))`);
  // Byte address of A(i, 0) and of B(0, j).
  const aStart = `(i32.shl (i32.add ${get("a")} (i32.mul ${get("i")} ${get("sAi")})) (i32.const 2))`;
  const bStart = `(i32.shl (i32.add ${get("b")} ${get("j")}) (i32.const 2))`;
  const aRow = (r) => (r === 0 ? get("ap") : `(i32.add ${get("ap")} ${get(`o${r}`)})`);
  // C(i + r, j): the first row's address, then N floats further per row.
  const cRow = (r) => (r === 0 ? get("cp") : `(i32.add ${get("cp")} (i32.mul ${get("N4")} (i32.const ${r})))`);
  const cStart = `(i32.shl (i32.add (i32.add ${get("c")} (i32.mul ${get("i")} ${get("N")})) ${get("j")}) (i32.const 2))`;
  /** The k loop around `body`, advancing the A and B pointers (K ≥ 1 is checked once, at entry). */
  const kLoop = (label, body) => {
    p(`        (local.set $ap ${aStart})`);
    p(`        (local.set $bp ${bStart})`);
    p(`        (local.set $k ${get("K")})`);
    p(`        (loop $${label}`);
    body();
    p(`          (local.set $ap (i32.add ${get("ap")} ${get("sAk4")}))`);
    p(`          (local.set $bp (i32.add ${get("bp")} ${get("sBk4")}))`);
    p(`          (br_if $${label} (local.tee $k (i32.sub ${get("k")} (i32.const 1)))))`);
  };
  // One block of R rows × V vectors (4 floats each) at (i, j).
  const block = (R, V, label) => {
    for (let r = 0; r < R; r++) for (let v = 0; v < V; v++) p(`        (local.set $c${r}_${v} (v128.const f32x4 0 0 0 0))`);
    kLoop(label, () => {
      for (let v = 0; v < V; v++) p(`          (local.set $b${v} (v128.load offset=${16 * v} ${get("bp")}))`);
      for (let r = 0; r < R; r++) {
        p(`          (local.set $av (f32x4.splat (f32.load ${aRow(r)})))`);
        for (let v = 0; v < V; v++) p(`          (local.set $c${r}_${v} (f32x4.add (local.get $c${r}_${v}) (f32x4.mul ${get("av")} ${get(`b${v}`)})))`);
      }
    });
    p(`        (local.set $cp ${cStart})`);
    for (let r = 0; r < R; r++) for (let v = 0; v < V; v++) p(`        (v128.store offset=${16 * v} ${cRow(r)} (local.get $c${r}_${v}))`);
  };
  // Scalar tail: one column j of R rows.
  const scalar = (R, label) => {
    for (let r = 0; r < R; r++) {
      p(`        (local.set $s (f32.const 0))`);
      kLoop(`${label}_${r}`, () => {
        p(`          (local.set $s (f32.add ${get("s")} (f32.mul (f32.load ${aRow(r)}) (f32.load ${get("bp")}))))`);
      });
      p(`        (local.set $cp ${cStart})`);
      p(`        (f32.store ${cRow(r)} ${get("s")})`);
    }
  };
  // Rows in groups of R (R0, then 1 for the rest); columns in 4·V0s, then 8s and 4s, then one at a time.
  const rowGroups = (R, label) => {
    p(`    (block $${label}done (loop $${label}loop`);
    p(`      (br_if $${label}done (i32.gt_s (i32.add ${get("i")} (i32.const ${R - 1})) (i32.sub ${get("M")} (i32.const 1))))`);
    p(`      (local.set $j (i32.const 0))`);
    const columnGroups = [...new Set([V0, 2, 1])].filter((v) => v <= V0); // e.g. 16, 8, then 4 columns
    for (const V of columnGroups) {
      p(`      (block $${label}j${V}done (loop $${label}j${V}loop`);
      p(`        (br_if $${label}j${V}done (i32.gt_s (i32.add ${get("j")} (i32.const ${4 * V - 1})) (i32.sub ${get("N")} (i32.const 1))))`);
      block(R, V, `${label}k${V}`);
      p(`        (local.set $j (i32.add ${get("j")} (i32.const ${4 * V})))`);
      p(`        (br $${label}j${V}loop)))`);
    }
    p(`      (block $${label}j1done (loop $${label}j1loop`);
    p(`        (br_if $${label}j1done (i32.ge_s ${get("j")} ${get("N")}))`);
    scalar(R, `${label}s`);
    p(`        (local.set $j (i32.add ${get("j")} (i32.const 1)))`);
    p(`        (br $${label}j1loop)))`);
    p(`      (local.set $i (i32.add ${get("i")} (i32.const ${R})))`);
    p(`      (br $${label}loop)))`);
  };
  // K = 0: C is all zeros (the loops below run their body at least once per block).
  p(`    (if (i32.le_s ${get("K")} (i32.const 0)) (then (memory.fill (i32.shl ${get("c")} (i32.const 2)) (i32.const 0) (i32.shl (i32.mul ${get("M")} ${get("N")}) (i32.const 2))) (return)))`);
  p(`    (local.set $i (i32.const 0))`);
  rowGroups(R0, "r");
  if (R0 > 1) rowGroups(1, "one");
  p(`  )`);
  p(`)`);
  return L.join("\n") + "\n";
}
