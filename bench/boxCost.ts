// What gradc's box costs a compile (issue "trust": compile time of the examples may grow by about 150 ms
// at most). Each example is compiled, f32, by a fresh Node process in two ways, interleaved rep by rep:
//   boxed      runJob("compile", …, DEFAULT_BOX): the model runs in the box, a second Node process
//              under the permission model (what `gradc compile` does);
//   in process runJob("compile", …, undefined): the same job in the first process (the programmatic
//              API, and what `gradc compile` did before the box).
// Both start cold, import the built compiler (dist/) and end after the job, so their difference is the
// box: one more Node start, its permission checks, sending the request and the result across.
// Reported per example: medians of wall-clock time, and of CPU time (the process and its children, from
// the kernel's accounting), which other work on a shared machine stretches less.
//
//   npm run build && node --import ./scripts/register-ts.js bench/boxCost.ts [--reps 7] [--only simple,xor]
import { spawnSync } from "node:child_process";
import { readdirSync, existsSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = fileURLToPath(new URL("..", import.meta.url));
const { values } = parseArgs({ options: { reps: { type: "string", default: "7" }, only: { type: "string" } } });
const reps = Number(values.reps);
const only = values.only?.split(",");
const examples = readdirSync(path.join(root, "examples"))
  .filter((d) => existsSync(path.join(root, "examples", d, "model.ts")) && (!only || only.includes(d)))
  .sort();

/** A fresh Node process that runs one compile job, boxed or not; its wall and CPU seconds (with its children). */
function timeOnce(model: string, boxed: boolean): { wall: number; cpu: number } {
  const script = [
    `import { runJob } from ${JSON.stringify(path.join(root, "dist/compiler/box/run.js"))};`,
    `import { DEFAULT_BOX } from ${JSON.stringify(path.join(root, "dist/compiler/box/policy.js"))};`,
    `const box = ${boxed} ? { ...DEFAULT_BOX, cwd: process.cwd(), output: (t) => process.stderr.write(t) } : undefined;`,
    `const r = await runJob("compile", { file: ${JSON.stringify(model)}, dtype: "f32" }, box);`,
    `if (typeof r.code !== "string" || r.code.length === 0) throw new Error("no module");`,
  ].join("\n");
  // bash's `times` after the child: user and system seconds of the shell's waited-for children.
  const shell = `node --input-type=module -e "$GRADC_BOX_COST_SCRIPT" && times`;
  const t0 = performance.now();
  const r = spawnSync("bash", ["-c", shell], { cwd: path.dirname(model), env: { ...process.env, GRADC_BOX_COST_SCRIPT: script }, encoding: "utf8" });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`compile of ${model} failed:\n${r.stderr}`);
  // `times` prints two lines: the shell's own user/system, then its children's ("0m1.234s 0m0.056s").
  const children = r.stdout.trim().split("\n").at(-1)!.split(/\s+/).map((t) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(t);
    if (!m) throw new Error(`unexpected output of times: ${r.stdout}`);
    return Number(m[1]) * 60 + Number(m[2]);
  });
  return { wall, cpu: children[0]! + children[1]! };
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const ms = (s: number) => `${Math.round(s * 1000)} ms`;

const load = loadavg()[0]!;
console.log(`# The box's cost per compile (bench/boxCost.ts)\n`);
console.log(`- date: ${new Date().toISOString()}; machine: ${cpus()[0]?.model ?? "?"}, ${cpus().length} logical CPUs; node ${process.version}`);
console.log(`- ${reps} reps per example and way, interleaved; medians; load average (1 min) before: ${load.toFixed(1)}\n`);
console.log("| example | in process: wall | boxed: wall | box adds (wall) | in process: CPU | boxed: CPU | box adds (CPU) |");
console.log("|---|---|---|---|---|---|---|");
for (const example of examples) {
  const model = path.join(root, "examples", example, "model.ts");
  timeOnce(model, true); // warm the file cache for both
  const inProcess: { wall: number; cpu: number }[] = [];
  const boxed: { wall: number; cpu: number }[] = [];
  for (let k = 0; k < reps; k++) {
    // Alternate which goes first, so a trend in the machine's load falls on both alike.
    if (k % 2) {
      boxed.push(timeOnce(model, true));
      inProcess.push(timeOnce(model, false));
    } else {
      inProcess.push(timeOnce(model, false));
      boxed.push(timeOnce(model, true));
    }
  }
  const [iw, bw, ic, bc] = [median(inProcess.map((t) => t.wall)), median(boxed.map((t) => t.wall)), median(inProcess.map((t) => t.cpu)), median(boxed.map((t) => t.cpu))];
  console.log(`| ${example} | ${ms(iw)} | ${ms(bw)} | ${ms(bw - iw)} | ${ms(ic)} | ${ms(bc)} | ${ms(bc - ic)} |`);
}
console.log(`\nload average (1 min) after: ${loadavg()[0]!.toFixed(1)}`);
