// Run by allocation.test.ts in a plain Node process (node --expose-gc with the TypeScript hook), so
// the numbers are V8's for the generated module itself, not for a test runner's transformed copy.
//   node --expose-gc --import ./scripts/register-ts.js test/emit/allocationProbe.ts MODULE.gen.ts OPTIMIZER_JSON BATCH
import { getHeapStatistics } from "node:v8";
import { pathToFileURL } from "node:url";

const [file, optimizerJson, batchText] = process.argv.slice(2) as [string, string, string];
const m = await import(pathToFileURL(file).href);
const gc = (globalThis as { gc?: () => void }).gc!;
const batch = Number(batchText);
const A = m.spec.dtype === "f32" ? Float32Array : Float64Array;
const inputs = Object.fromEntries(
  (m.spec.inputs as { name: string; shape: (number | string)[]; dtype: string }[]).map((i) => {
    const row = i.shape.filter((d): d is number => typeof d === "number").reduce((a, b) => a * b, 1);
    const values = Array.from({ length: batch * row }, (_, k) => (k * 7) % 2);
    return [i.name, i.dtype === "i32" ? Int32Array.from(values) : A.from(values)];
  }),
);
const trainer = m.createTrainer(m.initParams(1), { optimizer: JSON.parse(optimizerJson) });
for (let k = 0; k < 2000; k++) trainer.step(inputs); // warm up: workspaces, optimizer state, the JIT
const steps = 10_000;
// One more window before measuring: on a loaded machine V8's optimizing compiler may still be at work
// (its code and feedback live on the heap too), which is a one-time cost, not a per-step allocation.
for (let k = 0; k < steps; k++) trainer.step(inputs);
gc();
const start = getHeapStatistics().used_heap_size;
for (let k = 0; k < steps; k++) trainer.step(inputs);
const allocated = getHeapStatistics().used_heap_size - start;
gc();
const retained = getHeapStatistics().used_heap_size - start;
console.log(JSON.stringify({ perStep: allocated / steps, retained }));
