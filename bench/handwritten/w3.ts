// The hand-written reference trainer for benchmark workload W3: 784 → 128 ReLU → 10, softmax
// cross-entropy against integer labels, plain SGD (torch.optim.SGD, momentum 0), float32 storage.
//
// It is the fastest single-threaded TypeScript we could write for this one network, kept as a peer in
// `npm run bench` so that gradc's generated trainer is measured against "the best hand-fused loop" and
// not only against libraries. What it does that a general trainer need not:
//
// - Layouts chosen for the kernels, not for the user: the first weight is stored transposed (W1t, one
//   contiguous row of 784 inputs per hidden unit), and each step transposes the batch (Xt) and writes the
//   hidden gradient transposed (dHt), so that both big matmuls (H = X·W1 and dW1 = Xᵀ·dH) read two
//   contiguous streams in their inner loop. `params()` returns the public [in, out] layout.
// - Register blocking with 2×4 accumulators held in locals (8 accumulators + 6 operands fit the 15 XMM
//   registers V8 allocates on x64; 4×4, 3×4 and 4×2 tiles measured the same or up to ~15% slower in
//   this kernel on this machine), row base offsets computed once per tile (`a[r + k]`), typed arrays
//   passed as parameters of the hot functions.
// - Fused epilogues: bias + ReLU in the forward matmul; logits → softmax → loss → ∂logits → ∂b2 row by
//   row; ReLU mask and ∂b1 column sums in the ∂H kernel; the SGD update of W1 and W2 in the epilogue of
//   the matmul that finishes their gradient (no dW1 buffer is ever written).
// - Storage is Float32Array everywhere; arithmetic happens in doubles (no Math.fround); nothing is
//   allocated per step.
//
// Same math, same summation order as gradc's generated trainer (each dot product sums k = 0, 1, …), so the
// first-step loss and updated parameters agree to float32 rounding; `npm run bench` checks that.

export interface W3Params {
  W1: Float32Array; // [784, 128]
  b1: Float32Array; // [128]
  W2: Float32Array; // [128, 10]
  b2: Float32Array; // [10]
}

export interface W3Trainer {
  /** One SGD step on a batch; returns the loss before the update. */
  step(x: Float32Array, y: Int32Array): number;
  /** A copy of the parameters in the public [in, out] layout. */
  params(): W3Params;
}

const IN = 784;
const HID = 128;
const OUT = 10;

/** A trainer for batches of exactly `batch` rows, starting from a copy of `init`. */
export function createW3Trainer(init: W3Params, options: { lr: number; batch: number }): W3Trainer {
  const B = options.batch;
  if (!Number.isInteger(B) || B < 1) throw new Error(`batch must be a positive integer, got ${B}`);
  const negLr = -options.lr;
  const W1t = new Float32Array(HID * IN);
  for (let k = 0; k < IN; k++) for (let j = 0; j < HID; j++) W1t[j * IN + k] = init.W1[k * HID + j]!;
  const b1 = Float32Array.from(init.b1);
  const W2 = Float32Array.from(init.W2);
  const b2 = Float32Array.from(init.b2);
  // Workspace, allocated once.
  const Xt = new Float32Array(IN * B);
  const H = new Float32Array(B * HID);
  const logits = new Float32Array(B * OUT);
  const dlogits = new Float32Array(B * OUT);
  const dHt = new Float32Array(HID * B);
  const db1 = new Float64Array(HID);
  const db2 = new Float64Array(OUT);

  return {
    step(x: Float32Array, y: Int32Array): number {
      if (x.length !== B * IN || y.length !== B) throw new Error(`w3: expected x of ${B * IN} and y of ${B}, got ${x.length} and ${y.length}`);
      forwardHidden(x, W1t, b1, H, B);
      forwardLogits(H, W2, b2, logits, B);
      const loss = softmaxCrossEntropy(logits, y, dlogits, db2, B);
      hiddenGradient(dlogits, W2, H, dHt, db1, B);
      updateW2(H, dlogits, W2, negLr, B);
      transpose(x, Xt, B, IN);
      updateW1t(dHt, Xt, W1t, negLr, B);
      for (let j = 0; j < HID; j++) b1[j] = b1[j]! + negLr * db1[j]!;
      for (let c = 0; c < OUT; c++) b2[c] = b2[c]! + negLr * db2[c]!;
      return loss;
    },
    params(): W3Params {
      const W1 = new Float32Array(IN * HID);
      for (let k = 0; k < IN; k++) for (let j = 0; j < HID; j++) W1[k * HID + j] = W1t[j * IN + k]!;
      return { W1, b1: b1.slice(), W2: W2.slice(), b2: b2.slice() };
    },
  };
}

/** H = relu(X·W1 + b1), X [B×784] row-major, W1t [128×784] (W1 transposed): 2×4 tiles, k contiguous. */
function forwardHidden(X: Float32Array, W1t: Float32Array, b1: Float32Array, H: Float32Array, B: number): void {
  let i = 0;
  for (; i + 1 < B; i += 2) {
    const r0 = i * IN;
    const r1 = r0 + IN;
    const o0 = i * HID;
    const o1 = o0 + HID;
    for (let j = 0; j < HID; j += 4) {
      const s0 = j * IN;
      const s1 = s0 + IN;
      const s2 = s1 + IN;
      const s3 = s2 + IN;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      for (let k = 0; k < IN; k++) {
        const a0 = X[r0 + k]!;
        const a1 = X[r1 + k]!;
        const w0 = W1t[s0 + k]!;
        c00 += a0 * w0;
        c10 += a1 * w0;
        const w1 = W1t[s1 + k]!;
        c01 += a0 * w1;
        c11 += a1 * w1;
        const w2 = W1t[s2 + k]!;
        c02 += a0 * w2;
        c12 += a1 * w2;
        const w3 = W1t[s3 + k]!;
        c03 += a0 * w3;
        c13 += a1 * w3;
      }
      const d0 = b1[j]!, d1 = b1[j + 1]!, d2 = b1[j + 2]!, d3 = b1[j + 3]!;
      let z = c00 + d0;
      H[o0 + j] = z > 0 ? z : 0;
      z = c01 + d1;
      H[o0 + j + 1] = z > 0 ? z : 0;
      z = c02 + d2;
      H[o0 + j + 2] = z > 0 ? z : 0;
      z = c03 + d3;
      H[o0 + j + 3] = z > 0 ? z : 0;
      z = c10 + d0;
      H[o1 + j] = z > 0 ? z : 0;
      z = c11 + d1;
      H[o1 + j + 1] = z > 0 ? z : 0;
      z = c12 + d2;
      H[o1 + j + 2] = z > 0 ? z : 0;
      z = c13 + d3;
      H[o1 + j + 3] = z > 0 ? z : 0;
    }
  }
  for (; i < B; i++) {
    const r0 = i * IN;
    for (let j = 0; j < HID; j++) {
      const s0 = j * IN;
      let c = 0;
      for (let k = 0; k < IN; k++) c += X[r0 + k]! * W1t[s0 + k]!;
      const z = c + b1[j]!;
      H[i * HID + j] = z > 0 ? z : 0;
    }
  }
}

/** logits = H·W2 + b2, W2 [128×10]: 2 rows × 5 classes per tile, two tiles per row pair. */
function forwardLogits(H: Float32Array, W2: Float32Array, b2: Float32Array, logits: Float32Array, B: number): void {
  let i = 0;
  for (; i + 1 < B; i += 2) {
    const r0 = i * HID;
    const r1 = r0 + HID;
    for (let c = 0; c < OUT; c += 5) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0;
      for (let k = 0; k < HID; k++) {
        const a0 = H[r0 + k]!;
        const a1 = H[r1 + k]!;
        const s = k * OUT + c;
        const w0 = W2[s]!;
        c00 += a0 * w0;
        c10 += a1 * w0;
        const w1 = W2[s + 1]!;
        c01 += a0 * w1;
        c11 += a1 * w1;
        const w2 = W2[s + 2]!;
        c02 += a0 * w2;
        c12 += a1 * w2;
        const w3 = W2[s + 3]!;
        c03 += a0 * w3;
        c13 += a1 * w3;
        const w4 = W2[s + 4]!;
        c04 += a0 * w4;
        c14 += a1 * w4;
      }
      const o0 = i * OUT + c;
      const o1 = o0 + OUT;
      logits[o0] = c00 + b2[c]!;
      logits[o0 + 1] = c01 + b2[c + 1]!;
      logits[o0 + 2] = c02 + b2[c + 2]!;
      logits[o0 + 3] = c03 + b2[c + 3]!;
      logits[o0 + 4] = c04 + b2[c + 4]!;
      logits[o1] = c10 + b2[c]!;
      logits[o1 + 1] = c11 + b2[c + 1]!;
      logits[o1 + 2] = c12 + b2[c + 2]!;
      logits[o1 + 3] = c13 + b2[c + 3]!;
      logits[o1 + 4] = c14 + b2[c + 4]!;
    }
  }
  for (; i < B; i++) {
    for (let c = 0; c < OUT; c++) {
      let s = 0;
      for (let k = 0; k < HID; k++) s += H[i * HID + k]! * W2[k * OUT + c]!;
      logits[i * OUT + c] = s + b2[c]!;
    }
  }
}

/** Mean softmax cross-entropy; ∂loss/∂logits = (softmax − onehot)/B into dlogits, its column sums into db2. */
function softmaxCrossEntropy(logits: Float32Array, y: Int32Array, dlogits: Float32Array, db2: Float64Array, B: number): number {
  db2.fill(0);
  const inv = 1 / B;
  let sum = 0;
  for (let i = 0; i < B; i++) {
    const r = i * OUT;
    let max = -Infinity;
    for (let c = 0; c < OUT; c++) {
      const v = logits[r + c]!;
      if (v > max) max = v;
    }
    let sumExp = 0;
    for (let c = 0; c < OUT; c++) sumExp += Math.exp(logits[r + c]! - max);
    const label = y[i]!;
    sum += Math.log(sumExp) - (logits[r + label]! - max);
    const scale = inv / sumExp;
    for (let c = 0; c < OUT; c++) {
      const g = Math.exp(logits[r + c]! - max) * scale - (c === label ? inv : 0);
      dlogits[r + c] = g;
      db2[c] = db2[c]! + g;
    }
  }
  return sum * inv;
}

/**
 * dH = (dlogits·W2ᵀ) ⊙ [H > 0], written transposed (dHt [128×B]) for the W1 update; column sums into db1.
 * dlogits rows and W2 rows are both contiguous over the 10 classes.
 */
function hiddenGradient(dlogits: Float32Array, W2: Float32Array, H: Float32Array, dHt: Float32Array, db1: Float64Array, B: number): void {
  db1.fill(0);
  for (let i = 0; i < B; i++) {
    const r = i * OUT;
    const g0 = dlogits[r]!, g1 = dlogits[r + 1]!, g2 = dlogits[r + 2]!, g3 = dlogits[r + 3]!, g4 = dlogits[r + 4]!;
    const g5 = dlogits[r + 5]!, g6 = dlogits[r + 6]!, g7 = dlogits[r + 7]!, g8 = dlogits[r + 8]!, g9 = dlogits[r + 9]!;
    const h = i * HID;
    for (let j = 0; j < HID; j++) {
      let d = 0;
      if (H[h + j]! > 0) {
        const s = j * OUT;
        d = g0 * W2[s]! + g1 * W2[s + 1]! + g2 * W2[s + 2]! + g3 * W2[s + 3]! + g4 * W2[s + 4]! + g5 * W2[s + 5]! + g6 * W2[s + 6]! + g7 * W2[s + 7]! + g8 * W2[s + 8]! + g9 * W2[s + 9]!;
      }
      dHt[j * B + i] = d;
      db1[j] = db1[j]! + d;
    }
  }
}

/** W2 ← W2 − lr·Hᵀ·dlogits, the gradient summed over the batch in registers (2 hidden units × 5 classes). */
function updateW2(H: Float32Array, dlogits: Float32Array, W2: Float32Array, negLr: number, B: number): void {
  for (let j = 0; j < HID; j += 2) {
    for (let c = 0; c < OUT; c += 5) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0;
      for (let i = 0; i < B; i++) {
        const h = i * HID + j;
        const a0 = H[h]!;
        const a1 = H[h + 1]!;
        const s = i * OUT + c;
        const g0 = dlogits[s]!;
        c00 += a0 * g0;
        c10 += a1 * g0;
        const g1 = dlogits[s + 1]!;
        c01 += a0 * g1;
        c11 += a1 * g1;
        const g2 = dlogits[s + 2]!;
        c02 += a0 * g2;
        c12 += a1 * g2;
        const g3 = dlogits[s + 3]!;
        c03 += a0 * g3;
        c13 += a1 * g3;
        const g4 = dlogits[s + 4]!;
        c04 += a0 * g4;
        c14 += a1 * g4;
      }
      const o0 = j * OUT + c;
      const o1 = o0 + OUT;
      W2[o0] = W2[o0]! + negLr * c00;
      W2[o0 + 1] = W2[o0 + 1]! + negLr * c01;
      W2[o0 + 2] = W2[o0 + 2]! + negLr * c02;
      W2[o0 + 3] = W2[o0 + 3]! + negLr * c03;
      W2[o0 + 4] = W2[o0 + 4]! + negLr * c04;
      W2[o1] = W2[o1]! + negLr * c10;
      W2[o1 + 1] = W2[o1 + 1]! + negLr * c11;
      W2[o1 + 2] = W2[o1 + 2]! + negLr * c12;
      W2[o1 + 3] = W2[o1 + 3]! + negLr * c13;
      W2[o1 + 4] = W2[o1 + 4]! + negLr * c14;
    }
  }
}

/** dst [cols×rows] = srcᵀ, src [rows×cols]. */
function transpose(src: Float32Array, dst: Float32Array, rows: number, cols: number): void {
  for (let i = 0; i < rows; i++) {
    const r = i * cols;
    for (let k = 0; k < cols; k++) dst[k * rows + i] = src[r + k]!;
  }
}

/**
 * W1t ← W1t − lr·dHtᵀ… i.e. W1t[j, p] −= lr·Σ_i dH[i, j]·X[i, p], with dHt [128×B] and Xt [784×B] both
 * contiguous over the batch: 2 hidden units × 4 pixels per tile, the update fused into the epilogue.
 */
function updateW1t(dHt: Float32Array, Xt: Float32Array, W1t: Float32Array, negLr: number, B: number): void {
  for (let j = 0; j < HID; j += 2) {
    const r0 = j * B;
    const r1 = r0 + B;
    const o0 = j * IN;
    const o1 = o0 + IN;
    for (let p = 0; p < IN; p += 4) {
      const s0 = p * B;
      const s1 = s0 + B;
      const s2 = s1 + B;
      const s3 = s2 + B;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      for (let i = 0; i < B; i++) {
        const a0 = dHt[r0 + i]!;
        const a1 = dHt[r1 + i]!;
        const x0 = Xt[s0 + i]!;
        c00 += a0 * x0;
        c10 += a1 * x0;
        const x1 = Xt[s1 + i]!;
        c01 += a0 * x1;
        c11 += a1 * x1;
        const x2 = Xt[s2 + i]!;
        c02 += a0 * x2;
        c12 += a1 * x2;
        const x3 = Xt[s3 + i]!;
        c03 += a0 * x3;
        c13 += a1 * x3;
      }
      W1t[o0 + p] = W1t[o0 + p]! + negLr * c00;
      W1t[o0 + p + 1] = W1t[o0 + p + 1]! + negLr * c01;
      W1t[o0 + p + 2] = W1t[o0 + p + 2]! + negLr * c02;
      W1t[o0 + p + 3] = W1t[o0 + p + 3]! + negLr * c03;
      W1t[o1 + p] = W1t[o1 + p]! + negLr * c10;
      W1t[o1 + p + 1] = W1t[o1 + p + 1]! + negLr * c11;
      W1t[o1 + p + 2] = W1t[o1 + p + 2]! + negLr * c12;
      W1t[o1 + p + 3] = W1t[o1 + p + 3]! + negLr * c13;
    }
  }
}
