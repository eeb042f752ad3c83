// Row calls (compiler/emit/kernels.ts rowCalls): a float32 kernel that is σ or tanh alone over a stored row
// longer than UNROLL_ELEMENTS — the whole array, or a slice of it along the last axis, as an LSTM's gates —
// calls gradc/runtime's sigmoidRow/tanhRow once per row. Checked here: which kernels become calls and which
// stay expressions (fused chains, short rows, strided slices, float64 modules), that the module imports
// exactly what it calls, that the stored floats are those of Math.exp and Math.tanh, and that training
// gives the float64 module's loss and gradients to float32 precision.
import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/index.js";
import { model } from "../../compiler/dsl/model.js";
import { compileAndImport } from "../helpers/compiled.js";
import { mulberry32, uniformArray } from "../helpers/rng.js";

/** Gates over slices of z (as an LSTM's), σ and tanh of whole arrays, and kernels that must stay loops. */
const gates = model("gates", () => {
  const x = d.input("x", ["batch", 24]);
  const W = d.param("W", [24, 224], { init: "xavier" });
  const P = d.param("P", [3, 40], { init: "uniform", low: -2, high: 2 });
  const z = d.matmul(x, W); // [batch, 224]
  const i = d.sigmoid(d.slice(z, { start: 0, end: 64 })); // a row call on z's first 64 columns
  const g = d.tanh(d.slice(z, { start: 64, end: 128 })); // a row call from column 64
  const every = d.sigmoid(d.slice(z, { start: 128, end: 224, step: 2 })); // strided (48 columns): a loop
  const short = d.tanh(d.slice(z, { start: 208, end: 224 })); // 16 columns: written out
  const whole = d.tanh(z); // the whole row
  const fused = d.sigmoid(d.add(z, 1)); // σ of an expression computed in the same loop
  const p = d.tanh(P); // a parameter, no batch
  const c = d.mul(i, g);
  const loss = d.add(
    d.add(d.mean(d.square(c)), d.mean(d.mul(whole, fused))),
    d.add(d.add(d.mean(every), d.mean(d.square(short))), d.mean(d.square(p))),
  );
  return { loss, outputs: { z, i, g, whole, fused, p } };
});

const inputs = (batch: number) => ({ x: uniformArray(mulberry32(batch), batch * 24, -1.5, 1.5) });
const f32 = (p: Record<string, ArrayLike<number>>) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Float32Array.from(v)]));

describe("row calls of σ and tanh in float32 modules", () => {
  it("calls sigmoidRow and tanhRow for σ or tanh alone over a stored row, and nothing else", async () => {
    const { code } = await compileAndImport(gates, { dtype: "f32" });
    const calls = code.split("\n").map((l) => l.trim()).filter((l) => /^(sigmoidRow|tanhRow)\(/.test(l));
    const name = "[\\w$]+";
    expect(calls).toEqual([
      // tanh(P): P's three rows of 40 (the 3 is written out), before the batch loop
      ...[0, 40, 80].map((r) => expect.stringMatching(new RegExp(`^tanhRow\\(${name}, ${r}, P, ${r}, 40\\);$`))),
      expect.stringMatching(new RegExp(`^sigmoidRow\\(${name}, i \\* 64, ${name}, i \\* 224, 64\\);$`)), // σ(z[:, 0:64])
      expect.stringMatching(new RegExp(`^tanhRow\\(${name}, i \\* 64, ${name}, i \\* 224 \\+ 64, 64\\);$`)), // tanh(z[:, 64:128])
      expect.stringMatching(new RegExp(`^tanhRow\\(${name}, i \\* 224, ${name}, i \\* 224, 224\\);$`)), // tanh(z)
    ]);
    // The strided slice, the 16 columns and σ(z + 1) stay expressions.
    expect(code).toMatch(/= 1 \/ \(1 \+ Math\.exp\(-[\w$]+\[i \* 224 \+ j \* 2 \+ 128\]!\)\);/);
    expect(code).toMatch(/= Math\.tanh\([\w$]+\[i \* 224 \+ 223\]!\);/);
    expect(code).toMatch(/= 1 \/ \(1 \+ Math\.exp\(-add\)\);/);
    expect(code).toMatch(/import \{[^}]*\bsigmoidRow,\s+tanhRow,/);
  });

  it("float64 modules keep their loops of Math.exp and Math.tanh, and import no row function", async () => {
    const { code } = await compileAndImport(gates);
    expect(code).not.toMatch(/sigmoidRow|tanhRow/);
    expect(code).toMatch(/= Math\.tanh\([\w$]+\[i \* 224 \+ j\]!\);/);
  });

  it("a module whose σ kernels are all fused imports no row function (an unused import would not type-check)", async () => {
    const fusedOnly = model("fusedOnly", () => {
      const x = d.input("x", ["batch", 40]);
      const b = d.param("b", [40], { init: "zeros" });
      return { loss: d.mean(d.sigmoid(d.add(x, b))) };
    });
    const { code } = await compileAndImport(fusedOnly, { dtype: "f32" });
    expect(code).not.toMatch(/sigmoidRow|tanhRow/);
  });

  it("stores the floats of Math.exp and Math.tanh, and trains as the float64 module to float32 precision", async () => {
    const m32 = (await compileAndImport(gates, { dtype: "f32" })).module;
    const m64 = (await compileAndImport(gates)).module;
    const params = m64.initParams(3);
    for (const batch of [1, 3, 17]) {
      const x = inputs(batch);
      const o = m32.forward(f32(params), x);
      const z = o["z"]!;
      for (let r = 0; r < batch; r++) {
        for (let j = 0; j < 64; j++) {
          expect(o["i"]![r * 64 + j], `σ at row ${r}, column ${j}`).toBe(Math.fround(1 / (1 + Math.exp(-z[r * 224 + j]!))));
          expect(o["g"]![r * 64 + j], `tanh at row ${r}, column ${j}`).toBe(Math.fround(Math.tanh(z[r * 224 + 64 + j]!)));
        }
        for (let j = 0; j < 224; j++) expect(o["whole"]![r * 224 + j]).toBe(Math.fround(Math.tanh(z[r * 224 + j]!)));
      }
      const P = Float32Array.from(params["P"]!);
      expect(Array.from(o["p"]!)).toEqual(Array.from(P, (v) => Math.fround(Math.tanh(v))));

      const lg64 = m64.lossAndGrad(params, x);
      const lg32 = m32.lossAndGrad(f32(params), x);
      expect(Math.abs(lg32.loss - lg64.loss)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(lg64.loss)));
      for (const [name, g] of Object.entries(lg64.grads)) {
        const largest = Math.max(...Array.from(g, Math.abs));
        expect(largest, `∂L/∂${name} is not zero`).toBeGreaterThan(1e-6);
        Array.from(g).forEach((v, k) => expect(Math.abs(lg32.grads[name]![k]! - v), `∂L/∂${name}[${k}] at batch ${batch}`).toBeLessThanOrEqual(1e-5 * (1 + largest)));
      }
    }
  });
});
