// simplify's constant-factor rules: c₁·(c₂·x) → (c₁c₂)·x, (x·c₁)/c₂ → x·(c₁/c₂) and −(c·x) → (−c)·x.
// First the arithmetic that justifies them, over many random doubles and floats: when one factor is a
// power of two the combined product is bit-identical to the two it replaces wherever the original's
// intermediate product stays finite and normal (the only other case is one where the original
// overflowed or lost bits to underflow, and the combined one is then the exact result); when neither
// is, it is not, which is why simplify leaves those alone. Then the rules themselves, on graphs.

import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/core.js";
import type { Graph } from "../../compiler/ir/graph.js";
import type { Node } from "../../compiler/ir/node.js";
import { isExactFactor, simplify } from "../../compiler/passes/simplify.js";
import { mulberry32 } from "../helpers/rng.js";
import { expectPreserved, outputOf, runPass, show, traced } from "./util.js";

const rng = mulberry32(14);
/** A random double with a random sign, mantissa and binary exponent in [lo, hi]. */
const randomDouble = (lo: number, hi: number): number => {
  const e = lo + Math.floor(rng() * (hi - lo + 1));
  return (rng() < 0.5 ? -1 : 1) * (1 + rng() + rng() * 2 ** -32) * 2 ** e; // a full 52-bit mantissa
};
const SAMPLES = 20_000;
const doubles = Array.from({ length: SAMPLES }, () => randomDouble(-1000, 1000));
const floats = Array.from({ length: SAMPLES }, () => Math.fround(randomDouble(-120, 120)));
const powersOfTwo = [-16, -9, -3, -1, 0, 1, 2, 5, 10, 16].flatMap((k) => [2 ** k, -(2 ** k)]);
const normal = (v: number, min: number, max: number) => v === 0 || (Math.abs(v) >= min && Math.abs(v) < max);
const DOUBLE = { min: 2 ** -1022, max: Number.MAX_VALUE };
const FLOAT = { min: 2 ** -126, max: 2 ** 128 };

describe("the arithmetic: powers of two combine bit for bit", () => {
  it("c₁·(c₂·x) ≡ (c₁c₂)·x in float64 wherever c₂·x is finite and normal", () => {
    let checked = 0;
    for (const c1 of powersOfTwo)
      for (const c2 of powersOfTwo)
        for (const x of doubles) {
          const inner = c2 * x;
          if (!normal(inner, DOUBLE.min, DOUBLE.max)) {
            // Out of range the original rounded (to ±∞ or a subnormal); the combined product is the exact one.
            continue;
          }
          checked++;
          if (!Object.is(c1 * inner, c1 * c2 * x)) expect.fail(`${c1}·(${c2}·${x}) = ${c1 * inner} but (${c1 * c2})·x = ${c1 * c2 * x}`);
        }
    expect(checked).toBeGreaterThan(0.9 * powersOfTwo.length ** 2 * SAMPLES);
  });

  it("and in float32, where an intermediate stored in a Float32Array is rounded to float", () => {
    let checked = 0;
    for (const c1 of powersOfTwo)
      for (const c2 of powersOfTwo)
        for (const x of floats) {
          const inner = Math.fround(c2 * x);
          if (!normal(inner, FLOAT.min, FLOAT.max)) continue;
          checked++;
          if (!Object.is(Math.fround(c1 * inner), Math.fround(c1 * c2 * x))) expect.fail(`float32: ${c1}·(${c2}·${x})`);
        }
    expect(checked).toBeGreaterThan(0.9 * powersOfTwo.length ** 2 * SAMPLES);
  });

  it("one power of two is enough: c·(2^k·x) ≡ (c·2^k)·x and 2^k·(c·x) ≡ (2^k·c)·x for any constant c", () => {
    const others = Array.from({ length: 50 }, () => randomDouble(-20, 20));
    let checked = 0;
    for (const p of powersOfTwo)
      for (const c of others)
        for (const x of doubles.slice(0, 2000)) {
          if (normal(p * x, DOUBLE.min, DOUBLE.max) && normal(c * x, DOUBLE.min, DOUBLE.max) && normal(c * p * x, DOUBLE.min, DOUBLE.max)) {
            checked++;
            if (!Object.is(c * (p * x), c * p * x)) expect.fail(`${c}·(${p}·${x})`);
            if (!Object.is(p * (c * x), p * c * x)) expect.fail(`${p}·(${c}·${x})`);
          }
        }
    expect(checked).toBeGreaterThan(0.8 * powersOfTwo.length * 50 * 2000);
  });

  it("(x·c₁)/c₂ ≡ x·(c₁/c₂) for a power of two c₂ and any c₁, wherever x·c₁ is finite and normal", () => {
    for (const c1 of [...Array.from({ length: 20 }, () => randomDouble(-20, 20)), 3, 0.1])
      for (const c2 of powersOfTwo)
        for (const x of doubles.slice(0, 5000)) {
          const inner = x * c1;
          if (!normal(inner, DOUBLE.min, DOUBLE.max) || !normal(inner / c2, DOUBLE.min, DOUBLE.max)) continue;
          if (!Object.is(inner / c2, x * (c1 / c2))) expect.fail(`(${x}·${c1})/${c2}`);
        }
  });

  it("(c₁/N)·(c₂·x) ≡ ((c₁c₂)/N)·x for a power of two c₂, any c₁ and any batch size N", () => {
    const cs = [1, 0.5, 0.01, 3, -1, ...Array.from({ length: 10 }, () => randomDouble(-10, 10))];
    for (const N of [1, 3, 7, 10, 64, 100, 1000, 4097])
      for (const c of cs)
        for (const d of powersOfTwo)
          for (const x of doubles.slice(0, 1000)) {
            if (!normal(d * x, DOUBLE.min, DOUBLE.max) || !normal((c / N) * d * x, DOUBLE.min, DOUBLE.max)) continue;
            if (!Object.is((c / N) * (d * x), ((c * d) / N) * x)) expect.fail(`(${c}/${N})·(${d}·${x})`);
          }
  });

  it("(x·c₁)/c₂ ≡ x·(c₁/c₂), and (x·c)/c ≡ x, wherever x·c₁ is finite and normal", () => {
    for (const c1 of powersOfTwo)
      for (const c2 of powersOfTwo)
        for (const x of doubles) {
          const inner = x * c1;
          if (!normal(inner, DOUBLE.min, DOUBLE.max)) continue;
          if (!Object.is(inner / c2, x * (c1 / c2))) expect.fail(`(${x}·${c1})/${c2}`);
          if (c1 === c2 && !Object.is(inner / c2, x)) expect.fail(`(${x}·${c1})/${c1} ≠ x`);
        }
  });

  it("−(c·x) ≡ (−c)·x for every constant and every x: negation only flips the sign bit", () => {
    for (const c of [0.1, 3, -7.25, Math.PI, 1e-300, ...powersOfTwo])
      for (const x of [...doubles, 0, -0, Infinity, -Infinity, 5e-324])
        if (!Object.is(-(c * x), -c * x)) expect.fail(`−(${c}·${x})`);
  });

  it("when neither factor is a power of two they do not combine bit for bit: simplify leaves them alone", () => {
    for (const [c1, c2] of [[0.1, 3], [3, 1 / 3], [3, 7], [10, 0.1]] as const) {
      const differ = doubles.filter((x) => normal(c2 * x, DOUBLE.min, DOUBLE.max) && !Object.is(c1 * (c2 * x), c1 * c2 * x));
      expect(differ.length, `${c1}·(${c2}·x)`).toBeGreaterThan(SAMPLES / 100);
    }
  });

  it("the range caveat is real, and only there: 0.5·(2·x) overflows where x does not", () => {
    const x = 1.5 * 2 ** 1023;
    expect(0.5 * (2 * x)).toBe(Infinity);
    expect(0.5 * 2 * x).toBe(x);
  });

  it("isExactFactor: ±2^k with 2^k normal in float32 and float64", () => {
    expect([1, 2, 0.5, -4, 2 ** -126, 2 ** 127, -(2 ** -20)].every(isExactFactor)).toBe(true);
    expect([0, -0, 3, 0.1, 1.5, 2 ** -127, 2 ** 128, Infinity, NaN, 5e-324].some(isExactFactor)).toBe(false);
  });
});

/** A model over x: [2, 3] whose output "out" is `f(x)`; the loss Σ out + Σ out² gives each element its own gradient. */
function modelOf(f: (x: Node) => Node): Graph {
  return traced(() => {
    const x = d.param("x", [2, 3]);
    const out = f(x);
    return { loss: d.add(d.sum(out), d.sum(d.square(out))), outputs: { out } };
  });
}

describe("simplify: constant factors", () => {
  const cases: [string, (x: Node) => Node, string][] = [
    ["½·(2·x) → x", (x) => d.mul(0.5, d.mul(2, x)), "x"],
    ["4·(x·2) → 8·x", (x) => d.mul(4, d.mul(x, 2)), "mul(8, x)"],
    ["(x·2)·4 → x·8", (x) => d.mul(d.mul(x, 2), 4), "mul(x, 8)"],
    ["(2·x)·0.25 → x·0.5", (x) => d.mul(d.mul(2, x), 0.25), "mul(x, 0.5)"],
    ["(−1)·(2·x) → (−2)·x", (x) => d.mul(-1, d.mul(2, x)), "mul(-2, x)"],
    ["3·(2·x) → 6·x (one factor a power of two)", (x) => d.mul(3, d.mul(2, x)), "mul(6, x)"],
    ["(x·0.1)·4 → x·0.4", (x) => d.mul(d.mul(x, 0.1), 4), `mul(x, ${0.1 * 4})`],
    ["(x·3)/2 → x·1.5", (x) => d.div(d.mul(x, 3), 2), "mul(x, 1.5)"],
    ["(x·4)/4 → x", (x) => d.div(d.mul(x, 4), 4), "x"],
    ["(8·x)/2 → 4·x", (x) => d.div(d.mul(8, x), 2), "mul(4, x)"],
    ["(x·2)/8 → x·0.25", (x) => d.div(d.mul(x, 2), 8), "mul(x, 0.25)"],
    ["−(3·x) → (−3)·x", (x) => d.neg(d.mul(3, x)), "mul(-3, x)"],
    ["−(x·0.1) → x·(−0.1)", (x) => d.neg(d.mul(x, 0.1)), "mul(x, -0.1)"],
    ["x·(−2) stays", (x) => d.mul(x, d.neg(d.scalar(2))), "mul(x, -2)"],
    ["(1/N)·(2·x) → (2/N)·x", (x) => d.mul(d.div(1, d.dim("batch")), d.mul(2, x)), "mul(div(2, N), x)"],
    ["(2·x)·(0.5/N) → x·(1/N)", (x) => d.mul(d.mul(2, x), d.div(0.5, d.dim("batch"))), "mul(x, div(1, N))"],
    ["(1/N)·(3·x) stays (3 is not a power of two)", (x) => d.mul(d.div(1, d.dim("batch")), d.mul(3, x)), "mul(div(1, N), mul(3, x))"],
    ["(2^100/N)·(2^100·x) stays (2^200 is out of float32's range)", (x) => d.mul(d.div(2 ** 100, d.dim("batch")), d.mul(2 ** 100, x)), `mul(div(${2 ** 100}, N), mul(${2 ** 100}, x))`],
    // Not powers of two: left as written.
    ["3·(7·x) stays", (x) => d.mul(3, d.mul(7, x)), "mul(3, mul(7, x))"],
    ["(x·2)/3 stays (the divisor is not a power of two)", (x) => d.div(d.mul(x, 2), 3), "div(mul(x, 2), 3)"],
    ["0.1·(x·10) stays", (x) => d.mul(0.1, d.mul(x, 10)), "mul(0.1, mul(x, 10))"],
    ["(x·3)/3 stays", (x) => d.div(d.mul(x, 3), 3), "div(mul(x, 3), 3)"],
    ["2^100·(2^100·x) stays (2^200 is out of float32's range)", (x) => d.mul(2 ** 100, d.mul(2 ** 100, x)), `mul(${2 ** 100}, mul(${2 ** 100}, x))`],
    ["(x·2^-100)/2^100 stays (2^-200 is out of float32's range)", (x) => d.div(d.mul(x, 2 ** -100), 2 ** 100), `div(mul(x, ${2 ** -100}), ${2 ** 100})`],
  ];
  for (const [title, f, expected] of cases) {
    it(title, () => {
      const g = modelOf(f);
      const r = runPass(simplify, g, "simplify");
      expect(show(outputOf(r.graph, "out"))).toBe(expected);
      expectPreserved(g, r.graph);
    });
  }

  it("the notes name the rule and its condition", () => {
    const r = runPass(simplify, modelOf((x) => d.mul(0.5, d.mul(2, x))), "simplify");
    expect(r.notes).toEqual(["c₁·(c₂·x) → (c₁c₂)·x  (one a power of two)"]);
  });

  it("a gradient that simplifies to a forward value leaves it its own name (or none), not the gradient's", () => {
    // ∂L/∂y of L = ½Σ(y − t)² is ½·(2·(y − t)): it becomes the forward value y − t itself.
    for (const name of ["v", undefined]) {
      const g = traced(() => {
        const y = d.param("y", [2, 1]);
        const t = d.param("t", [2, 1]);
        const v = d.sub(y, t);
        if (name) v.name = name;
        return { loss: d.mul(0.5, d.sum(d.square(v))) };
      });
      const joint = differentiate(g);
      const dv = joint.nodes.find((n) => n.op === "mul" && n.inputs[0]!.op === "broadcastTo");
      expect(dv?.origin, "grad makes ∂L/∂v = ½·(2·v), a named gradient node").toBe("square'");
      expect(dv?.name).toMatch(/^d/);
      const r = runPass(simplify, joint, "simplify");
      const v = r.graph.nodes.find((n) => n.op === "sub")!;
      expect(show(r.graph.grads.find(([k]) => k === "y")![1])).toBe("sub(y, t)");
      expect(v.name).toBe(name);
      expect(v.origin).toBeUndefined();
    }
  });
});

import { grad as differentiate } from "../../compiler/autodiff/grad.js";
