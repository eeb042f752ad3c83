// compiler/ops/notate.ts: an op's notation written around placeholders must give exactly the text the
// notation gives around the operands themselves, and know whether it is compound, for every op the
// examples and the explain test models use, with atomic, compound and bracketed operands. Then a deep
// formula through the two writers that use it (explain's derivation, the emitted comments).
import { describe, expect, it } from "vitest";
import { loadModel } from "../../compiler/frontend/load.js";
import { optimize } from "../../compiler/pipeline.js";
import { opOf } from "../../compiler/ops/op.js";
import { fillTemplate, isCompound, notate, notated, notationTemplate } from "../../compiler/ops/notate.js";
import { applyOp, math } from "../../compiler/explain/math.js";
import { formula } from "../../compiler/emit/notation.js";
import type { Node } from "../../compiler/ir/node.js";
import { EXAMPLES } from "../explain/examples.js";
import * as d from "../../compiler/dsl/core.js";
import { inFreshContext } from "../passes/util.js";

const OPERANDS = ["x", "a + b", "f(a + b)", "−y", "h₁ᵀ·δ₂", "[a > 0]", "Σ_rows v", "(a + b) ⊙ c"];

describe("isCompound", () => {
  it.each([
    ["x", false],
    ["a + b", true],
    ["f(a + b)", false],
    ["x[0, 1]", false],
    ["{a b}", false],
    ["(a) (b)", true],
    ["", false],
  ])("%j → %s", (text, compound) => {
    expect(isCompound(text)).toBe(compound);
  });
});

describe("fillTemplate", () => {
  it("puts each operand in its placeholder, compound ones too, and leaves the rest as written", () => {
    expect(fillTemplate("\u00011 \u0002 − (\u00010\u0002)", (k) => ["p", "q + r"][k]!)).toBe("q + r − (p)");
    expect(fillTemplate("no operands", () => "never")).toBe("no operands");
    expect(fillTemplate("\u000112\u0002", (k) => String(k * 2))).toBe("24");
  });
});

describe("notate gives what the notation gives around the text", async () => {
  const models = [...EXAMPLES.map((e) => `examples/${e}/model.ts`), "test/explain/manyOps.model.ts", "test/explain/newOps.model.ts"];
  const nodes: Node[] = [];
  for (const file of models) nodes.push(...optimize(await loadModel(file)).graph.nodes);
  const ops = new Map<string, Node[]>();
  for (const n of nodes) if (n.inputs.length) ops.set(n.op, [...(ops.get(n.op) ?? []), n].slice(0, 6));

  it("covers the ops of forward and backward passes", () => {
    for (const op of ["add", "sub", "mul", "div", "matmul", "tanh", "sigmoid", "relu", "sum", "conv2d", "maxPool2d", "slice", "concat"]) expect([...ops.keys()]).toContain(op);
  });

  it("for every op and attributes in them, each operand atomic, compound or bracketed", () => {
    let checked = 0;
    for (const [, sample] of ops) {
      for (const n of sample) {
        for (let shift = 0; shift < OPERANDS.length; shift++) {
          const texts = n.inputs.map((_, k) => OPERANDS[(k + shift) % OPERANDS.length]!);
          const direct = opOf(n).notation(texts, n.attrs);
          const written = notate(opOf(n).notation, n.attrs, texts.map(notated));
          expect({ text: written.text, compound: written.compound }).toEqual({ text: direct, compound: isCompound(direct) });
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(200);
  });

  it("the template's placeholders carry whether an operand is compound, so paren sees it", () => {
    const add = ops.get("mul")![0]!;
    expect(notationTemplate(opOf(add).notation, add.attrs, [notated("a + b"), notated("c")])).toBe("(\u00010 \u0002) ⊙ \u00011\u0002");
  });
});

describe("the emitted comments' formula: a sum over the batch rows", () => {
  it("is written Σ_rows and is compound (an op around it parenthesizes it); another op over axis 0 keeps its own notation", () => {
    const [product, largest] = inFreshContext(() => {
      const x = d.input("x", ["batch", 3]);
      return [d.mul(d.sum(x, 0), x), d.max(x, 0)];
    });
    const name = (m: Node) => String(m.attrs.name ?? m.op);
    expect(formula(product!, new Set([product!, product!.inputs[0]!]), name)).toBe("(Σ_rows x) ⊙ x");
    expect(formula(largest!, new Set([largest!]), name)).toBe("max_axis0 x");
  });
});

describe("deep formulas", () => {
  it("explain's applyOp: 3,000 nested operations, compound known at each, text as the notation writes it", () => {
    let e = math("x", "x");
    for (let k = 0; k < 3000; k++) e = applyOp(k % 2 ? "tanh" : "neg", {}, [applyOp("add", {}, [e, math("c", "c")])]);
    expect(e.compound).toBe(false);
    expect(e.text.length).toBeGreaterThan(3000 * 8);
    expect(e.text.startsWith("tanh(−(tanh(−(")).toBe(true);
    expect(e.text).toContain("tanh(−(x + c) + c) + c)"); // the innermost steps
    expect(e.text.endsWith(") + c) + c)")).toBe(true);
    expect(e.tex.startsWith("\\tanh (-")).toBe(true);
  });

  it("the emitted comments' formula: a 3,000-step element-wise chain written out in one line", async () => {
    const { graph } = optimize(await loadModel("test/ops/deepChain.model.ts"));
    const out = graph.outputs.find(([name]) => name === "out")![1];
    const everything = new Set(graph.nodes);
    const text = formula(out, everything, (m) => String(m.attrs.name ?? m.op));
    expect(text.match(/tanh\(/g)!.length).toBe(1500);
    expect(text.match(/ \+ 0\.25/g)!.length).toBe(1500);
    expect(text).toContain("tanh(x ⊙ w + 0.25)");
  });
});
