// `npm run bench:scaling` — how compile time and memory grow with the model (bench/scalingModels.ts):
// a chain of N small dense layers, a chain of N element-wise steps, a model with a large `init` literal.
//
//   npm run bench:scaling                              every series, 3 runs each, tables on stdout
//   npm run bench:scaling -- --dense 250,500,1000 --elementwise 1000 --init 5 --reps 1
//   npm run bench:scaling -- --profile                 also where the time goes, per stage (one profiled run each)
//   npm run bench:scaling -- --gradc /path/to/gradc    measure another checkout's build (its bin/gradc.js and dist/)
//
// Each run is a fresh `node bin/gradc.js compile <model> -o <out>` process, as a user runs it. Measured:
// wall clock from spawn to exit, the process's CPU time (user + system, all threads: robust when other
// work shares the machine) and its peak RSS, both read from process.resourceUsage() as the process exits
// (a preloaded hook, `--import`); the emitted bytes. With --profile one more run under `--cpu-prof`
// attributes each sample to a stage of the pipeline (the innermost known function on its stack: load,
// type-check, trace, each pass, plan/emit, prettier, …). Results go to stdout and, as Markdown, to
// bench/.out/scaling.md; bench/RESULTS.md keeps the curves that were reviewed. No thresholds: growth is
// reported, never asserted (the test, test/scaling/scaling.test.ts, checks correctness only).

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { denseChain, elementwiseChain, initLiteral, type ScalingModel } from "./scalingModels.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = path.join(ROOT, "bench", ".out", "scaling");

const { values: args } = parseArgs({
  options: {
    dense: { type: "string", default: "250,500,1000,2000,4000" },
    elementwise: { type: "string", default: "250,500,1000,2000,4000" },
    /** Megabytes of init literal. */
    init: { type: "string", default: "1,5" },
    reps: { type: "string", default: "3" },
    profile: { type: "boolean", default: false },
    gradc: { type: "string", default: ROOT },
    timeout: { type: "string", default: "900" },
  },
});

const list = (s: string): number[] => (s.trim() === "" ? [] : s.split(",").map(Number));
const gradcRoot = path.resolve(args.gradc);
const reps = Number(args.reps);
const timeoutMs = Number(args.timeout) * 1000;

/** Written by every compile process as it exits: its own CPU time and peak RSS. */
const USAGE_HOOK = `data:text/javascript,${encodeURIComponent(
  `import { writeFileSync } from "node:fs";
   process.on("exit", () => { const u = process.resourceUsage(); writeFileSync(process.env.GRADC_SCALING_USAGE, JSON.stringify({ cpuUs: u.userCPUTime + u.systemCPUTime, maxRssKb: u.maxRSS })); });`,
)}`;

interface Run {
  readonly ok: boolean;
  readonly wallS: number;
  readonly cpuS: number;
  readonly rssMb: number;
  readonly bytes: number;
  /** The first line of stderr when the compile failed. */
  readonly error?: string;
}

function compileOnce(modelFile: string, outFile: string, extraNodeArgs: string[] = []): Run {
  const usageFile = `${outFile}.usage.json`;
  rmSync(usageFile, { force: true });
  rmSync(outFile, { force: true });
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...extraNodeArgs, "--import", USAGE_HOOK, path.join(gradcRoot, "bin", "gradc.js"), "compile", modelFile, "-o", outFile], {
    env: { ...process.env, GRADC_SCALING_USAGE: usageFile },
    encoding: "utf8",
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallS = (performance.now() - t0) / 1000;
  const usage = existsSync(usageFile) ? (JSON.parse(readFileSync(usageFile, "utf8")) as { cpuUs: number; maxRssKb: number }) : { cpuUs: NaN, maxRssKb: NaN };
  const ok = r.status === 0 && existsSync(outFile);
  const error = ok ? undefined : r.error ? `${r.error.message}` : (r.stderr.split("\n").find((l) => l.trim()) ?? `exit ${r.status} ${r.signal ?? ""}`);
  return { ok, wallS, cpuS: usage.cpuUs / 1e6, rssMb: usage.maxRssKb / 1024, bytes: ok ? statSync(outFile).size : 0, ...(error ? { error } : {}) };
}

// ── where the time goes: a CPU profile's samples by stage ───────────────────────────────────────────

/** Stages by the function that runs them (file under dist/compiler or a package, function name); the innermost match wins. */
const STAGES: readonly (readonly [stage: string, file: RegExp, fn: RegExp])[] = [
  ["prettier", /node_modules\/prettier\//, /.*/],
  ["type-check", /frontend\/load\.js$/, /^typecheck$/],
  ["parse+transpile", /frontend\/load\.js$/, /^(transpile|ModelSource|checkImports)$/],
  ["evaluate+trace", /frontend\/load\.js$/, /^(evaluate|nameNodes)$/],
  ["evaluate+trace", /dsl\/model\.js$/, /^trace$/],
  ["verify", /ir\/verify\.js$/, /.*/],
  ["flops", /ir\/flops\.js$/, /.*/],
  ...["stabilize", "simplify", "constFold", "scanBodies", "joinSlices", "foldTranspose", "reuseForward", "cse", "dce"].map(
    (p) => [`pass ${p}`, new RegExp(`passes/${p}\\.js$`), /.*/] as const,
  ),
  ["pass grad", /autodiff\//, /.*/],
  ["emit: plan", /lower\/plan\.js$/, /^plan$/],
  ["emit: memory plan", /lower\/memory\.js$/, /.*/],
  ["emit: batch fusion", /emit\/fuseBatch\.js$/, /.*/],
  ["emit: kernels", /emit\/kernels\.js$/, /.*/],
  ["format: plain lines", /emit\/(format|plainLines)\.js$/, /.*/],
  ["emit: module", /emit\/(module|passGraphs|update|names|notation|affine)\.js$/, /.*/],
  ["report", /compiler\/report\.js$/, /.*/],
  ["source map", /emit\/sourceMap\.js$/, /.*/],
  ["load (other)", /frontend\//, /.*/],
  ["start-up (module loading)", /^node:internal|^$/, /^(compileSourceTextModule|wrapSafe|readFileUtf8|link|instantiate|moduleEvaluation)$/],
];

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: readonly number[];
}

function stagesOf(profileFile: string): Map<string, number> {
  const p = JSON.parse(readFileSync(profileFile, "utf8")) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stageOfNode = new Map<number, string>();
  const stageOf = (id: number): string => {
    const known = stageOfNode.get(id);
    if (known) return known;
    const n = byId.get(id)!;
    const { functionName, url } = n.callFrame;
    let s: string | undefined;
    if (functionName === "(garbage collector)") s = "garbage collection";
    else if (functionName === "(idle)" || functionName === "(program)") s = "(idle/program)";
    else {
      const file = url.replace(/^file:\/\//, "");
      s = STAGES.find(([, f, fn]) => f.test(file) && fn.test(functionName))?.[0];
      if (!s) {
        const up = parent.get(id);
        s = up === undefined ? "other" : stageOf(up);
      }
    }
    stageOfNode.set(id, s);
    return s;
  };
  const out = new Map<string, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const s = stageOf(p.samples[i]!);
    out.set(s, (out.get(s) ?? 0) + (p.timeDeltas[i + 1] ?? 0) / 1e6);
  }
  return out;
}

/**
 * Seconds of CPU time by stage in one profiled compile: each stage's share of the profile's samples
 * times the process's CPU time (the samples follow wall time, which other work on the machine stretches).
 */
function profileOnce(modelFile: string, outFile: string): Map<string, number> | null {
  const dir = `${outFile}.prof`;
  rmSync(dir, { recursive: true, force: true });
  const r = compileOnce(modelFile, outFile, ["--cpu-prof", `--cpu-prof-dir=${dir}`]);
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".cpuprofile")) : [];
  if (!r.ok || !files.length) return null;
  const samples = stagesOf(path.join(dir, files[0]!));
  const total = [...samples.values()].reduce((a, b) => a + b, 0);
  return new Map([...samples].map(([stage, t]) => [stage, (t / total) * r.cpuS]));
}

// ── the series ──────────────────────────────────────────────────────────────────────────────────────

interface Row {
  readonly series: string;
  readonly size: string;
  readonly runs: readonly Run[];
  readonly stages: Map<string, number> | null;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};

function measure(series: string, size: string, m: ScalingModel): Row {
  mkdirSync(OUT, { recursive: true });
  const modelFile = path.join(OUT, `${m.name}.model.ts`);
  const outFile = path.join(OUT, `${m.name}.gen.ts`);
  writeFileSync(modelFile, m.source);
  const runs: Run[] = [];
  for (let r = 0; r < reps; r++) {
    const run = compileOnce(modelFile, outFile);
    runs.push(run);
    if (!run.ok) break; // a failure repeats; one is enough
  }
  const stages = args.profile && runs.every((r) => r.ok) ? profileOnce(modelFile, outFile) : null;
  const row: Row = { series, size, runs, stages };
  console.log(formatRow(row));
  return row;
}

const fmt = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : "–");

function formatRow(row: Row): string {
  const ok = row.runs.filter((r) => r.ok);
  if (!ok.length) return `| ${row.series} | ${row.size} | fails: ${row.runs[0]?.error ?? "?"} | | | | |`;
  const cpu = ok.map((r) => r.cpuS), wall = ok.map((r) => r.wallS);
  return `| ${row.series} | ${row.size} | ${fmt(median(cpu))} [${fmt(Math.min(...cpu))}–${fmt(Math.max(...cpu))}] | ${fmt(median(wall))} | ${fmt(median(ok.map((r) => r.rssMb)), 0)} | ${ok[0]!.bytes.toLocaleString("en-US")} | ${ok.length} |`;
}

function stageTable(rows: readonly Row[]): string[] {
  const profiled = rows.filter((r) => r.stages);
  if (!profiled.length) return [];
  const totals = new Map<string, number>();
  for (const r of profiled) for (const [s, t] of r.stages!) totals.set(s, (totals.get(s) ?? 0) + t);
  const stages = [...totals].sort((a, b) => b[1] - a[1]).map(([s]) => s);
  return [
    "",
    "Where the time goes: one more compile under --cpu-prof each; a stage's seconds are its share of the profile's samples times that compile's CPU time (the innermost known function on a sample's stack names its stage; profiling adds some overhead):",
    "",
    `| stage | ${profiled.map((r) => `${r.series} ${r.size}`).join(" | ")} |`,
    `|---|${profiled.map(() => "---").join("|")}|`,
    ...stages.map((s) => `| ${s} | ${profiled.map((r) => fmt(r.stages!.get(s) ?? 0)).join(" | ")} |`),
    `| **total** | ${profiled.map((r) => fmt([...r.stages!.values()].reduce((a, b) => a + b, 0))).join(" | ")} |`,
  ];
}

const header = [
  "| series | size | CPU s median [min–max] | wall s median | peak RSS MB | emitted bytes | runs |",
  "|---|---|---|---|---|---|---|",
];
console.log(`gradc at ${gradcRoot}; ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
console.log(header.join("\n"));
const rows: Row[] = [];
for (const n of list(args.dense)) rows.push(measure("dense chain", `${n} layers`, denseChain(n)));
for (const n of list(args.elementwise)) rows.push(measure("element-wise chain", `${n} steps`, elementwiseChain(n)));
for (const mb of list(args.init)) rows.push(measure("init literal", `${mb} MB`, initLiteral(mb * 1e6)));
const loadAfter = os.loadavg();
const report = [
  `# Compile-time scaling, ${new Date().toISOString().slice(0, 10)}`,
  "",
  `gradc at ${gradcRoot}; node ${process.version}; ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}; load average after: ${loadAfter.map((l) => l.toFixed(1)).join(" ")}.`,
  "",
  ...header,
  ...rows.map(formatRow),
  ...stageTable(rows),
  "",
];
for (const l of stageTable(rows)) console.log(l);
mkdirSync(OUT, { recursive: true });
writeFileSync(path.join(ROOT, "bench", ".out", "scaling.md"), report.join("\n"));
console.log(`\nwritten: ${path.relative(ROOT, path.join(ROOT, "bench", ".out", "scaling.md"))}`);
