// scan: the recurrence construct. Its forward value is checked against the same recurrence written
// out step by step (slices and concat, no scan), and its gradients — backpropagation through time,
// a reverse scan over the body's derivative — against central finite differences.
import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/core.js";
import * as ix from "../../compiler/dsl/indexing.js";
import { scan } from "../../compiler/dsl/scan.js";
import { evaluate } from "../../compiler/ir/interpret.js";
import type { Node } from "../../compiler/ir/node.js";
import { checkGradients, randomlyWeighted, traceModel } from "../helpers/gradcheck.js";
import { mulberry32, uniformArray } from "../helpers/rng.js";
import { gru, lstm, rnn as rnnLayer } from "../../compiler/dsl/recurrent.js";
import { diagnostic } from "../helpers/evalNode.js";

const B = 3, T = 4, D = 2, H = 3;
const rng = mulberry32(7);
const values = {
  inputs: { xs: uniformArray(rng, B * T * D, -1, 1) },
  params: { W: uniformArray(rng, D * H, -1, 1), U: uniformArray(rng, H * H, -1, 1), b: uniformArray(rng, H, -0.5, 0.5), h0: uniformArray(rng, H, -0.5, 0.5) },
};

/** A tanh RNN h' = tanh(x·W + h·U + b) from h0 (broadcast over the batch). */
function rnn(unrolled: boolean, reverse = false) {
  return () => {
    const xs = d.input("xs", ["batch", T, D]);
    const W = d.param("W", [D, H]), U = d.param("U", [H, H]), b = d.param("b", [H]), h0 = d.param("h0", [H]);
    const start = d.add(d.broadcastTo(0, [xs.shape[0]!, H]), h0);
    const cell = (h: Node, x: Node) => d.tanh(d.add(d.add(d.matmul(x, W), d.matmul(h, U)), b));
    let hs: Node, last: Node;
    if (unrolled) {
      let h = start;
      const order = reverse ? [...Array(T).keys()].reverse() : [...Array(T).keys()];
      const out: Node[] = [];
      for (const t of order) {
        const x = d.reshape(ix.slice(xs, { axis: 1, start: t, end: t + 1 }), [xs.shape[0]!, D]);
        h = cell(h, x);
        out[t] = d.reshape(h, [xs.shape[0]!, 1, H]);
      }
      hs = ix.concat(out, 1);
      last = h;
    } else {
      const r = scan((h: Node, x: Node) => {
        const h2 = cell(h, x);
        return { carry: h2, output: h2 };
      }, start, xs, { reverse });
      hs = r.outputs as Node;
      last = r.carry;
    }
    const loss = d.add(randomlyWeighted(d.sum(d.mul(hs, hs), 0), mulberry32(1)), d.sum(d.square(last)));
    return { loss, outputs: { hs, last } };
  };
}

describe("scan", () => {
  for (const reverse of [false, true]) {
    it(`computes the unrolled recurrence${reverse ? " (reverse)" : ""}`, () => {
      const a = traceModel(rnn(false, reverse));
      const b = traceModel(rnn(true, reverse));
      const va = evaluate(a, values), vb = evaluate(b, values);
      for (const name of ["hs", "last"]) {
        const x = va.get(a.outputs.find(([n]) => n === name)![1])!.data;
        const y = vb.get(b.outputs.find(([n]) => n === name)![1])!.data;
        expect(x.length).toBe(y.length);
        for (let i = 0; i < x.length; i++) expect(x[i]).toBeCloseTo(y[i]!, 12);
      }
    });
    it(`backpropagates through time${reverse ? " (reverse)" : ""}: gradients match finite differences`, () => {
      checkGradients(rnn(false, reverse), values);
    });
  }
});

// ── the recurrent cells, against an independent float64 implementation of torch's equations ──

const sig = (v: number) => 1 / (1 + Math.exp(-v));
/** Row-major [rows, cols] times [cols, out] plus bias, for one batch row. */
function affineRow(x: ArrayLike<number>, W: ArrayLike<number>, b: ArrayLike<number>, cols: number, out: number): number[] {
  return Array.from({ length: out }, (_, j) => {
    let s = b[j]!;
    for (let k = 0; k < cols; k++) s += x[k]! * W[k * out + j]!;
    return s;
  });
}

/** torch.nn.LSTM / GRU / RNN forward (batch_first, one layer, zero initial state), written out directly. */
function reference(kind: "rnn" | "lstm" | "gru", xs: number[], p: Record<string, number[]>, batch: number, steps: number, inSize: number, hidden: number): number[] {
  const out: number[] = new Array(batch * steps * hidden).fill(0);
  const H = hidden;
  for (let bi = 0; bi < batch; bi++) {
    let h = new Array(H).fill(0), c = new Array(H).fill(0);
    for (let t = 0; t < steps; t++) {
      const x = xs.slice((bi * steps + t) * inSize, (bi * steps + t + 1) * inSize);
      const G = kind === "lstm" ? 4 : kind === "gru" ? 3 : 1;
      const gx = affineRow(x, p[`cell.Wih`]!, p[`cell.bih`]!, inSize, G * H);
      const gh = affineRow(h, p[`cell.Whh`]!, p[`cell.bhh`]!, H, G * H);
      if (kind === "rnn") h = gx.map((v, j) => Math.tanh(v + gh[j]!));
      else if (kind === "lstm") {
        const g = gx.map((v, j) => v + gh[j]!);
        c = c.map((cv, j) => sig(g[H + j]!) * cv + sig(g[j]!) * Math.tanh(g[2 * H + j]!));
        h = c.map((cv, j) => sig(g[3 * H + j]!) * Math.tanh(cv));
      } else {
        const r = h.map((_, j) => sig(gx[j]! + gh[j]!));
        const z = h.map((_, j) => sig(gx[H + j]! + gh[H + j]!));
        const n = h.map((_, j) => Math.tanh(gx[2 * H + j]! + r[j]! * gh[2 * H + j]!));
        h = h.map((hv, j) => (1 - z[j]!) * n[j]! + z[j]! * hv);
      }
      for (let j = 0; j < H; j++) out[(bi * steps + t) * H + j] = h[j]!;
    }
  }
  return out;
}

describe("recurrent layers follow torch's equations and gate order", () => {
  const batch = 2, steps = 5, inSize = 3, hidden = 4;
  const layers = { rnn: rnnLayer, lstm, gru } as const;
  for (const kind of ["rnn", "lstm", "gru"] as const) {
    const def = () => {
      const xs = d.input("xs", ["batch", steps, inSize]);
      const r = layers[kind](xs, { name: "cell", hidden });
      return { loss: d.add(randomlyWeighted(d.sum(r.outputs, 0), mulberry32(3)), d.sum(d.square(r.h))), outputs: { hs: r.outputs } };
    };
    const r = mulberry32(11);
    const G = kind === "lstm" ? 4 : kind === "gru" ? 3 : 1;
    const v = {
      inputs: { xs: uniformArray(r, batch * steps * inSize, -1, 1) },
      params: {
        "cell.Wih": uniformArray(r, inSize * G * hidden, -0.6, 0.6),
        "cell.Whh": uniformArray(r, hidden * G * hidden, -0.6, 0.6),
        "cell.bih": uniformArray(r, G * hidden, -0.3, 0.3),
        "cell.bhh": uniformArray(r, G * hidden, -0.3, 0.3),
      },
    };
    it(`${kind}: outputs equal the direct implementation`, () => {
      const g = traceModel(def);
      const got = evaluate(g, v).get(g.outputs[0]![1])!.data;
      const want = reference(kind, v.inputs.xs, v.params, batch, steps, inSize, hidden);
      expect(got.length).toBe(want.length);
      want.forEach((w, k) => expect(got[k]).toBeCloseTo(w, 12));
    });
    it(`${kind}: BPTT gradients over the whole sequence match finite differences`, () => {
      checkGradients(def, v);
    });
  }
});

// ── bad input: a clear diagnostic with the model.ts location ──

describe("scan diagnostics", () => {
  const seq = () => d.input("xs", ["batch", 4, 2]);
  const step = (h: Node, x: Node) => ({ carry: d.add(h, d.sum(x)) });
  it("sequences must be [batch, T, …] of one length", () => {
    expect(diagnostic(() => scan(step, d.zeros(["batch", 2]), d.input("v", ["batch"])))).toEqual({ code: "GC2001", message: "scan: a sequence must be [batch, T, …] with a fixed T, got [batch]" });
    expect(diagnostic(() => scan(step, d.zeros(["batch", 2]), [seq(), d.input("ys", ["batch", 5, 1])] as never))).toEqual({ code: "GC2001", message: "scan: the sequences have different lengths (4, 5)" });
    expect(diagnostic(() => scan(step, d.zeros(["batch", 2]), seq(), { length: 3 }))).toEqual({ code: "GC2001", message: "scan: length 3 differs from the sequences' length 4" });
    expect(diagnostic(() => scan(step, d.zeros(["batch", 2]), null as never))).toEqual({ code: "GC2007", message: "scan: with no sequence, give the number of steps as { length }" });
  });
  it("the body keeps the carry's structure and shapes", () => {
    expect(diagnostic(() => scan((h: Node) => ({ carry: d.sum(h, 1, true) }), d.zeros(["batch", 2]), seq()))).toEqual({ code: "GC2001", message: "scan: carry 0 changes shape from [batch, 2] to [batch, 1]" });
    expect(diagnostic(() => scan((s: Node[]) => ({ carry: [s[0]!] }), [d.zeros([2, 2]), d.zeros([2, 2])], null, { length: 2 }))).toEqual({ code: "GC2001", message: "scan: the body returns 1 carries, the initial carry has 2" });
    expect(diagnostic(() => scan(() => 3 as never, d.zeros([2]), null, { length: 2 }))).toEqual({ code: "GC2007", message: "scan: the body must return { carry, output? }" });
    expect(diagnostic(() => scan(step, d.scalar(0), seq()))).toEqual({ code: "GC2001", message: "scan: a carry must have at least one dimension ([batch, …])" });
  });
  it("parameters are declared outside the body; outer scalars cannot be captured", () => {
    expect(diagnostic(() => scan((h: Node) => ({ carry: d.mul(h, d.param("w", [2])) }), d.zeros([2, 2]), null, { length: 2 })).code).toBe("GC2007");
    expect(diagnostic(() => {
      const s = d.sum(d.input("x", [3]));
      return scan((h: Node) => ({ carry: d.mul(h, s) }), d.zeros([2, 2]), null, { length: 2 });
    })).toEqual({ code: "GC2007", message: "scan: the body uses a scalar computed outside it; compute it inside the body" });
  });
});
