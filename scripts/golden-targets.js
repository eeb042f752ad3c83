// The committed generated modules, in one list that `npm run golden` (scripts/golden.js) writes and
// test/golden/golden.test.ts checks byte for byte:
//
//   examples/<name>/model.gen.ts         what examples/<name>/main.ts trains. It keeps the dtype (and
//                                        --batch) it was compiled with, read from its `spec`: to change
//                                        them, compile it once by hand (`npx gradc compile ... --dtype f32`).
//                                        A new example gets f64.
//   test/golden/<name>.f64.gen.ts        the example in the dtype its model.gen.ts does not use, so a
//   test/golden/<name>.f32.gen.ts        reviewer sees each change to the emitted code in both kinds of
//                                        arithmetic (the example's own file is the golden of its dtype)
//   test/golden/<name>.<dtype>.batch<N>.gen.ts   the VARIANTS: fixed batch sizes (--batch N), whose
//                                        code is unrolled over the batch
//   test/golden/<fixture>.<dtype>.gen.ts the FIXTURES: models under test/fixtures/models/ written to reach
//                                        what no example reaches (both dtypes)
//
// Every examples/<name>/ with a model.ts is an example. Paths are relative to the repository root.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Extra compilations committed under test/golden/. */
export const VARIANTS = [{ example: "xor", dtype: "f32", batch: 4 }];

/**
 * Models that are not examples, committed in both dtypes: modulePaths.ts reaches the module's less common
 * paths (dropout, batchNorm's running statistics, the loss, a parameter and an input as outputs, a
 * gradient that is an input's array), so that a change to their emitted text shows here.
 */
export const FIXTURES = ["modulePaths"];

/** The example names, sorted. */
export function exampleNames() {
  return readdirSync(path.join(root, "examples"), { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(root, "examples", e.name, "model.ts")))
    .map((e) => e.name)
    .sort();
}

/**
 * The options a committed module was compiled with, from its `spec` (`dtype: "f32"`, and `batch: N`
 * when the batch was fixed); { dtype: "f64" } when there is no such file yet.
 */
export function compiledWith(out) {
  const file = path.join(root, out);
  if (!existsSync(file)) return { dtype: "f64" };
  const text = readFileSync(file, "utf8");
  const spec = text.slice(text.indexOf("export const spec"));
  const dtype = /\bdtype: "(f32|f64)"/.exec(spec)?.[1] ?? "f64";
  const batch = /\bbatch: (\d+),/.exec(spec)?.[1];
  return batch === undefined ? { dtype } : { dtype, batch: Number(batch) };
}

/** Every committed generated module: { model, out, dtype, batch? }, paths relative to the root. */
export function goldenTargets() {
  const targets = [];
  for (const name of exampleNames()) {
    const model = `examples/${name}/model.ts`;
    const out = `examples/${name}/model.gen.ts`;
    const own = compiledWith(out);
    targets.push({ model, out, ...own });
    // The example's own module is already the golden file of its dtype; test/golden/ holds the other one.
    for (const dtype of ["f64", "f32"]) {
      if (dtype !== own.dtype || own.batch !== undefined) targets.push({ model, out: `test/golden/${name}.${dtype}.gen.ts`, dtype });
    }
  }
  for (const v of VARIANTS) {
    targets.push({ model: `examples/${v.example}/model.ts`, out: `test/golden/${v.example}.${v.dtype}.batch${v.batch}.gen.ts`, dtype: v.dtype, batch: v.batch });
  }
  for (const name of FIXTURES) {
    for (const dtype of ["f64", "f32"]) targets.push({ model: `test/fixtures/models/${name}.ts`, out: `test/golden/${name}.${dtype}.gen.ts`, dtype });
  }
  return targets;
}
