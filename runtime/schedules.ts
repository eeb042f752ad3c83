// Learning-rate schedules, as torch.optim.lr_scheduler's, for fit (train.ts).
//
// A schedule is a function of the global step (0-based) and the steps per epoch: fit sets the rate it
// returns before every step, so a resumed run gets the same rates without any state. torch's schedulers
// are stepped either per optimizer step (OneCycleLR, CosineAnnealingLR as used here) or per epoch
// (StepLR, ExponentialLR); a per-epoch one is a function of epoch = ⌊step / stepsPerEpoch⌋, which is
// torch's `scheduler.step()` at each epoch's end.
//
// The values are torch's to the bit where torch's arithmetic can be followed: OneCycleLR's phases and
// annealing formulas as written in lr_scheduler.py, ExponentialLR's chained form (each epoch multiplies
// the previous rate by γ, as its get_lr does, which differs in the last bits from lr·γ^epoch). Checked
// against rates torch 1.13 computed (test/fixtures/schedules/make.py, test/runtime/schedules.test.ts).
// One known limit: V8's Math.cos is not the C library's cos that Python calls; for a few arguments they
// differ in the last bit, which cosine annealing turns into a few ulps of the rate (1 of 100 steps of
// the default one-cycle fixture).
//
// reduceOnPlateau is the one that depends on something other than the step: the validation metric at
// each epoch's end (ReduceLROnPlateau.step(metric)). Its rule is attached to the schedule function; fit
// keeps its state (the rate, the best metric, the bad and cooldown epochs) in FitState.plateau, so a
// checkpoint carries it and a resumed run continues it bit for bit.
import { codes, GradcError } from "./errors.js";

/** The learning rate for a global step (0-based), knowing the steps per epoch. */
export type Schedule = ((step: number, stepsPerEpoch: number) => number) & {
  /** Set on reduceOnPlateau's schedule: fit runs the rule at each epoch's end. */
  readonly plateau?: PlateauRule;
};

/** ReduceLROnPlateau's settings, torch's defaults filled in. */
export interface PlateauRule {
  readonly lr: number;
  /** The epoch record's field the rule watches (default "testLoss"). */
  readonly metric: "testLoss" | "testAccuracy" | "trainLoss" | "testMse" | "testMae" | "testR2";
  readonly mode: "min" | "max";
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: "rel" | "abs";
  readonly cooldown: number;
  readonly minLr: number;
  readonly eps: number;
}

/** ReduceLROnPlateau's state after some epochs (torch's `_last_lr`, best, num_bad_epochs, cooldown_counter). */
export interface PlateauState {
  readonly lr: number;
  /** The best metric so far; null before the first epoch (torch's mode_worse, ±∞, which JSON cannot hold). */
  readonly best: number | null;
  readonly badEpochs: number;
  readonly cooldown: number;
}

export interface OneCycleOptions {
  /** The peak rate (torch's max_lr). */
  readonly maxLr: number;
  /** Steps in the cycle; or give `epochs` and the steps per epoch come from fit. */
  readonly totalSteps?: number;
  readonly epochs?: number;
  /** The fraction of the cycle spent rising (default 0.3). */
  readonly pctStart?: number;
  /** "cos" (default) or "linear". */
  readonly anneal?: "cos" | "linear";
  /** initial_lr = maxLr / divFactor (default 25). */
  readonly divFactor?: number;
  /** min_lr = initial_lr / finalDivFactor (default 1e4). */
  readonly finalDivFactor?: number;
  /** torch's three_phase (default false). */
  readonly threePhase?: boolean;
}

export interface PlateauOptions {
  readonly lr: number;
  readonly metric?: PlateauRule["metric"];
  readonly mode?: "min" | "max";
  readonly factor?: number;
  readonly patience?: number;
  readonly threshold?: number;
  readonly thresholdMode?: "rel" | "abs";
  readonly cooldown?: number;
  readonly minLr?: number;
  readonly eps?: number;
}

const usage = (message: string) => new GradcError(codes.usage, message);

function positive(x: unknown, what: string): number {
  if (typeof x !== "number" || !(x > 0) || !Number.isFinite(x)) throw usage(`${what} must be a finite number > 0, got ${String(x)}`);
  return x;
}
function nonNegative(x: unknown, what: string): number {
  if (typeof x !== "number" || !(x >= 0) || !Number.isFinite(x)) throw usage(`${what} must be a finite number >= 0, got ${String(x)}`);
  return x;
}
function count(x: unknown, what: string): number {
  if (typeof x !== "number" || !Number.isSafeInteger(x) || x < 0) throw usage(`${what} must be an integer >= 0, got ${String(x)}`);
  return x;
}

/** torch's OneCycleLR._annealing_cos / _annealing_linear. */
const annealCos = (start: number, end: number, pct: number) => end + ((start - end) / 2.0) * (Math.cos(Math.PI * pct) + 1);
const annealLinear = (start: number, end: number, pct: number) => (end - start) * pct + start;

export const schedules = {
  constant: (lr: number): Schedule => () => lr,
  /** torch.optim.lr_scheduler.StepLR stepped per epoch: lr·gamma^⌊epoch / every⌋. */
  step:
    ({ lr, every, gamma = 0.1 }: { lr: number; every: number; gamma?: number }): Schedule =>
    (step, perEpoch) =>
      lr * gamma ** Math.floor(Math.floor(step / perEpoch) / every),
  /** Cosine annealing per step from lr down to minLr over totalSteps (CosineAnnealingLR with T_max = totalSteps). */
  cosine:
    ({ lr, totalSteps, minLr = 0 }: { lr: number; totalSteps: number; minLr?: number }): Schedule =>
    (step) =>
      minLr + ((lr - minLr) * (1 + Math.cos((Math.PI * Math.min(step, totalSteps)) / totalSteps))) / 2,
  /** Linear warm-up from lr·startFactor to the wrapped schedule's value over `steps` steps. */
  warmup:
    ({ steps, then, startFactor = 0 }: { steps: number; then: Schedule; startFactor?: number }): Schedule =>
    (step, perEpoch) => {
      const base = then(step, perEpoch);
      return step >= steps ? base : base * (startFactor + ((1 - startFactor) * step) / steps);
    },

  /**
   * torch.optim.lr_scheduler.OneCycleLR stepped after every optimizer step, with cycle_momentum=False
   * (gradc schedules the learning rate only): from maxLr/divFactor up to maxLr over pctStart of the cycle,
   * then down to maxLr/divFactor/finalDivFactor (threePhase: back to the initial rate, then down).
   * A step past the cycle is an error, as in torch.
   */
  onecycle(o: OneCycleOptions): Schedule {
    const maxLr = positive(o.maxLr, "onecycle: maxLr");
    if ((o.totalSteps === undefined) === (o.epochs === undefined)) throw usage("onecycle: give totalSteps, or epochs (the steps per epoch come from fit), not both");
    if (o.totalSteps !== undefined && !(count(o.totalSteps, "onecycle: totalSteps") > 0)) throw usage("onecycle: totalSteps must be > 0");
    if (o.epochs !== undefined && !(count(o.epochs, "onecycle: epochs") > 0)) throw usage("onecycle: epochs must be > 0");
    const pctStart = o.pctStart ?? 0.3;
    if (typeof pctStart !== "number" || !(pctStart >= 0 && pctStart <= 1)) throw usage(`onecycle: pctStart must be between 0 and 1, got ${String(pctStart)}`);
    const anneal = o.anneal ?? "cos";
    if (anneal !== "cos" && anneal !== "linear") throw usage(`onecycle: anneal must be "cos" or "linear", got ${String(anneal)}`);
    const annealFn = anneal === "cos" ? annealCos : annealLinear;
    const initialLr = maxLr / positive(o.divFactor ?? 25, "onecycle: divFactor");
    const minLr = initialLr / positive(o.finalDivFactor ?? 1e4, "onecycle: finalDivFactor");
    const threePhase = o.threePhase ?? false;
    return (step, perEpoch) => {
      const total = o.totalSteps ?? o.epochs! * perEpoch;
      if (step >= total) throw usage(`onecycle: step ${step + 1} is past the cycle's ${total} steps; give a longer cycle (totalSteps or epochs)`);
      // torch's _schedule_phases: end steps as floats, each phase annealing start → end.
      const phases = threePhase
        ? [
            { end: pctStart * total - 1, from: initialLr, to: maxLr },
            { end: 2 * pctStart * total - 2, from: maxLr, to: initialLr },
            { end: total - 1, from: initialLr, to: minLr },
          ]
        : [
            { end: pctStart * total - 1, from: initialLr, to: maxLr },
            { end: total - 1, from: maxLr, to: minLr },
          ];
      let start = 0;
      for (let i = 0; i < phases.length; i++) {
        const phase = phases[i]!;
        if (step <= phase.end || i === phases.length - 1) {
          if (phase.end === start) throw usage(`onecycle: phase ${i + 1} of the cycle is empty (pctStart ${pctStart} of ${total} steps); give more steps or another pctStart`);
          return annealFn(phase.from, phase.to, (step - start) / (phase.end - start));
        }
        start = phase.end;
      }
      throw new Error("unreachable: the last phase always answers");
    };
  },

  /** torch.optim.lr_scheduler.ExponentialLR stepped per epoch: the rate of epoch k is the rate of epoch k − 1 times gamma (torch's chained get_lr). */
  exponential({ lr, gamma }: { lr: number; gamma: number }): Schedule {
    nonNegative(lr, "exponential: lr");
    positive(gamma, "exponential: gamma");
    return (step, perEpoch) => {
      let rate = lr;
      for (let epoch = Math.floor(step / perEpoch); epoch > 0; epoch--) rate = rate * gamma;
      return rate;
    };
  },

  /**
   * torch.optim.lr_scheduler.ReduceLROnPlateau, stepped with the epoch's metric (default the test loss)
   * at each epoch's end: after more than `patience` epochs without improving on the best by `threshold`
   * (relative by default), the rate is multiplied by `factor` (not below minLr), then `cooldown` epochs
   * pass before bad epochs count again. Defaults are torch's: mode min, factor 0.1, patience 10,
   * threshold 1e-4 rel, cooldown 0, minLr 0, eps 1e-8. With parameter groups, minLr bounds the
   * optimizer's rate (each group runs lrScale times it).
   */
  reduceOnPlateau(o: PlateauOptions): Schedule {
    const rule: PlateauRule = {
      lr: nonNegative(o.lr, "reduceOnPlateau: lr"),
      metric: o.metric ?? "testLoss",
      mode: o.mode ?? "min",
      factor: nonNegative(o.factor ?? 0.1, "reduceOnPlateau: factor"),
      patience: count(o.patience ?? 10, "reduceOnPlateau: patience"),
      threshold: nonNegative(o.threshold ?? 1e-4, "reduceOnPlateau: threshold"),
      thresholdMode: o.thresholdMode ?? "rel",
      cooldown: count(o.cooldown ?? 0, "reduceOnPlateau: cooldown"),
      minLr: nonNegative(o.minLr ?? 0, "reduceOnPlateau: minLr"),
      eps: nonNegative(o.eps ?? 1e-8, "reduceOnPlateau: eps"),
    };
    if (rule.factor >= 1) throw usage(`reduceOnPlateau: factor must be < 1, got ${rule.factor}`);
    if (rule.mode !== "min" && rule.mode !== "max") throw usage(`reduceOnPlateau: mode must be "min" or "max", got ${String(rule.mode)}`);
    if (rule.thresholdMode !== "rel" && rule.thresholdMode !== "abs") throw usage(`reduceOnPlateau: thresholdMode must be "rel" or "abs", got ${String(rule.thresholdMode)}`);
    const metrics = ["testLoss", "testAccuracy", "trainLoss", "testMse", "testMae", "testR2"];
    if (!metrics.includes(rule.metric)) throw usage(`reduceOnPlateau: metric must be one of ${metrics.join(", ")}, got ${String(rule.metric)}`);
    const schedule = () => {
      throw usage("reduceOnPlateau's rate depends on the metrics of past epochs: pass it to fit (options.schedule), which keeps its state");
    };
    return Object.assign(schedule, { plateau: rule });
  },
};

/** The state before the first epoch. */
export function plateauStart(rule: PlateauRule): PlateauState {
  return { lr: rule.lr, best: null, badEpochs: 0, cooldown: 0 };
}

/** ReduceLROnPlateau.step(metric), as torch 1.13 writes it. */
export function plateauStep(rule: PlateauRule, s: PlateauState, metric: number): PlateauState {
  const current = metric;
  const best = s.best ?? (rule.mode === "min" ? Infinity : -Infinity);
  let isBetter: boolean;
  if (rule.mode === "min" && rule.thresholdMode === "rel") isBetter = current < best * (1 - rule.threshold);
  else if (rule.mode === "min") isBetter = current < best - rule.threshold;
  else if (rule.thresholdMode === "rel") isBetter = current > best * (rule.threshold + 1);
  else isBetter = current > best + rule.threshold;
  let newBest = s.best;
  let badEpochs = s.badEpochs;
  let cooldown = s.cooldown;
  let lr = s.lr;
  if (isBetter) {
    newBest = current;
    badEpochs = 0;
  } else {
    badEpochs += 1;
  }
  if (cooldown > 0) {
    cooldown -= 1;
    badEpochs = 0; // bad epochs in cooldown do not count
  }
  if (badEpochs > rule.patience) {
    const reduced = Math.max(lr * rule.factor, rule.minLr);
    if (lr - reduced > rule.eps) lr = reduced;
    cooldown = rule.cooldown;
    badEpochs = 0;
  }
  return { lr, best: newBest, badEpochs, cooldown };
}
