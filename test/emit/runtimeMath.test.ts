// A module imports the gradc/runtime math its expressions call (erf) from the ops' own `runtime` lists,
// also where no gradient flows through the op: an exact gelu that is only an output calls erf in the
// forward pass, while no derivative (whose erf would bring the import along) is emitted for it.
import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/core.js";
import { model } from "../../compiler/dsl/model.js";
import { compileAndImport } from "../helpers/compiled.js";

const gate = (approximate: "none" | "tanh") =>
  model("gate", () => {
    const x = d.input("x", ["batch", 2]);
    const W = d.param("W", [2, 2]);
    return { loss: d.sum(d.square(d.matmul(x, W))), outputs: { g: d.gelu(x, { approximate }) } };
  });

describe("runtime math a module imports", () => {
  it("exact gelu only in an output: erf is imported and forward computes ½x(1 + erf(x/√2))", async () => {
    const { module, code } = await compileAndImport(gate("none"));
    expect(code).toMatch(/import \{[^}]*\berf\b[^}]*\} from "gradc\/runtime"/);
    const xs = [0.5, -1.25, 2, 0];
    const out = module.forward(module.initParams(0), { x: xs }) as Record<string, ArrayLike<number>>;
    // ½x(1 + erf(x/√2)) from Python's math.erf (the runtime's own erf would check erf against itself).
    const expected = [0.34573123063700656, -0.13206221708356913, 1.9544997361036416, 0];
    Array.from(out.g!).forEach((v, k) => expect(v).toBeCloseTo(expected[k]!, 12));
  });
  it("the tanh form needs no erf: nothing is imported for it", async () => {
    const { code } = await compileAndImport(gate("tanh"));
    expect(code).not.toMatch(/import \{[^}]*\berf\b[^}]*\} from "gradc\/runtime"/);
  });
});
