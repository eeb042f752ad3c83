// REINFORCE with a learned value baseline (actor-critic on whole episodes), for CartPole.
//
// Each update plays a batch of whole episodes with the current policy (sampling aₜ ~ π(·|sₜ)), then:
//   Gₜ = rₜ + γ·Gₜ₊₁                      the discounted return from each step (0 after the last step)
//   Âₜ = Gₜ − V(sₜ)                        how much better than expected the episode went from sₜ
//   Âₜ ← (Âₜ − mean Â) / (std Â + 1e-8)    normalized over the batch, so the step size does not grow
//                                          with the returns (and about half the actions are encouraged)
// and takes one Adam step on the model's loss, −mean(log π(aₜ|sₜ)·Âₜ) + c·mean((V(sₜ) − Gₜ)²) − β·H(π).
// Âₜ is computed here and fed to the model as an input, which carries no gradient: the policy's
// gradient does not flow into the baseline (gradc's `stopGradient` would say the same inside model.ts).
import { createRng } from "gradc/runtime";
import { CartPole, MAX_STEPS } from "./cartpole.js";
import { createTrainer, forward, initParams } from "./model.gen.js";

export interface ReinforceOptions {
  readonly seed: number;
  /** The budget: training stops after this many episodes if it has not solved the task by then. */
  readonly episodes: number;
  /** Episodes played per update. */
  readonly batch: number;
  readonly lr: number;
  /** The discount γ. */
  readonly gamma: number;
  /** Solved: the average length of the last 100 episodes reaches this. */
  readonly target: number;
  /** Called after every update. */
  readonly onUpdate?: (u: UpdateReport) => void;
}

export interface UpdateReport {
  /** Episodes played so far. */
  readonly episodes: number;
  /** Their lengths, in order. */
  readonly lengths: readonly number[];
  /** The average length of the last 100 episodes (of all of them, while there are fewer). */
  readonly average: number;
  /** The loss of the update just taken. */
  readonly loss: number;
}

export interface ReinforceResult {
  readonly lengths: number[];
  readonly average: number;
  /** The number of episodes after which the last 100 averaged `target` or more, or null. */
  readonly solvedAt: number | null;
  readonly seconds: number;
}

export const DEFAULTS = { episodes: 2000, batch: 4, lr: 0.003, gamma: 0.99, target: 475 } as const;

/** The mean of the last 100 values (or of all of them, when there are fewer). */
export const lastHundredAverage = (lengths: readonly number[]): number => {
  const last = lengths.slice(-100);
  return last.reduce((a, b) => a + b, 0) / Math.max(1, last.length);
};

export function reinforce(options: ReinforceOptions): ReinforceResult {
  const { seed, episodes, batch, lr, gamma, target } = options;
  const started = performance.now();
  const params = initParams(seed);
  const trainer = createTrainer(params, { optimizer: { kind: "adam", lr } });
  const rng = createRng(seed); // the environment's start states and the policy's choices
  const env = new CartPole(rng);
  const lengths: number[] = [];
  let solvedAt: number | null = null;

  while (lengths.length < episodes && solvedAt === null) {
    const states: number[] = [], actions: number[] = [], returns: number[] = [];
    for (let e = 0; e < batch && lengths.length < episodes; e++) {
      const rewards: number[] = [];
      let s = env.reset();
      for (let t = 0; t < MAX_STEPS; t++) {
        const probs = forward(params, { states: s }).probs;
        const a = rng.uniform() < probs[1]! ? 1 : 0;
        states.push(...s);
        actions.push(a);
        const r = env.step(a);
        rewards.push(r.reward);
        s = r.state;
        if (r.terminated || r.truncated) break;
      }
      returns.push(...discounted(rewards, gamma));
      lengths.push(rewards.length);
    }
    const values = forward(params, { states }).value;
    const advantages = normalized(returns.map((g, t) => g - values[t]!));
    const loss = trainer.step({ states, actions, advantages, returns });
    const average = lastHundredAverage(lengths);
    if (lengths.length >= 100 && average >= target) solvedAt = lengths.length;
    options.onUpdate?.({ episodes: lengths.length, lengths, average, loss });
  }
  return { lengths, average: lastHundredAverage(lengths), solvedAt, seconds: (performance.now() - started) / 1000 };
}

/** Gₜ = rₜ + γ·Gₜ₊₁ for each step of one episode, from the last step back. */
export function discounted(rewards: readonly number[], gamma: number): number[] {
  const out = new Array<number>(rewards.length);
  let g = 0;
  for (let t = rewards.length - 1; t >= 0; t--) out[t] = g = rewards[t]! + gamma * g;
  return out;
}

/** (x − mean) / (std + 1e-8), the population std. */
export function normalized(xs: readonly number[]): number[] {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  return xs.map((x) => (x - mean) / (std + 1e-8));
}
