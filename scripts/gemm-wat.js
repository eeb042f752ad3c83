// The WebAssembly text of the runtime's f32 matrix product (runtime/gemm.ts), written out by a program
// because its blocks are unrolled: C[c + i·N + j] = Σ_k A[a + i·sAi + k·sAk] · B[b + k·sBk + j·sBj], all
// in float32 elements of the module's memory.
//
// Loop order (outermost first): K in panels of KC, columns of C in panels of 4·VECTORS, rows of C in
// blocks of ROWS (then single rows). For each K-panel × column panel, B's KC × 4·VECTORS sub-panel is
// first packed into a contiguous scratch area (offset `w`, KC·4·VECTORS floats): it then stays in L1
// while every row block of C streams past it, and its rows are 4·VECTORS floats apart instead of N (a
// row stride of 2 KB, N = 512, maps every row of B to the same two L1 sets). The same packing reads a
// transposed B (sBj ≠ 1: δ·Wᵀ) with scalar loads. Leftover columns go in 8s and 4s (packed alike),
// then one at a time straight from B.
//
// Inside a block: ROWS × VECTORS f32x4 accumulators, one splat of A per row and VECTORS vector loads
// of packed B per k. Each product is rounded to f32 and each sum too, in k order (the default kernel has
// no fused multiply-add), the same on every machine: a K-panel after the first resumes from the f32
// partial sums it left in C, which is exactly the sum it would have carried in a register. So the
// blocking changes speed, never a bit of the result.
//
// The fused variant (`fma: true`, the opt-in `fastMath`) replaces each vector mul + add by
// f32x4.relaxed_madd, which an engine may compute fused (one rounding) or not: results may differ in the
// last bits from the default, and between machines. It needs relaxed SIMD in the engine.
//
// The block and panel are chosen by measurement (bench/gemmKernel.ts; bench/README.md has the numbers).
// scripts/gemm-wasm.js assembles it into runtime/gemmWasm.ts. The module also holds the convolutions'
// im2col and col2im (scripts/patches-wat.js), the products' bias + ReLU epilogue
// (scripts/epilogue-wat.js), max pooling (scripts/pool-wat.js), the float32 SGD update
// (scripts/update-wat.js), direct convolutions for few input channels (scripts/conv-wat.js), the ReLU′
// mask of a gradient (scripts/mask-wat.js) and column sums (scripts/sums-wat.js), which work on the same
// memory.
import { convWat } from "./conv-wat.js";
import { epilogueWat } from "./epilogue-wat.js";
import { maskWat } from "./mask-wat.js";
import { patchesWat } from "./patches-wat.js";
import { poolWat } from "./pool-wat.js";
import { sumsWat } from "./sums-wat.js";
import { updateWat } from "./update-wat.js";

export const GEMM_BLOCK = { rows: 2, vectors: 4, transposed: { rows: 4, vectors: 2 }, kc: 256 };

export function gemmWat({ rows = GEMM_BLOCK.rows, vectors = GEMM_BLOCK.vectors, transposed = GEMM_BLOCK.transposed, kc: KC = GEMM_BLOCK.kc, fma = false } = {}) {
  const RMAX = Math.max(rows, transposed.rows), VMAX = Math.max(vectors, transposed.vectors);
  const L = [];
  const p = (s) => L.push(s);
  const get = (name) => `(local.get $${name})`;
  const madd = (acc, a, b) => (fma ? `(f32x4.relaxed_madd ${a} ${b} ${acc})` : `(f32x4.add ${acc} (f32x4.mul ${a} ${b}))`);
  let labels = 0;
  const label = (s) => `${s}${labels++}`;
  p(`(module`);
  p(`  (import "env" "memory" (memory 1))`);
  p(`  (func (export "gemm") (param $M i32) (param $N i32) (param $K i32) (param $a i32) (param $sAi i32) (param $sAk i32) (param $b i32) (param $sBk i32) (param $sBj i32) (param $c i32) (param $w i32)`);
  p(`    (local $i i32) (local $j i32) (local $k i32) (local $kk i32) (local $kc i32) (local $first i32) (local $ap i32) (local $bp i32) (local $cp i32) (local $wp i32) (local $av v128) (local $s f32)`);
  p(`    (local $sAi4 i32) (local $sAk4 i32) (local $sBk4 i32) (local $sBj4 i32) (local $N4 i32) (local $w4 i32)`);
  for (let v = 0; v < VMAX; v++) p(`    (local $b${v} v128)`);
  for (let r = 1; r < RMAX; r++) p(`    (local $o${r} i32)`); // byte offset of row i + r from row i
  for (let r = 0; r < RMAX; r++) for (let v = 0; v < VMAX; v++) p(`    (local $c${r}_${v} v128)`);
  p(`    (local.set $sAi4 (i32.shl ${get("sAi")} (i32.const 2)))`);
  p(`    (local.set $sAk4 (i32.shl ${get("sAk")} (i32.const 2)))`);
  p(`    (local.set $sBk4 (i32.shl ${get("sBk")} (i32.const 2)))`);
  p(`    (local.set $sBj4 (i32.shl ${get("sBj")} (i32.const 2)))`);
  p(`    (local.set $N4 (i32.shl ${get("N")} (i32.const 2)))`);
  p(`    (local.set $w4 (i32.shl ${get("w")} (i32.const 2)))`);
  for (let r = 1; r < RMAX; r++) p(`    (local.set $o${r} (i32.mul ${get("sAi4")} (i32.const ${r})))`);
  // Byte address of A(i, kk), of B(kk, j) and of C(i, j).
  const aStart = `(i32.shl (i32.add (i32.add ${get("a")} (i32.mul ${get("i")} ${get("sAi")})) (i32.mul ${get("kk")} ${get("sAk")})) (i32.const 2))`;
  const bStart = `(i32.shl (i32.add (i32.add ${get("b")} (i32.mul ${get("kk")} ${get("sBk")})) (i32.mul ${get("j")} ${get("sBj")})) (i32.const 2))`;
  const cStart = `(i32.shl (i32.add (i32.add ${get("c")} (i32.mul ${get("i")} ${get("N")})) ${get("j")}) (i32.const 2))`;
  const aRow = (r) => (r === 0 ? get("ap") : `(i32.add ${get("ap")} ${get(`o${r}`)})`);
  // C(i + r, j): the first row's address, then N floats further per row.
  const cRow = (r) => (r === 0 ? get("cp") : `(i32.add ${get("cp")} (i32.mul ${get("N4")} (i32.const ${r})))`);
  /** A loop of `count` (≥ 1) turns around `body`, counting $k down. */
  const countDown = (name, count, body) => {
    p(`        (local.set $k ${count})`);
    p(`        (loop $${name}`);
    body();
    p(`          (br_if $${name} (local.tee $k (i32.sub ${get("k")} (i32.const 1)))))`);
  };
  // Packs B(kk .. kk + kc, j .. j + 4V) into the scratch area, row after row (4V floats a row).
  const pack = (V) => {
    p(`        (local.set $bp ${bStart})`);
    p(`        (local.set $wp ${get("w4")})`);
    p(`        (if (i32.eq ${get("sBj")} (i32.const 1)) (then`);
    countDown(label("packrows"), get("kc"), () => {
      for (let v = 0; v < V; v++) p(`          (v128.store offset=${16 * v} ${get("wp")} (v128.load offset=${16 * v} ${get("bp")}))`);
      p(`          (local.set $bp (i32.add ${get("bp")} ${get("sBk4")}))`);
      p(`          (local.set $wp (i32.add ${get("wp")} (i32.const ${16 * V})))`);
    });
    p(`        ) (else`);
    countDown(label("packcols"), get("kc"), () => {
      for (let q = 0; q < 4 * V; q++) {
        const at = q === 0 ? get("bp") : `(i32.add ${get("bp")} (i32.mul ${get("sBj4")} (i32.const ${q})))`;
        p(`          (f32.store offset=${4 * q} ${get("wp")} (f32.load ${at}))`);
      }
      p(`          (local.set $bp (i32.add ${get("bp")} ${get("sBk4")}))`);
      p(`          (local.set $wp (i32.add ${get("wp")} (i32.const ${16 * V})))`);
    });
    p(`        ))`);
  };
  // One block of R rows × V vectors (4 floats each) at (i, j) over the K-panel, B packed.
  const block = (R, V) => {
    p(`        (local.set $cp ${cStart})`);
    p(`        (if ${get("first")} (then`);
    for (let r = 0; r < R; r++) for (let v = 0; v < V; v++) p(`          (local.set $c${r}_${v} (v128.const f32x4 0 0 0 0))`);
    p(`        ) (else`);
    for (let r = 0; r < R; r++) for (let v = 0; v < V; v++) p(`          (local.set $c${r}_${v} (v128.load offset=${16 * v} ${cRow(r)}))`);
    p(`        ))`);
    p(`        (local.set $ap ${aStart})`);
    p(`        (local.set $bp ${get("w4")})`);
    countDown(label("k"), get("kc"), () => {
      for (let v = 0; v < V; v++) p(`          (local.set $b${v} (v128.load offset=${16 * v} ${get("bp")}))`);
      for (let r = 0; r < R; r++) {
        p(`          (local.set $av (v128.load32_splat ${aRow(r)}))`);
        for (let v = 0; v < V; v++) p(`          (local.set $c${r}_${v} ${madd(get(`c${r}_${v}`), get("av"), get(`b${v}`))})`);
      }
      p(`          (local.set $ap (i32.add ${get("ap")} ${get("sAk4")}))`);
      p(`          (local.set $bp (i32.add ${get("bp")} (i32.const ${16 * V})))`);
    });
    for (let r = 0; r < R; r++) for (let v = 0; v < V; v++) p(`        (v128.store offset=${16 * v} ${cRow(r)} (local.get $c${r}_${v}))`);
  };
  // Scalar tail: one column j of R rows, B read in place.
  const scalar = (R) => {
    p(`        (local.set $cp ${cStart})`);
    for (let r = 0; r < R; r++) {
      p(`        (local.set $s (select (f32.const 0) (f32.load ${cRow(r)}) ${get("first")}))`);
      p(`        (local.set $ap ${aStart})`);
      p(`        (local.set $bp ${bStart})`);
      countDown(label("s"), get("kc"), () => {
        p(`          (local.set $s (f32.add ${get("s")} (f32.mul (f32.load ${aRow(r)}) (f32.load ${get("bp")}))))`);
        p(`          (local.set $ap (i32.add ${get("ap")} ${get("sAk4")}))`);
        p(`          (local.set $bp (i32.add ${get("bp")} ${get("sBk4")}))`);
      });
      p(`        (f32.store ${cRow(r)} ${get("s")})`);
    }
  };
  /** Every row of C over one column panel: blocks of R0 rows, then single rows. */
  const rowsOf = (R0, each) => {
    p(`        (local.set $i (i32.const 0))`);
    for (const R of [...new Set([R0, 1])]) {
      const name = label("rows");
      p(`        (block $${name}done (loop $${name}`);
      p(`        (br_if $${name}done (i32.gt_s (i32.add ${get("i")} (i32.const ${R - 1})) (i32.sub ${get("M")} (i32.const 1))))`);
      each(R);
      p(`        (local.set $i (i32.add ${get("i")} (i32.const ${R})))`);
      p(`        (br $${name})))`);
    }
  };
  /** The whole product with blocks of R0 rows × 4·V0 columns. */
  const product = (R0, V0) => {
    const panels = label("panels");
    p(`    (local.set $kk (i32.const 0))`);
    p(`    (loop $${panels}`);
    p(`      (local.set $kc (i32.sub ${get("K")} ${get("kk")}))`);
    p(`      (if (i32.gt_s ${get("kc")} (i32.const ${KC})) (then (local.set $kc (i32.const ${KC}))))`);
    p(`      (local.set $first (i32.eqz ${get("kk")}))`);
    p(`      (local.set $j (i32.const 0))`);
    // Columns in panels of 4·V0, then 8s and 4s, then one at a time.
    for (const V of [...new Set([V0, 2, 1])].filter((v) => v <= V0)) {
      const name = label("cols");
      p(`      (block $${name}done (loop $${name}`);
      p(`        (br_if $${name}done (i32.gt_s (i32.add ${get("j")} (i32.const ${4 * V - 1})) (i32.sub ${get("N")} (i32.const 1))))`);
      pack(V);
      rowsOf(R0, (R) => block(R, V));
      p(`        (local.set $j (i32.add ${get("j")} (i32.const ${4 * V})))`);
      p(`        (br $${name})))`);
    }
    const name = label("cols");
    p(`      (block $${name}done (loop $${name}`);
    p(`        (br_if $${name}done (i32.ge_s ${get("j")} ${get("N")}))`);
    rowsOf(R0, (R) => scalar(R));
    p(`        (local.set $j (i32.add ${get("j")} (i32.const 1)))`);
    p(`        (br $${name})))`);
    p(`      (br_if $${panels} (i32.lt_s (local.tee $kk (i32.add ${get("kk")} (i32.const ${KC}))) ${get("K")})))`);
  };
  // K = 0: C is all zeros (the loops below run their body at least once per block).
  p(`    (if (i32.le_s ${get("K")} (i32.const 0)) (then (memory.fill (i32.shl ${get("c")} (i32.const 2)) (i32.const 0) (i32.shl (i32.mul ${get("M")} ${get("N")}) (i32.const 2))) (return)))`);
  // A read transposed (its rows adjacent in memory: xᵀ·δ) measured faster with another block.
  p(`    (if (i32.eq ${get("sAi")} (i32.const 1)) (then`);
  product(transposed.rows, transposed.vectors);
  p(`    ) (else`);
  product(rows, vectors);
  p(`    ))`);
  p(`  )`);
  p(patchesWat());
  p(epilogueWat());
  p(poolWat());
  p(updateWat());
  p(convWat());
  p(maskWat());
  p(sumsWat());
  p(`)`);
  return L.join("\n") + "\n";
}
