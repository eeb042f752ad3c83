// A scan's step values in place (compiler/ops/scan.ts lowerKernel, op.ts StepView): a step input that only
// element-wise ops read is read where its stacked array holds it (step t's [i, j] is the array's
// [i, t, j]), and a per-step result an element-wise kernel of its own writes (an LSTM's gates, kept for
// backpropagation through time) is written there — no copy into a step buffer and back at every step.
// Checked: which values are read and written in place and which are still copied (carries, a step input a
// product reads, a result stored by a product's epilogue), and that the modules train as before: float64
// against the reference interpreter's finite differences elsewhere (test/ops/scan.compiled.test.ts), and
// here float32 against float64.
import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/index.js";
import { model } from "../../compiler/dsl/model.js";
import { scan } from "../../compiler/dsl/scan.js";
import type { Node } from "../../compiler/ir/node.js";
import { compileAndImport } from "../helpers/compiled.js";
import { mulberry32, uniformArray } from "../helpers/rng.js";

const T = 5, IN = 3, H = 20;

/** An LSTM over 5 steps of 3 inputs, hidden 20, a dense head on the last h. */
const lstmLast = model("lstmLast", () => {
  const x = d.input("x", ["batch", T, IN]);
  const y = d.input("y", ["batch", 4]);
  const { h } = d.lstm(x, { name: "lstm", hidden: H });
  const W = d.param("W", [H, 4], { init: "xavier" });
  return { loss: d.mse(d.matmul(h, W), y), outputs: { h } };
});

/** A step input read by a product (xₜᵀ·xₜ) and a per-step result stored by a product's epilogue (h·Wo + bo). */
const copied = model("copied", () => {
  const x = d.input("x", ["batch", T, IN]);
  const y = d.input("y", ["batch", T, 2]);
  const W = d.param("W", [IN, IN], { init: "xavier" });
  const Wo = d.param("Wo", [IN, 2], { init: "xavier" });
  const bo = d.param("bo", [2], { init: "zeros" });
  const r = scan((h: Node, xt: Node) => {
    const h2 = d.tanh(d.add(d.matmul(h, d.add(W, d.matmul(xt, xt, { transA: true }))), xt));
    return { carry: h2, output: d.add(d.matmul(h2, Wo), bo) };
  }, d.zeros(["batch", IN]), x);
  return { loss: d.mse(r.outputs as Node, y) };
});

const loops = (code: string) => {
  const forward = code.slice(code.indexOf("for (let t = 0;"));
  const reverse = code.slice(code.indexOf("for (let t = " + (T - 1) + ";"));
  return { forward: forward.slice(0, forward.indexOf("\n    }\n")), reverse: reverse.slice(0, reverse.indexOf("\n    }\n")) };
};

describe("a scan's step values in place", () => {
  it("LSTM: the gates are written into their stacked arrays and read back from there; only the carries are copied", async () => {
    const { code } = await compileAndImport(lstmLast, { dtype: "f32" });
    const { forward, reverse } = loops(code);
    // The input's products for every step (gates_x, [batch, 5, 80]) are read at step t in place.
    expect(forward).toMatch(/= gates_x\[i \* 400 \+ t \* 80 \+ j\]! \+ add;/);
    // σ and tanh rows write straight into the arrays kept for the reverse loop ([batch, 5, 20]: row i at i·100 + t·20).
    for (const [fn, gate, from] of [["sigmoidRow", "i_gate", "i * 80"], ["sigmoidRow", "f_gate", "i * 80 + 20"], ["tanhRow", "g_gate", "i * 80 + 40"], ["sigmoidRow", "o_gate", "i * 80 + 60"]]) {
      expect(forward).toContain(`${fn}(${gate}_steps, i * 100 + t * 20, gates, ${from}, 20);`);
    }
    expect(forward).toContain("tanhRow(tanh_c_steps, i * 100 + t * 20, c_next, i * 20, 20);");
    // Copies left in the forward loop: h and c as each step found them (carries), then the carries themselves.
    const copies = [...forward.matchAll(/(\w+_steps)\[\(\w+ \* 5 \+ t\) \* 20 \+ \w+\] = /g)].map((m) => m[1]);
    expect(copies).toEqual(["c_steps", "h_steps"]);
    // The reverse loop copies no kept value into a step buffer: it reads each at step t where it lies.
    expect(reverse).not.toMatch(/= \w+\[\(\w+ \* 5 \+ t\) \* 20 \+ \w+\]!;/);
    expect(reverse).toMatch(/tanh_c_steps\[i \* 100 \+ t \* 20 \+ j\]!/);
    expect(reverse).toMatch(/o_gate_steps\[i \* 100 \+ t \* 20 \+ j\]!/);
  });

  it("copies a step input a product reads, and a per-step result a product's epilogue stores", async () => {
    const { code } = await compileAndImport(copied, { dtype: "f32" });
    const { forward } = loops(code);
    // xₜ is copied out for xₜᵀ·xₜ (the product reads it as an array) ...
    expect(forward).toMatch(/x_t\[\w+ \* 3 \+ \w+\] = x\[\(\w+ \* 5 \+ t\) \* 3 \+ \w+\]!;/);
    // ... and h·Wo + bo is stored in its own buffer by the product's epilogue, then copied to its place.
    expect(forward).toMatch(/\w+\[\(\w+ \* 5 \+ t\) \* 2 \+ \w+\] = add\w*\[\w+ \* 2 \+ \w+\]!;/);
  });

  it("gives the float64 module's loss and gradients to float32 precision", async () => {
    const m64 = (await compileAndImport(lstmLast)).module;
    const m32 = (await compileAndImport(lstmLast, { dtype: "f32" })).module;
    const params = m64.initParams(7);
    const f32 = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Float32Array.from(v)]));
    for (const batch of [1, 3, 6]) {
      const rng = mulberry32(batch);
      const data = { x: uniformArray(rng, batch * T * IN, -1, 1), y: uniformArray(rng, batch * 4, -1, 1) };
      const lg64 = m64.lossAndGrad(params, data), lg32 = m32.lossAndGrad(f32, data);
      expect(Math.abs(lg32.loss - lg64.loss)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(lg64.loss)));
      for (const [name, g] of Object.entries(lg64.grads)) {
        const largest = Math.max(...Array.from(g, Math.abs));
        expect(largest, `∂L/∂${name} is not zero`).toBeGreaterThan(1e-6);
        Array.from(g).forEach((v, k) => expect(Math.abs(lg32.grads[name]![k]! - v), `∂L/∂${name}[${k}] at batch ${batch}`).toBeLessThanOrEqual(1e-5 * (1 + largest)));
      }
    }
  });

  // Per-step results that are not an element-wise kernel's own: a product's (no epilogue), and a scalar
  // per step (tanh of Σ over the whole step). Neither may be written in place; the scan must compute what
  // the same recurrence written out step by step computes.
  const perStep = (unrolled: boolean) =>
    model(unrolled ? "unrolled" : "scanned", () => {
      const x = d.input("x", ["batch", T, IN]);
      const target = d.input("target", ["batch", T, 2]);
      const W = d.param("W", [IN, IN], { init: "xavier" });
      const Wo = d.param("Wo", [IN, 2], { init: "xavier" });
      const next = (h: Node, xt: Node) => d.tanh(d.add(d.matmul(h, W), xt));
      let y: Node, r: Node;
      if (unrolled) {
        let h = d.zeros(["batch", IN]);
        const ys: Node[] = [], rs: Node[] = [];
        for (let t = 0; t < T; t++) {
          h = next(h, d.reshape(d.slice(x, { axis: 1, start: t, end: t + 1 }), ["batch", IN]));
          ys.push(d.reshape(d.matmul(h, Wo), ["batch", 1, 2]));
          rs.push(d.reshape(d.tanh(d.sum(h)), [1]));
        }
        y = d.concat(ys, 1);
        r = d.concat(rs, 0);
      } else {
        const s = scan((h: Node, xt: Node) => {
          const h2 = next(h, xt);
          return { carry: h2, output: { y: d.matmul(h2, Wo), r: d.tanh(d.sum(h2)) } };
        }, d.zeros(["batch", IN]), x);
        ({ y, r } = s.outputs as { y: Node; r: Node });
      }
      return { loss: d.add(d.mse(y, target), d.sum(d.mul(r, r))), outputs: { y, r } };
    });

  it("a product's per-step result and a scalar per step are stored through their own buffers, with the values of the recurrence written out", async () => {
    for (const dtype of ["f64", "f32"] as const) {
      const scanned = await compileAndImport(perStep(false), { dtype });
      const unrolled = (await compileAndImport(perStep(true), { dtype })).module;
      const params = scanned.module.initParams(3);
      const rng = mulberry32(11);
      const batch = 3;
      const data = { x: uniformArray(rng, batch * T * IN, -1, 1), target: uniformArray(rng, batch * T * 2, -1, 1) };
      const tol = dtype === "f64" ? 1e-12 : 1e-5;
      const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
        expect(a.length, what).toBe(b.length);
        Array.from(b).forEach((v, k) => expect(Math.abs(a[k]! - v), `${what}[${k}] (${dtype})`).toBeLessThanOrEqual(tol * (1 + Math.abs(v))));
      };
      const got = scanned.module.forward(params, data), want = unrolled.forward(params, data);
      close(got["y"]!, want["y"]!, "y");
      close(got["r"]!, want["r"]!, "r");
      const lg = scanned.module.lossAndGrad(params, data), lgWant = unrolled.lossAndGrad(params, data);
      close([lg.loss], [lgWant.loss], "loss");
      for (const name of ["W", "Wo"]) close(lg.grads[name]!, lgWant.grads[name]!, `∂L/∂${name}`);
    }
  });
});
