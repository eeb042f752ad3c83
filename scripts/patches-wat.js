// The WebAssembly text of the runtime's im2col and col2im (runtime/gemm.ts), the two moves between an
// NHWC image and the patch matrix a convolution multiplies on the SIMD product (compiler/ops/convSimd.ts):
//
//   im2col  P[m, (kh·KW + kw)·C + ci] = x[b, ih, iw, ci], or 0 where the tap falls in the padding
//   col2im  x[b, ih, iw, ci] += P[m, (kh·KW + kw)·C + ci] for the taps inside x, pixel after pixel
//
// with m = (b·OH + oh)·OW + ow, ih = oh·sh − pt + kh·dh and iw = ow·sw − pl + kw·dw; every offset in
// float32 elements of the module's memory. Generated JavaScript moved these one float at a time (25
// stores per output pixel of a 5×5 filter on one channel, ~1.5 ns each: most of the MNIST CNN's step
// outside its products); here a filter row whose taps all lie inside x is one run of KW·C floats,
// moved four at a time, and a tap outside is C zeros (im2col) or skipped (col2im).
//
// col2im adds into x in the order of the output pixels, each pixel's taps touching distinct elements
// of x: the same sums, rounded to float32 after each addition, as the loop nest it replaces.
// Appended to the product's module by scripts/gemm-wat.js.

const PARAMS = ["x", "p", "n", "H", "W", "C", "KH", "KW", "OH", "OW", "sh", "sw", "dh", "dw", "pt", "pl"];

/** The two functions' text, for the module that holds the product. */
export function patchesWat() {
  return [patchFunction("im2col", false), patchFunction("col2im", true)].join("\n");
}

function patchFunction(name, add) {
  const L = [];
  const p = (s) => L.push(s);
  const get = (v) => `(local.get $${v})`;
  const set = (v, e) => p(`${indent}(local.set $${v} ${e})`);
  let indent = "    ";
  /** A counted loop over `v` from 0 while v < `limit` (limit ≥ 1, checked by the caller). */
  const loop = (v, limit, body) => {
    set(v, "(i32.const 0)");
    p(`${indent}(loop $${v}Loop`);
    indent += "  ";
    body();
    p(`${indent}(br_if $${v}Loop (i32.lt_s (local.tee $${v} (i32.add ${get(v)} (i32.const 1))) ${get(limit)}))`);
    indent = indent.slice(2);
    p(`${indent})`);
  };
  /** Moves `bytes` bytes between x (byte address `xa`) and P (`pa`): 16 at a time, then 4 at a time. */
  const move = (xa, pa, bytes) => {
    set("xs", xa);
    set("ps", pa);
    set("len", bytes);
    const each = (width, load, store, plus) => {
      p(`${indent}(block $done${width} (loop $move${width}`);
      p(`${indent}  (br_if $done${width} (i32.lt_s ${get("len")} (i32.const ${width})))`);
      p(add ? `${indent}  (${store} ${get("xs")} (${plus} (${load} ${get("xs")}) (${load} ${get("ps")})))` : `${indent}  (${store} ${get("ps")} (${load} ${get("xs")}))`);
      p(`${indent}  (local.set $xs (i32.add ${get("xs")} (i32.const ${width})))`);
      p(`${indent}  (local.set $ps (i32.add ${get("ps")} (i32.const ${width})))`);
      p(`${indent}  (local.set $len (i32.sub ${get("len")} (i32.const ${width})))`);
      p(`${indent}  (br $move${width})))`);
    };
    if (add) {
      each(16, "v128.load", "v128.store", "f32x4.add");
      each(4, "f32.load", "f32.store", "f32.add");
      return;
    }
    // A copy of 16 bytes or more ends with the vector of its last 16 bytes, which may overlap the one
    // before it (writing the same values twice): a run of 5 floats is two vector moves, without a scalar
    // tail loop. (col2im cannot: it would add the overlap twice.)
    p(`${indent}(if (i32.ge_s ${get("len")} (i32.const 16)) (then`);
    p(`${indent}  (block $doneTail (loop $moveTail`);
    p(`${indent}    (br_if $doneTail (i32.le_s ${get("len")} (i32.const 16)))`);
    p(`${indent}    (v128.store ${get("ps")} (v128.load ${get("xs")}))`);
    p(`${indent}    (local.set $xs (i32.add ${get("xs")} (i32.const 16)))`);
    p(`${indent}    (local.set $ps (i32.add ${get("ps")} (i32.const 16)))`);
    p(`${indent}    (local.set $len (i32.sub ${get("len")} (i32.const 16)))`);
    p(`${indent}    (br $moveTail)))`);
    p(`${indent}  (v128.store offset=0 (i32.sub (i32.add ${get("ps")} ${get("len")}) (i32.const 16)) (v128.load (i32.sub (i32.add ${get("xs")} ${get("len")}) (i32.const 16))))`);
    p(`${indent}) (else`);
    indent += "  ";
    each(4, "f32.load", "f32.store", "f32.add");
    indent = indent.slice(2);
    p(`${indent}))`);
  };
  /** A tap in the padding: im2col writes zeros into P; col2im has nothing to add back. */
  const zeros = (bytes) => {
    if (!add) p(`${indent}(memory.fill ${get("pp")} (i32.const 0) ${bytes})`);
  };
  /** Output pixels [from, to) of the output row, each filter tap checked against x's width. */
  const tapByTap = (from, to) => {
    set("ow", from);
    p(`${indent}(block $tapsDone (loop $taps`);
    indent += "  ";
    p(`${indent}(br_if $tapsDone (i32.ge_s ${get("ow")} ${to}))`);
    set("iw0", `(i32.sub (i32.mul ${get("ow")} ${get("sw")}) ${get("pl")})`);
    set("pp", `(i32.add ${get("pk")} (i32.mul ${get("ow")} ${get("K4")}))`);
    set("kw", "(i32.const 0)");
    p(`${indent}(loop $kwLoop`);
    indent += "  ";
    set("iw", `(i32.add ${get("iw0")} (i32.mul ${get("kw")} ${get("dw")}))`);
    p(`${indent}(if (i32.ge_u ${get("iw")} ${get("W")}) (then`);
    zeros(get("C4"));
    p(`${indent}) (else`);
    indent += "  ";
    move(byteOfPixel(`(i32.add ${get("row")} ${get("iw")})`), get("pp"), get("C4"));
    indent = indent.slice(2);
    p(`${indent}))`);
    p(`${indent}(local.set $pp (i32.add ${get("pp")} ${get("C4")}))`);
    p(`${indent}(br_if $kwLoop (i32.lt_s (local.tee $kw (i32.add ${get("kw")} (i32.const 1))) ${get("KW")}))`);
    indent = indent.slice(2);
    p(`${indent})`);
    set("ow", `(i32.add ${get("ow")} (i32.const 1))`);
    p(`${indent}(br $taps)`);
    indent = indent.slice(2);
    p(`${indent}))`);
  };
  const byteOfPixel = (pixel) => `(i32.add ${get("x4")} (i32.mul ${pixel} ${get("C4")}))`;
  p(`  (func (export "${name}") ${PARAMS.map((v) => `(param $${v} i32)`).join(" ")}`);
  p(`    (local $b i32) (local $oh i32) (local $ow i32) (local $kh i32) (local $kw i32) (local $ih i32) (local $iw i32) (local $iw0 i32) (local $row i32)`);
  p(`    (local $x4 i32) (local $p4 i32) (local $pk i32) (local $pp i32) (local $C4 i32) (local $K4 i32) (local $run i32) (local $xs i32) (local $ps i32) (local $len i32)`);
  p(`    (local $owLo i32) (local $owHi i32) (local $xa i32) (local $pa i32) (local $xStep i32)`);
  p(`    (if (i32.le_s ${get("n")} (i32.const 0)) (then (return)))`);
  set("x4", `(i32.shl ${get("x")} (i32.const 2))`);
  set("p4", `(i32.shl ${get("p")} (i32.const 2))`);
  set("C4", `(i32.shl ${get("C")} (i32.const 2))`);
  set("run", `(i32.mul ${get("KW")} ${get("C4")})`);
  set("K4", `(i32.mul ${get("KH")} ${get("run")})`);
  set("xStep", `(i32.mul ${get("sw")} ${get("C4")})`);
  // The output pixels whose filter row lies whole inside x's width, its taps adjacent (no dilation
  // along the row): from the first with ow·sw − pl ≥ 0 to the last with ow·sw − pl + KW ≤ W.
  set("owLo", `(i32.div_s (i32.add ${get("pl")} (i32.sub ${get("sw")} (i32.const 1))) ${get("sw")})`);
  set("owHi", `(i32.add (i32.div_s (i32.sub (i32.add ${get("W")} ${get("pl")}) ${get("KW")}) ${get("sw")}) (i32.const 1))`);
  // (W + pl − KW < 0: no pixel; div_s rounds toward zero, so clamp)
  p(`    (if (i32.lt_s (i32.add ${get("W")} ${get("pl")}) ${get("KW")}) (then (local.set $owHi (i32.const 0))))`);
  p(`    (if (i32.gt_s ${get("owHi")} ${get("OW")}) (then (local.set $owHi ${get("OW")})))`);
  p(`    (if (i32.ne ${get("dw")} (i32.const 1)) (then (local.set $owHi (i32.const 0))))`);
  p(`    (if (i32.gt_s ${get("owLo")} ${get("OW")}) (then (local.set $owLo ${get("OW")})))`);
  p(`    (if (i32.lt_s ${get("owHi")} ${get("owLo")}) (then (local.set $owHi ${get("owLo")})))`);
  // Filter rows outside, output pixels of an output row inside: the row of x a filter row reads is
  // then fixed while the inner loop walks along it. (col2im's sums keep their order: for one element
  // of x and one output row, one filter row at most reads it.)
  loop("b", "n", () =>
    loop("oh", "OH", () =>
      loop("kh", "KH", () => {
        set("ih", `(i32.add (i32.sub (i32.mul ${get("oh")} ${get("sh")}) ${get("pt")}) (i32.mul ${get("kh")} ${get("dh")}))`);
        // P's entry of (b, oh, ow = 0) and this filter row's first tap.
        set("pk", `(i32.add (i32.add ${get("p4")} (i32.mul (i32.mul (i32.add (i32.mul ${get("b")} ${get("OH")}) ${get("oh")}) ${get("OW")}) ${get("K4")})) (i32.mul ${get("kh")} ${get("run")}))`);
        // ih outside [0, H) (a negative ih is a large unsigned number): the filter row is in the padding for every pixel of the output row.
        p(`${indent}(if (i32.ge_u ${get("ih")} ${get("H")}) (then`);
        indent += "  ";
        if (!add) loop("ow", "OW", () => p(`${indent}(memory.fill (i32.add ${get("pk")} (i32.mul ${get("ow")} ${get("K4")})) (i32.const 0) ${get("run")})`));
        indent = indent.slice(2);
        p(`${indent}) (else`);
        indent += "  ";
        set("row", `(i32.mul (i32.add (i32.mul ${get("b")} ${get("H")}) ${get("ih")}) ${get("W")})`);
        // Output pixels [owLo, owHi) read their filter row whole: one run of KW·C floats each, a fixed
        // step apart in x and in P. Those before and after it go tap by tap.
        tapByTap("(i32.const 0)", get("owLo"));
        p(`${indent}(if (i32.lt_s ${get("owLo")} ${get("owHi")}) (then`);
        indent += "  ";
        set("xa", byteOfPixel(`(i32.add ${get("row")} (i32.sub (i32.mul ${get("owLo")} ${get("sw")}) ${get("pl")}))`));
        set("pa", `(i32.add ${get("pk")} (i32.mul ${get("owLo")} ${get("K4")}))`);
        set("ow", `(i32.sub ${get("owHi")} ${get("owLo")})`);
        p(`${indent}(loop $runs`);
        indent += "  ";
        move(get("xa"), get("pa"), get("run"));
        set("xa", `(i32.add ${get("xa")} ${get("xStep")})`);
        set("pa", `(i32.add ${get("pa")} ${get("K4")})`);
        p(`${indent}(br_if $runs (local.tee $ow (i32.sub ${get("ow")} (i32.const 1)))))`);
        indent = indent.slice(2);
        indent = indent.slice(2);
        p(`${indent}))`);
        tapByTap(get("owHi"), get("OW"));
        indent = indent.slice(2);
        p(`${indent}))`);
      }),
    ),
  );
  p(`  )`);
  return L.join("\n");
}
