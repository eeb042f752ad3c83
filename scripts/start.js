// npm start: the whole pipeline on examples/simple, from a fresh clone (after npm install):
//
//   1. builds dist/ if it is missing or older than the sources (npm run build);
//   2. compiles examples/simple/model.ts with the real command line into .gradc-out/ (gitignored):
//        node bin/gradc.js compile examples/simple/model.ts -o .gradc-out/simple.gen.ts --dtype f64
//   3. trains that freshly compiled module with examples/simple/main.ts (run through the TypeScript
//      hook in scripts/register-ts.js), which prints the loss as it falls and the final predictions.
//
// Extra arguments go to main.ts, e.g. `npm start -- --seed 4 --steps 8000`.
import path from "node:path";
import { ensureBuilt, gradcCompile, run } from "./common.js";

const model = "examples/simple/model.ts";
const out = path.join(".gradc-out", "simple.gen.ts");

try {
  await ensureBuilt();
} catch (e) {
  console.error(`npm start: ${e.message}`);
  process.exit(1);
}

console.log(`$ gradc compile ${model} -o ${out} --dtype f64`);
const t0 = performance.now();
const compiled = await gradcCompile({ model, out, dtype: "f64" });
if (compiled.code !== 0) {
  console.error(`npm start: gradc compile failed (exit code ${compiled.code})`);
  process.exit(compiled.code);
}
console.log(`compiled in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

const args = ["--import", "./scripts/register-ts.js", "examples/simple/main.ts", "--module", out, ...process.argv.slice(2)];
console.log(`$ node ${args.join(" ")}`);
process.exitCode = await run(process.execPath, args);
