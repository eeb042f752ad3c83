// A character-level language model: each character is embedded, an LSTM reads the sequence, and at
// every step a linear layer scores which character comes next. Trained to maximize the probability of
// the text, i.e. to minimize −mean(log p(next character)), in nats; bits per character are that / ln 2.
import { model, input, param, add, matmul, neg, mean, embedding, scan, lstmCell, cellParams, zeros, logSoftmax, pick, type Tensor } from "gradc";

const VOCAB = 59; // the distinct characters of examples/charlm/shakespeare.txt (main.ts checks it)
const SEQ = 64; // characters per training window
const EMBED = 32;
const HIDDEN = 128;

export default model("charlm", () => {
  const chars = input("chars", ["batch", SEQ], { dtype: "int" }); // the window's characters, as indices into the alphabet
  const next = input("next", ["batch", SEQ], { dtype: "int" }); // next[t] = chars[t + 1]: the character to predict at step t

  const E = param("E", [VOCAB, EMBED], { init: "normal" }); // nn.Embedding's N(0, 1)
  const lstm = cellParams("lstm", "lstm", EMBED, HIDDEN); // gates i, f, g, o as torch.nn.LSTM
  const Wo = param("Wo", [HIDDEN, VOCAB]);
  const bo = param("bo", [VOCAB]);

  // One step: the LSTM cell reads this character's embedding, then scores every possible next character.
  const step = (state: { h: Tensor; c: Tensor }, x: Tensor) => {
    const s = lstmCell(x, state, lstm);
    return { carry: s, output: add(matmul(s.h, Wo), bo) };
  };
  const start = { h: zeros(["batch", HIDDEN]), c: zeros(["batch", HIDDEN]) };
  const logits = scan(step, start, embedding(chars, E)).outputs; // [batch, SEQ, VOCAB]

  const logProbs = logSoftmax(logits); // log p(c | the characters so far), for every c
  const loss = neg(mean(pick(logProbs, next))); // −mean log p(the character that came next)
  return { loss, outputs: { logProbs } };
});
