// Benchmark workload W6: a one-layer LSTM over 32 steps of 32 inputs (a character-level language
// model's shape: one-hot characters in, the next character's class out), hidden 128, a dense head on
// the last hidden state, softmax cross-entropy against integer labels. Written with gradc/layers, so
// its parameters are torch's nn.LSTM / nn.Linear state_dict (weights transposed: [in, out]).
import { model, input, softmaxCrossEntropy } from "gradc";
import { dense, lstmLayer } from "gradc/layers";

export default model("lstm32x128", () => {
  const x = input("x", ["batch", 32, 32]);
  const y = input("y", ["batch"], { dtype: "int" });
  const { h } = lstmLayer(x, 128, { name: "lstm" });
  const logits = dense(h, 32, { name: "head" });
  return { loss: softmaxCrossEntropy(logits, y), outputs: { logits } };
});
