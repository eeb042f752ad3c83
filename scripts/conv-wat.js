// The WebAssembly text of the runtime's direct convolution and filter gradient (runtime/gemm.ts
// `convForward`, `convFilter`), for a float32 convolution without padding whose output channels come in
// fours (compiler/ops/convSimd.ts takes it for one or two input channels): the products of im2col's
// patch matrix P without making P —
//
//   convForward  y[m, co]  = Σ_k P[m, k]·w[k, co]     m = (b·OH + oh)·OW + ow, k = (kh·KW + kw)·C + ci
//   convFilter   ∂w[k, co] = Σ_m P[m, k]·g[m, co]     P[m, k] = x[b, oh·sh + kh·dh, ow·sw + kw·dw, ci]
//
// reading x where P would have copied it from. The first convolution of the MNIST CNN has one input
// channel: P is 25 times x (921,600 floats a step, made twice: for the forward product and the filter
// gradient's), and making it took most of the time of the product it fed.
//
// Each tap's offset in x from its pixel's first element goes into a table first (`s`, K int32s), so the
// inner loop runs over the K taps whatever their (kh, kw, ci). Output channels four a vector, eight (two
// vectors) while they last; four output pixels (forward) or four taps (filter gradient) a block: 8
// accumulators, x's element broadcast, w's or g's row as vectors. The filter gradient goes over the
// pixels in panels of about 256 (g's rows of the panel stay in L1 while every block of taps passes over
// them), resuming each block from the float32 partial sums the panel before left in ∂w. Each sum starts
// at 0 and adds f32x4.mul products in k order (forward) or m order (filter gradient), rounded to float32
// at each step: the sums the SIMD product computes on P (scripts/gemm-wat.js), bit for bit.
// Appended to the product's module by scripts/gemm-wat.js.

const GEOMETRY = ["n", "H", "W", "C", "KH", "KW", "OH", "OW", "sh", "sw", "dh", "dw", "CO"];
/** Output pixels a panel of the filter gradient holds, about (whole output rows). */
const PANEL_PIXELS = 256;

export function convWat() {
  return [forward(), filter()].join("\n");
}

/** Text lines and the helpers both functions use. */
function writer() {
  const L = [];
  const state = { indent: "    " };
  const p = (s) => L.push(state.indent + s);
  const get = (v) => `(local.get $${v})`;
  const set = (v, e) => p(`(local.set $${v} ${e})`);
  const nest = (open, body, close = ")") => {
    p(open);
    state.indent += "  ";
    body();
    state.indent = state.indent.slice(2);
    p(close);
  };
  /** v from `from` while v < limit, step 1. */
  const loop = (v, limit, body, from = "(i32.const 0)") => {
    set(v, from);
    nest(`(block $${v}Done (loop $${v}Loop`, () => {
      p(`(br_if $${v}Done (i32.ge_s ${get(v)} ${limit}))`);
      body();
      set(v, `(i32.add ${get(v)} (i32.const 1))`);
      p(`(br $${v}Loop)`);
    }, "))");
  };
  /** `count` (≥ 1) turns of `body`, counting $left down. */
  const countDown = (name, count, body) => {
    set("left", count);
    nest(`(loop $${name}`, () => {
      body();
      p(`(br_if $${name} (local.tee $left (i32.sub ${get("left")} (i32.const 1))))`);
    });
  };
  const madd = (acc, x, w) => set(acc, `(f32x4.add ${get(acc)} (f32x4.mul ${x} ${w}))`);
  /** Blocks of 4·V output channels from co0: eight-channel blocks (V = 2) while they last, then fours. */
  const channelBlocks = (body) => {
    set("co0", "(i32.const 0)");
    for (const V of [2, 1]) {
      nest(`(block $co${V}Done (loop $co${V}Loop`, () => {
        p(`(br_if $co${V}Done (i32.gt_s (i32.add ${get("co0")} (i32.const ${4 * V})) ${get("CO")}))`);
        body(V);
        set("co0", `(i32.add ${get("co0")} (i32.const ${4 * V}))`);
        p(`(br $co${V}Loop)`);
      }, "))");
    }
  };
  /** The table of the K taps' byte offsets in x from a pixel's first element, at $s4. */
  const tapTable = () => {
    set("tp", get("s4"));
    loop("kh", get("KH"), () =>
      loop("kw", get("KW"), () =>
        loop("ci", get("C"), () => {
          p(`(i32.store ${get("tp")} (i32.shl (i32.add (i32.mul (i32.add (i32.mul (i32.mul ${get("kh")} ${get("dh")}) ${get("W")}) (i32.mul ${get("kw")} ${get("dw")})) ${get("C")}) ${get("ci")}) (i32.const 2)))`);
          set("tp", `(i32.add ${get("tp")} (i32.const 4))`);
        }),
      ),
    );
  };
  const common = (pointers) => {
    p(`(local $b i32) (local $oh i32) (local $ow i32) (local $kh i32) (local $kw i32) (local $ci i32) (local $co0 i32) (local $left i32) (local $K i32) (local $tp i32) (local $s4 i32)`);
    p(`(local $CO4 i32) (local $xStep i32) (local $xa i32) (local $off i32) ${pointers.map((v) => `(local $${v}4 i32)`).join(" ")}`);
    p(`(local $xv v128) (local $v0 v128) (local $v1 v128)`);
    p(Array.from({ length: 4 }, (_, r) => `(local $a${r}_0 v128) (local $a${r}_1 v128)`).join(" "));
    for (const v of [...pointers, "s"]) set(`${v}4`, `(i32.shl ${get(v)} (i32.const 2))`);
    set("CO4", `(i32.shl ${get("CO")} (i32.const 2))`);
    set("xStep", `(i32.shl (i32.mul ${get("sw")} ${get("C")}) (i32.const 2))`); // the next output pixel's x, in bytes
    set("K", `(i32.mul (i32.mul ${get("KH")} ${get("KW")}) ${get("C")})`);
    p(`(if (i32.or (i32.le_s ${get("n")} (i32.const 0)) (i32.le_s ${get("K")} (i32.const 0))) (then (return)))`);
    tapTable();
  };
  return { L, p, get, set, nest, loop, countDown, madd, channelBlocks, common };
}

function forward() {
  const { L, p, get, set, nest, loop, countDown, madd, channelBlocks, common } = writer();
  /** R output pixels from (b, oh, ow) × V vectors of output channels from co0, over the K taps. */
  const block = (R, V) => {
    for (let r = 0; r < R; r++) for (let v = 0; v < V; v++) set(`a${r}_${v}`, "(v128.const f32x4 0 0 0 0)");
    // The block's first pixel's first element of x, in bytes.
    set("xa", `(i32.add ${get("x4")} (i32.shl (i32.mul (i32.add (i32.mul (i32.add (i32.mul ${get("b")} ${get("H")}) (i32.mul ${get("oh")} ${get("sh")})) ${get("W")}) (i32.mul ${get("ow")} ${get("sw")})) ${get("C")}) (i32.const 2)))`);
    set("wp", `(i32.add ${get("w4")} (i32.shl ${get("co0")} (i32.const 2)))`);
    set("tp", get("s4"));
    countDown(`taps${R}_${V}`, get("K"), () => {
      set("off", `(i32.add ${get("xa")} (i32.load ${get("tp")}))`);
      for (let v = 0; v < V; v++) set(`v${v}`, `(v128.load offset=${16 * v} ${get("wp")})`);
      for (let r = 0; r < R; r++) {
        set("xv", `(v128.load32_splat ${r === 0 ? get("off") : `(i32.add ${get("off")} ${get(`xStep${r}`)})`})`);
        for (let v = 0; v < V; v++) madd(`a${r}_${v}`, get("xv"), get(`v${v}`));
      }
      set("tp", `(i32.add ${get("tp")} (i32.const 4))`);
      set("wp", `(i32.add ${get("wp")} ${get("CO4")})`);
    });
    // y(m, co0 …) for m = (b·OH + oh)·OW + ow + r.
    set("yp", `(i32.add ${get("y4")} (i32.shl (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul ${get("b")} ${get("OH")}) ${get("oh")}) ${get("OW")}) ${get("ow")}) ${get("CO")}) ${get("co0")}) (i32.const 2)))`);
    for (let r = 0; r < R; r++) for (let v = 0; v < V; v++) p(`(v128.store offset=${16 * v} ${r === 0 ? get("yp") : `(i32.add ${get("yp")} (i32.mul ${get("CO4")} (i32.const ${r})))`} ${get(`a${r}_${v}`)})`);
  };
  L.push(`  (func (export "convForward") (param $x i32) (param $w i32) (param $y i32) (param $s i32) ${GEOMETRY.map((v) => `(param $${v} i32)`).join(" ")}`);
  p(`(local $wp i32) (local $yp i32) (local $xStep2 i32) (local $xStep3 i32) (local $xStep1 i32)`);
  common(["x", "w", "y"]);
  set("xStep1", get("xStep"));
  set("xStep2", `(i32.shl ${get("xStep")} (i32.const 1))`);
  set("xStep3", `(i32.mul ${get("xStep")} (i32.const 3))`);
  loop("b", get("n"), () =>
    loop("oh", get("OH"), () =>
      channelBlocks((V) => {
        set("ow", "(i32.const 0)");
        nest(`(block $quadsDone${V} (loop $quads${V}`, () => {
          p(`(br_if $quadsDone${V} (i32.gt_s (i32.add ${get("ow")} (i32.const 4)) ${get("OW")}))`);
          block(4, V);
          set("ow", `(i32.add ${get("ow")} (i32.const 4))`);
          p(`(br $quads${V})`);
        }, "))");
        loop("ow", get("OW"), () => block(1, V), get("ow"));
      }),
    ),
  );
  L.push(`  )`);
  return L.join("\n");
}

function filter() {
  const { L, p, get, set, nest, loop, countDown, madd, channelBlocks, common } = writer();
  /** Taps t0 … t0 + T − 1 × V vectors of output channels from co0, over the panel's output rows. */
  const block = (T, V) => {
    // ∂w(t0 + r, co0 …) at (t0 + r)·CO + co0: 0 before the first panel, else the partial sums left there.
    set("dp", `(i32.add ${get("dwOut4")} (i32.shl (i32.add (i32.mul ${get("t0")} ${get("CO")}) ${get("co0")}) (i32.const 2)))`);
    const at = (r) => (r === 0 ? get("dp") : `(i32.add ${get("dp")} (i32.mul ${get("CO4")} (i32.const ${r})))`);
    nest(`(if (i32.eqz ${get("q0")}) (then`, () => {
      for (let r = 0; r < T; r++) for (let v = 0; v < V; v++) set(`a${r}_${v}`, "(v128.const f32x4 0 0 0 0)");
    }, ") (else");
    nest("", () => {
      for (let r = 0; r < T; r++) for (let v = 0; v < V; v++) set(`a${r}_${v}`, `(v128.load offset=${16 * v} ${at(r)})`);
    }, "))");
    for (let r = 0; r < T; r++) set(`off${r}`, `(i32.load offset=${4 * r} (i32.add ${get("s4")} (i32.shl ${get("t0")} (i32.const 2))))`);
    set("gp", `(i32.add ${get("g4")} (i32.shl (i32.add (i32.mul (i32.mul ${get("q0")} ${get("OW")}) ${get("CO")}) ${get("co0")}) (i32.const 2)))`);
    loop("q", get("q1"), () => {
      // Output row q = b·OH + oh: its first pixel's first element of x, in bytes.
      set("b", `(i32.div_u ${get("q")} ${get("OH")})`);
      set("oh", `(i32.rem_u ${get("q")} ${get("OH")})`);
      set("xa", `(i32.add ${get("x4")} (i32.shl (i32.mul (i32.mul (i32.add (i32.mul ${get("b")} ${get("H")}) (i32.mul ${get("oh")} ${get("sh")})) ${get("W")}) ${get("C")}) (i32.const 2)))`);
      countDown(`pixels${T}_${V}`, get("OW"), () => {
        for (let v = 0; v < V; v++) set(`v${v}`, `(v128.load offset=${16 * v} ${get("gp")})`);
        for (let r = 0; r < T; r++) {
          set("xv", `(v128.load32_splat (i32.add ${get("xa")} ${get(`off${r}`)}))`);
          for (let v = 0; v < V; v++) madd(`a${r}_${v}`, get("xv"), get(`v${v}`));
        }
        set("xa", `(i32.add ${get("xa")} ${get("xStep")})`);
        set("gp", `(i32.add ${get("gp")} ${get("CO4")})`);
      });
    }, get("q0"));
    for (let r = 0; r < T; r++) for (let v = 0; v < V; v++) p(`(v128.store offset=${16 * v} ${at(r)} ${get(`a${r}_${v}`)})`);
  };
  L.push(`  (func (export "convFilter") (param $x i32) (param $g i32) (param $dwOut i32) (param $s i32) ${GEOMETRY.map((v) => `(param $${v} i32)`).join(" ")}`);
  p(`(local $q i32) (local $q0 i32) (local $q1 i32) (local $rows i32) (local $panel i32) (local $t0 i32) (local $gp i32) (local $dp i32)`);
  p(`(local $off0 i32) (local $off1 i32) (local $off2 i32) (local $off3 i32)`);
  common(["x", "g", "dwOut"]);
  // Panels of whole output rows, about PANEL_PIXELS pixels each.
  set("rows", `(i32.mul ${get("n")} ${get("OH")})`);
  set("panel", `(select (i32.div_u (i32.const ${PANEL_PIXELS}) ${get("OW")}) (i32.const 1) (i32.gt_u (i32.div_u (i32.const ${PANEL_PIXELS}) ${get("OW")}) (i32.const 1)))`);
  set("q0", "(i32.const 0)");
  nest(`(block $panelsDone (loop $panels`, () => {
    p(`(br_if $panelsDone (i32.ge_s ${get("q0")} ${get("rows")}))`);
    set("q1", `(i32.add ${get("q0")} ${get("panel")})`);
    p(`(if (i32.gt_s ${get("q1")} ${get("rows")}) (then (local.set $q1 ${get("rows")})))`);
    channelBlocks((V) => {
      set("t0", "(i32.const 0)");
      nest(`(block $quadsDone${V} (loop $quads${V}`, () => {
        p(`(br_if $quadsDone${V} (i32.gt_s (i32.add ${get("t0")} (i32.const 4)) ${get("K")}))`);
        block(4, V);
        set("t0", `(i32.add ${get("t0")} (i32.const 4))`);
        p(`(br $quads${V})`);
      }, "))");
      loop("t0", get("K"), () => block(1, V), get("t0"));
    });
    set("q0", get("q1"));
    p(`(br $panels)`);
  }, "))");
  L.push(`  )`);
  return L.join("\n");
}
