// runtime/quickMath.ts: sigmoidRow and tanhRow, which float32 modules call for their σ and tanh kernels
// (test/emit/rowCalls.test.ts says when), and the quickExp and quickTanh they compute with: the tables
// checked exactly (BigInt arithmetic), the values against Math's (fdlibm, within one ulp of the true value)
// over every range a kernel meets, the float32 values a module stores compared one by one, the special values.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { quickExp, quickTanh, sigmoidRow, tanhRow } from "../../runtime/quickMath.js";

/** The spacing of doubles at v (an ulp). */
function ulp(v: number): number {
  return 2 ** (Math.floor(Math.log2(Math.abs(v))) - 52);
}

/** A double as mantissa · 2^exponent, both exact. */
function exact(v: number): { mantissa: bigint; exponent: number } {
  const bits = new BigInt64Array(new Float64Array([v]).buffer)[0]!;
  const e = Number((bits >> 52n) & 0x7ffn);
  const m = bits & 0xfffffffffffffn;
  return e === 0 ? { mantissa: m, exponent: -1074 } : { mantissa: m | (1n << 52n), exponent: e - 1075 };
}

/** A small seeded generator (xorshift32), so every run tests the same arguments. */
function uniform(seed: number): () => number {
  let s = seed;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const source = readFileSync(new URL("../../runtime/quickMath.ts", import.meta.url), "utf8");
const table = (name: string): number[] => {
  const body = new RegExp(`const ${name} = new Float64Array\\(\\[([^\\]]*)\\]\\)`).exec(source)![1]!;
  return body.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
};
const constant = (name: string): number => Number(new RegExp(`const ${name} = ([^;]+);`).exec(source)![1]);

describe("quickMath's tables", () => {
  const pow2 = table("POW2_SIXTYFOURTHS");
  const tail = table("POW2_SIXTYFOURTHS_TAIL");

  it("holds the double nearest 2^(j/64) for each j: (2M − 1)^64 < 2^(j − 64(E − 1)) < (2M + 1)^64 for M·2^E", () => {
    expect(pow2).toHaveLength(64);
    pow2.forEach((v, j) => {
      const { mantissa: m, exponent: e } = exact(v);
      const power = 1n << BigInt(j - 64 * (e - 1));
      expect((2n * m - 1n) ** 64n < power && power < (2n * m + 1n) ** 64n, `2^(${j}/64)`).toBe(true);
    });
  });

  it("holds what each entry misses: (entry + tail)^64 is 2^j to 100 bits", () => {
    expect(tail).toHaveLength(64);
    const bits = 200n; // fixed point with 200 fraction bits
    const fixed = (v: number) => {
      const { mantissa, exponent } = exact(Math.abs(v));
      const f = exponent >= -Number(bits) ? mantissa << BigInt(Number(bits) + exponent) : mantissa >> BigInt(-Number(bits) - exponent);
      return v < 0 ? -f : f;
    };
    pow2.forEach((v, j) => {
      expect(Math.abs(tail[j]!)).toBeLessThanOrEqual(ulp(v) / 2);
      const s = fixed(v) + fixed(tail[j]!);
      let p = 1n << bits;
      for (let k = 0; k < 64; k++) p = (p * s) >> bits;
      const want = 1n << (bits + BigInt(j));
      const diff = p > want ? p - want : want - p;
      expect(diff < want >> 100n, `2^(${j}/64)`).toBe(true);
    });
  });

  it("splits ln 2 / 64 into a high part with 32 significant bits and a low part, together ln 2 / 64 to 2e-27", () => {
    const hi = constant("LN2_64_HI"), lo = constant("LN2_64_LO");
    expect(Number.isInteger(hi * 2 ** 37)).toBe(true);
    expect(hi * 2 ** 37).toBeLessThan(2 ** 32);
    // ln 2 to 40 digits, as an integer over 10^40.
    const ln2 = 6931471805599453094172321214581765680755n;
    const scale = 10n ** 40n;
    const asFraction = (v: number) => {
      const { mantissa, exponent } = exact(v);
      return (mantissa * scale * 64n) / (1n << BigInt(-exponent)); // v · 64 · 10^40, v < 1
    };
    const diff = asFraction(hi) + asFraction(lo) - ln2;
    // 64·(hi + lo) = ln 2 within 1e-25: the low part is rounded to a double (2^-53 of 6.6e-12, times 64, 5e-26).
    expect(diff < 10n ** 15n && diff > -(10n ** 15n), String(diff)).toBe(true);
    expect(constant("SIXTYFOUR_OVER_LN2")).toBe(64 / Math.LN2);
  });
});

describe("quickExp", () => {
  it.each([0.001, 0.1, 1, 5, 20, 100, 700])("is within 1 ulp of Math.exp on ±%s", (range) => {
    const random = uniform(17 + range);
    let worst = 0;
    for (let k = 0; k < 50_000; k++) {
      const x = (2 * random() - 1) * range;
      worst = Math.max(worst, Math.abs(quickExp(x) - Math.exp(x)) / ulp(Math.exp(x)));
    }
    expect(worst).toBeLessThanOrEqual(1);
  });

  it("keeps the ends: e^709.78 is finite, e^709.79 and e^∞ are ∞, e^−746 and e^−∞ are 0, e^±0 = 1, e^NaN = NaN", () => {
    expect(quickExp(709.78)).toBe(Math.exp(709.78));
    expect(quickExp(709.79)).toBe(Infinity);
    expect(quickExp(Infinity)).toBe(Infinity);
    expect(quickExp(1e300)).toBe(Infinity);
    expect(quickExp(-746)).toBe(0);
    expect(quickExp(-Infinity)).toBe(0);
    expect(quickExp(0)).toBe(1);
    expect(quickExp(-0)).toBe(1);
    expect(quickExp(NaN)).toBeNaN();
    // Near the bottom of the doubles it keeps the value to a few ulps of the smallest normal, all 0 in float32.
    for (const x of [-700, -708, -708.3, -708.4]) expect(Math.abs(quickExp(x) - Math.exp(x)) / Math.exp(x)).toBeLessThan(1e-15);
    for (const x of [-710, -720, -745, -745.1]) expect(Math.fround(quickExp(x))).toBe(0);
  });
});

describe("quickTanh", () => {
  it.each([1e-6, 0.003, 0.05, 1, 5, 20, 40])("is within 4 ulps of Math.tanh on ±%s", (range) => {
    const random = uniform(29 + range);
    let worst = 0;
    for (let k = 0; k < 50_000; k++) {
      const x = (2 * random() - 1) * range;
      if (x === 0) continue;
      worst = Math.max(worst, Math.abs(quickTanh(x) - Math.tanh(x)) / ulp(Math.tanh(x)));
    }
    expect(worst).toBeLessThanOrEqual(4);
  });

  it("is odd, keeps ±0 and NaN, and is ±1 from |x| = 20 on", () => {
    for (const x of [1e-300, 1e-8, 0.3, 2.5, 19.9]) expect(quickTanh(-x)).toBe(-quickTanh(x));
    expect(Object.is(quickTanh(-0), -0)).toBe(true);
    expect(Object.is(quickTanh(0), 0)).toBe(true);
    expect(quickTanh(NaN)).toBeNaN();
    for (const x of [20, 25, 1e300, Infinity]) {
      expect(quickTanh(x)).toBe(1);
      expect(quickTanh(-x)).toBe(-1);
    }
    expect(quickTanh(1e-300)).toBe(1e-300);
  });
});

describe("float32 modules store the same values as with Math's functions", () => {
  // Pre-activations of a network are about normal with a spread of a few units (σ reads e^−x of them);
  // and e^x below 0, as a softmax's e^(x − max) would be.
  it("for a million arguments of each kind, every stored float is the same", () => {
    const random = uniform(5);
    const normal = () => Math.sqrt(-2 * Math.log(random() || 1e-300)) * Math.cos(2 * Math.PI * random());
    const differ = { sigmoid: 0, tanh: 0, expBelowZero: 0 };
    for (let k = 0; k < 1_000_000; k++) {
      const x = 3 * normal();
      if (Math.fround(1 / (1 + quickExp(-x))) !== Math.fround(1 / (1 + Math.exp(-x)))) differ.sigmoid++;
      if (Math.fround(quickTanh(x)) !== Math.fround(Math.tanh(x))) differ.tanh++;
      const d = -20 * random();
      if (Math.fround(quickExp(d)) !== Math.fround(Math.exp(d))) differ.expBelowZero++;
    }
    expect(differ).toEqual({ sigmoid: 0, tanh: 0, expBelowZero: 0 });
  });
});

describe("sigmoidRow and tanhRow", () => {
  it("write σ and tanh of x[s…s + length) to out[o…o + length), as floats of Math's values, and nothing else", () => {
    const random = uniform(11);
    const x = Float32Array.from({ length: 300 }, () => 12 * random() - 6);
    x[57] = NaN;
    for (const [row, f] of [[sigmoidRow, (v: number) => 1 / (1 + Math.exp(-v))], [tanhRow, Math.tanh]] as const) {
      const out = new Float32Array(260).fill(7);
      row(out, 9, x, 40, 200);
      for (let k = 0; k < out.length; k++) {
        const want = k >= 9 && k < 209 ? Math.fround(f(x[40 + k - 9]!)) : 7;
        expect(Object.is(out[k], want), `${row.name}: out[${k}] = ${out[k]}, not ${want}`).toBe(true);
      }
      expect(out[9 + 17]).toBeNaN(); // x[57]: NaN in, NaN out
    }
  });

  it("may write a row onto itself (out = x, o = s)", () => {
    const x = Float32Array.from([-3, -0.5, 0, 0.5, 3]);
    const copy = Float32Array.from(x);
    tanhRow(x, 0, x, 0, 5);
    expect(Array.from(x)).toEqual(Array.from(copy, (v) => Math.fround(Math.tanh(v))));
  });
});
