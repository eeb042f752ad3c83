// compiler/anomaly.ts on models that really diverge: fit (runtime/train.ts) detects the failure and
// hands over the failing step; the replay names the first operation that produced a non-finite value,
// its pass, its model.ts line and, for a gradient, the derivative rule.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { describeAnomaly, firstNonFinite, type Anomaly } from "../../compiler/anomaly.js";
import { trainPass } from "../../compiler/emit/passGraphs.js";
import { evaluate } from "../../compiler/ir/interpret.js";
import { fromArrays, type Dataset } from "../../runtime/data.js";
import { isDivergedError, type FailingStep } from "../../runtime/divergence.js";
import { fit, type FitTrainer } from "../../runtime/train.js";
import { compileAndImport } from "../helpers/compiled.js";

const dir = mkdtempSync(path.join(tmpdir(), "gradc-anomaly-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Compiles `text` (a model.ts) and trains it until fit stops it; returns the failing step and the replay's answer. */
async function diverge(name: string, text: string, data: Dataset, optimizer: Record<string, unknown>, dtype: "f32" | "f64" = "f32") {
  const file = path.join(dir, `${name}.ts`);
  writeFileSync(file, text);
  const { module, optimized } = await compileAndImport(file, { dtype });
  const trainer = module.createTrainer(module.initParams(1), { optimizer }) as unknown as FitTrainer;
  let failing: FailingStep | undefined;
  let step = 0;
  try {
    fit(trainer, data, { epochs: 50, batchSize: 4, shuffle: false, progress: false, evaluateTrain: false });
  } catch (e) {
    if (!isDivergedError(e)) throw e;
    failing = e.divergence.failing;
    step = e.divergence.step;
  }
  expect(failing, "the run should diverge").toBeDefined();
  const anomaly = firstNonFinite(optimized.graph, failing!, dtype);
  return { anomaly, step, failing: failing!, optimized };
}

const regression = fromArrays({
  x: { shape: [1], dtype: "f64", values: [1, 2, 3, 1.5, 2.5, 0.5, 3, 2] },
  y: { shape: [1], dtype: "f64", values: [2, 4, 6, 3, 5, 1, 6, 4] },
});
const classes = fromArrays({
  x: { shape: [2], dtype: "f64", values: [1, 2, -1, 0.5, 0.3, -2, 2, 1, -0.5, -1, 1.5, 0.2, -2, 1, 0.7, 0.9] },
  y: { shape: [], dtype: "i32", values: [0, 1, 0, 1, 0, 1, 0, 1] },
});

const lineOf = (text: string, fragment: string) => text.split("\n").findIndex((l) => l.includes(fragment)) + 1;

describe("the first non-finite operation of a diverged step", () => {
  it("a huge learning rate: the squared error of mse overflows float32 after the weights have grown for some steps", async () => {
    const text = `import { model, input, param, matmul, mse } from "gradc";
export default model("line", () => {
  const x = input("x", ["batch", 1]);
  const y = input("y", ["batch", 1]);
  const W = param("W", [1, 1], { init: "ones" });
  const pred = matmul(x, W);
  return { loss: mse(pred, y), outputs: { pred } };
});
`;
    const { anomaly, step, failing } = await diverge("line", text, regression, { kind: "sgd", lr: 5 });
    expect(step).toBeGreaterThan(5); // the weights grew for several steps: the replay found the first bad one
    expect(Number.isFinite(failing.params.W![0]!)).toBe(true);
    expect(Math.abs(failing.params.W![0]!)).toBeGreaterThan(1e15);
    expect(anomaly).toMatchObject({ pass: "forward", loc: { line: lineOf(text, "mse(pred, y)") } });
    expect(Number.isFinite(anomaly!.value)).toBe(false);
  });

  it("a log of a value that reaches 0: the forward log, its operand 0, the sample", async () => {
    const text = `import { model, input, param, matmul, add, log, relu, softmaxCrossEntropy } from "gradc";
export default model("logRelu", () => {
  const x = input("x", ["batch", 2]);
  const y = input("y", ["batch"], { dtype: "int" });
  const W1 = param("W1", [2, 4], { init: "xavier" });
  const W2 = param("W2", [4, 2], { init: "xavier" });
  const h = log(relu(matmul(x, W1)));
  return { loss: softmaxCrossEntropy(matmul(h, W2), y), outputs: { h } };
});
`;
    const { anomaly, step, failing } = await diverge("logRelu", text, classes, { kind: "adam", lr: 0.01 });
    expect(step).toBe(1);
    expect(anomaly).toMatchObject({ pass: "forward", op: "log", name: "h", value: -Infinity, loc: { line: lineOf(text, "const h = log") } });
    expect(anomaly!.operands).toEqual([{ name: "relu(x·W1)", value: 0 }]);
    // The element's sample really has a non-positive pre-activation.
    const [row, col] = anomaly!.index as [number, number];
    const x = failing.inputs.x!;
    const W1 = failing.params.W1!;
    expect(x[2 * row]! * W1[col]! + x[2 * row + 1]! * W1[4 + col]!).toBeLessThanOrEqual(0);
    expect(anomaly!.sample).toBe(row);
    expect(describeAnomaly(anomaly!)).toMatch(/^the first non-finite value of the step is in the forward pass: h = log\(relu\(x·W1\)\) at logRelu\.ts:7:\d+: it is -Infinity at \[\d, \d\] \(sample \d of the batch\), where relu\(x·W1\) = 0$/);
  });

  it("an exp that overflows only in float32: found in the f32 replay, and the same step is finite in f64", async () => {
    const text = `import { model, input, param, matmul, exp, mul, constant, softmaxCrossEntropy } from "gradc";
export default model("hot", () => {
  const x = input("x", ["batch", 2]);
  const y = input("y", ["batch"], { dtype: "int" });
  const W = param("W", [2, 2], { init: "ones" });
  const scores = exp(mul(matmul(x, W), constant(40)));
  return { loss: softmaxCrossEntropy(scores, y), outputs: { scores } };
});
`;
    const { anomaly, failing, optimized } = await diverge("hot", text, classes, { kind: "sgd", lr: 0.001 });
    expect(anomaly).toMatchObject({ pass: "forward", op: "exp", name: "scores", value: Infinity, loc: { line: lineOf(text, "exp(mul") } });
    const operand = anomaly!.operands[0]!.value!;
    expect(Math.exp(operand)).toBeLessThan(Number.MAX_VALUE); // finite in float64 …
    expect(Math.fround(Math.exp(operand))).toBe(Infinity); // … but not in float32
    expect(firstNonFinite(optimized.graph, failing, "f64")).toBeNull();
  });

  it("a division whose gradient blows up: forward finite, the backward pass names the rule div'", async () => {
    const text = `import { model, input, param, mul, add, div, mean, constant } from "gradc";
export default model("ratio", () => {
  const x = input("x", ["batch", 1]);
  const y = input("y", ["batch", 1]);
  const s = param("s", [1], { init: "zeros" });
  const tiny = add(mul(x, s), constant(1e-30));
  const r = div(x, tiny);
  return { loss: mean(mul(r, constant(1e-20))), outputs: { r } };
});
`;
    const { anomaly, step } = await diverge("ratio", text, regression, { kind: "sgd", lr: 1e-30 });
    expect(step).toBe(1);
    expect(anomaly).toMatchObject({ pass: "backward", rule: "div'", loc: { line: lineOf(text, "div(x, tiny)") } });
    expect(Number.isFinite(anomaly!.value)).toBe(false);
    expect(describeAnomaly(anomaly!)).toMatch(/in the backward pass: .*by the derivative rule div' of the div at ratio\.ts:7:\d+/);
  });

  it("a square root at 0: the gradient 1/(2√x) is infinite in the backward pass (rule sqrt'), though every forward value is finite", async () => {
    const text = `import { model, input, param, matmul, sqrt, relu, softmaxCrossEntropy } from "gradc";
export default model("root", () => {
  const x = input("x", ["batch", 2]);
  const y = input("y", ["batch"], { dtype: "int" });
  const W1 = param("W1", [2, 4], { init: "xavier" });
  const W2 = param("W2", [4, 2], { init: "xavier" });
  const h = sqrt(relu(matmul(x, W1)));
  return { loss: softmaxCrossEntropy(matmul(h, W2), y), outputs: { h } };
});
`;
    const { anomaly } = await diverge("root", text, classes, { kind: "adam", lr: 0.01 }, "f64");
    expect(anomaly).toMatchObject({ pass: "backward", rule: "sqrt'", loc: { line: lineOf(text, "sqrt(relu") } });
    const zero = anomaly!.operands.find((o) => o.value === 0);
    expect(zero?.name).toBe("2 ⊙ h");
  });

  it("a model with dropout is replayed with the masks of the failing step (the trainer's generator state before it)", async () => {
    const file = path.join(dir, "drop.ts");
    writeFileSync(
      file,
      `import { model, input, param, matmul, relu, dropout, softmaxCrossEntropy } from "gradc";
export default model("drop", () => {
  const x = input("x", ["batch", 2]);
  const y = input("y", ["batch"], { dtype: "int" });
  const W1 = param("W1", [2, 16], { init: "xavier" });
  const W2 = param("W2", [16, 2], { init: "xavier" });
  return { loss: softmaxCrossEntropy(matmul(dropout(relu(matmul(x, W1)), 0.5), W2), y), outputs: {} };
});
`,
    );
    const { module, optimized } = await compileAndImport(file, { dtype: "f64" });
    const trainer = module.createTrainer(module.initParams(3), { optimizer: { kind: "sgd", lr: 0.1 } }) as unknown as FitTrainer;
    const inputs = { x: classes.columns.x!, y: classes.columns.y! };
    trainer.step(inputs as never); // move the generator on
    const params = Object.fromEntries(Object.entries(trainer.params).map(([k, v]) => [k, v.slice()]));
    const rngState = trainer.rngState!()!;
    const loss = trainer.step(inputs as never);
    const { graph } = trainPass(optimized.graph);
    const replayed = evaluate(graph, { inputs, params, rngState }).get(graph.loss!)!.data[0]!;
    expect(replayed).toBeCloseTo(loss, 12);
    // Another generator state gives other masks, hence another loss: the state is what makes it exact.
    const other = evaluate(graph, { inputs, params, rngState: [1, 2, 3, 4] }).get(graph.loss!)!.data[0]!;
    expect(Math.abs(other - loss)).toBeGreaterThan(1e-6);
  });

  it("a step whose every value is finite gives null", async () => {
    const file = path.join(dir, "fine.ts");
    writeFileSync(
      file,
      `import { model, input, param, matmul, mse } from "gradc";
export default model("fine", () => {
  const x = input("x", ["batch", 1]);
  const y = input("y", ["batch", 1]);
  const W = param("W", [1, 1], { init: "ones" });
  return { loss: mse(matmul(x, W), y), outputs: {} };
});
`,
    );
    const { optimized } = await compileAndImport(file, { dtype: "f32" });
    const anomaly: Anomaly | null = firstNonFinite(optimized.graph, { params: { W: Float32Array.of(2) }, inputs: { x: Float32Array.of(1, 2), y: Float32Array.of(3, 4) } }, "f32");
    expect(anomaly).toBeNull();
  });
});
