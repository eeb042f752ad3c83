// σ and tanh over a row of a float32 module's array (sigmoidRow, tanhRow), and the e^x and tanh x they use
// (quickExp, quickTanh). V8 runs Math.exp and Math.tanh as calls into C++ (fdlibm), which no loop can
// inline — ~10 and ~16 ns an element on this machine, a fifth of an LSTM training step. quickExp and
// quickTanh are plain double arithmetic that TurboFan inlines into a loop (~4 and ~5 ns), deterministic on
// every machine (IEEE doubles, no fused multiply-add in JavaScript), and within 1 (e^x) and 4 (tanh x) units
// in the last place of a double of Math's values: rounded to float32 they give the same float as Math's
// (none of the three million σ, tanh and e^x values test/runtime/quickMath.test.ts compares differs; a
// difference stays possible, ~1e-8 per value).
//
// Why whole rows: TurboFan inlines calls into an optimized function only within a budget of 920 bytes of
// bytecode for all of them, and a training pass is one large function with many call sites; quickExp
// (~170 bytes) called per element from the pass's own loops mostly stays a call, which boxes its argument
// and result and is no faster than Math.exp. Called once per row, sigmoidRow's own small loop is optimized
// with quickExp inlined (an LSTM step 1.10–1.12× faster: README, Speed). The kernel emitter calls them for a
// float32 kernel that is σ or tanh alone over a stored row (compiler/emit/kernels.ts); float64 modules, fused
// expressions and the interpreter keep Math.exp and Math.tanh, bit for bit.
//
// e^y = 2^(k/64) · e^r with k = round(64·y/ln 2) and |r| ≤ ln 2/128 (Cody–Waite: ln 2/64 in two parts, so r is
// exact to ~1e-22): 2^(k/64) = 2^(k >> 6) · 2^((k & 63)/64) from two tables, e^r − 1 by its Taylor polynomial
// of degree 6 (the next term, r⁷/7!, is below 1e-19 of r). k is rounded with `| 0` on a shifted, positive
// value: Math.round costs as much as the rest together.
// tanh |x| = (e^2|x| − 1)/(e^2|x| + 1), with e^2|x| − 1 = 2^(k/64)·(e^r − 1) + (2^(k/64) − 1) so that it keeps
// its relative accuracy near 0 (where k = 0 and it is the polynomial alone).
// NaN gives NaN (the clamps pass it through and r is NaN), e^±∞ is ∞ and 0, tanh ±∞ is ±1, tanh −0 is −0.

// 2^(j/64), j = 0…63, each the double nearest the true value (scripts/quick-exp-table.py writes these tables).
const POW2_SIXTYFOURTHS = new Float64Array([
  1.0, 1.0108892860517005, 1.0218971486541166, 1.0330248790212284,
  1.0442737824274138, 1.0556451783605572, 1.0671404006768237, 1.0787607977571199,
  1.0905077326652577, 1.102382583307841, 1.1143867425958924, 1.1265216186082418,
  1.1387886347566916, 1.1511892299529827, 1.1637248587775775, 1.1763969916502812,
  1.189207115002721, 1.202156731452703, 1.215247359980469, 1.22848053610687,
  1.241857812073484, 1.255380757024691, 1.2690509571917332, 1.2828700160787783,
  1.2968395546510096, 1.3109612115247644, 1.3252366431597413, 1.339667524053303,
  1.3542555469368927, 1.3690024229745905, 1.383909881963832, 1.3989796725383112,
  1.4142135623730951, 1.42961333839197, 1.4451808069770467, 1.460917794180647,
  1.4768261459394993, 1.4929077282912648, 1.5091644275934228, 1.5255981507445384,
  1.5422108254079407, 1.559004400237837, 1.5759808451078865, 1.593142151342267,
  1.6104903319492543, 1.6280274218573478, 1.645755478153965, 1.6636765803267364,
  1.681792830507429, 1.7001063537185235, 1.718619298122478, 1.7373338352737062,
  1.7562521603732995, 1.7753764925265212, 1.7947090750031072, 1.8142521755003989,
  1.8340080864093424, 1.8539791250833855, 1.8741676341103, 1.8945759815869656,
  1.9152065613971474, 1.9360617934922943, 1.9571441241754002, 1.978456026387951,
]);
// What each entry misses of the true 2^(j/64): tanh adds it back, near 0 e^2x − 1 is much smaller than it.
const POW2_SIXTYFOURTHS_TAIL = new Float64Array([
  0.0, -1.5234778603368577e-17, 5.109225028973444e-17, 7.600838874027088e-18,
  8.551889705537965e-17, 1.759325738772092e-18, -7.899853966841582e-17, -6.656660436056593e-17,
  -3.046782079812471e-17, 5.2660368715706944e-17, 1.0410278456845571e-16, 5.165856758795457e-17,
  8.912812676025408e-17, 3.250710218863827e-17, 3.8292048369240935e-17, 5.554203254218079e-17,
  3.982015231465646e-17, 6.644981499252301e-17, -7.712630692681488e-17, -1.89878163130253e-17,
  4.658027591836937e-17, -6.7113898212968784e-18, 2.667932131342186e-18, 1.713594918243561e-17,
  2.5382502794888315e-17, -7.181536135519454e-17, -2.8587312100388614e-17, 8.927282594831732e-17,
  7.70094837980299e-17, 9.593797919118849e-17, -6.770511658794786e-17, -9.614213209051323e-17,
  -9.667293313452913e-17, -1.2031642489053655e-17, -3.0237581349939873e-17, -5.600377186075216e-17,
  -3.483994556892796e-17, 1.4192920154284036e-17, -1.016455327754295e-16, -1.1024941712342561e-16,
  7.949834809697621e-17, 3.7812070533575275e-17, -1.0136916471278304e-17, -1.0094406542311964e-16,
  2.4707192569797888e-17, -6.712955084707084e-17, -1.0125679913674773e-16, 5.8909926967131e-17,
  8.199010020581497e-17, -8.0237193703977e-18, -1.851380418263111e-17, 3.164389299292957e-17,
  2.960140695448873e-17, 6.429731796556572e-17, 1.8227458427912087e-17, -9.969531538920349e-17,
  3.283107224245627e-17, 9.761887490727594e-17, -6.122763413004143e-17, 3.4034035352165297e-17,
  -1.0619946056195963e-16, 1.0332385960676326e-16, 8.960767791036668e-17, 4.0388753109278167e-17,
]);
const LN2_64_HI = 0.01083042468962958;
const LN2_64_LO = 6.619564634077006e-12;
const SIXTYFOUR_OVER_LN2 = 92.33248261689366;

// e^y overflows above 709.78 and is below the smallest double under −745.1: the clamps keep k's table index in
// range and give ∞ and 0 there (2^1024 is ∞, 2^−1075 is 0).
const Y_MIN = -746;
const Y_MAX = 710;
// k + SHIFT is positive for every clamped y, so `| 0` (truncation) rounds it down; SHIFT − 0.5 rounds to nearest.
const SHIFT = 1 << 17;
// POW2[m − MIN_EXPONENT] = 2^m for m = MIN_EXPONENT…1099.
const MIN_EXPONENT = -1100;
const POW2 = powersOfTwo();

/** 2^m for m = MIN_EXPONENT…1099, by halving and doubling 1: exact down to the subnormals, ∞ above 1023. */
function powersOfTwo(): Float64Array {
  // A function, not statements at the top level: `gradc compile --runtime inline` copies declarations.
  const p = new Float64Array(2200);
  p[-MIN_EXPONENT] = 1;
  for (let i = -MIN_EXPONENT + 1; i < p.length; i++) p[i] = p[i - 1]! * 2;
  for (let i = -MIN_EXPONENT - 1; i >= 0; i--) p[i] = p[i + 1]! / 2;
  return p;
}

/** e^y, within a few double ulps (see the header). */
export function quickExp(y: number): number {
  // NaN first: it would index the tables out of range (NaN | 0 is 0), which V8 deoptimizes the loop for.
  if (y !== y) return y;
  const x = Math.min(Math.max(y, Y_MIN), Y_MAX);
  const k = ((x * SIXTYFOUR_OVER_LN2 + (SHIFT + 0.5)) | 0) - SHIFT;
  const r = x - k * LN2_64_HI - k * LN2_64_LO;
  const r2 = r * r;
  const p = r + r2 * (0.5 + r * (1 / 6)) + r2 * r2 * (1 / 24 + r * (1 / 120) + r2 * (1 / 720));
  // The power of two last: near overflow, m·2^n + m·2^n·p would be ∞ − ∞ = NaN for p < 0.
  // Times 2 and 2^(n−1): e^709.78 is 2^1024 · e^r with r < 0, finite, where 2^1024 alone is ∞.
  const m = POW2_SIXTYFOURTHS[k & 63]!;
  return (m + m * p) * 2 * POW2[(k >> 6) - 1 - MIN_EXPONENT]!;
}

/**
 * tanh x, within a few double ulps (see the header); |x| ≥ 20 gives ±1 (tanh 20 is 1 to 4e-18).
 *
 * It repeats quickExp's reduction and polynomial instead of calling it: near 0 it needs e^2|x| − 1 from the
 * parts (2^(k/64), e^r − 1, the table's tail), which quickExp has already summed away, and a helper returning
 * the parts would allocate or be one more call against the inlining budget.
 */
export function quickTanh(x: number): number {
  if (x !== x) return x;
  const a = Math.min(Math.abs(x), 20);
  const y = 2 * a;
  const k = ((y * SIXTYFOUR_OVER_LN2 + (SHIFT + 0.5)) | 0) - SHIFT;
  const r = y - k * LN2_64_HI - k * LN2_64_LO;
  const r2 = r * r;
  const p = r + r2 * (0.5 + r * (1 / 6)) + r2 * r2 * (1 / 24 + r * (1 / 120) + r2 * (1 / 720));
  const scale = POW2[(k >> 6) - MIN_EXPONENT]!;
  const t = POW2_SIXTYFOURTHS[k & 63]! * scale;
  const expm1 = t * p + ((t - 1) + POW2_SIXTYFOURTHS_TAIL[k & 63]! * scale);
  const th = expm1 / (expm1 + 2);
  // ±0 is returned as it is (tanh −0 = −0, as Math.tanh).
  return x > 0 ? th : x < 0 ? -th : x;
}

/** out[o + j] = σ(x[s + j]) = 1 / (1 + e^−x) for j < length (a float32 module's σ kernel, one row per call). */
export function sigmoidRow(out: Float32Array, o: number, x: Float32Array, s: number, length: number): void {
  for (let j = 0; j < length; j++) out[o + j] = 1 / (1 + quickExp(-x[s + j]!));
}

/** out[o + j] = tanh(x[s + j]) for j < length (a float32 module's tanh kernel, one row per call). */
export function tanhRow(out: Float32Array, o: number, x: Float32Array, s: number, length: number): void {
  for (let j = 0; j < length; j++) out[o + j] = quickTanh(x[s + j]!);
}
