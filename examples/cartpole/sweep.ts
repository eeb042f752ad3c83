// Trains CartPole with seeds 0–9 one after another (main.ts's defaults), then prints a Markdown table of
// the episodes and seconds each needed and writes the chart of all ten runs — the README's numbers.
//
//   node --import ./scripts/register-ts.js examples/cartpole/sweep.ts [--svg examples/cartpole/episode-lengths.svg]
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { lengthsChartSvg } from "./chart.js";
import { DEFAULTS, reinforce } from "./reinforce.js";

const { values: args } = parseArgs({ options: { svg: { type: "string", default: "examples/cartpole/episode-lengths.svg" } } });
const runs = [];
for (let seed = 0; seed < 10; seed++) {
  const r = reinforce({ seed, ...DEFAULTS });
  console.log(`seed ${seed}: ${r.solvedAt === null ? `not solved in ${r.lengths.length} episodes` : `solved after ${r.solvedAt} episodes`} (${r.lengths.reduce((a, b) => a + b, 0)} steps), ${r.seconds.toFixed(1)} s; last 100 average ${r.average.toFixed(1)}`);
  runs.push({ seed, ...r });
}
writeFileSync(args.svg, lengthsChartSvg(runs));
console.log(`\nwrote ${args.svg}\n`);
console.log("| seed | episodes to reach 475 | environment steps | wall time |");
console.log("| ---: | ---: | ---: | ---: |");
for (const r of runs) console.log(`| ${r.seed} | ${r.solvedAt ?? `not solved (${r.lengths.length})`} | ${r.lengths.reduce((a, b) => a + b, 0).toLocaleString("en-US")} | ${r.seconds.toFixed(1)} s |`);
const solved = runs.filter((r) => r.solvedAt !== null);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
console.log(`\n${solved.length} of 10 seeds solved; median ${median(solved.map((r) => r.solvedAt!))} episodes, ${median(runs.map((r) => r.seconds)).toFixed(1)} s`);
