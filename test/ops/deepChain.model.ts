// 3,000 element-wise steps on x ⊙ w (tanh and +0.25 in turn): test/ops/notate.test.ts writes its
// formula out in one line.
import { model, input, param, mul, add, tanh, mse } from "gradc";

export default model("deepChain", () => {
  const x = input("x", ["batch", 4]);
  const y = input("y", ["batch", 4]);
  const w = param("w", [4], { init: "ones" });
  let h = mul(x, w);
  for (let s = 0; s < 3000; s++) h = s % 2 ? tanh(h) : add(h, 0.25);
  return { loss: mse(h, y), outputs: { out: h } };
});
