// A model all the way through the compiler: the emitted lossAndGrad against central finite differences
// of the reference interpreter, and forward() against the interpreter's outputs.
import { expect } from "vitest";
import type { ModelDef } from "../../compiler/dsl/model.js";
import { evaluate } from "../../compiler/ir/interpret.js";
import { compileAndImport } from "./compiled.js";
import { checkGradients, traceModel } from "./gradcheck.js";

/** Compiles `def` (float64), checks its gradients and outputs; returns the generated code. */
export async function checkCompiled(def: ModelDef, inputs: Record<string, number[]>, seed = 1): Promise<string> {
  const { module, code } = await compileAndImport(def);
  const params = Object.fromEntries(Object.entries(module.initParams(seed)).map(([k, v]) => [k, Float64Array.from(v)]));
  const r = checkGradients(def, { inputs, params }, { analytic: () => module.lossAndGrad(params, inputs) });
  const largest = Math.max(...Object.values(r.numeric).flatMap((a) => [...a].map(Math.abs)));
  expect(largest, "the gradient is zero everywhere: the check would pass vacuously").toBeGreaterThan(1e-3);
  const g = traceModel(def);
  const reference = evaluate(g, { inputs, params });
  const outputs = module.forward(params, inputs);
  for (const [name, node] of g.outputs) {
    const want = [...reference.get(node)!.data];
    const got = [...outputs[name]!];
    expect(got).toHaveLength(want.length);
    got.forEach((v, k) => expect(v, `${name}[${k}]`).toBeCloseTo(want[k]!, 12));
  }
  return code;
}
