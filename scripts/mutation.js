// npm run mutation [-- TARGET...]: mutation testing with StrykerJS (config: stryker.config.mjs), one
// target after another; TARGET is ops, emit, passes or runtime (default: all four), one of the
// runtime's files alone (csv, checkpoint, optim), or a file group of ops or emit (ops-conv, ops-core,
// ops-math, ops-shape, emit-kernels, emit-module, emit-pass, emit-lines, emit-rest). Extra Stryker
// options pass through: `npm run mutation -- passes --concurrency 2`.
// Reports: reports/mutation/TARGET.html and .json; the scores we keep are in test/MUTATION.md.
import { targetNames } from "../stryker.config.mjs";
import { run } from "./common.js";

const all = ["ops", "emit", "passes", "runtime"];
const args = process.argv.slice(2);
const known = targetNames;
const targets = args.filter((a) => known.includes(a));
const unknown = args.filter((a) => !a.startsWith("-") && !known.includes(a) && !/^\d+$/.test(a));
if (unknown.length) {
  console.error(`mutation: unknown target ${unknown.join(", ")} (targets: ${known.join(", ")})`);
  process.exit(2);
}
const options = args.filter((a) => !known.includes(a));
for (const target of targets.length ? targets : all) {
  console.log(`\n── mutation testing: ${target} ──`);
  const t0 = performance.now();
  const code = await run(process.execPath, ["node_modules/@stryker-mutator/core/bin/stryker.js", "run", ...options], {
    env: { ...process.env, GRADC_MUTATE: target },
  });
  console.log(`── ${target}: exit ${code}, ${((performance.now() - t0) / 60_000).toFixed(1)} min ──`);
  if (code !== 0) process.exit(code);
}
