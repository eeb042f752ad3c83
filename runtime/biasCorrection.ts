// Adam's bias corrections, 1 − β1^t and 1 − β2^t, computed each step as torch computes them.

/**
 * torch's bias correction `1 - beta ** step`, bit for bit, without the power once it can no longer
 * matter. V8's `**` (fdlibm's pow) costs ~60 ns, a fifth of a whole step of a tiny network (W1). But
 * β^step only falls as the step grows (0 ≤ β < 1): once the power is below 2^-60, 1 − β^step rounds to
 * exactly 1, and a later step's power (within an ulp of a smaller true value) stays far below 2^-54,
 * where the rounding would change — so every later step is 1 too. That is after ~40,000 steps at
 * β = 0.999 and ~400 at 0.9. Steps may come in any order (loadState moves the count): an earlier step
 * than the first known 1 is computed as before.
 */
export class BiasCorrection {
  /** The first step whose power was below 2^-60: from it on, the correction is exactly 1. */
  private onesFrom = Infinity;

  constructor(private readonly beta: number) {}

  at(step: number): number {
    if (step >= this.onesFrom) return 1;
    const power = this.beta ** step;
    if (power < 2 ** -60) this.onesFrom = step;
    return 1 - power;
  }
}
