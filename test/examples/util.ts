// Helpers for the example tests: gradient checks against central finite differences of the generated
// module's own loss, and running an example's main.ts the way its README says.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { GeneratedModule } from "../helpers/compiled.js";

export const root = fileURLToPath(new URL("../..", import.meta.url));
export const exampleModel = (name: string) => path.join(root, "examples", name, "model.ts");

/** Every examples/<name>/ with a model.ts, sorted: the tests of each command run on all of them (none is an error). */
export function exampleNames(): string[] {
  const names = readdirSync(path.join(root, "examples"), { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(root, "examples", e.name, "model.ts")))
    .map((e) => e.name)
    .sort();
  if (names.length === 0) throw new Error(`no examples/<name>/model.ts under ${root}: the per-example tests would test nothing`);
  return names;
}

type Params = Record<string, Float64Array | Float32Array>;
type Inputs = Record<string, ArrayLike<number>>;

export interface GradMismatch {
  readonly param: string;
  readonly index: number;
  readonly analytic: number;
  readonly numeric: number;
}

/**
 * ∂loss/∂p for every element of every parameter from central differences of `lossAndGrad(...).loss`,
 * with one Richardson extrapolation step (error O(h⁴) instead of O(h²)):
 *   D(s) = (L(p + s) − L(p − s)) / ((p + s) − (p − s)),   fd = (4·D(s/2) − D(s)) / 3,
 * s = relStep·max(1, |p|). Returns the elements where |analytic − fd| > atol + rtol·|fd|, and the
 * largest error seen relative to that bound (≤ 1 means everything passed).
 */
export function checkAgainstFiniteDifferences(
  mod: GeneratedModule,
  params: Params,
  inputs: Inputs,
  { atol = 1e-11, rtol = 1e-9, relStep = 1e-3 } = {},
): { mismatches: GradMismatch[]; worst: number; checked: number } {
  const { grads } = mod.lossAndGrad(params, inputs);
  const mismatches: GradMismatch[] = [];
  let worst = 0;
  let checked = 0;
  for (const [name, p] of Object.entries(params)) {
    const g = grads[name]!;
    for (let k = 0; k < p.length; k++) {
      const original = p[k]!;
      const slope = (s: number): number => {
        p[k] = original + s;
        const up = p[k]!;
        const lossUp = mod.lossAndGrad(params, inputs).loss;
        p[k] = original - s;
        const down = p[k]!;
        const lossDown = mod.lossAndGrad(params, inputs).loss;
        p[k] = original;
        return (lossUp - lossDown) / (up - down);
      };
      const s = relStep * Math.max(1, Math.abs(original));
      const numeric = (4 * slope(s / 2) - slope(s)) / 3;
      const analytic = g[k]!;
      const ratio = Math.abs(analytic - numeric) / (atol + rtol * Math.abs(numeric));
      worst = Math.max(worst, ratio);
      checked++;
      if (!(ratio <= 1)) mismatches.push({ param: name, index: k, analytic, numeric });
    }
  }
  return { mismatches, worst, checked };
}

/** Copies of the parameter arrays (training updates them in place). */
export const cloneParams = (p: Params): Params => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.slice()]));

/** `node --import ./scripts/register-ts.js examples/<name>/main.ts ...args` from the root; its stdout. `timeout` in ms (default 60 s). */
export function runMain(name: string, args: readonly string[] = [], { timeout = 60_000 } = {}): string {
  const r = spawnSync(process.execPath, ["--import", "./scripts/register-ts.js", `examples/${name}/main.ts`, ...args], {
    cwd: root,
    encoding: "utf8",
    timeout,
  });
  if (r.status !== 0) throw new Error(`examples/${name}/main.ts ${args.join(" ")} exited with ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}
