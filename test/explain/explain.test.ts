// gradc explain: the textbook derivation (δℓ = ∂L/∂zℓ, ∂L/∂Wℓ = hℓ₋₁ᵀ·δℓ) on examples/worked, the
// layer numbering, --param, the three formats on every example, and the errors.
import { describe, expect, it } from "vitest";
import { explainFile, explainGraph } from "../../compiler/explain.js";
import { derive } from "../../compiler/explain/derivation.js";
import { loadModel } from "../../compiler/frontend/load.js";
import { optimize } from "../../compiler/pipeline.js";
import { main } from "../../compiler/cli.js";

import { EXAMPLES } from "./examples.js";
import { nonEmpty } from "../helpers/nonEmpty.js";
const worked = await loadModel("examples/worked/model.ts");

describe("explain on examples/worked (the hand-worked 2-2-1 sigmoid network)", async () => {
  const text = await explainFile("examples/worked/model.ts");
  const lines = text.split("\n");
  const section = (title: string) => lines.slice(lines.findIndex((l) => l.startsWith(title)) + 1, lines.findIndex((l, k) => k > lines.findIndex((m) => m.startsWith(title)) && l === ""));

  it("names the forward values by layer: z₁, h₁, z₂ and the model's own y", () => {
    expect(section("forward:").map((l) => l.replace(/\s+\(model\.ts:\d+:\d+\)$/, ""))).toEqual([
      "  z₁ = x·W₁ + b₁",
      "  h₁ = σ(z₁)",
      "  z₂ = h₁·W₂ + b₂",
      "  y = σ(z₂)",
      "  v₁ = y − t",
      "  L = 0.5 ⊙ (Σ v₁²)",
    ]);
  });

  it("writes the backward pass as the δ chain, textbook form first, then what the code computes", () => {
    const strip = (l: string) => l.replace(/\s+\([^()]*model\.ts:\d+:\d+[^]*\)$/, "");
    expect(section("backward").map(strip)).toEqual([
      "  δ₂ = ∂L/∂z₂ = ∂L/∂y ⊙ σ'(z₂)",
      "     = v₁ ⊙ (y ⊙ (1 − y))",
      "  ∂L/∂b₂ = Σ_rows δ₂",
      "  ∂L/∂W₂ = h₁ᵀ·δ₂",
      "  δ₁ = ∂L/∂z₁ = δ₂·W₂ᵀ ⊙ σ'(z₁)",
      "     = δ₂·W₂ᵀ ⊙ (h₁ ⊙ (1 − h₁))",
      "  ∂L/∂b₁ = Σ_rows δ₁",
      "  ∂L/∂W₁ = xᵀ·δ₁",
    ]);
  });

  it("says which forward values the backward pass reuses, and cites the rule and the model line", () => {
    expect(text).toContain("= δ₂·W₂ᵀ ⊙ (h₁ ⊙ (1 − h₁))    (sigmoid', model.ts:14:14; reuses h₁ from the forward pass)");
    expect(text).toContain("∂L/∂W₂ = h₁ᵀ·δ₂    (matmul', model.ts:15:18; reuses h₁ from the forward pass)");
    expect(section("forward values reused")).toEqual(["  h₁  in ∂L/∂W₂, δ₁", "  y   in δ₂", "  v₁  in δ₂"]);
  });

  it("finds the layers from the graph: δ₁, δ₂ are the operands of the weight gradients", async () => {
    const g = optimize(worked).graph;
    const d = derive(g, "model.ts");
    expect(d.layers.map((l) => [l.index, l.weight.attrs.name, l.bias?.attrs.name, l.z.name, l.activation?.name])).toEqual([
      [1, "W1", "b1", "z1", "h1"],
      [2, "W2", "b2", "z2", "y"],
    ]);
    const dW1 = g.grads.find(([n]) => n === "W1")![1];
    expect(dW1.op).toBe("matmul");
    expect(dW1.inputs[1]).toBe(d.layers[0]!.delta);
  });

  it("--param keeps only the equations that gradient needs", () => {
    const only = explainGraph(optimize(worked).graph, "model.ts", { param: "W2" });
    expect(only).toContain("∂L/∂W₂ = h₁ᵀ·δ₂");
    expect(only).toContain("δ₂ = ∂L/∂z₂");
    expect(only).not.toContain("δ₁");
    expect(only).not.toContain("∂L/∂b₂");
  });
});

describe("layer numbers come from linear depth, names from the model", () => {
  it("mnist-cnn: two convolutions and a matmul are layers 1, 2, 3; unnamed activations are a₁, a₂ (h₁, h₂ are taken)", async () => {
    const text = await explainFile("examples/mnist-cnn/model.ts");
    expect(text).toContain("  z₁ = x ⊛ K₁ + c₁");
    expect(text).toContain("  a₁ = relu(z₁)");
    expect(text).toContain("  h₁ = maxPool2×2(a₁)");
    expect(text).toContain("  δ₃ = ∂L/∂logits = (softmax(logits) − onehot(y)) ⊙ (1 / N)");
    expect(text).toContain("  δ₁ = ∂L/∂z₁ = ∂L/∂a₁ ⊙ relu'(z₁)");
    expect(text).toContain("  ∂L/∂K₁ = xᵀ ⊛ δ₁");
  });

  it("mnist-mlp: δ₁ = δ₂·W₂ᵀ ⊙ relu'(z₁), computed with the mask of the stored h₁; no undefined names", async () => {
    const text = await explainFile("examples/mnist-mlp/model.ts");
    expect(text).toContain("δ₁ = ∂L/∂z₁ = δ₂·W₂ᵀ ⊙ relu'(z₁)");
    expect(text).toContain("= δ₂·W₂ᵀ ⊙ [h₁ > 0]");
    // Every name used on a right-hand side is defined on a left-hand side (or is a parameter/input).
    const defined = new Set(["x", "y", "N", ...text.matchAll(/^ {2}(\S+) = /gm)].map((m) => (typeof m === "string" ? m : m[1]!)));
    for (const used of nonEmpty(text.matchAll(/[vgδ][₀-₉]+/g), "names used")) expect(defined.has(used[0]), used[0]).toBe(true);
  });
});

describe("the notation of gelu, erf, clamp, the comparisons, where, maximum, minimum, logSumExp and conv1d", () => {
  it("test/explain/newOps.model.ts: the forward pass as written, conv1d as the conv2d over one column it is, with its bias", async () => {
    const text = await explainFile("test/explain/newOps.model.ts");
    const forward = text.split("\n\n").find((b) => b.startsWith("forward:"))!.split("\n").map((l) => l.replace(/\s+\(newOps\.model\.ts:\d+:\d+\)$/, ""));
    expect(forward).toEqual([
      "forward:",
      "  z₁ = seq ⊛ K (stride 2×1, pad 1×0) + c",
      "  h₁ = gelu(z₁)",
      "  v₁ = clamp(h₁, −1, 6)",
      "  z₂ = v₁·W",
      "  h₂ = gelu_tanh(z₂)",
      "  v₂ = [h₂ > 0]",
      "  v₃ = erf(z₂)",
      "  v₄ = [1 ≥ z₂] ⊙ 0.5",
      "  picked = where(v₂, max(h₂, v₃), min(z₂, v₄))",
      "  v₅ = logsumexp(picked)",
      "  v₆ = v₅ + y",
      "  L = (Σ v₆²) / N",
    ]);
    // each derivative rule is cited, and logSumExp's reads its forward value
    for (const rule of ["logSumExp'", "where'", "maximum'", "erf'", "gelu'", "conv2d'"]) expect(text).toContain(`(${rule}, newOps.model.ts:`);
    expect(text).toContain("∂L/∂picked = g₁ ⊙ exp(picked − v₅)");
  });
});

describe("every example in every format", () => {
  for (const example of EXAMPLES)
    for (const format of ["text", "latex", "markdown"] as const)
      it(`${example} --format ${format}`, async () => {
        const out = await explainFile(`examples/${example}/model.ts`, { format });
        if (format === "text") expect(out).toMatch(/∂L\/∂\S+ = /);
        if (format === "latex") expect(out).toMatch(/\\begin\{align\*\}[^]*\\frac\{\\partial L\}\{\\partial \\mathbf\{[^}]+\}[^&]*&= [^]*\\end\{align\*\}/);
        if (format === "markdown") {
          expect(out).toMatch(/^# Gradients of `/);
          expect(out).toContain("## Forward pass");
          expect(out).toContain("## Forward values reused by the backward pass");
          expect(out.match(/^## \$\\frac\{\\partial L\}/gm)?.length).toBe((await loadModel(`examples/${example}/model.ts`)).params.length);
        }
      });
});

describe("recurrences", () => {
  it("examples/sequence: the LSTM step and its reverse step, with the gates named and what is kept per step", async () => {
    const text = await explainFile("examples/sequence/model.ts");
    const section = text.slice(text.indexOf("recurrence:"));
    // The input's product for every step is computed before the loop (passes/hoistStepProducts.ts), as layer 1.
    expect(text).toMatch(/gates_x = bits·lstm\.Wih \+ lstm\.bih {4}\(model\.ts:\d+:\d+\)/);
    expect(text).toContain("∂L/∂lstm.Wih = bitsᵀ·δ₁");
    expect(section).toMatch(/= scan over t = 1…9 \(model\.ts:\d+:\d+\): carries h, c; step inputs gates_x_t; at each step:/);
    expect(section).toContain("gates = gates_x_t + h·lstm.Whh + lstm.bhh");
    expect(section).toContain("c_next = f_gate ⊙ c + i_gate ⊙ g_gate");
    expect(section).toContain("h_next = o_gate ⊙ tanh_c");
    expect(section).toContain("carries for the next step: h ← h_next, c ← c_next");
    expect(section).toMatch(/kept per step for the reverse step: .*o_gate/);
    expect(section).toContain("its derivative, a reverse scan over t = 9…1 (backpropagation through time), at each step:");
    // ∂L/∂c flows back through the forget gate: dc_{t−1} = dc_t ⊙ f_t.
    expect(section).toMatch(/dc\d* = dc_next ⊙ f_gate/);
    // The weight gradients are running sums over the steps; the gates' gradients are joined by one concat.
    expect(section).toContain("Σ∂lstm.Whh += hᵀ·dgates");
    expect(section).toContain("dgates = concat_axis1(di_pre, df_pre, dg_pre, do_pre)");
    expect(section).toContain("carries for the previous step: dh ← ");
  });
  it("models without a scan have no recurrence section", async () => {
    expect(await explainFile("examples/worked/model.ts")).not.toContain("recurrence:");
  });
});

describe("errors", () => {
  it("an unknown --format is a usage error (GC3002), from the CLI and from the API", async () => {
    let stderr = "";
    const code = await main(["explain", "examples/worked/model.ts", "--format", "html"], { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) } });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^gradc: error GC3002: option '--format' must be text, latex or markdown, got 'html'/);
    await expect(explainFile("examples/worked/model.ts", { format: "html" as "text" })).rejects.toMatchObject({ code: "GC3002" });
  });

  it("an unknown --param names the parameters (GC2007)", async () => {
    await expect(explainFile("examples/worked/model.ts", { param: "W3" })).rejects.toMatchObject({ code: "GC2007", message: 'no parameter named "W3"; parameters: W1, b1, W2, b2' });
  });

  it("the CLI passes --format through", async () => {
    let stdout = "";
    const code = await main(["explain", "examples/worked/model.ts", "--format=latex", "--param", "W1"], { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => true } });
    expect(code).toBe(0);
    expect(stdout).toContain("\\frac{\\partial L}{\\partial \\mathbf{W}_{1}} &= {\\mathbf{x}}^{\\top} \\boldsymbol{\\delta}_{1}");
  });
});
