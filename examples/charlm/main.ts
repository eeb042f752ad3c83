// Trains examples/charlm — embedding (32) → LSTM (128) → softmax over the 59 characters — on the first
// 50 KB of tinyshakespeare (Coriolanus), with Adam on shuffled windows of 64 characters; reports bits
// per character on the held-out last 10% of the text after every epoch, then samples from the model.
//
//   npm run build                                       (once: the module imports gradc/runtime)
//   node --import ./scripts/register-ts.js examples/charlm/main.ts [--seed 0] [--epochs 10] [--batch 16]
//        [--lr 0.01] [--every 50] [--steps N] [--temperature 0.8] [--length 400] [--prime "MENENIUS:"]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createRng } from "gradc/runtime";
import { createTrainer, forward, initParams, spec } from "./model.gen.js";
import { alphabetOf, bitsPerChar, epochStarts, sampleIndex, windowsAt } from "./text.js";

const { values: args } = parseArgs({
  options: {
    seed: { type: "string", default: "0" },
    epochs: { type: "string", default: "10" },
    batch: { type: "string", default: "16" },
    lr: { type: "string", default: "0.01" },
    every: { type: "string", default: "50" },
    steps: { type: "string" }, // stop after this many training steps (a shortened run)
    temperature: { type: "string", default: "0.8" },
    length: { type: "string", default: "400" },
    prime: { type: "string", default: "\n" },
  },
});
const seed = Number(args.seed), epochs = Number(args.epochs), batch = Number(args.batch), lr = Number(args.lr), every = Number(args.every);
const maxSteps = args.steps === undefined ? Infinity : Number(args.steps);
const temperature = Number(args.temperature), length = Number(args.length);
if (!(temperature > 0)) throw new Error(`--temperature must be a positive number, got ${args.temperature}`);

const SEQ = spec.inputs[0].shape[1], VOCAB = spec.inputs[0].classes;
const text = readFileSync(new URL("shakespeare.txt", import.meta.url), "utf8");
const alphabet = alphabetOf(text);
if (alphabet.chars.length !== VOCAB) throw new Error(`the text has ${alphabet.chars.length} distinct characters but model.ts's VOCAB is ${VOCAB}: update it and recompile`);
const encoded = alphabet.encode(text);
const split = Math.floor(encoded.length * 0.9);
const train = encoded.subarray(0, split), heldOut = encoded.subarray(split);
// The held-out text in consecutive windows, each read from a zero state as in training.
const heldOutWindows = windowsAt(heldOut, Array.from({ length: Math.floor((heldOut.length - 1) / SEQ) }, (_, w) => w * SEQ), SEQ);

const rng = createRng(seed);
const params = initParams(seed);
const trainer = createTrainer(params, { optimizer: { kind: "adam", lr } });
console.log(`text: ${text.length} characters of tinyshakespeare, ${VOCAB} distinct; ${train.length} to train on, ${heldOut.length} held out`);
console.log(`model "${spec.name}" (${spec.dtype}), seed ${seed}: embedding → LSTM → softmax over the characters, windows of ${SEQ}; Adam(lr = ${lr}), batch ${batch}, ${epochs} epochs`);

const heldOutBits = () => bitsPerChar(forward(params, { chars: heldOutWindows.chars }).logProbs, heldOutWindows.next, VOCAB);
console.log(`before training: held-out ${heldOutBits().toFixed(3)} bits/char (uniform guessing: ${Math.log2(VOCAB).toFixed(3)})`);
const started = performance.now();
let step = 0;
for (let epoch = 1; epoch <= epochs && step < maxSteps; epoch++) {
  const starts = epochStarts(rng, train.length, SEQ);
  let bits = 0, seen = 0;
  for (let b = 0; b < starts.length && step < maxSteps; b += batch) {
    const w = windowsAt(train, starts.slice(b, b + batch), SEQ);
    const loss = trainer.step({ chars: w.chars, next: w.next }) / Math.LN2; // nats → bits
    bits += loss * w.count;
    seen += w.count;
    if (++step % every === 0) console.log(`  step ${String(step).padStart(4)}   training loss ${loss.toFixed(3)} bits/char`);
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`epoch ${String(epoch).padStart(2)}/${epochs}   train ${(bits / seen).toFixed(3)} bits/char   held-out ${heldOutBits().toFixed(3)} bits/char   ${seconds.toFixed(1)} s`);
}

// Sampling: the model reads the last SEQ characters from a zero state, as in training, and the
// character it predicts next is drawn at the temperature and appended.
const sampler = createRng(seed + 1);
const generated = Array.from(alphabet.encode(args.prime));
const window = new Int32Array(SEQ);
for (let k = 0; k < length; k++) {
  const context = generated.slice(-SEQ);
  window.fill(0).set(context);
  const { logProbs } = forward(params, { chars: window });
  generated.push(sampleIndex(sampler, logProbs, (context.length - 1) * VOCAB, VOCAB, temperature));
}
console.log(`sample (temperature ${temperature}, ${length} characters):`);
console.log(alphabet.decode(generated.slice(alphabet.encode(args.prime).length)));
