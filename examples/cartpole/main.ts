// Trains examples/cartpole — a 4 → 64 → 2 softmax policy with a 4 → 64 → 1 value baseline — by
// REINFORCE with the baseline (actor-critic on whole episodes) until the average length of the last
// 100 episodes reaches 475 of CartPole-v1's 500 steps, or the episode budget runs out.
//
//   npm run build                                       (once: the module imports gradc/runtime)
//   node --import ./scripts/register-ts.js examples/cartpole/main.ts [--seed 0] [--episodes 2000]
//        [--every 100] [--batch 4] [--lr 0.003] [--gamma 0.99] [--svg lengths.svg]
//
// The last line is always `average episode length over the last 100 episodes: N` (N with one decimal).
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { DEFAULTS, reinforce } from "./reinforce.js";
import { lengthsChartSvg } from "./chart.js";
import { spec } from "./model.gen.js";

const { values: args } = parseArgs({
  options: {
    seed: { type: "string", default: "0" },
    episodes: { type: "string", default: String(DEFAULTS.episodes) },
    every: { type: "string", default: "100" },
    batch: { type: "string", default: String(DEFAULTS.batch) },
    lr: { type: "string", default: String(DEFAULTS.lr) },
    gamma: { type: "string", default: String(DEFAULTS.gamma) },
    svg: { type: "string" },
  },
});
const seed = Number(args.seed), episodes = Number(args.episodes), every = Number(args.every);
const batch = Number(args.batch), lr = Number(args.lr), gamma = Number(args.gamma);

console.log(`model "${spec.name}" (${spec.dtype}), seed ${seed}: CartPole-v1, REINFORCE with a value baseline, ${batch} episodes per update, γ = ${gamma}, Adam(lr = ${lr}), at most ${episodes} episodes`);
let printed = 0;
const result = reinforce({
  seed, episodes, batch, lr, gamma, target: DEFAULTS.target,
  onUpdate: (u) => {
    if (Math.floor(u.episodes / every) === Math.floor(printed / every)) return;
    printed = u.episodes;
    console.log(`episode ${String(u.episodes).padStart(5)}   last length ${String(u.lengths.at(-1)).padStart(3)}   average of the last 100 ${u.average.toFixed(1).padStart(5)}   loss ${u.loss.toFixed(3)}`);
  },
});
const { lengths, solvedAt, seconds } = result;
console.log(solvedAt === null
  ? `not solved within ${lengths.length} episodes (${seconds.toFixed(1)} s)`
  : `solved after ${solvedAt} episodes (${lengths.reduce((a, b) => a + b, 0)} steps) in ${seconds.toFixed(1)} s`);
if (args.svg) {
  writeFileSync(args.svg, lengthsChartSvg([{ seed, lengths }]));
  console.log(`wrote ${args.svg}`);
}
console.log(`average episode length over the last 100 episodes: ${result.average.toFixed(1)}`);
