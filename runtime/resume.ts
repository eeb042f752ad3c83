// Resuming a run: what fit's state must hold to be resumed, and what a resumed run says when its
// settings differ from the saved run's.
//
// A training state comes from a file a user may have edited, truncated or crafted, so every field is
// checked before the loop trusts it (a batch position past the epoch's end would otherwise surface as a
// RangeError deep in the progress bar). Errors are GradcErrors GC3004 naming where the state came from
// and the field.
//
// Changing the learning rate, batch size, seed or optimizer on resume is allowed — that is how
// fine-tuning works — but the resumed run is then a new run: it does not reproduce the saved run
// continued with its own settings. fit records its settings in the state (`config`), so a resume can
// name what differs and how to continue the saved run exactly. States saved before `config` existed
// still load; for them only the optimizer kind can be compared (it is in the checkpoint's optimizer state).
import { codes, GradcError } from "./errors.js";
import type { ResolvedOptimizerSpec } from "./optim.js";
import type { ResolvedGroup } from "./paramGroups.js";
import type { PlateauState } from "./schedules.js";

// The state of a run (fit's, ./train.ts): declared here, where a saved one is checked, so that train.ts
// imports this file and not the other way round.

export interface EpochRecord {
  /** 1-based. */
  readonly epoch: number;
  /** Mean of the step losses over the epoch's samples (the parameters move during the epoch). */
  readonly trainLoss: number;
  /** Accuracy on the training set after the epoch (when evaluateTrain and labels are set). */
  readonly trainAccuracy?: number;
  readonly testLoss?: number;
  readonly testAccuracy?: number;
  /** Regression metrics on the test set (FitOptions.regression). */
  readonly testMse?: number;
  readonly testMae?: number;
  readonly testR2?: number;
  readonly learningRate: number;
  readonly steps: number;
  readonly seconds: number;
}

/** Where a run is: enough, with the params and optimizer state, to resume it exactly. */
export interface FitState {
  /** Completed epochs (0-based index of the epoch in progress). */
  readonly epoch: number;
  /** Completed batches of the epoch in progress. */
  readonly batch: number;
  /** Completed steps in all. */
  readonly step: number;
  /** Loss sum and samples so far in the epoch in progress (for its mean). */
  readonly epochLossSum: number;
  readonly epochSamples: number;
  readonly history: readonly EpochRecord[];
  /** reduceOnPlateau's state (the rate, the best metric, bad and cooldown epochs), when the schedule is one. */
  readonly plateau?: PlateauState;
  /** Early stopping: the best metric so far, its epoch, and epochs since. */
  readonly best?: { readonly value: number; readonly epoch: number; readonly waited: number };
  /** The run's settings (absent in states saved before they were recorded); see resume.ts. */
  readonly config?: RunConfig;
}

/** The settings of a run, as fit records them in its state. */
export interface RunConfig {
  readonly batchSize: number;
  readonly seed: number;
  readonly shuffle: boolean;
  /** Samples in the training set. */
  readonly samples: number;
  /** The optimizer as the run started it (the learning rate before any schedule). */
  readonly optimizer: ResolvedOptimizerSpec;
  /** Parameter groups (absent: none, or a state saved before groups were recorded). */
  readonly groups?: readonly ResolvedGroup[];
  /** Gradient clipping thresholds (absent: no clipping). */
  readonly clipGradNorm?: number;
  readonly clipGradValue?: number;
}

/** What the resumed run will train on, for checking the saved position against it. */
export interface ResumeTarget {
  readonly samples: number;
  readonly batchSize: number;
}

const isCount = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
const isNumber = (x: unknown): x is number => typeof x === "number" && !Number.isNaN(x);
const isPlain = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

/**
 * Checks a training state field by field (and, given the data it resumes on, its position) and returns
 * it as a FitState. `where` names its origin in messages ("checkpoint out/m.ckpt"). Loss sums of
 * states written by older versions may be null (a NaN through JSON): they read as NaN.
 */
export function checkFitState(state: unknown, where: string, target?: ResumeTarget): FitState {
  const bad = (field: string, why: string) => new GradcError(codes.checkpoint, `${where}: the training state's ${field} ${why}`);
  if (!isPlain(state)) throw new GradcError(codes.checkpoint, `${where}: the training state is not an object`);
  const count = (field: string): number => {
    const v = state[field];
    if (!isCount(v)) throw bad(`"${field}"`, `is ${JSON.stringify(v) ?? "missing"}, expected a non-negative integer`);
    return v;
  };
  const lossSum = (v: unknown, field: string): number => {
    if (v === null) return NaN;
    if (typeof v !== "number") throw bad(field, `is ${JSON.stringify(v) ?? "missing"}, expected a number`);
    return v;
  };
  const epoch = count("epoch");
  const batch = count("batch");
  const step = count("step");
  const epochSamples = count("epochSamples");
  const epochLossSum = lossSum(state.epochLossSum, '"epochLossSum"');
  if (!Array.isArray(state.history)) throw bad('"history"', "is not a list of epoch records");
  if (state.history.length !== epoch) throw bad('"history"', `holds ${state.history.length} epoch records, but "epoch" says ${epoch} epochs are complete`);
  const history = state.history.map((r, i) => checkRecord(r, i, epoch, (why) => bad(`"history[${i}]"`, why)));
  let best: FitState["best"];
  if (state.best !== undefined) {
    const b = state.best;
    if (!isPlain(b) || !isNumber(b.value) || !isCount(b.epoch) || !isCount(b.waited) || b.epoch > epoch) {
      throw bad('"best"', `is ${JSON.stringify(b)}, expected { value, epoch, waited } of a completed epoch`);
    }
    best = { value: b.value, epoch: b.epoch, waited: b.waited };
  }
  const config = state.config === undefined ? undefined : checkConfig(state.config, (why) => bad('"config"', why));
  let plateau: PlateauState | undefined;
  if (state.plateau !== undefined) {
    const p = state.plateau;
    if (!isPlain(p) || !isNumber(p.lr) || !(p.lr >= 0) || !(p.best === null || isNumber(p.best)) || !isCount(p.badEpochs) || !isCount(p.cooldown)) {
      throw bad('"plateau"', `is ${JSON.stringify(p)}, expected { lr, best, badEpochs, cooldown } (reduceOnPlateau's state)`);
    }
    plateau = { lr: p.lr, best: p.best as number | null, badEpochs: p.badEpochs, cooldown: p.cooldown };
  }
  if (target) {
    // The position is in batches of the saved run's size.
    const size = config?.batchSize ?? target.batchSize;
    const perEpoch = Math.ceil(target.samples / size);
    if (batch >= perEpoch && !(batch === 0 && perEpoch === 0)) {
      const whose = size !== target.batchSize ? " (the saved run's batch size)" : "";
      throw bad('"batch"', `is ${batch}, but an epoch of ${target.samples} samples in batches of ${size}${whose} has ${perEpoch} batches (0 … ${perEpoch - 1})`);
    }
    const seen = Math.min(batch * size, target.samples);
    if (epochSamples !== seen) throw bad('"epochSamples"', `is ${epochSamples}, but ${batch} batches of ${size} of ${target.samples} samples hold ${seen}`);
  } else if (epochSamples > 0 && batch === 0) {
    throw bad('"epochSamples"', `is ${epochSamples} at batch 0 of an epoch`);
  }
  return {
    epoch,
    batch,
    step,
    epochLossSum,
    epochSamples,
    history,
    ...(plateau ? { plateau } : {}),
    ...(best ? { best } : {}),
    ...(config ? { config } : {}),
  };
}

function checkRecord(r: unknown, i: number, epochs: number, bad: (why: string) => GradcError): EpochRecord {
  if (!isPlain(r)) throw bad("is not an object");
  if (r.epoch !== i + 1) throw bad(`has epoch ${JSON.stringify(r.epoch)}, expected ${i + 1} (records are in order, 1-based; ${epochs} complete)`);
  const num = (k: string, optional = false): number | undefined => {
    const v = r[k];
    if (v === undefined && optional) return undefined;
    if (v === null) return NaN; // NaN went through JSON (a state saved by an older version from a diverged run)
    if (typeof v !== "number") throw bad(`has ${k} ${JSON.stringify(v) ?? "missing"}, expected a number`);
    return v;
  };
  if (!isCount(r.steps)) throw bad(`has steps ${JSON.stringify(r.steps)}, expected a non-negative integer`);
  const rec: Record<string, number> = { epoch: i + 1, trainLoss: num("trainLoss")!, learningRate: num("learningRate")!, steps: r.steps, seconds: num("seconds")! };
  for (const k of ["trainAccuracy", "testLoss", "testAccuracy", "testMse", "testMae", "testR2"]) {
    const v = num(k, true);
    if (v !== undefined) rec[k] = v;
  }
  return rec as unknown as EpochRecord;
}

function checkConfig(c: unknown, bad: (why: string) => GradcError): RunConfig {
  if (!isPlain(c)) throw bad("is not an object");
  if (!(Number.isSafeInteger(c.batchSize) && (c.batchSize as number) >= 1)) throw bad(`has batchSize ${JSON.stringify(c.batchSize)}, expected an integer >= 1`);
  if (!Number.isSafeInteger(c.seed)) throw bad(`has seed ${JSON.stringify(c.seed)}, expected an integer`);
  if (typeof c.shuffle !== "boolean") throw bad(`has shuffle ${JSON.stringify(c.shuffle)}, expected true or false`);
  if (!isCount(c.samples)) throw bad(`has samples ${JSON.stringify(c.samples)}, expected a non-negative integer`);
  const o = c.optimizer;
  if (!isPlain(o) || (o.kind !== "sgd" && o.kind !== "adam" && o.kind !== "adamw") || !isNumber(o.lr)) {
    throw bad(`has optimizer ${JSON.stringify(o)}, expected { kind: "sgd" | "adam" | "adamw", lr, ... }`);
  }
  for (const [k, v] of Object.entries(o)) {
    if (k !== "kind" && typeof v !== "number" && typeof v !== "boolean") throw bad(`has optimizer.${k} ${JSON.stringify(v)}, expected a number`);
  }
  const clip = (k: "clipGradNorm" | "clipGradValue"): { [key: string]: number } => {
    const v = c[k];
    if (v === undefined) return {};
    if (!(typeof v === "number" && v > 0 && Number.isFinite(v))) throw bad(`has ${k} ${JSON.stringify(v)}, expected a number > 0`);
    return { [k]: v };
  };
  let groups: ResolvedGroup[] | undefined;
  if (c.groups !== undefined) {
    const ok = (g: unknown): g is ResolvedGroup =>
      isPlain(g) && Array.isArray(g.params) && g.params.every((n) => typeof n === "string") && isNumber(g.lrScale) && isNumber(g.weightDecay);
    if (!Array.isArray(c.groups) || !c.groups.every(ok)) throw bad(`has groups ${JSON.stringify(c.groups)}, expected a list of { params: names, lrScale, weightDecay }`);
    groups = c.groups.map((g) => ({ params: [...g.params], lrScale: g.lrScale, weightDecay: g.weightDecay }));
  }
  return {
    batchSize: c.batchSize as number,
    seed: c.seed as number,
    shuffle: c.shuffle,
    samples: c.samples,
    optimizer: o as unknown as ResolvedOptimizerSpec,
    ...(groups ? { groups } : {}),
    ...clip("clipGradNorm"),
    ...clip("clipGradValue"),
  };
}

/** "W1 ×0.5, decay 0; b1, b2 decay 0": groups as a resume message shows them; "none" without. */
function describeGroups(groups: readonly ResolvedGroup[] | undefined): string {
  if (!groups || groups.length === 0) return "none";
  return groups.map((g) => `[${g.params.join(", ")}: lr ×${g.lrScale}, weight decay ${g.weightDecay}]`).join(" ");
}

const OPTIMIZER_SETTINGS: readonly (readonly [string, string])[] = [
  ["lr", "learning rate"],
  ["momentum", "momentum"],
  ["dampening", "dampening"],
  ["nesterov", "nesterov"],
  ["beta1", "beta1"],
  ["beta2", "beta2"],
  ["eps", "eps"],
  ["weightDecay", "weight decay"],
];

/**
 * What a resumed run does differently from the run that saved `saved`, in one message, or undefined
 * when nothing differs. `saved` undefined: a state from before runs recorded their settings.
 */
export function describeResumeChanges(saved: RunConfig | undefined, now: RunConfig, savedOptimizerKind?: string): string | undefined {
  if (!saved) {
    if (savedOptimizerKind !== undefined && savedOptimizerKind !== now.optimizer.kind) {
      return `resuming with optimizer ${now.optimizer.kind}, but the checkpoint holds ${savedOptimizerKind} state, which is not restored: ${now.optimizer.kind} starts from the checkpoint's parameters without state (fine-tuning); this is a new run, not the saved one continued`;
    }
    return undefined;
  }
  const changes: string[] = [];
  const restore: string[] = [];
  const differ = (what: string, was: unknown, is: unknown) => {
    changes.push(`${what} ${String(is)} (the saved run: ${String(was)})`);
    restore.push(`${what} ${String(was)}`);
  };
  const o = saved.optimizer as unknown as Record<string, unknown>;
  const n = now.optimizer as unknown as Record<string, unknown>;
  if (o.kind !== n.kind) {
    changes.push(`optimizer ${String(n.kind)} (the saved run: ${String(o.kind)}; its ${String(o.kind)} state is not restored, ${String(n.kind)} starts without state)`);
    restore.push(`optimizer ${String(o.kind)}`);
  }
  for (const [key, what] of OPTIMIZER_SETTINGS) {
    if (o.kind === n.kind ? !Object.is(o[key], n[key]) : key === "lr" && o.lr !== n.lr) differ(what, o[key], n[key]);
  }
  if (describeGroups(saved.groups) !== describeGroups(now.groups)) differ("parameter groups", describeGroups(saved.groups), describeGroups(now.groups));
  if (saved.clipGradNorm !== now.clipGradNorm) differ("clipGradNorm", saved.clipGradNorm ?? "off", now.clipGradNorm ?? "off");
  if (saved.clipGradValue !== now.clipGradValue) differ("clipGradValue", saved.clipGradValue ?? "off", now.clipGradValue ?? "off");
  if (saved.batchSize !== now.batchSize) differ("batch size", saved.batchSize, now.batchSize);
  if (saved.seed !== now.seed) differ("seed", saved.seed, now.seed);
  if (saved.shuffle !== now.shuffle) differ("shuffle", saved.shuffle, now.shuffle);
  if (saved.samples !== now.samples) {
    changes.push(`a training set of ${now.samples} samples (the saved run: ${saved.samples})`);
    restore.push("its training data");
  }
  if (changes.length === 0) return undefined;
  return (
    `resuming with settings that differ from the saved run's: ${changes.join(", ")}. ` +
    "The run goes on from the checkpoint as a new run (fine-tuning); it does not reproduce the saved run continued with its own settings" +
    (saved.batchSize !== now.batchSize ? " (another batch size also changes the steps per epoch)" : "") +
    `. To continue the saved run exactly, resume with ${restore.join(", ")}`
  );
}
