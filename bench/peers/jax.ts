// jax-js (@jax-js/jax) as a benchmark peer, on its WebAssembly backend: the network written as a JAX
// user writes it (np.dot, lax.conv in NCHW with OIHW filters, lax.reduceWindow for max-pooling,
// nn.logSoftmax), one training step = `jit` of valueAndGrad of the loss plus the optimizer update
// (torch.optim's SGD and Adam written in jax-js ops inside the jitted step: the registry has no
// @jax-js/optax), the loss read every step (jax-js is lazy: reading it is what makes the step run).
//
// jax-js's rules that shape this file:
// - `init("wasm")`: its `init()` without arguments also probes WebGPU, which throws "navigator is not
//   defined" in Node; the wasm backend runs on one thread in Node (no global Worker).
// - Reference counting: every call consumes its array arguments; `a.ref` hands out one more reference.
//   Inside a traced function each parameter is used once (or `.ref`'d for each extra use); outside, the
//   state goes into each step whole and comes back new, and the batches are passed as `.ref`.
// - `dataSync()` and `item()` consume the array they read.
//
// Layouts: gradc's initial parameters converted once (dense weights are [in, out] in both; conv filters
// [kh, kw, in, out] → [out, in, kh, kw]; after a CNN's flatten the first dense layer's rows re-ordered
// from NHWC's (h, w, c) to NCHW's (c, h, w)), and back for the first-step check.
// LSTMs are unrolled over their 32 steps inside the jitted step (jax-js has no lax.scan), with the input
// projection x·W_ih + b_ih + b_hh of all steps hoisted into one matmul as torch and cuDNN do.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type * as JaxNs from "@jax-js/jax";
import type { Impl, ParamArrays } from "./impl.js";
import type { Batch, ConvNet, Dense, LstmNet, Workload } from "../workloads.js";

type Jax = typeof JaxNs;
type Arr = JaxNs.numpy.Array;

const require = createRequire(import.meta.url);

/** Its version (package.json is not in the package's exports: read it next to the resolved entry's folder). */
export function jaxVersion(): string {
  const file = path.join(path.dirname(require.resolve("@jax-js/jax")), "..", "package.json");
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

let loading: Promise<Jax> | null = null;
/** Imports jax-js and starts its wasm backend, once per process. */
export function loadJax(): Promise<Jax> {
  loading ??= (async () => {
    const jax = await import("@jax-js/jax");
    const got = await jax.init("wasm");
    if (!got.includes("wasm")) throw new Error(`jax-js: init("wasm") started ${got.join(", ") || "no backend"}`);
    jax.defaultDevice("wasm");
    return jax;
  })();
  return loading;
}

/** a [shape] permuted: out[i_perm[0], i_perm[1], …] = a[i_0, i_1, …] (numpy's transpose(perm)). */
export function transposeHost(a: ArrayLike<number>, shape: readonly number[], perm: readonly number[]): Float32Array<ArrayBuffer> {
  const n = shape.length;
  const outShape = perm.map((p) => shape[p]!);
  const strides = new Array<number>(n).fill(1);
  for (let d = n - 2; d >= 0; d--) strides[d] = strides[d + 1]! * shape[d + 1]!;
  const out = new Float32Array(a.length);
  const idx = new Array<number>(n).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < n; d++) src += idx[d]! * strides[perm[d]!]!;
    out[o] = a[src]!;
    for (let d = n - 1; d >= 0; d--) {
      if (++idx[d]! < outShape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** One parameter's layout change: to jax-js's (shape, data) and back to gradc's data. */
interface Layout {
  readonly shape: readonly number[];
  toJax(a: ArrayLike<number>): Float32Array<ArrayBuffer>;
  toGradc(a: ArrayLike<number>): Float32Array<ArrayBuffer>;
}
const same = (shape: readonly number[]): Layout => ({ shape, toJax: (a) => Float32Array.from(a), toGradc: (a) => Float32Array.from(a) });
const permuted = (gradcShape: readonly number[], perm: readonly number[]): Layout => {
  const inverse = perm.map((_, i) => perm.indexOf(i));
  const shape = perm.map((p) => gradcShape[p]!);
  return { shape, toJax: (a) => transposeHost(a, gradcShape, perm), toGradc: (a) => transposeHost(a, shape, inverse) };
};

/** A network: its parameters' layouts (gradc's spec order), the input's shape per batch, and the traced forward. */
interface Net {
  readonly layouts: readonly Layout[];
  readonly inputShape: (batch: number) => number[];
  /** The flat batch x (gradc's rows) in inputShape's layout. */
  readonly inputData: (x: Float32Array, batch: number) => Float32Array<ArrayBuffer>;
  /** The output (logits or predictions) from the parameters, each used once, and x. */
  readonly forward: (jax: Jax, p: Arr[], x: Arr) => Arr;
}

function activate(jax: Jax, h: Arr, act: Dense["act"]): Arr {
  if (act === "relu") return jax.nn.relu(h);
  if (act === "tanh") return jax.numpy.tanh(h);
  if (act === "sigmoid") return jax.nn.sigmoid(h);
  return h;
}

function denseForward(jax: Jax, layers: readonly Dense[], p: Arr[], at: number, h: Arr): Arr {
  layers.forEach((l, i) => {
    h = activate(jax, jax.numpy.dot(h, p[at + 2 * i]!).add(p[at + 2 * i + 1]!), l.act);
  });
  return h;
}

const denseLayouts = (layers: readonly Dense[]): Layout[] => layers.flatMap((l) => [same([l.in, l.out]), same([l.out])]);

function denseNet(layers: readonly Dense[]): Net {
  return {
    layouts: denseLayouts(layers),
    inputShape: (batch) => [batch, layers[0]!.in],
    inputData: (x) => Float32Array.from(x),
    forward: (jax, p, x) => denseForward(jax, layers, p, 0, x),
  };
}

function cnnNet(net: ConvNet): Net {
  const [H, W, C] = net.input;
  const layouts: Layout[] = [];
  let [h, w, c] = net.input;
  for (const b of net.convs) {
    layouts.push(permuted([b.kernel, b.kernel, c, b.out], [3, 2, 0, 1]), same([b.out]));
    [h, w, c] = [Math.floor((h - b.kernel + 1) / b.pool), Math.floor((w - b.kernel + 1) / b.pool), b.out];
  }
  const [first, ...rest] = net.dense;
  // gradc's rows (h, w, c) of the first dense weight, as rows (c, h, w): [h, w, c, out] → [c, h, w, out].
  const flat = permuted([h, w, c, first!.out], [2, 0, 1, 3]);
  layouts.push({ shape: [h * w * c, first!.out], toJax: flat.toJax, toGradc: flat.toGradc }, same([first!.out]), ...denseLayouts(rest));
  return {
    layouts,
    inputShape: (batch) => [batch, C, H, W],
    inputData: (x, batch) => transposeHost(x, [batch, H, W, C], [0, 3, 1, 2]),
    forward: (jax, p, x) => {
      const { lax, numpy: np, nn } = jax;
      let y = x;
      net.convs.forEach((b, i) => {
        const z = lax.conv(y, p[2 * i]!, [1, 1], "VALID").add(p[2 * i + 1]!.reshape([b.out, 1, 1]));
        y = lax.reduceWindow(nn.relu(z), np.max, [b.pool, b.pool], [b.pool, b.pool]);
      });
      const at = 2 * net.convs.length;
      return denseForward(jax, net.dense, p, at, y.reshape([y.shape[0]!, -1]));
    },
  };
}

function lstmNet(net: LstmNet): Net {
  const { input, hidden: H, steps: T } = net;
  return {
    layouts: [same([input, 4 * H]), same([H, 4 * H]), same([4 * H]), same([4 * H]), ...denseLayouts(net.dense)],
    inputShape: (batch) => [batch, T, input],
    inputData: (x) => Float32Array.from(x),
    forward: (jax, p, x) => {
      const { numpy: np, nn } = jax;
      const [Wih, Whh, bih, bhh] = p as [Arr, Arr, Arr, Arr];
      const B = x.shape[0]!;
      // The input projection of every step at once: [B·T, in]·W_ih + b_ih + b_hh → [B, T, 4H].
      const xw = np.dot(x.reshape([B * T, input]), Wih).add(bih.add(bhh)).reshape([B, T, 4 * H]);
      let h = np.zeros([B, H]);
      let c = np.zeros([B, H]);
      for (let t = 0; t < T; t++) {
        const last = t === T - 1;
        const g = (last ? xw : xw.ref).slice([], t).add(np.dot(h, last ? Whh : Whh.ref));
        const i = nn.sigmoid(g.ref.slice([], [0, H]));
        const f = nn.sigmoid(g.ref.slice([], [H, 2 * H]));
        const gg = np.tanh(g.ref.slice([], [2 * H, 3 * H]));
        const o = nn.sigmoid(g.slice([], [3 * H, 4 * H]));
        c = f.mul(c).add(i.mul(gg));
        h = o.mul(np.tanh(c.ref));
      }
      c.dispose();
      return denseForward(jax, net.dense, p, 4, h);
    },
  };
}

function netOf(w: Workload): Net {
  if (w.layers) return denseNet(w.layers);
  if (w.cnn) return cnnNet(w.cnn);
  if (w.lstm) return lstmNet(w.lstm);
  throw new Error(`${w.id}: none of layers, cnn, lstm given for jax-js`);
}

export async function jaxImpl(w: Workload, init: ParamArrays, shapes: readonly { readonly name: string; readonly shape: readonly number[] }[], batches: readonly Batch[]): Promise<Impl> {
  const jax = await loadJax();
  const { numpy: np, nn, jit, valueAndGrad, tree } = jax;
  const net = netOf(w);
  if (net.layouts.length !== shapes.length) throw new Error(`${w.id}: the jax-js network takes ${net.layouts.length} parameters, gradc's module has ${shapes.length}`);
  net.layouts.forEach((l, i) => {
    const n = shapes[i]!.shape.reduce((a, b) => a * b, 1);
    if (l.shape.reduce((a, b) => a * b, 1) !== n) throw new Error(`${w.id}: parameter ${shapes[i]!.name} has ${n} values, jax-js's layout ${l.shape.join("×")}`);
  });
  const B = w.batch;
  const dense = w.layers ?? w.cnn?.dense ?? w.lstm?.dense ?? [];
  const classes = dense.at(-1)?.out ?? 0;
  const xs = batches.map((b) => np.array(net.inputData(b.x, B)).reshape(net.inputShape(B)));
  const ys = batches.map((b) =>
    w.loss === "mse" ? np.array(Float32Array.from(b.y)).reshape([B, b.y.length / B]) : nn.oneHot(np.array(Int32Array.from(b.y), { dtype: np.int32 }), classes),
  );
  const loss = (p: Arr[], x: Arr, y: Arr): Arr => {
    const out = net.forward(jax, p, x);
    return w.loss === "mse" ? np.mean(np.square(out.sub(y))) : nn.logSoftmax(out).mul(y).sum().mul(-1 / B);
  };
  let params: Arr[] = net.layouts.map((l, i) => np.array(l.toJax(init[shapes[i]!.name]!)).reshape([...l.shape]));

  const o = w.optimizer;
  // One step: value and gradient of the loss, then the update (torch.optim's formulas), all in one jit.
  let run1: (x: Arr, y: Arr) => Arr;
  if (o.kind === "sgd") {
    const step = jit((p: Arr[], x: Arr, y: Arr) => {
      const [l, g] = valueAndGrad(loss)(tree.ref(p), x, y);
      return [l, p.map((pi, i) => pi.sub(g[i]!.mul(o.lr)))] as [Arr, Arr[]];
    });
    run1 = (x, y) => {
      const [l, p] = step(params, x, y);
      params = p;
      return l;
    };
  } else {
    // Adam as torch.optim.Adam: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², p ← p − (lr/(1−β₁ᵗ))·m/(√v/√(1−β₂ᵗ) + ε);
    // the two bias corrections change every step, so they come in as scalars.
    let m = params.map((p) => np.zeros(p.shape));
    let v = params.map((p) => np.zeros(p.shape));
    let t = 0;
    const step = jit((p: Arr[], m0: Arr[], v0: Arr[], x: Arr, y: Arr, stepSize: Arr, sqrtBc2: Arr) => {
      const [l, g] = valueAndGrad(loss)(tree.ref(p), x, y);
      const m1 = m0.map((mi, i) => mi.mul(o.beta1).add(g[i]!.ref.mul(1 - o.beta1)));
      const v1 = v0.map((vi, i) => vi.mul(o.beta2).add(np.square(g[i]!).mul(1 - o.beta2)));
      const p1 = p.map((pi, i) => pi.sub(m1[i]!.ref.mul(stepSize.ref).div(np.sqrt(v1[i]!.ref).div(sqrtBc2.ref).add(o.eps))));
      stepSize.dispose();
      sqrtBc2.dispose();
      return [l, p1, m1, v1] as [Arr, Arr[], Arr[], Arr[]];
    });
    run1 = (x, y) => {
      t++;
      const stepSize = np.array(o.lr / (1 - o.beta1 ** t));
      const sqrtBc2 = np.array(Math.sqrt(1 - o.beta2 ** t));
      const [l, p, m1, v1] = step(params, m, v, x, y, stepSize, sqrtBc2);
      params = p;
      m = m1;
      v = v1;
      return l;
    };
  }

  let next = 0;
  const count = batches.length;
  const one = (): number => {
    const l = run1(xs[next]!.ref, ys[next]!.ref);
    next = (next + 1) % count;
    return l.item(); // realizes the step (and consumes l)
  };
  return {
    id: "jax-wasm",
    label: `jax-js ${jaxVersion()} wasm`,
    stepWithLoss: one,
    async run(steps: number) {
      for (let s = 0; s < steps; s++) one();
      await jax.blockUntilReady(params); // nothing of the last step left pending
      return steps;
    },
    params(): ParamArrays {
      const out: ParamArrays = {};
      shapes.forEach((s, i) => (out[s.name] = net.layouts[i]!.toGradc(params[i]!.ref.dataSync() as Float32Array)));
      return out;
    },
  };
}
