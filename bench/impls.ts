// The implementations one workload process holds: gradc f32 (with fastMath where it applies; f64 only
// when asked for by name) and the 2-thread trainer, the hand-written trainer, TF.js CPU and WASM, brain.js, PyTorch and jax-js, each from
// gradc's initial parameters. A peer that cannot run here is returned as skipped, with the reason the
// report prints, never as a failed run. Each peer's adapter is in peers/; this file only picks and starts them.

import { readFileSync } from "node:fs";
import { fastMathAvailable } from "../runtime/gemm.js";
import { PARALLEL_THREADS, args, genFile } from "./options.js";
import { SEED, gradcImpl, gradcParallelImpl, loadGenerated } from "./peers/gradc.js";
import type { Impl, ParamArrays } from "./peers/impl.js";
import type { Skipped } from "./results.js";
import type { Workload } from "./workloads.js";

export async function makeImpls(w: Workload, only?: readonly string[]): Promise<{ impls: Impl[]; skipped: Skipped[]; init: ParamArrays; paramShapes: { name: string; shape: readonly number[] }[] }> {
  const batches = w.data();
  const f32 = await loadGenerated(genFile(w, "f32"));
  const init = f32.initParams(SEED);
  const paramShapes = f32.spec.params.map((p) => ({ name: p.name, shape: p.shape }));
  const want = (id: string) => only === undefined || only.includes(id);
  const impls: Impl[] = [];
  if (want("gradc-f32")) impls.push(gradcImpl(f32, "f32", w, batches));
  const skipped: Skipped[] = [];
  // fastMath, where the module has matrix products on the SIMD GEMM and this node has relaxed SIMD.
  if (want("gradc-f32-fastmath") && /\bGEMM\.product/.test(readFileSync(genFile(w, "f32"), "utf8"))) {
    if (fastMathAvailable()) impls.push(gradcImpl(f32, "f32", w, batches, true));
    else skipped.push({ id: "gradc-f32-fastmath", label: "gradc f32 fastMath", reason: `no WebAssembly relaxed SIMD in node ${process.version} (npm run bench -- --relaxed-simd)` });
  }
  // gradc f64 only when asked for by name (phase 2b and the memory phase): trained in the process of
  // gradc f32, it would share gradc/runtime's optimizer loops with it, whose element accesses V8 then
  // compiles for Float32Array and Float64Array alike (~1.7× slower loops, ~10% of an SGD step), which a
  // program that trains one dtype never pays.
  if (only?.includes("gradc-f64")) impls.push(gradcImpl(await loadGenerated(genFile(w, "f64")), "f64", w, batches));
  if (w.parallel && want(`gradc-f32-t${PARALLEL_THREADS}`)) impls.push(await gradcParallelImpl(genFile(w, "f32"), f32, PARALLEL_THREADS, w, batches));
  if (w.handwritten && want("handwritten")) {
    const { handwrittenImpl } = await import("./peers/handwritten.js");
    impls.push(handwrittenImpl(init, w, batches));
  }
  for (const backend of ["cpu", "wasm"] as const) {
    if (!want(`tfjs-${backend}`)) continue;
    const { tfImpl } = await import("./peers/tfjs.js");
    impls.push(await tfImpl(backend, w, init, paramShapes, batches));
  }
  if (w.brain && want("brain")) {
    const { brainImpl } = await import("./peers/brain.js");
    impls.push(brainImpl(w, batches));
  }
  if (want("torch")) {
    if (args.python) {
      const { probeTorch, torchImpl } = await import("./peers/torch.js");
      const probe = probeTorch();
      if (probe.ok) impls.push(await torchImpl(probe.interpreter, probe.probe, w, init, paramShapes, batches));
      else skipped.push({ id: "torch", label: "PyTorch", reason: probe.reason });
    } else skipped.push({ id: "torch", label: "PyTorch", reason: args["no-torch"] ? "--no-torch" : "no Python with torch (see the peers line)" });
  }
  if (want("jax-wasm")) {
    if (args["no-jax"]) skipped.push({ id: "jax-wasm", label: "jax-js", reason: "--no-jax" });
    else {
      try {
        const { jaxImpl } = await import("./peers/jax.js");
        impls.push(await jaxImpl(w, init, paramShapes, batches));
      } catch (e) {
        // Not installed (npm ci without dev dependencies) or not loadable here: a reason in the table, not a failed run.
        skipped.push({ id: "jax-wasm", label: "jax-js", reason: `@jax-js/jax did not load: ${(e as Error).message.split("\n")[0]}` });
      }
    }
  }
  return { impls, skipped, init, paramShapes };
}
