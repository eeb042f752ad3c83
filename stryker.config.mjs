// Mutation testing (StrykerJS, `npm run mutation`): how many small faults planted in the compiler's ops,
// emitter and passes and in the runtime's optimizer, CSV reader and checkpoints the test suite notices.
// Scores and the surviving mutants we accept are in test/MUTATION.md.
//
// One target per run (the GRADC_MUTATE environment variable; scripts/mutation.js sets it): each has its
// own report and its own incremental file, so a later run re-tests only mutants whose code or covering
// tests changed. Not part of `npm test` or CI: a full run takes hours on two cores.
// Per target: the files to mutate, the test files that run against them (a target's own tests and the
// end-to-end checks that reach it; tests in child processes or worker threads never see a mutant), and
// whether static mutants (code run once when a module loads, such as an op table's literals) are
// tested: each needs a fresh environment and every test, and in ops and emit they are almost all the
// names and kinds in defineOp({...}) tables, which break every test at once.
// The random whole models (test/property/models.property.test.ts) are left out: minutes per run under
// instrumentation, and every surviving mutant would run them.
const compiled = ["test/property/{mlp.property,compiled.property,conv.compiled}.test.ts", "test/golden/**/*.test.ts", "test/examples/simple.test.ts", "test/examples/xor.test.ts", "test/examples/worked.test.ts"];
const targets = {
  ops: {
    mutate: ["compiler/ops/**/*.ts"],
    testFiles: ["test/ops/**/*.test.ts", "test/ir/**/*.test.ts", "test/explain/**/*.test.ts", ...compiled],
    ignoreStatic: true,
  },
  emit: {
    mutate: ["compiler/emit/**/*.ts"],
    // test/emit/allocation.test.ts measures generated code in child processes, where no mutant is active.
    // batchTwice: values with the batch dimension twice (h·hᵀ), the one place a kernel in the batch loop
    // reads other rows of a value (fuseBatch must not fuse it with that value's kernel).
    testFiles: ["test/emit/{fusedUpdate,hostileNames,rowScalars,sourceMap,batchTwice,rowCalls,stepViews}.test.ts", "test/lower/**/*.test.ts", "test/ops/*.compiled.test.ts", "test/cli/report.test.ts", ...compiled],
    ignoreStatic: true,
  },
  passes: {
    mutate: ["compiler/passes/**/*.ts"],
    // Its own tests and the golden modules (every pass changes what is emitted). The compiled-model and
    // example tests reach every pass too, but with them every surviving mutant compiled and trained
    // models for minutes: a run did not fit in the hour a shared machine gives; the score is a lower bound.
    testFiles: ["test/passes/**/*.test.ts", "test/docs/passes.test.ts", "test/golden/**/*.test.ts"],
    // Static mutants here are the rule tables (simplify.ts's rule("mul(x, 1)", ...) lines): each would run
    // all 22 test files, and Stryker's vitest runner does not re-evaluate a module per mutant, so they
    // survive whatever the tests assert (false survivors). The rules are tested one by one in
    // test/passes/rules.test.ts and simplify.test.ts.
    ignoreStatic: true,
  },
  runtime: {
    mutate: ["runtime/optim.ts", "runtime/optimSpec.ts", "runtime/update.ts", "runtime/biasCorrection.ts", "runtime/csv.ts", "runtime/checkpoint.ts", "runtime/checkpointFormat.ts", "runtime/checkpointBytes.ts", "runtime/checkpointChecks.ts", "runtime/checkpointRestore.ts"],
    testFiles: ["test/runtime/optim.test.ts", "test/runtime/checkpoint.test.ts", "test/runtime/data-csv.test.ts", "test/runtime/train.test.ts", "test/runtime/dropoutResume.test.ts", "test/emit/fusedUpdate.test.ts", "test/cli/train.test.ts"],
    ignoreStatic: false,
  },
};
// The runtime target file by file: Stryker records its results (the incremental file) only when a run
// completes, so on a shared machine a run that fits in an hour or two is one that counts.
targets.csv = { ...targets.runtime, mutate: ["runtime/csv.ts"], testFiles: ["test/runtime/data-csv.test.ts", "test/runtime/data.test.ts"] };
// checkpoint: its own tests only. train.test.ts and dropoutResume.test.ts reach it too, but with them a run
// did not finish in 1.5 h on the shared machine (they compile and train models for every mutant they
// cover); the score is a lower bound.
targets.checkpoint = { ...targets.runtime, mutate: ["runtime/checkpoint.ts", "runtime/checkpointFormat.ts", "runtime/checkpointBytes.ts", "runtime/checkpointChecks.ts", "runtime/checkpointRestore.ts"], testFiles: ["test/runtime/checkpoint.test.ts"] };
targets.optim = { ...targets.runtime, mutate: ["runtime/optim.ts", "runtime/optimSpec.ts", "runtime/update.ts", "runtime/biasCorrection.ts"], testFiles: ["test/runtime/optim.test.ts", "test/emit/fusedUpdate.test.ts", "test/runtime/train.test.ts"] };
// ops and emit file group by file group, for the same reason (a whole target takes many hours): each group
// has the target's tests and its own report and incremental file. The groups cover every file once.
const groups = {
  ops: {
    conv: ["conv", "convGeometry", "convSimd", "simdEpilogue", "windowLoops", "pool"],
    core: ["op", "scan", "build", "index", "kernelLoops", "affine", "mode", "leaf", "notate"],
    math: ["activations", "math", "compare", "softmax", "crossEntropy", "reduce"],
    shape: ["layout", "gather", "slice", "concat", "pick", "matmul", "customGradient", "stopGradient"],
  },
  emit: {
    kernels: ["kernels", "kernelCode", "placement"],
    module: ["module"],
    pass: ["pass", "sharedForward"],
    lines: ["plainLines", "plainParse", "lines", "format"],
    rest: ["inlineRuntime", "rowStatistics", "fuseBatch", "deadLocals", "codeText", "names", "notation", "sourceMap", "passGraphs", "javascript"],
  },
};
for (const [base, byName] of Object.entries(groups)) {
  for (const [name, files] of Object.entries(byName)) {
    targets[`${base}-${name}`] = { ...targets[base], mutate: files.map((f) => `compiler/${base}/${f}.ts`) };
  }
}
// The formatter's own test compares its fast path with prettier on random statements and whole modules
// (without it, a first run found 177 of its first 206 mutants reached by no test of the emit target).
targets["emit-lines"].testFiles = [...targets["emit-lines"].testFiles, "test/emit/format.test.ts"];
// emit-module's and emit-pass's files (the module's layout; its passes and the shared forward part) are
// reached by every compile, so each mutant that survives runs every test file of its target: with the
// emit targets' list (~73 s of tests) a run of the three files did ~250 of 1,116 mutants in 15 minutes and
// headed for 3–4 hours; with the list below, ~270 in 25 minutes (2026-12-07, Stryker's estimate 3–5 h).
// So two targets, module.ts (~670 mutants) and pass.ts with sharedForward.ts (~450), each a run that can
// finish in a session. Their list is their own tests and the whole-module checks (golden modules,
// including the fixture that reaches the module's less common paths; compiled ops and models; the
// examples), without the slowest files whose subject is another group's (the CLI's report: ~22 s; source
// maps: emit-rest; the convolution property test and h·hᵀ: emit-kernels and emit-rest).
targets["emit-module"].testFiles = targets["emit-pass"].testFiles = [
  "test/emit/{moduleShape,sharedForward,fullReduction,lossAsOutput,runtimeMath,clipAndGroups,textbookNames,moduleConstants,inputClasses,memoryPlan,batchSizing,fusedUpdate,hostileNames,rowScalars,rowCalls,stepViews}.test.ts",
  "test/lower/**/*.test.ts",
  "test/ops/*.compiled.test.ts",
  "test/ops/mode.test.ts",
  "test/property/{mlp.property,compiled.property}.test.ts",
  "test/golden/**/*.test.ts",
  "test/examples/{simple,xor,worked}.test.ts",
];
// emit-rest's files are reached in process only by their own tests: the golden and CLI tests compile in
// gradc's box (a child process, where no mutant is active). A first run without these found 452 of its
// first 487 mutants reached by no test.
targets["emit-rest"].testFiles = [...targets["emit-rest"].testFiles, "test/emit/{inlineRuntime,inlineRuntimeRules,rowStatistics,fuseBatch,deadLocals,codeText,javascript,textbookNames}.test.ts", "test/graph/model.test.ts"];
export const targetNames = Object.keys(targets);
const target = process.env.GRADC_MUTATE ?? "runtime";
if (!targets[target]) throw new Error(`GRADC_MUTATE must be one of ${Object.keys(targets).join(", ")}, got ${target}`);

export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.stryker.config.ts" },
  ...targets[target],
  // perTest: each mutant runs only the tests that reached it during the initial (dry) run.
  coverageAnalysis: "perTest",
  // The machine is shared: one test process at a time unless asked otherwise (--concurrency 2).
  concurrency: 1,
  // A mutant times out (counted as detected: an endless loop) after twice its tests' time plus 10 s:
  // room for a busy machine, without spending minutes on each endless loop.
  timeoutMS: 10_000,
  timeoutFactor: 2,
  dryRunTimeoutMinutes: 60,
  incremental: true,
  incrementalFile: `reports/mutation/${target}.incremental.json`,
  // mutant-log (scripts/stryker-mutant-log.mjs): every result as soon as it is known, for a run that is stopped.
  plugins: ["@stryker-mutator/*", "./scripts/stryker-mutant-log.mjs"],
  reporters: ["progress-append-only", "html", "json", "clear-text", "mutant-log"],
  htmlReporter: { fileName: `reports/mutation/${target}.html` },
  jsonReporter: { fileName: `reports/mutation/${target}.json` },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  // Mutated files get `// @ts-nocheck` (the mutants do not type-check): test/globalSetup.ts builds dist/
  // from them with tsc in the sandbox.
  disableTypeChecks: "{compiler,runtime}/**/*.ts",
  // Stryker rewrites tsconfig paths that leave the sandbox through the `typescript` JS API, which
  // TypeScript 7 (native) no longer has; ours never leave the folder, so point it at no file.
  tsconfigFile: "no-tsconfig-to-rewrite.json",
  // One sandbox folder per target, so that targets can run at the same time.
  tempDirName: `.stryker-tmp/${target}`,
  cleanTempDir: true,
  // Only the sources the tests need in the sandbox; dist/ is rebuilt there by test/globalSetup.ts. The other
  // targets' sandboxes (.stryker-tmp/TARGET) stay out: copying a running one fails.
  ignorePatterns: ["dist", "reports", ".gradc-out", "test/scratch", ".stryker-tmp"],
};
