// `npm run bench:scaling` — how compile time and memory grow with the model (bench/scalingModels.ts):
// a chain of N small dense layers, a chain of N element-wise steps, a model with a large `init` literal.
//
//   npm run bench:scaling                              every series, 3 runs each, tables on stdout
//   npm run bench:scaling -- --dense 250,500,1000 --elementwise 1000 --init 5 --reps 1
//   npm run bench:scaling -- --profile                 also where the time goes, per stage (one profiled run each)
//   npm run bench:scaling -- --gradc /path/to/gradc    measure another checkout's build (its bin/gradc.js and dist/)
//   npm run bench:scaling -- --before /path/to/old     and an older build beside it, the two taking turns
//   npm run bench:scaling -- --write                   also replace the "Compile-time scaling" section of bench/RESULTS.md
//
// Each run is a fresh `node bin/gradc.js compile <model> -o <out>` process, as a user runs it. Measured:
// wall clock from spawn to exit, the CPU time (user + system, all threads, of gradc and its box: robust
// when other work shares the machine) and the peak RSS, both from GNU time; the emitted bytes. With
// --profile one more run (compileFile in one process, no box) under `--cpu-prof`
// attributes each sample to a stage of the pipeline (the innermost known function on its stack: load,
// type-check, trace, each pass, plan/emit, prettier, …). Results go to stdout and, as Markdown, to
// bench/.out/scaling.md (with --write also to bench/RESULTS.md, whose other sections `npm run bench`
// writes). No thresholds: growth is reported, never asserted (test/scaling/ checks correctness only).

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { replaceSection, SECTION } from "./resultsSections.js";
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
    before: { type: "string" },
    /** How RESULTS.md names the before build (default: its commit, or its folder). */
    "before-label": { type: "string" },
    write: { type: "boolean", default: false },
    timeout: { type: "string", default: "900" },
  },
});

const list = (s: string): number[] => (s.trim() === "" ? [] : s.split(",").map(Number));
const gradcRoot = path.resolve(args.gradc);
const beforeRoot = args.before ? path.resolve(args.before) : undefined;
const RESULTS = path.join(ROOT, "bench", "RESULTS.md");
const reps = Number(args.reps);
const timeoutMs = Number(args.timeout) * 1000;

/**
 * GNU time measures each compile: since gradc runs the model and the compiler in its box (a child
 * process), the CPU time and peak RSS that count are the whole process tree's, which wait4 reports for
 * the `gradc` process and the children it waited for.
 */
const TIME = "/usr/bin/time";
if (!existsSync(TIME)) {
  console.error(`bench:scaling needs GNU time at ${TIME} (Debian: apt-get install time) to measure the compile and its box together`);
  process.exit(1);
}

interface Run {
  readonly ok: boolean;
  readonly wallS: number;
  readonly cpuS: number;
  readonly rssMb: number;
  readonly bytes: number;
  /** The first line of stderr when the compile failed. */
  readonly error?: string;
}

/**
 * One cold compile as a user runs it (`node bin/gradc.js compile`, the model in gradc's box), or with
 * `profile` the compiler's programmatic compileFile in one process under `--cpu-prof` (the box's child
 * process would not be profiled; the stages are the same code).
 */
function compileOnce(root: string, modelFile: string, outFile: string, profile?: { readonly dir: string }): Run {
  const usageFile = `${outFile}.usage.txt`;
  rmSync(usageFile, { force: true });
  rmSync(outFile, { force: true });
  const command = profile
    ? ["--cpu-prof", `--cpu-prof-dir=${profile.dir}`, "--input-type=module", "-e", `import { writeFileSync } from "node:fs"; import { compileFile } from ${JSON.stringify(pathToFileURL(path.join(root, "dist", "compiler", "compile.js")).href)}; writeFileSync(${JSON.stringify(outFile)}, (await compileFile(${JSON.stringify(modelFile)}, { dtype: "f32" })).code);`]
    : [path.join(root, "bin", "gradc.js"), "compile", modelFile, "-o", outFile, "--timeout", String(args.timeout)];
  const t0 = performance.now();
  const r = spawnSync(TIME, ["-f", "%U %S %M", "-o", usageFile, process.execPath, ...command], {
    encoding: "utf8",
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallS = (performance.now() - t0) / 1000;
  const fields = existsSync(usageFile) ? readFileSync(usageFile, "utf8").trim().split("\n").at(-1)!.split(" ").map(Number) : [NaN, NaN, NaN];
  const [user, system, maxRssKb] = fields as [number, number, number];
  const ok = r.status === 0 && existsSync(outFile);
  const error = ok ? undefined : r.error ? `${r.error.message}` : (r.stderr.split("\n").find((l) => l.trim() && !l.startsWith("Command exited")) ?? `exit ${r.status} ${r.signal ?? ""}`);
  return { ok, wallS, cpuS: user + system, rssMb: maxRssKb / 1024, bytes: ok ? statSync(outFile).size : 0, ...(error ? { error } : {}) };
}

// ── where the time goes: a CPU profile's samples by stage ───────────────────────────────────────────

/** Stages by the function that runs them (file under dist/compiler or a package, function name); the innermost match wins. */
const STAGES: readonly (readonly [stage: string, file: RegExp, fn: RegExp])[] = [
  ["prettier", /node_modules\/prettier\//, /.*/],
  ["type-check", /frontend\/load\.js$/, /^typecheck$/],
  ["parse+transpile", /frontend\/load\.js$/, /^transpile$/],
  ["parse+transpile", /frontend\/(source|modules)\.js$/, /.*/],
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
function profileOnce(root: string, modelFile: string, outFile: string): Map<string, number> | null {
  const dir = `${outFile}.prof`;
  rmSync(dir, { recursive: true, force: true });
  const r = compileOnce(root, modelFile, outFile, { dir });
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".cpuprofile")) : [];
  if (!r.ok || !files.length) return null;
  const samples = stagesOf(path.join(dir, files[0]!));
  const total = [...samples.values()].reduce((a, b) => a + b, 0);
  return new Map([...samples].map(([stage, t]) => [stage, (t / total) * r.cpuS]));
}

// ── the series ──────────────────────────────────────────────────────────────────────────────────────

/** One build's measurements of one model. */
interface Measured {
  readonly runs: readonly Run[];
  readonly stages: Map<string, number> | null;
}

interface Row {
  readonly series: string;
  readonly size: string;
  /** This build's, and (with --before) the other build's. */
  readonly after: Measured;
  readonly before?: Measured;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
};

/**
 * Compiles `m` `reps` times with each build, the builds taking turns (before, after, before, …) so that
 * both see the same load; a build that fails once is not run again on that model.
 */
function measure(series: string, size: string, m: ScalingModel): Row {
  mkdirSync(OUT, { recursive: true });
  const modelFile = path.join(OUT, `${m.name}.model.ts`);
  writeFileSync(modelFile, m.source);
  const builds = [...(beforeRoot ? [{ root: beforeRoot, out: path.join(OUT, `${m.name}.before.gen.ts`) }] : []), { root: gradcRoot, out: path.join(OUT, `${m.name}.gen.ts`) }];
  const runs = builds.map((): Run[] => []);
  for (let r = 0; r < reps; r++) {
    builds.forEach((b, k) => {
      if (runs[k]!.some((x) => !x.ok)) return;
      runs[k]!.push(compileOnce(b.root, modelFile, b.out));
    });
  }
  const measured = builds.map((b, k): Measured => ({ runs: runs[k]!, stages: args.profile && runs[k]!.every((x) => x.ok) ? profileOnce(b.root, modelFile, b.out) : null }));
  const row: Row = { series, size, after: measured[measured.length - 1]!, ...(beforeRoot ? { before: measured[0]! } : {}) };
  console.log(formatRow(row));
  return row;
}

const fmt = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : "–");
const cpuOf = (m: Measured) => median(m.runs.filter((r) => r.ok).map((r) => r.cpuS));

/** `median [min–max]` of CPU seconds, then wall, RSS and bytes; or the failure. */
function cells(m: Measured): string[] {
  const ok = m.runs.filter((r) => r.ok);
  if (!ok.length) return [`fails: ${(m.runs[0]?.error ?? "?").replace(/\|/g, "\\|")}`, "", "", ""];
  const cpu = ok.map((r) => r.cpuS);
  return [`${fmt(median(cpu))} [${fmt(Math.min(...cpu))}–${fmt(Math.max(...cpu))}]`, fmt(median(ok.map((r) => r.wallS)), 1), fmt(median(ok.map((r) => r.rssMb)), 0), ok[0]!.bytes.toLocaleString("en-US")];
}

const header = beforeRoot
  ? ["| model | size | before: CPU s median [min–max] | wall s | peak RSS MB | after: CPU s median [min–max] | wall s | peak RSS MB | emitted bytes | CPU before ÷ after |", "|---|---|---|---|---|---|---|---|---|---|"]
  : ["| model | size | CPU s median [min–max] | wall s | peak RSS MB | emitted bytes |", "|---|---|---|---|---|---|"];

function formatRow(row: Row): string {
  const after = cells(row.after);
  if (!row.before) return `| ${row.series} | ${row.size} | ${after.join(" | ")} |`;
  const before = cells(row.before).slice(0, 3);
  const ratio = cpuOf(row.before) / cpuOf(row.after);
  return `| ${row.series} | ${row.size} | ${before.join(" | ")} | ${after.slice(0, 3).join(" | ")} | ${after[3]} | ${Number.isFinite(ratio) ? `${ratio.toFixed(1)}×` : "–"} |`;
}

function stageTable(rows: readonly Row[], which: "before" | "after"): string[] {
  const profiled = rows.filter((r) => r[which]?.stages).map((r) => ({ label: `${r.series} ${r.size}`, stages: r[which]!.stages! }));
  if (!profiled.length) return [];
  const totals = new Map<string, number>();
  for (const r of profiled) for (const [s, t] of r.stages) totals.set(s, (totals.get(s) ?? 0) + t);
  const stages = [...totals].sort((a, b) => b[1] - a[1]).map(([s]) => s);
  return [
    "",
    `Where the CPU time goes${beforeRoot ? `, ${which}` : ""} (seconds):`,
    "",
    `| stage | ${profiled.map((r) => r.label).join(" | ")} |`,
    `|---|${profiled.map(() => "---").join("|")}|`,
    ...stages.map((s) => `| ${s} | ${profiled.map((r) => fmt(r.stages.get(s) ?? 0)).join(" | ")} |`),
    `| **total** | ${profiled.map((r) => fmt([...r.stages.values()].reduce((a, b) => a + b, 0))).join(" | ")} |`,
  ];
}

/** A build by its commit (and whether its work tree differs from it), or by its folder. */
const describeBuild = (root: string, label?: string): string => {
  if (label) return label;
  const head = spawnSync("git", ["-C", root, "rev-parse", "--short", "HEAD"], { encoding: "utf8" });
  if (head.status !== 0) return root;
  const dirty = spawnSync("git", ["-C", root, "status", "--porcelain", "--untracked-files=no"], { encoding: "utf8" }).stdout.trim();
  return `commit ${head.stdout.trim()}${dirty ? " with uncommitted changes" : ""}`;
};

/** This run's options as the section quotes them: builds' folders as . and BEFORE, the label left out. */
function commandLine(): string {
  const argv = process.argv.slice(2);
  const shown = argv.filter((a, k) => a !== "--before-label" && argv[k - 1] !== "--before-label" && !a.startsWith("--before-label=") && a !== "--write");
  return shown.length ? ` -- ${shown.map((a) => (a === gradcRoot ? "." : a === beforeRoot ? "BEFORE" : a === "" ? '""' : a)).join(" ")}` : "";
}

const loadBefore = os.loadavg();
console.log(`gradc at ${gradcRoot}${beforeRoot ? `, before: ${beforeRoot}` : ""}; ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), load average ${loadBefore.map((l) => l.toFixed(1)).join(" ")}`);
console.log(header.join("\n"));
const started = performance.now();
const rows: Row[] = [];
for (const n of list(args.dense)) rows.push(measure("dense chain", `${n} layers`, denseChain(n)));
for (const n of list(args.elementwise)) rows.push(measure("element-wise chain", `${n} steps`, elementwiseChain(n)));
for (const mb of list(args.init)) rows.push(measure("init literal", `${mb} MB`, initLiteral(mb * 1e6)));
const loadAfter = os.loadavg();
const stageTables = [...(beforeRoot ? stageTable(rows, "before") : []), ...stageTable(rows, "after")];
for (const l of stageTables) console.log(l);

const section = [
  SECTION,
  "",
  `Written by \`npm run bench:scaling${commandLine()}\` (bench/scaling.ts, models in bench/scalingModels.ts).`,
  "",
  `- date: ${new Date().toISOString()}; machine: ${os.type()} ${os.release()} ${os.arch()}, ${os.cpus()[0]?.model ?? "?"}, ${os.cpus().length} logical CPUs, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB; node ${process.version}`,
  `- builds: after = ${describeBuild(gradcRoot)}${beforeRoot ? `; before (BEFORE) = ${describeBuild(beforeRoot, args["before-label"])}` : ""}`,
  `- load average (1 min) before / after: ${loadBefore[0]!.toFixed(1)} / ${loadAfter[0]!.toFixed(1)} on ${os.cpus().length} CPUs; whole run ${((performance.now() - started) / 1000).toFixed(0)} s`,
  `- method: each run is a fresh \`node bin/gradc.js compile MODEL -o OUT\` process (f32); CPU s is the user + system time of gradc and its box (the child process that loads the model and compiles), peak RSS the larger of the two, both from GNU time; ${reps} run${reps === 1 ? "" : "s"} per build and model${beforeRoot ? ", the two builds taking turns" : ""}; a failing build is run once. CPU time is what to read when the machine is shared: other processes stretch wall clock, not the compiler's own work.`,
  "",
  ...header,
  ...rows.map(formatRow),
  ...stageTables,
  ...(stageTables.length ? ["", "A stage's seconds are its share of the samples of one more compile under `--cpu-prof` times that compile's CPU time; a sample belongs to the innermost function on its stack that names a stage (bench/scaling.ts, STAGES); \"other\" is the CLI, the pipeline's glue and what no stage names."] : []),
  "",
];
mkdirSync(OUT, { recursive: true });
writeFileSync(path.join(ROOT, "bench", ".out", "scaling.md"), section.join("\n"));
console.log(`\nwritten: bench/.out/scaling.md`);
if (args.write) {
  writeFileSync(RESULTS, replaceSection(existsSync(RESULTS) ? readFileSync(RESULTS, "utf8") : "", section.join("\n")));
  console.log("written: bench/RESULTS.md (its compile-time scaling section)");
}
