// The WebAssembly text of the runtime's max pooling and its gradient (runtime/gemm.ts `maxPool`,
// `maxPoolBackward`), for float32 modules (compiler/ops/pool.ts), on NHWC images in the module's memory:
//
//   maxPool          y[b, i, j, c] = max over the window's positions inside x
//   maxPoolBackward  dx[b, ih, iw, c] += g[b, i, j, c] at each window's first argmax of x in channel c
//
// The window of output (i, j) covers rows i·sh − ph … + KH − 1 and columns j·sw − pw … + KW − 1; positions
// outside x are skipped (padding never wins). Four channels a vector: each position v replaces the
// running maximum m where `v > m || v ≠ v` (f32x4.gt | f32x4.ne, then v128.bitselect) — PyTorch's rule,
// the same as runtime/branchless.ts's poolMax: the first maximum stays on ties and a NaN wins — and, in
// the gradient, its element index replaces the argmax's. Channels past the last four go one at a time.
// The gradient's additions run in the order of the output pixels and then of the channels, as the loop
// nest they replace, each rounded to float32: the same sums.
// Appended to the product's module by scripts/gemm-wat.js.

const GEOMETRY = ["n", "H", "W", "C", "KH", "KW", "OH", "OW", "sh", "sw", "ph", "pw"];

export function poolWat() {
  return [poolFunction(false), poolFunction(true)].join("\n");
}

function poolFunction(backward) {
  const L = [];
  let indent = "    ";
  const p = (s) => L.push(indent + s);
  const get = (v) => `(local.get $${v})`;
  const set = (v, e) => p(`(local.set $${v} ${e})`);
  const nest = (open, body, close = ")") => {
    p(open);
    indent += "  ";
    body();
    indent = indent.slice(2);
    p(close);
  };
  /** A counted loop over `v` from 0 while v < `limit` (limit ≥ 1). */
  const loop = (v, limit, body) => {
    set(v, "(i32.const 0)");
    nest(`(loop $${v}Loop`, () => {
      body();
      p(`(br_if $${v}Loop (i32.lt_s (local.tee $${v} (i32.add ${get(v)} (i32.const 1))) ${get(limit)}))`);
    });
  };
  /** Element index of x(b, ih, iw, c). */
  const xIndex = (ih, iw) => `(i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul ${get("b")} ${get("H")}) ${ih}) ${get("W")}) ${iw}) ${get("C")}) ${get("c")})`;
  const byte = (base, index) => `(i32.add ${get(base)} (i32.shl ${index} (i32.const 2)))`;
  /** The window's positions inside x, row-major: `body` with $pos the element index of (ih, iw, c). */
  const overWindow = (body) =>
    loop("kh", "KH", () => {
      set("ih", `(i32.add ${get("ih0")} ${get("kh")})`);
      nest(`(if (i32.lt_u ${get("ih")} ${get("H")}) (then`, () =>
        loop("kw", "KW", () => {
          set("iw", `(i32.add ${get("iw0")} ${get("kw")})`);
          nest(`(if (i32.lt_u ${get("iw")} ${get("W")}) (then`, () => {
            set("pos", xIndex(get("ih"), get("iw")));
            body();
          }, "))");
        }),
      "))");
    });
  /** One block of channels from $c: `lanes` 4 (a vector) or 1. */
  const channels = (lanes) => {
    const vec = lanes === 4;
    const load = vec ? "v128.load" : "f32.load";
    const beats = vec ? `(v128.or (f32x4.gt ${get("v")} ${get("m")}) (f32x4.ne ${get("v")} ${get("v")}))` : `(i32.or (f32.gt ${get("sv")} ${get("sm")}) (f32.ne ${get("sv")} ${get("sv")}))`;
    const [m, v] = vec ? ["m", "v"] : ["sm", "sv"];
    if (!backward) {
      set(m, vec ? "(v128.const f32x4 -inf -inf -inf -inf)" : "(f32.const -inf)");
      overWindow(() => {
        set(v, `(${load} ${byte("x4", get("pos"))})`);
        set(m, vec ? `(v128.bitselect ${get(v)} ${get(m)} ${beats})` : `(select ${get(v)} ${get(m)} ${beats})`);
      });
      p(`(${vec ? "v128.store" : "f32.store"} ${byte("y4", `(i32.add ${get("o")} ${get("c")})`)} ${get(m)})`);
      return;
    }
    // The argmax starts at the window's first position inside x, as compiler/ops/pool.ts's argmaxLines.
    set("pos", xIndex(get("ihFirst"), get("iwFirst")));
    set(m, `(${load} ${byte("x4", get("pos"))})`);
    set(vec ? "at" : "sat", vec ? `(i32x4.add (i32x4.splat ${get("pos")}) (v128.const i32x4 0 1 2 3))` : get("pos"));
    overWindow(() => {
      set(v, `(${load} ${byte("x4", get("pos"))})`);
      if (vec) {
        set("mask", beats);
        set("at", `(v128.bitselect (i32x4.add (i32x4.splat ${get("pos")}) (v128.const i32x4 0 1 2 3)) ${get("at")} ${get("mask")})`);
        set("m", `(v128.bitselect ${get("v")} ${get("m")} ${get("mask")})`);
      } else {
        set("beat", beats);
        set("sat", `(select ${get("pos")} ${get("sat")} ${get("beat")})`);
        set("sm", `(select ${get("sv")} ${get("sm")} ${get("beat")})`);
      }
    });
    const add = (at, lane) => {
      const g = `(f32.load offset=${4 * lane} ${byte("g4", `(i32.add ${get("o")} ${get("c")})`)})`;
      p(`(local.set $a ${byte("dx4", at)})`);
      p(`(f32.store ${get("a")} (f32.add (f32.load ${get("a")}) ${g}))`);
    };
    if (vec) for (let lane = 0; lane < 4; lane++) add(`(i32x4.extract_lane ${lane} ${get("at")})`, lane);
    else add(get("sat"), 0);
  };
  const name = backward ? "maxPoolBackward" : "maxPool";
  const pointers = backward ? ["x", "g", "dx"] : ["x", "y"];
  L.push(`  (func (export "${name}") ${[...pointers, ...GEOMETRY].map((v) => `(param $${v} i32)`).join(" ")}`);
  p(`(local $b i32) (local $oh i32) (local $ow i32) (local $kh i32) (local $kw i32) (local $ih i32) (local $iw i32) (local $ih0 i32) (local $iw0 i32)`);
  p(`(local $c i32) (local $o i32) (local $pos i32) (local $a i32) (local $ihFirst i32) (local $iwFirst i32) (local $sat i32) (local $beat i32)`);
  p(`(local $m v128) (local $v v128) (local $at v128) (local $mask v128) (local $sm f32) (local $sv f32)`);
  p(`${pointers.map((v) => `(local $${v}4 i32)`).join(" ")}`);
  p(`(if (i32.le_s ${get("n")} (i32.const 0)) (then (return)))`);
  for (const v of pointers) set(`${v}4`, `(i32.shl ${get(v)} (i32.const 2))`);
  loop("b", "n", () =>
    loop("oh", "OH", () =>
      loop("ow", "OW", () => {
        set("ih0", `(i32.sub (i32.mul ${get("oh")} ${get("sh")}) ${get("ph")})`);
        set("iw0", `(i32.sub (i32.mul ${get("ow")} ${get("sw")}) ${get("pw")})`);
        if (backward) {
          set("ihFirst", `(select (i32.const 0) ${get("ih0")} (i32.lt_s ${get("ih0")} (i32.const 0)))`);
          set("iwFirst", `(select (i32.const 0) ${get("iw0")} (i32.lt_s ${get("iw0")} (i32.const 0)))`);
        }
        // The output pixel's first element (of y or g).
        set("o", `(i32.mul (i32.add (i32.mul (i32.add (i32.mul ${get("b")} ${get("OH")}) ${get("oh")}) ${get("OW")}) ${get("ow")}) ${get("C")})`);
        set("c", "(i32.const 0)");
        nest(`(block $vectorsDone (loop $vectors`, () => {
          p(`(br_if $vectorsDone (i32.gt_s (i32.add ${get("c")} (i32.const 4)) ${get("C")}))`);
          channels(4);
          set("c", `(i32.add ${get("c")} (i32.const 4))`);
          p(`(br $vectors)`);
        }, "))");
        nest(`(block $scalarsDone (loop $scalars`, () => {
          p(`(br_if $scalarsDone (i32.ge_s ${get("c")} ${get("C")}))`);
          channels(1);
          set("c", `(i32.add ${get("c")} (i32.const 1))`);
          p(`(br $scalars)`);
        }, "))");
      }),
    ),
  );
  L.push(`  )`);
  return L.join("\n");
}
