// The generated code names values as `gradc explain` does: zℓ, hℓ, δℓ (z1, h1, delta1), vₖ, the
// model's own names, parameters without suffixes (the GEMM's register locals carry a `$` no model name
// can have), and Σ_rows for a sum over the batch rows.
import { describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/compile.js";
import { explainFile } from "../../compiler/explain.js";
import { Names } from "../../compiler/emit/names.js";

const passOf = (code: string, name: string): string => {
  const start = code.indexOf(`function ${name}(`);
  expect(start, name).toBeGreaterThanOrEqual(0);
  return code.slice(start, code.indexOf("\n}\n", start));
};

describe("emitted names follow explain", () => {
  it("examples/worked: δ₂, δ₁, v₁ and the parameters by their names", async () => {
    const { code } = await compileFile("examples/worked/model.ts");
    const train = passOf(code, "trainPass");
    const explained = await explainFile("examples/worked/model.ts");
    expect(explained).toContain("δ₂ = ∂L/∂z₂");
    expect(explained).toContain("v₁ = y − t");
    expect(train).toContain("// delta2 = v1 ⊙ (y ⊙ (1 − y))   (sigmoid'");
    expect(train).toContain("// delta1 = delta2·W2ᵀ ⊙ (h1 ⊙ (1 − h1))");
    expect(train).toContain("// db2 = Σ_rows delta2");
    // The training pass calls the forward pass, which names z1, h1, z2 and y as model.ts does, and reads
    // y from the workspace it left.
    const forward = passOf(code, "forwardPass");
    for (const v of ["z1", "h1", "z2", "y"]) expect(forward).toContain(`const ${v} = ws.${v};`);
    expect(train).toContain("const y = ws.forward.y;");
    expect(train).toContain("forwardPass(params, ws.forward, n, inputs);");
    expect(train).toContain("const v1_0 = y[i]! - t[i]!;");
    for (const p of ["W1", "b1", "W2", "b2"]) expect(forward).toContain(`const ${p} = params["${p}"];`);
    expect(train).toContain(`const W2 = params["W2"];`);
    expect(code).not.toMatch(/\b[Wb]\d_2\b/);
    expect(code).not.toContain("Σ_axis0");
  });

  it("examples/mnist-mlp: the layer-1 δ is delta1, not `mul` (dW1 = xᵀ·delta1)", async () => {
    const { code } = await compileFile("examples/mnist-mlp/model.ts");
    const train = passOf(code, "trainPass");
    expect(train).toContain("// dW1 = xᵀ·delta1");
    expect(train).toContain("// delta1 = delta2·W2ᵀ ⊙ [h1 > 0]");
    expect(passOf(code, "forwardPass")).toContain("const b1 = params[\"b1\"];");
    expect(code).not.toMatch(/\bb[12]_2\b/);
  });

  it("a name from the model never takes a `$`, so the GEMM's locals reserve nothing", () => {
    const names = new Names();
    expect(names.fresh("b0")).toBe("b0");
    expect(names.fresh("a$0")).toBe("a_0");
    expect(names.fresh("c$00")).toBe("c_00");
  });
});
