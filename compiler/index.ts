// gradc/compiler: the compiler as a library (the CLI is a thin layer over this).
export { compileFile, compileGraph, type CompileOptions, type Compiled } from "./compile.js";
export { explainFile, explainGraph, type ExplainOptions } from "./explain.js";
export { checkFile, formatCheck, type CheckOptions, type CheckResult, type ParamCheck } from "./check.js";
export { graphFile, graphText, type GraphFormat, type GraphOptions } from "./graph/graphFile.js";
export { loadModel } from "./frontend/load.js";
export { formatDiagnostic } from "./frontend/format.js";
export { GradcError, codes } from "./diagnostics.js";
export { optimize, type Optimized, type PassReport } from "./pipeline.js";
export { printGraph } from "./ir/print.js";
export type { Graph } from "./ir/graph.js";
