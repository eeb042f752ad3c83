// The models of the compiler's scaling benchmark (bench/scaling.ts) and of its test
// (test/scaling/scaling.test.ts), as model.ts source text: they grow along one axis each.
//
//   denseChain(n)     n small dense layers, alternately tanh and relu, then MSE: depth of the graph,
//                     of its gradient and of the emitted code (one kernel per layer and direction)
//   elementwiseChain(n)  n element-wise steps on one value: a single fused kernel whose expression is
//                     n deep (the emitter's inline expressions, the plan's fusion, the comment's formula)
//   initLiteral(bytes)   one parameter with explicit init values, written as an array literal of about
//                     `bytes` characters in model.ts (the frontend's parse, type-check and transpile, and
//                     the init values in the emitted module)
//
// The source is a plain loop over layers, as a user would write it; the literal is written out in full.

export interface ScalingModel {
  readonly name: string;
  readonly source: string;
}

/** A chain of `layers` dense layers of `width` units (x·W + b, tanh on even layers, relu on odd ones), MSE. */
export function denseChain(layers: number, width = 4): ScalingModel {
  return {
    name: `dense-${layers}`,
    source: `// ${layers} dense layers of width ${width} (tanh, relu alternately), MSE.
import { model, input, param, matmul, add, tanh, relu, mse } from "gradc";

export default model("dense${layers}", () => {
  const x = input("x", ["batch", ${width}]);
  const y = input("y", ["batch", ${width}]);
  let h = x;
  for (let l = 0; l < ${layers}; l++) {
    const W = param(\`W\${l}\`, [${width}, ${width}], { init: "xavier" });
    const b = param(\`b\${l}\`, [${width}], { init: "zeros" });
    const z = add(matmul(h, W), b);
    h = l % 2 === 0 ? tanh(z) : relu(z);
  }
  return { loss: mse(h, y), outputs: { out: h } };
});
`,
  };
}

/**
 * `steps` element-wise steps on x ⊙ w (w a parameter row), cycling through tanh, ·1.5, σ, +0.25, then
 * MSE: one value transformed in place, which the emitter fuses into one loop with an n-deep expression.
 */
export function elementwiseChain(steps: number, width = 4): ScalingModel {
  return {
    name: `elementwise-${steps}`,
    source: `// ${steps} element-wise steps (tanh, ·1.5, sigmoid, +0.25 in turn) on x ⊙ w, MSE.
import { model, input, param, mul, add, tanh, sigmoid, mse } from "gradc";

export default model("elementwise${steps}", () => {
  const x = input("x", ["batch", ${width}]);
  const y = input("y", ["batch", ${width}]);
  const w = param("w", [${width}], { init: "ones" });
  let h = mul(x, w);
  for (let s = 0; s < ${steps}; s++) {
    const step = s % 4;
    h = step === 0 ? tanh(h) : step === 1 ? mul(h, 1.5) : step === 2 ? sigmoid(h) : add(h, 0.25);
  }
  return { loss: mse(h, y), outputs: { out: h } };
});
`,
  };
}

/**
 * A dense layer [inputs, 16] whose weight has explicit init values, written in model.ts as a nested
 * array literal of about `bytes` characters (rows of 16 values such as `-0.0123457`), then MSE.
 */
export function initLiteral(bytes: number): ScalingModel {
  const cols = 16;
  const perValue = 11; // "-0.0123457," on average, with the row brackets amortized
  const rows = Math.max(1, Math.round(bytes / (perValue * cols)));
  let seed = 12345;
  const next = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32 - 0.5;
  };
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const row: string[] = [];
    for (let c = 0; c < cols; c++) row.push((next() * 0.2).toPrecision(6));
    lines.push(`  [${row.join(",")}],`);
  }
  return {
    name: `init-${Math.round(bytes / 1e6)}MB`,
    source: `// One dense layer [${rows}, ${cols}] whose weight has explicit init values (${rows * cols} numbers), MSE.
import { model, input, param, matmul, add, mse } from "gradc";

const W_VALUES = [
${lines.join("\n")}
];

export default model("init${rows}", () => {
  const x = input("x", ["batch", ${rows}]);
  const y = input("y", ["batch", ${cols}]);
  const W = param("W", [${rows}, ${cols}], { init: W_VALUES });
  const b = param("b", [${cols}], { init: "zeros" });
  return { loss: mse(add(matmul(x, W), b), y), outputs: { out: add(matmul(x, W), b) } };
});
`,
  };
}
