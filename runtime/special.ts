// Special functions that JavaScript's Math lacks and generated code calls: erf, for the exact GELU
// (x·Φ(x), Φ(x) = ½(1 + erf(x/√2)), as PyTorch's nn.GELU()) and its derivative.
//
// erf is a piecewise Chebyshev series, fitted by scripts/erf-coefficients.py (mpmath, 50 digits):
//   |x| < 1        erf(x) = x · P(2x² − 1)                  (erf(x)/x is even and smooth on [0, 1])
//   1 ≤ |x| < 6    erf(x) = ±(1 − e^(−x²) · Q(|x|))         (Q = erfcx, erfc(x)·e^(x²), smooth and slowly varying,
//                                                            one series on [1, 2.5] and one on [2.5, 6])
//   |x| ≥ 6        erf(x) = ±1                               (erfc(6) ≈ 2·10⁻¹⁷ is below half an ulp of 1)
// Each series is summed with Clenshaw's recurrence, which is stable for any argument in [−1, 1].
// Within 2 ulps of the true value everywhere (test/runtime/special.test.ts checks it against mpmath and
// against torch.erf). NaN gives NaN, erf(−0) = −0.

const SMALL = [
  0.9754769393826541, -0.14226120510371365, 0.010035582187599796, -0.0005768764699767485, 2.741993125219606e-5, -1.1043175507344507e-6, 3.8488755420345036e-8,
  -1.1808582533875466e-9, 3.2334215826050907e-11, -7.991015947004549e-13, 1.799072511396137e-14, -3.7186354877527125e-16, 7.103598527027531e-18,
];
const MID = [
  0.3017138902444292, -0.10574990110152695, 0.017104848474406763, -0.002587682261135065, 0.0003696145268036729, -5.0198560605167956e-5, 6.517935170561901e-6,
  -8.126449775613485e-7, 9.763690285483578e-8, -1.133813656364367e-8, 1.2757869239497698e-9, -1.3939984728303207e-10, 1.4818660272094163e-11,
  -1.535083855929386e-12, 1.5518968060622173e-13, -1.533073757449703e-14, 1.4816184838312305e-15, -1.402287179332859e-16, 1.3009967499563953e-17,
  -1.1841441839262096e-18,
];
const TAIL = [
  0.14016047004976134, -0.05677604943259737, 0.011209463278240392, -0.0021611166170954787, 0.00040747765264847823, -7.523771561693374e-5, 1.3620051895515644e-5,
  -2.4198114237545286e-6, 4.223228134648387e-7, -7.246499552340511e-8, 1.2233728862459023e-8, -2.0334473033646384e-9, 3.3298260041946755e-10,
  -5.374937748845086e-11, 8.556925301968386e-12, -1.344207017986991e-12, 2.0845423536824505e-13, -3.1910631462156616e-14, 4.724138888879837e-15,
];

/** Σ c_k·T_k(u) for u in [−1, 1], by Clenshaw's recurrence. */
function chebyshevSum(c: readonly number[], u: number): number {
  let b1 = 0;
  let b2 = 0;
  const u2 = 2 * u;
  for (let k = c.length - 1; k > 0; k--) {
    const b0 = c[k]! + u2 * b1 - b2;
    b2 = b1;
    b1 = b0;
  }
  return c[0]! + u * b1 - b2;
}

/** The error function erf(x) = (2/√π) ∫₀ˣ e^(−t²) dt, in double precision (see the header). */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a < 1) return x * chebyshevSum(SMALL, 2 * x * x - 1);
  if (a < 6) {
    const tail = Math.exp(-x * x) * (a < 2.5 ? chebyshevSum(MID, (2 * a - 3.5) / 1.5) : chebyshevSum(TAIL, (2 * a - 8.5) / 3.5));
    return x > 0 ? 1 - tail : tail - 1;
  }
  return x !== x ? x : x > 0 ? 1 : -1;
}
