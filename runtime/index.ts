// gradc/runtime: everything generated trainer modules import, and nothing they don't need specialized.
// Generated code imports only from this entry point, so files behind it can move without regenerating.

export type { MutableArrayLike, Rng } from "./rng.js";
export { createRng, createRngFromState, shuffleInPlace, splitmix32Mix, uniformInt } from "./rng.js";

export type { Dtype, FloatArray, InitDistribution, InitSpec } from "./init.js";
export { fans, initDistribution, initTensor, shapeSize } from "./init.js";

export { poolMax, relu } from "./branchless.js";
export { erf } from "./special.js";
export { quickExp, quickTanh, sigmoidRow, tanhRow } from "./quickMath.js";

export type { Gemm } from "./gemm.js";
export { createGemm, fastMathAvailable } from "./gemm.js";
export { withFastMath } from "./fastMath.js";

export type { AdamSpec, Optimizer, OptimizerOptions, OptimizerSpec, OptimizerState, ResolvedOptimizerSpec, SgdSpec, TrainerOptions } from "./optim.js";
export { createOptimizer, createTrainerOptimizer, resolveOptimizerSpec } from "./optim.js";

export type { FusedUpdate } from "./update.js";
export { applyUpdate, UPDATE } from "./update.js";

export type { NamedParam, ParamGroup, ParamSelector, ResolvedGroup } from "./paramGroups.js";
export { resolveGroups } from "./paramGroups.js";

export { clipGradNorm, clipGradValue } from "./clip.js";

export type { BoundModule, ModulePasses, ModuleSpec, ModuleTrainer, OutputPass, TrainPass, Workspace } from "./bindModule.js";
export { bindModule } from "./bindModule.js";

export type { InputDtype, InputSpec, InputValue } from "./inputs.js";
export { resolveBatch, toArray } from "./inputs.js";

export type { ParamSpec } from "./params.js";
export { checkParams } from "./params.js";

export type { Batch, BatchOptions, Column, ColumnInit, DataSource, Dataset, FieldDtype, FieldSpec } from "./data.js";
export { batchCount, batches, epochPermutation, fromArrays, oneHot, sampleLoc, split, splitByClass, subset, trainCount, withFields } from "./data.js";

// Checkpoints as bytes (no file system: a browser page can offer one for download); files are gradc/runtime/node's.
export type { Checkpoint, CheckpointData, CheckpointSpec } from "./checkpointFormat.js";
export { CHECKPOINT_FORMAT_VERSION, CHECKPOINT_MAGIC, crc32, decodeCheckpoint, encodeCheckpoint } from "./checkpointFormat.js";
export { restoreInto } from "./checkpointRestore.js";

export type { CsvOptions } from "./csv.js";
export { fromCsv } from "./csv.js";

export type { EarlyStopping, EpochRecord, EvaluateOptions, FitOptions, FitResult, FitState, FitTrainer, Metrics, RegressionFields } from "./train.js";
export { argmaxRows, describeEpoch, evaluate, fit, runConfig } from "./train.js";

export type { OneCycleOptions, PlateauOptions, PlateauRule, PlateauState, Schedule } from "./schedules.js";
export { plateauStart, plateauStep, schedules } from "./schedules.js";

export type { CheckFinite, DivergedError, Divergence, FailingStep, NonFinite } from "./divergence.js";
export { divergedError, firstNonFiniteParam, isDivergedError, withNote, withOperation } from "./divergence.js";

export type { ResumeTarget, RunConfig } from "./resume.js";
export { checkFitState, describeResumeChanges } from "./resume.js";

export type { Progress, ProgressOptions, ProgressStream } from "./progress.js";
export { createProgress } from "./progress.js";

export type { DigitGridOptions, DigitImage, HistoryEntry, LineChartOptions, Series, TrainingCurvesOptions } from "./plot.js";
export { digitGridSvg, lineChartSvg, trainingCurvesSvg } from "./plot.js";

export type { Code, ErrorLoc } from "./errors.js";
export { codes, GradcError, isGradcError } from "./errors.js";
