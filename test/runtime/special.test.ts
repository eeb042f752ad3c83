// runtime/special.ts's erf against the true values (mpmath, 40 digits: mp.erf(x) for these x, printed to
// 25 digits) and against torch.erf (test/fixtures/torch/ops.json), at both ends of each of its three
// series, in the tails, at tiny and subnormal arguments, ±0, ±∞ and NaN.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { erf } from "../../runtime/special.js";

/** [x, erf(x) to 25 digits] for x ≥ 0 (erf is odd: −x is checked too). */
const REFERENCE: readonly (readonly [number, string])[] = [
  [0.0, "0.0"], [1e-300, "1.128379167095512602172316e-300"], [5e-324, "5.574933819448522712675509e-324"], [1e-10, "1.12837916709551261500173e-10"],
  [0.1, "0.1124629160182848984047123"], [0.25, "0.2763263901682369329850683"], [0.473, "0.4964554119495580334851028"], [0.5, "0.5204998778130465376827467"],
  [0.75, "0.7111556336535151315989378"], [0.9999999999999999, "0.8427007929497148232550305"], [1.0, "0.8427007929497148693412206"],
  [1.0000000000000002, "0.8427007929497149615136009"], [1.3, "0.9340079449406524458501854"], [1.75, "0.9866716712191824437722111"],
  [2.2, "0.9981371537020181101414414"], [2.4999999999999996, "0.9995930479825550400930833"], [2.5, "0.9995930479825550410604358"],
  [2.9, "0.9999589021219005411420041"], [3.5, "0.9999992569016276585872545"], [4.2, "0.9999999971445058204078158"], [5.0, "0.999999999998462540205572"],
  [5.5, "0.999999999999992642152082"], [5.8, "0.9999999999999997644410625"], [5.9, "0.9999999999999999280959022"],
  [5.999999999999999, "0.9999999999999999784802633"], [6.0, "0.9999999999999999784802633"], [6.5, "0.9999999999999999999615785"], [27.0, "1.0"],
  [2.169137, "0.9978423133199827477982761"], [2.882884, "0.9999543821845630973498533"], [2.501716, "0.9995967699246685816910896"],
  [2.680556, "0.999849884711121997877383"], [2.457094, "0.9994888717009424968170327"], [3.946235, "0.9999999760611416565371477"],
  [1.553132, "0.9719409890298026989994713"], [3.809976, "0.9999999288013833757506493"], [0.06077, "0.06848728394176524475612197"],
  [1.812262, "0.9896205681999969476939437"], [2.01038, "0.9955323883566975617721666"], [0.851703, "0.7715997295432121896533658"],
  [4.460486, "0.9999999997174814424674724"], [1.86065, "0.991495521744091285130208"], [4.735452, "0.9999999999787171691836068"],
  [5.73723, "0.9999999999999995088597947"], [1.521036, "0.9685293044972950620043248"], [5.361244, "0.9999999999999659584720135"],
  [4.845821, "0.9999999999927695950088373"], [4.004514, "0.9999999851457104205822716"], [0.164216, "0.1836456659126007917128125"],
  [2.74073, "0.9998938025182444780754707"], [3.760493, "0.9999998951667219246169336"], [1.777354, "0.988047992160106099855648"],
];

/** The spacing of doubles at v (an ulp), the smallest subnormal at 0. */
function ulp(v: number): number {
  const a = Math.abs(v);
  if (a < 2.2250738585072014e-308) return 5e-324;
  return 2 ** (Math.floor(Math.log2(a)) - 52);
}

describe("erf", () => {
  it.each(REFERENCE.map(([x, v]) => [x, v] as const))("erf(±%s) is within 2 ulps of %s", (x, v) => {
    const want = Number(v);
    expect(Math.abs(erf(x) - want), `erf(${x}) = ${erf(x)}`).toBeLessThanOrEqual(2 * ulp(want));
    expect(erf(-x)).toBe(-erf(x));
  });

  it("NaN gives NaN, ±∞ give ±1, −0 gives −0", () => {
    expect(erf(NaN)).toBeNaN();
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(Object.is(erf(-0), -0)).toBe(true);
    expect(Object.is(erf(0), 0)).toBe(true);
  });

  it("agrees with torch.erf within 2 ulps on the parity fixture's grid", () => {
    const facts = JSON.parse(readFileSync(new URL("../fixtures/torch/ops.json", import.meta.url), "utf8")) as { cases: { id: string; inputs: { x: { values: (number | string)[] } }; y: { values: (number | string)[] } }[] };
    const c = facts.cases.find((k) => k.id === "erf")!;
    const xs = c.inputs.x.values.map(Number), ys = c.y.values.map(Number);
    expect(xs.length).toBeGreaterThan(10);
    xs.forEach((x, k) => {
      if (Number.isNaN(ys[k]!)) expect(erf(x)).toBeNaN();
      else expect(Math.abs(erf(x) - ys[k]!), `erf(${x})`).toBeLessThanOrEqual(2 * ulp(ys[k]!));
    });
  });

  it("is monotone across the boundaries of its series (1, 2.5, 6)", () => {
    for (const b of [1, 2.5, 6]) {
      let prev = erf(b - 64 * ulp(b));
      for (let k = -63; k <= 64; k++) {
        const v = erf(b + k * ulp(b));
        expect(v, `erf just past ${b}`).toBeGreaterThanOrEqual(prev);
        prev = v;
      }
    }
  });
});
