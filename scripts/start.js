// npm start: the main job on the bundled default, from a fresh clone (after npm install):
//
//   1. builds dist/ if it is missing or older than the sources (npm run build);
//   2. compiles examples/mnist-mlp/model.ts with the real command line into .gradc-out/ (gitignored):
//        node bin/gradc.js compile examples/mnist-mlp/model.ts -o .gradc-out/mnist-mlp.gen.ts
//   3. trains that freshly compiled module on the real MNIST digits with examples/mnist-mlp/main.ts
//      (run through the TypeScript hook in scripts/register-ts.js): progress, test accuracy after
//      every epoch, then the curves and misclassified digits as SVG and a checkpoint in .gradc-out/.
//
// Extra arguments go to main.ts, e.g. `npm start -- --epochs 10 --seed 3`. Each run starts over
// (main.ts --overwrite) unless it is given --resume.
import path from "node:path";
import { ensureBuilt, gradcCompile, run } from "./common.js";

const model = "examples/mnist-mlp/model.ts";
const out = path.join(".gradc-out", "mnist-mlp.gen.ts");

try {
  await ensureBuilt();
} catch (e) {
  console.error(`npm start: ${e.message}`);
  process.exit(1);
}

console.log(`$ gradc compile ${model} -o ${out} --dtype f32`);
const t0 = performance.now();
const compiled = await gradcCompile({ model, out, dtype: "f32" });
if (compiled.code !== 0) {
  console.error(`npm start: gradc compile failed (exit code ${compiled.code})`);
  process.exit(compiled.code);
}
console.log(`compiled in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

// The demo starts over each time (its checkpoint in .gradc-out is replaced) unless it is asked to resume.
const extra = process.argv.slice(2);
const fresh = extra.some((a) => a === "--resume" || a.startsWith("--resume=") || a === "--overwrite") ? [] : ["--overwrite"];
const args = ["--import", "./scripts/register-ts.js", "examples/mnist-mlp/main.ts", "--module", out, ...fresh, ...extra];
console.log(`$ node ${args.join(" ")}`);
process.exitCode = await run(process.execPath, args);
