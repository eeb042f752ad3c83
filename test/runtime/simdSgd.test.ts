// The plain SGD update on a float32 module's WebAssembly engine (scripts/update-wat.js, runtime/gemm.ts
// `sgd`): p + (−lr)·g in double precision, rounded to float32 when stored — bit for bit what update.ts's
// JavaScript loop stores, over lengths with and without a tail of one to three elements, special values
// (NaN, ±∞, −0, subnormals, values whose product rounds), and through applyUpdate with and without the
// engine (a parameter long enough to use it and one too short).
import { describe, expect, it } from "vitest";
import { createGemm } from "../../runtime/gemm.js";
import { createOptimizer } from "../../runtime/optim.js";
import { applyUpdate } from "../../runtime/update.js";

const special = [NaN, Infinity, -Infinity, -0, 0, 1e-45, -1e-45, 1.1754942e-38, 3.4028235e38, -3.4028235e38, 1 / 3, 0.1];
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer.slice(0)));

describe("SGD on the runtime's WebAssembly", () => {
  const engine = createGemm();
  for (const n of [1, 2, 3, 4, 5, 7, 8, 13, 1000, 1003])
    it(`${n} elements: the float32 of p + (−lr)·g computed in double`, () => {
      const P = Float32Array.from({ length: n }, (_, q) => special[q % special.length]! * (q % 3 === 0 ? 1 : Math.sin(q)));
      const G = Float32Array.from({ length: n }, (_, q) => special[(q * 5 + 2) % special.length]! * Math.cos(q) * 1e3);
      const negLr = -0.0137;
      const want = Float32Array.from(P, (p, q) => p + negLr * G[q]!);
      engine.sgd(P, G, negLr);
      expect(bits(P)).toEqual(bits(want));
    });
  it("applyUpdate with the engine gives the bits it gives without", () => {
    const sizes = [5000, 17];
    const params = () => sizes.map((n, k) => Float32Array.from({ length: n }, (_, q) => Math.sin(q * 0.3 + k)));
    const grads = sizes.map((n, k) => Float32Array.from({ length: n }, (_, q) => Math.cos(q * 0.7 + k)));
    const [plain, onEngine] = [params(), params()];
    const [a, b] = [0, 1].map(() => createOptimizer({ kind: "sgd", lr: 0.05 }, sizes, "f32"));
    const calls: number[] = [];
    const counted = { sgd: (P: Float32Array, G: Float32Array, negLr: number) => (calls.push(P.length), engine.sgd(P, G, negLr)) };
    for (let step = 0; step < 3; step++) {
      applyUpdate(plain, grads, a!.beginFusedStep(), "f32");
      applyUpdate(onEngine, grads, b!.beginFusedStep(), "f32", counted);
    }
    expect(onEngine.map(bits)).toEqual(plain.map(bits));
    expect(calls).toEqual([5000, 5000, 5000]); // the long parameter on the engine, the short one in JavaScript
  });
});
