// stopGradient and customGradient: the gradients they give (not the finite difference's: that is the
// point), computed by hand, through the reference interpreter (after grad alone and after the whole
// pipeline) and through compiled code in float64 and float32; that no pass folds them away before grad;
// that explain shows them; and the located errors of a wrong customGradient.
import { describe, expect, it } from "vitest";
import { grad } from "../../compiler/autodiff/grad.js";
import { GradcError, isGradcError } from "../../compiler/diagnostics.js";
import * as d from "../../compiler/dsl/core.js";
import { customGradient, stopGradient } from "../../compiler/dsl/gradients.js";
import { model, type ModelDef } from "../../compiler/dsl/model.js";
import { scan } from "../../compiler/dsl/scan.js";
import { explainGraph } from "../../compiler/explain.js";
import { loadModelSource } from "../../compiler/frontend/load.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { evaluate } from "../../compiler/ir/interpret.js";
import type { Node } from "../../compiler/ir/node.js";
import { printGraph } from "../../compiler/ir/print.js";
import { optimize } from "../../compiler/pipeline.js";
import { compileAndImport } from "../helpers/compiled.js";
import { traceModel, type Values } from "../helpers/gradcheck.js";

/** Gradients of `def` at `values`: grad() alone, the whole pipeline, compiled f64 and compiled f32. */
async function gradientsEverywhere(def: ModelDef, values: Values): Promise<Record<string, Record<string, number[]>>> {
  const interpret = (g: Graph) => {
    const v = evaluate(g, { inputs: values.inputs ?? {}, params: values.params });
    return Object.fromEntries(g.grads.map(([name, n]) => [name, [...v.get(n)!.data]]));
  };
  const traced = traceModel(def);
  const out: Record<string, Record<string, number[]>> = { grad: interpret(grad(traced)), optimized: interpret(optimize(traced, { verify: true }).graph) };
  for (const dtype of ["f64", "f32"] as const) {
    const { module } = await compileAndImport(def, { dtype });
    const typed = (a: ArrayLike<number>) => (dtype === "f64" ? Float64Array.from(a) : Float32Array.from(a));
    const params = Object.fromEntries(Object.entries(values.params).map(([k, v]) => [k, typed(v)]));
    const { grads } = module.lossAndGrad(params, values.inputs ?? {});
    out[dtype] = Object.fromEntries(Object.entries(grads).map(([k, v]) => [k, [...v]]));
  }
  return out;
}

/** Every route gives `expected` for every parameter (exactly in float64; to float32 rounding in f32). */
async function expectGradients(def: ModelDef, values: Values, expected: Record<string, number[]>): Promise<void> {
  const routes = await gradientsEverywhere(def, values);
  for (const [route, grads] of Object.entries(routes)) {
    for (const [name, want] of Object.entries(expected)) {
      const got = grads[name]!;
      expect(got, `${route}: ∂L/∂${name}`).toHaveLength(want.length);
      got.forEach((g, k) => expect(g, `${route}: ∂L/∂${name}[${k}]`).toBeCloseTo(want[k]!, route === "f32" ? 5 : 12));
    }
  }
}

const C = [0.5, -2.5, 1.25, 3, -0.75, -1.5]; // the loss weights: Σ C ⊙ f(W)
const W0 = [0.25, -0.5, 1.5, -2, 0.75, 1];
const weighted = (f: (w: Node) => Node) =>
  model("m", () => {
    const W = d.param("W", [2, 3], { init: "zeros" });
    return { loss: d.sum(d.mul(f(W), d.constant(C, [2, 3]))) };
  });
/** clamp(g, −1, 1) written with relu: relu(g + 1) − relu(g − 1) − 1. */
const clampUnit = (g: Node) => d.sub(d.sub(d.relu(d.add(g, 1)), d.relu(d.sub(g, 1))), 1);

describe("stopGradient", () => {
  it("x ⊙ stopGradient(x) has the derivative x, not 2x", async () => {
    await expectGradients(weighted((W) => d.mul(W, stopGradient(W))), { params: { W: W0 } }, { W: W0.map((w, k) => w * C[k]!) });
  });

  it("a loss reached only through stopGradient has zero gradient (and its value is the value)", async () => {
    const def = weighted((W) => d.add(d.tanh(stopGradient(W)), d.mul(W, 0)));
    await expectGradients(def, { params: { W: W0 } }, { W: W0.map(() => 0) });
    const v = evaluate(traceModel(def), { inputs: {}, params: { W: W0 } });
    const loss = [...v.values()].at(-1)!.data[0]!;
    expect(loss).toBeCloseTo(W0.reduce((s, w, k) => s + Math.tanh(w) * C[k]!, 0), 12);
  });

  it("survives the passes before grad: no rule sees through it (x·sg(x) is not x², log(sg(softmax)) not logSoftmax)", async () => {
    const def = model("m", () => {
      const W = d.param("W", [2, 3], { init: "zeros" });
      const p = d.log(stopGradient(d.softmax(W)));
      return { loss: d.add(d.sum(d.mul(W, stopGradient(W))), d.sum(d.mul(p, d.constant(C, [2, 3])))) };
    });
    const { forward } = optimize(traceModel(def), { verify: true });
    expect(forward.nodes.filter((n) => n.op === "stopGradient")).toHaveLength(2);
    expect(forward.nodes.some((n) => n.op === "logSoftmax" || n.op === "square")).toBe(false);
    await expectGradients(def, { params: { W: W0 } }, { W: W0 }); // only x·sg(x) contributes: ∂/∂x = x
  });

  it("explain shows it as sg(·) in the forward pass and in the gradient that reads it", () => {
    const def = model("m", () => {
      const x = d.input("x", ["batch", 2]);
      const W = d.param("W", [2, 3]);
      const h = d.tanh(d.matmul(x, W));
      h.name = "h";
      return { loss: d.sum(d.mul(h, stopGradient(h))) };
    });
    const text = explainGraph(optimize(traceModel(def)).graph, "model.ts");
    expect(text).toMatch(/= sg\(h\)/);
    expect(text).toMatch(/∂L\/∂W = xᵀ·/);
  });
});

describe("customGradient: the gradient is the vjp's", () => {
  it("a vjp that is not the derivative: square's value, 3·g as its gradient", async () => {
    const f = customGradient((w: Node) => d.square(w), (g: Node) => [d.mul(g, 3)]);
    await expectGradients(weighted(f), { params: { W: W0 } }, { W: C.map((c) => 3 * c) });
  });

  it("gradient clipping in the backward pass: identity forward, clamp(g, −1, 1) backward", async () => {
    const clip = customGradient((w: Node) => w, (g: Node) => [clampUnit(g)]);
    await expectGradients(weighted(clip), { params: { W: W0 } }, { W: C.map((c) => Math.max(-1, Math.min(1, c))) });
  });

  it("a straight-through estimator: sign forward, identity backward (the true derivative is 0)", async () => {
    const ste = customGradient((w: Node) => d.sign(w), (g: Node) => [g]);
    await expectGradients(weighted(ste), { params: { W: W0 } }, { W: C });
  });

  it("the vjp reads y, the forward's result: exp with g ⊙ y", async () => {
    const f = customGradient((w: Node) => d.exp(w), (g: Node, y: Node) => [d.mul(g, y)]);
    await expectGradients(weighted(f), { params: { W: W0 } }, { W: W0.map((w, k) => Math.exp(w) * C[k]!) });
  });

  it("two arguments, one gradient each (null: none), and a value the vjp captures gets no gradient from it", async () => {
    // f(a, b) = a ⊙ b with ∂a = g ⊙ V (V a parameter the vjp reads), ∂b = none.
    const def = model("m", () => {
      const A = d.param("A", [2, 3], { init: "zeros" });
      const B = d.param("B", [3], { init: "zeros" });
      const V = d.param("V", [3], { init: "zeros" });
      const f = customGradient((a: Node, b: Node) => d.mul(a, b), (g: Node) => [d.mul(g, V), null]);
      return { loss: d.add(d.sum(d.mul(f(A, B), d.constant(C, [2, 3]))), d.sum(d.mul(V, 0))) };
    });
    const V = [2, -1, 0.5];
    await expectGradients(def, { params: { A: W0, B: [1, 2, 3], V } }, { A: C.map((c, k) => c * V[k % 3]!), B: [0, 0, 0], V: [0, 0, 0] });
  });

  it("one function at several call sites, of different shapes", async () => {
    const f = customGradient((w: Node) => d.square(w), (g: Node) => [d.mul(g, 3)]);
    const def = model("m", () => {
      const A = d.param("A", [2, 3], { init: "zeros" });
      const b = d.param("b", [4], { init: "zeros" });
      return { loss: d.add(d.sum(d.mul(f(A), d.constant(C, [2, 3]))), d.sum(d.mul(f(b), d.constant([1, 2, 3, 4])))) };
    });
    await expectGradients(def, { params: { A: W0, b: [1, 1, 1, 1] } }, { A: C.map((c) => 3 * c), b: [3, 6, 9, 12] });
  });

  it("nested: a forward that calls another customGradient is differentiated by the outer vjp alone", async () => {
    const inner = customGradient((w: Node) => d.square(w), (g: Node) => [d.mul(g, 3)]);
    const outer = customGradient((w: Node) => d.mul(inner(w), 2), (g: Node) => [d.mul(g, 5)]);
    await expectGradients(weighted(outer), { params: { W: W0 } }, { W: C.map((c) => 5 * c) });
    await expectGradients(weighted((w) => d.add(outer(w), inner(w))), { params: { W: W0 } }, { W: C.map((c) => 8 * c) });
  });

  it("a customGradient inside a vjp: its value is used (the vjp is never differentiated)", async () => {
    const square = customGradient((w: Node) => d.square(w), (g: Node) => [g]);
    const f = customGradient((w: Node) => w, (g: Node) => [square(g)]);
    await expectGradients(weighted(f), { params: { W: W0 } }, { W: C.map((c) => c * c) });
  });

  it("inside a scan body: backpropagation through time applies the vjp at every step", async () => {
    // h_t = f(h_{t−1} + x_t + b), f = tanh with the (wrong on purpose) vjp 0.5·g; L = Σ h_T.
    // ∂L/∂b = Σ_rows (0.5 + 0.25 + 0.125) whatever the values.
    const f = customGradient((a: Node) => d.tanh(a), (g: Node) => [d.mul(g, 0.5)]);
    const def = model("m", () => {
      const xs = d.input("xs", ["batch", 3, 1]);
      const b = d.param("b", [1], { init: "zeros" });
      const { carry } = scan((h: Node, x: Node) => ({ carry: f(d.add(d.add(h, x), b)) }), d.zeros(["batch", 1]), xs);
      return { loss: d.sum(carry) };
    });
    await expectGradients(def, { inputs: { xs: [0.5, -1, 2, 0.25, 0.125, -0.5] }, params: { b: [0.3] } }, { b: [2 * 0.875] });
  });

  it("the printed IR shows the vjp graph under the node", () => {
    const f = customGradient((w: Node) => d.square(w), (g: Node, _y: Node, w: Node) => [d.mul(g, w)]);
    const text = printGraph(traceModel(weighted(f)));
    expect(text).toContain("= customGradient(%1, %0) : [2, 3]\n  vjp: g, y, 1 argument, 0 captured\n");
    expect(text).toContain('    output "d1" = ');
  });

  it("explain shows the forward wrapped as customGradient(…) and names the vjp as the derivative rule", () => {
    const f = customGradient((a: Node) => d.square(a), (g: Node, _y: Node, a: Node) => [d.mul(g, a)]);
    const def = model("m", () => {
      const x = d.input("x", ["batch", 2]);
      const W = d.param("W", [2, 3]);
      const V = d.param("V", [3, 1]);
      return { loss: d.sum(d.matmul(f(d.matmul(x, W)), V)) };
    });
    const text = explainGraph(optimize(traceModel(def)).graph, "model.ts");
    expect(text).toMatch(/customGradient\(\S+²\)/);
    expect(text).toMatch(/\(customGradient'/);
  });
});

// ── located errors ────────────────────────────────────────────────────────────────────────────────

/** Loads model text; resolves to the GradcError it raises. */
function errorOf(body: string, head = ""): GradcError {
  const text = `import { model, input, param, matmul, add, mul, sum, square, tanh, scan, zeros, customGradient, stopGradient, type Tensor } from "gradc";
${head}
export default model("m", () => {
  const x = input("x", ["batch", 2]);
  const W = param("W", [2, 3]);
  const b = param("b", [3]);
${body}
});
`;
  try {
    loadModelSource("/models/m/model.ts", text);
  } catch (e) {
    if (isGradcError(e)) return e;
    throw e;
  }
  throw new Error("the model loaded without an error");
}
const at = (e: GradcError) => `${e.code} ${e.loc?.line}:${e.loc?.col}`;

describe("customGradient errors are located", () => {
  it("a vjp that returns the wrong number of gradients: GC2007 at the call", () => {
    const e = errorOf(`  const f = customGradient((a: Tensor, c: Tensor) => add(a, c), (g: Tensor) => [g]);
  const h = f(matmul(x, W), b);
  return { loss: sum(h) };`);
    expect(e.message).toBe("customGradient: the vjp returns 1 gradient for 2 arguments; return one per argument (null for none)");
    expect(at(e)).toBe("GC2007 8:13");
  });

  it("a gradient of the wrong shape: GC2001 at the vjp's expression that made it", () => {
    const e = errorOf(`  const f = customGradient((a: Tensor, c: Tensor) => add(a, c), (g: Tensor) => [
    g,
    g,
  ]);
  return { loss: sum(f(matmul(x, W), b)) };`);
    expect(e.message).toBe("customGradient: the vjp's gradient for argument 2 has shape [batch, 3], the argument has shape [3]");
    expect(at(e)).toBe("GC2001 11:22"); // g is a placeholder, made by no line of the vjp: the call
    const e2 = errorOf(`  const f = customGradient((a: Tensor, c: Tensor) => add(a, c), (g: Tensor) => [
    g,
    sum(g),
  ]);
  return { loss: sum(f(matmul(x, W), b)) };`);
    expect(e2.message).toBe("customGradient: the vjp's gradient for argument 2 has shape [], the argument has shape [3]");
    expect(at(e2)).toBe("GC2001 9:5");
  });

  it("a vjp that returns a tensor, or something else, instead of an array", () => {
    expect(errorOf(`  const f = customGradient((a: Tensor) => tanh(a), ((g: Tensor) => g) as never);
  return { loss: sum(f(matmul(x, W))) };`).message).toBe("customGradient: the vjp must return an array with one gradient per argument (1), got a tensor (write [g] for one argument)");
    expect(errorOf(`  const f = customGradient((a: Tensor) => tanh(a), ((g: Tensor) => [1]) as never);
  return { loss: sum(f(matmul(x, W))) };`).message).toBe("customGradient: the vjp's gradient for argument 1 is number, expected a tensor (or null for none)");
  });

  it("a forward that reads a parameter it does not take: GC2007 at the forward's expression, naming it", () => {
    const e = errorOf(`  const f = customGradient(
    (a: Tensor) => add(a, b),
    (g: Tensor) => [g],
  );
  return { loss: sum(f(matmul(x, W))) };`);
    expect(e.message).toBe('customGradient: the forward function reads the parameter "b", which is not one of its arguments, so its gradient would be lost (the vjp gives gradients for the arguments only); pass it as an argument');
    expect(at(e)).toBe("GC2007 8:20");
    // …unless it reads it through stopGradient, on purpose
    expect(() => loadModelSource("/models/m/model.ts", `import { model, input, param, matmul, add, sum, customGradient, stopGradient, type Tensor } from "gradc";
export default model("m", () => {
  const x = input("x", ["batch", 2]);
  const W = param("W", [2, 3]);
  const b = param("b", [3]);
  const f = customGradient((a: Tensor) => add(a, stopGradient(b)), (g: Tensor) => [g]);
  return { loss: sum(f(matmul(x, W))) };
});
`)).not.toThrow();
  });

  it("inside a scan body, a forward that reads the carry without taking it", () => {
    const e = errorOf(`  const xs = input("xs", ["batch", 4, 2]);
  const { carry } = scan((h: Tensor, xt: Tensor) => {
    const f = customGradient((a: Tensor) => add(a, h), (g: Tensor) => [g]);
    return { carry: f(matmul(xt, W)) };
  }, zeros(["batch", 3]), xs);
  return { loss: add(sum(carry), sum(b)) };`);
    expect(e.code).toBe("GC2007");
    expect(e.message).toMatch(/^customGradient: the forward function reads "carry" from the enclosing scan body, which is not one of its arguments/);
  });

  it("bad arguments: functions expected, a forward that returns no tensor, declarations inside the vjp", () => {
    expect(at(errorOf(`  const f = customGradient(1 as never, 2 as never);
  return { loss: sum(W) };`))).toBe("GC2007 7:13");
    expect(errorOf(`  const f = customGradient((a: Tensor) => [a] as never, (g: Tensor) => [g]);
  return { loss: sum(f(W)) };`).message).toBe("customGradient: the forward function must return one tensor, got an array");
    expect(errorOf(`  const f = customGradient((a: Tensor) => a, (g: Tensor) => [mul(g, param("V", [2, 3]))]);
  return { loss: sum(f(W)) };`).message).toBe("customGradient: declare inputs, parameters and batchNorm outside the vjp (it may use them)");
    expect(errorOf(`  return { loss: sum(stopGradient("W" as never)) };`).message).toBe("stopGradient: expected a tensor, got string");
  });
});

describe("customGradient's types", () => {
  it("the vjp's parameters are typed from the forward's (model.ts type-checks)", () => {
    const text = `import { model, param, mul, sum, square, customGradient } from "gradc";
const f = customGradient((a, b) => mul(square(a), b), (g, y, a, b) => [mul(g, mul(2, mul(a, b))), mul(g, square(a))]);
export default model("m", () => {
  const W = param("W", [2, 3]);
  const V = param("V", [2, 3]);
  return { loss: sum(f(W, V)) };
});
`;
    expect(() => loadModelSource("/models/m/model.ts", text)).not.toThrow();
    expect(() => loadModelSource("/models/m/model.ts", text.replace("sum(f(W, V))", "sum(f(W))"))).toThrow(/Expected 2 arguments, but got 1/);
  });
});

