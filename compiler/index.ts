// gradc/compiler: the compiler as a library (the CLI is a thin layer over this).
export { compileFile, compileGraph, type CompileOptions, type Compiled } from "./compile.js";
export { explainFile, explainGraph, type ExplainOptions } from "./explain.js";
export { checkFile, type CheckOptions, type CheckResult, type ParamCheck } from "./check.js";
export { formatCheck } from "./checkFormat.js";
export { graphFile, graphText, type GraphFormat, type GraphOptions } from "./graph/graphFile.js";
export { loadModel } from "./frontend/load.js";
export { formatDiagnostic } from "./frontend/format.js";
export { GradcError, codes } from "./diagnostics.js";
// The CLI's box, for tools that load models they did not write: runJob("compile", { file, dtype }, { ...DEFAULT_BOX, cwd, output }).
export { runJob, type BoxRun } from "./box/run.js";
export { DEFAULT_BOX, type BoxOptions } from "./box/policy.js";
export { optimize, type Optimized, type PassReport } from "./pipeline.js";
export { printGraph } from "./ir/print.js";
export type { Graph } from "./ir/graph.js";
