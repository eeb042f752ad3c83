// The opt-in fastMath mode (`createTrainer(params, { …, fastMath: true })`): while it is on, the f32
// matrix products run on the fused multiply-add kernel where the engine has WebAssembly relaxed SIMD
// (runtime/gemm.ts). One flag for the whole thread, set only for the duration of a fastMath trainer's
// synchronous call, so another trainer in the same program keeps the default, bit-reproducible kernel.
let on = false;

/** Whether a fastMath call is running now. */
export function fastMathOn(): boolean {
  return on;
}

/** Calls fn(arg) in fastMath mode, then restores the previous mode (also when fn throws). */
export function withFastMath<A, T>(fn: (arg: A) => T, arg: A): T {
  const before = on;
  on = true;
  try {
    return fn(arg);
  } finally {
    on = before;
  }
}
