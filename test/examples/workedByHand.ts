// The tutorial's network worked out by hand (README.md writes the same steps out), as formulas — not
// digits copied from any output. Used by worked.test.ts and mains.test.ts.
export const σ = (z: number) => 1 / (1 + Math.exp(-z));
export const x = [1, 2];
export const t = 0.5;
export const lr = 0.5;
// W1[i][j]: input i → hidden j (weights are [in, out]); each hidden unit has weights (0.1, 0.2), bias 0.3.
const W1 = [[0.1, 0.1], [0.2, 0.2]];
const b1 = [0.3, 0.3];
const W2 = [0.4, 0.5]; // hidden j → output
const b2 = 0.6;

function forwardByHand(W1: number[][], b1: number[], W2: number[], b2: number) {
  const z1 = [0, 1].map((j) => x[0]! * W1[0]![j]! + x[1]! * W1[1]![j]! + b1[j]!); // z1_j = Σ_i x_i·W1[i][j] + b1_j
  const h1 = z1.map(σ); //                                                          h1_j = σ(z1_j)
  const z2 = h1[0]! * W2[0]! + h1[1]! * W2[1]! + b2; //                              z2 = Σ_j h1_j·W2_j + b2
  const y = σ(z2);
  const loss = 0.5 * (y - t) ** 2; //                                                L = ½(y − t)²
  return { z1, h1, z2, y, loss };
}

export const f = forwardByHand(W1, b1, W2, b2);
// Backward, by the chain rule, with σ'(z) = σ(z)(1 − σ(z)):
export const δ2 = (f.y - t) * f.y * (1 - f.y); //                                  ∂L/∂z2 = (y − t)·y(1 − y)
export const dW2 = [0, 1].map((j) => δ2 * f.h1[j]!); //                             ∂L/∂W2_j = δ2·h1_j
export const db2 = δ2; //                                                          ∂L/∂b2 = δ2
export const δ1 = [0, 1].map((j) => δ2 * W2[j]! * f.h1[j]! * (1 - f.h1[j]!)); //    ∂L/∂z1_j = δ2·W2_j·h1_j(1 − h1_j)
export const dW1 = [0, 1].map((i) => [0, 1].map((j) => x[i]! * δ1[j]!)); //         ∂L/∂W1[i][j] = x_i·δ1_j
export const db1 = δ1; //                                                          ∂L/∂b1_j = δ1_j
// One SGD step: w ← w − lr·∂L/∂w.
export const W1n = W1.map((row, i) => row.map((w, j) => w - lr * dW1[i]![j]!));
export const b1n = b1.map((b, j) => b - lr * db1[j]!);
export const W2n = W2.map((w, j) => w - lr * dW2[j]!);
export const b2n = b2 - lr * db2;
export const after = forwardByHand(W1n, b1n, W2n, b2n);

/** Every number examples/worked/main.ts prints, by its label. */
export const expected = new Map<string, number>([
  ["t", t], ["lr", lr], // from the headings: "(x = [1, 2], t = 0.5)", "(lr = 0.5)"
  ["z1[0]", f.z1[0]!], ["z1[1]", f.z1[1]!], ["h1[0]", f.h1[0]!], ["h1[1]", f.h1[1]!],
  ["z2[0]", f.z2], ["y[0]", f.y], ["loss", f.loss],
  ["dW2[0][0]", dW2[0]!], ["dW2[1][0]", dW2[1]!], ["db2[0]", db2],
  ["dW1[0][0]", dW1[0]![0]!], ["dW1[0][1]", dW1[0]![1]!], ["dW1[1][0]", dW1[1]![0]!], ["dW1[1][1]", dW1[1]![1]!],
  ["db1[0]", db1[0]!], ["db1[1]", db1[1]!],
  ["W2[0][0]", W2n[0]!], ["W2[1][0]", W2n[1]!], ["b2[0]", b2n],
  ["W1[0][0]", W1n[0]![0]!], ["W1[0][1]", W1n[0]![1]!], ["W1[1][0]", W1n[1]![0]!], ["W1[1][1]", W1n[1]![1]!],
  ["b1[0]", b1n[0]!], ["b1[1]", b1n[1]!],
  ["y_after[0]", after.y], ["loss_after", after.loss],
]);

/** Every `name = number` pair in a text, by name; throws when a name appears twice. */
export function printedNumbers(text: string): Map<string, number> {
  const printed = new Map<string, number>();
  for (const m of text.matchAll(/([\w[\]]+) = (-?\d[\d.e+-]*)/g)) {
    if (printed.has(m[1]!)) throw new Error(`${m[1]} printed twice`);
    printed.set(m[1]!, Number(m[2]));
  }
  return printed;
}
