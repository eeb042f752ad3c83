// torch.optim's SGD, Adam and AdamW written from scratch for tests, independently of runtime/optim.ts
// (and of the scalars its beginFusedStep computes, which generated trainers share): tensor-wise on plain
// number arrays, line for line from torch/optim/sgd.py `_single_tensor_sgd` and torch/optim/adam.py
// `_single_tensor_adam`. `store` models writing into a tensor of the parameter's dtype (identity for
// f64, Math.fround for f32). Used by test/runtime/optim.test.ts (the runtime optimizer) and
// test/emit/fusedUpdate.test.ts (the update generated trainers fuse into their step).
import type { Dtype } from "../../runtime/init.js";
import type { OptimizerSpec } from "../../runtime/optim.js";

export type Store = (x: number) => number;
export const storeFor = (dtype: Dtype): Store => (dtype === "f32" ? Math.fround : (x) => x);

export interface Reference {
  step(params: number[][], grads: number[][]): void;
  lr: number;
  /** The step count and per-parameter state buffers, as torch keeps them (absent before they exist). */
  state(): { stepCount: number; momentumBuffer?: number[][]; expAvg?: number[][]; expAvgSq?: number[][] };
}

export function referenceSgd(
  o: { lr: number; momentum?: number; dampening?: number; nesterov?: boolean; weightDecay?: number },
  store: Store,
): Reference {
  const momentum = o.momentum ?? 0;
  const dampening = o.dampening ?? 0;
  const nesterov = o.nesterov ?? false;
  const weight_decay = o.weightDecay ?? 0;
  const momentum_buffer_list: (number[] | null)[] = [];
  let steps = 0;
  return {
    lr: o.lr,
    state: () => ({
      stepCount: steps,
      ...(momentum !== 0 && momentum_buffer_list.length ? { momentumBuffer: momentum_buffer_list.map((b) => b!.slice()) } : {}),
    }),
    step(params, grads) {
      const lr = this.lr;
      steps += 1;
      for (let k = 0; k < params.length; k++) {
        const param = params[k];
        let grad = grads[k];
        if (weight_decay !== 0) grad = grad.map((g, i) => g + weight_decay * param[i]); // grad.add(param, alpha=wd)
        if (momentum !== 0) {
          let buf = momentum_buffer_list[k] ?? null;
          if (buf === null) {
            buf = grad.map(store); // torch.clone(grad).detach()
          } else {
            const b = buf;
            buf = b.map((x, i) => store(x * momentum + (1 - dampening) * grad[i])); // buf.mul_(m).add_(grad, alpha=1-d)
          }
          momentum_buffer_list[k] = buf;
          const bufNow = buf;
          if (nesterov)
            grad = grad.map((g, i) => g + momentum * bufNow[i]); // grad.add(buf, alpha=momentum)
          else grad = buf;
        }
        const d_p = grad;
        params[k] = param.map((p, i) => store(p + -lr * d_p[i])); // param.add_(grad, alpha=-lr)
      }
    },
  };
}

/** torch's CPU lerp kernel (aten/src/ATen/native/Lerp.h). */
export function torchLerp(self: number, end: number, weight: number): number {
  return Math.abs(weight) < 0.5 ? self + weight * (end - self) : end - (end - self) * (1 - weight);
}

export function referenceAdam(
  o: { lr: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number },
  decoupled: boolean,
  store: Store,
): Reference {
  const beta1 = o.beta1 ?? 0.9;
  const beta2 = o.beta2 ?? 0.999;
  const eps = o.eps ?? 1e-8;
  const weight_decay = o.weightDecay ?? (decoupled ? 0.01 : 0);
  const exp_avgs: number[][] = [];
  const exp_avg_sqs: number[][] = [];
  let step_t = 0;
  return {
    lr: o.lr,
    state: () => ({
      stepCount: step_t,
      ...(exp_avgs.length ? { expAvg: exp_avgs.map((m) => m.slice()), expAvgSq: exp_avg_sqs.map((v) => v.slice()) } : {}),
    }),
    step(params, grads) {
      const lr = this.lr;
      step_t += 1;
      for (let k = 0; k < params.length; k++) {
        let param = params[k];
        let grad = grads[k];
        exp_avgs[k] ??= param.map(() => 0);
        exp_avg_sqs[k] ??= param.map(() => 0);
        if (weight_decay !== 0) {
          const p0 = param;
          if (decoupled)
            param = p0.map((p) => p * (1 - lr * weight_decay)); // param.mul_(1 - lr*wd)
          else grad = grad.map((g, i) => g + weight_decay * p0[i]); // grad.add(param, alpha=wd)
        }
        const g = grad;
        exp_avgs[k] = exp_avgs[k].map((m, i) => store(torchLerp(m, g[i], 1 - beta1)));
        exp_avg_sqs[k] = exp_avg_sqs[k].map((v, i) => store(v * beta2 + (1 - beta2) * g[i] * g[i])); // addcmul_: self + value·t1·t2, left to right
        const step = step_t;
        const bias_correction1 = 1 - beta1 ** step;
        const bias_correction2 = 1 - beta2 ** step;
        const step_size = lr / bias_correction1;
        const bias_correction2_sqrt = Math.sqrt(bias_correction2);
        const denom = exp_avg_sqs[k].map((v) => Math.sqrt(v) / bias_correction2_sqrt + eps);
        const m = exp_avgs[k];
        params[k] = param.map((p, i) => store(p + (-step_size * m[i]) / denom[i])); // addcdiv_(value=-step_size)
      }
    },
  };
}

export function referenceFor(spec: OptimizerSpec, dtype: Dtype): Reference {
  const store = storeFor(dtype);
  return spec.kind === "sgd" ? referenceSgd(spec, store) : referenceAdam(spec, spec.kind === "adamw", store);
}

