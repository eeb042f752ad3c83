// What an optimizer is asked for: the specs of torch.optim.SGD, Adam and AdamW, their defaults, and the
// checks torch's constructors make (a bad value, or a misspelt option that would silently be ignored, is
// an error). optim.ts runs the resolved spec; a trainer's own options are checked there.

/** torch.optim.SGD(params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False). */
export type SgdSpec = {
  kind: "sgd";
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
};

/** torch.optim.Adam / AdamW(params, lr, betas=(beta1, beta2), eps, weight_decay). */
export type AdamSpec = {
  kind: "adam" | "adamw";
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
};

export type OptimizerSpec = SgdSpec | AdamSpec;

/** A spec with every default filled in, as the optimizer actually runs it. */
export type ResolvedOptimizerSpec = Readonly<Required<SgdSpec>> | Readonly<Required<AdamSpec>>;

const SGD_DEFAULTS = { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 } as const;
const ADAM_DEFAULTS = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 } as const;
const ADAMW_DEFAULTS = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 } as const;

/** Fills in torch's defaults and validates like torch's constructors do; throws on a bad spec. */
export function resolveOptimizerSpec(spec: OptimizerSpec): ResolvedOptimizerSpec {
  if (typeof spec !== "object" || spec === null) {
    throw new Error(`optimizer spec must be an object, got ${String(spec)}`);
  }
  const kind = (spec as { kind: unknown }).kind;
  if (kind === "sgd") {
    const s = spec as SgdSpec;
    rejectUnknownKeys(s, ["kind", "lr", "momentum", "dampening", "nesterov", "weightDecay"]);
    const r: Required<SgdSpec> = {
      kind: "sgd",
      lr: checkLr(s.lr),
      momentum: nonNegative("sgd", "momentum", s.momentum ?? SGD_DEFAULTS.momentum),
      dampening: finite("sgd", "dampening", s.dampening ?? SGD_DEFAULTS.dampening),
      nesterov: s.nesterov ?? SGD_DEFAULTS.nesterov,
      weightDecay: nonNegative("sgd", "weightDecay", s.weightDecay ?? SGD_DEFAULTS.weightDecay),
    };
    if (typeof r.nesterov !== "boolean") {
      throw new Error(`sgd: nesterov must be a boolean, got ${String(r.nesterov)}`);
    }
    if (r.nesterov && (r.momentum <= 0 || r.dampening !== 0)) {
      throw new Error(
        `sgd: Nesterov momentum requires a momentum > 0 and zero dampening ` +
          `(got momentum=${r.momentum}, dampening=${r.dampening})`,
      );
    }
    return Object.freeze(r);
  }
  if (kind === "adam" || kind === "adamw") {
    const s = spec as AdamSpec;
    rejectUnknownKeys(s, ["kind", "lr", "beta1", "beta2", "eps", "weightDecay"]);
    const d = kind === "adam" ? ADAM_DEFAULTS : ADAMW_DEFAULTS;
    const r: Required<AdamSpec> = {
      kind,
      lr: checkLr(s.lr),
      beta1: checkBeta(kind, "beta1", s.beta1 ?? d.beta1),
      beta2: checkBeta(kind, "beta2", s.beta2 ?? d.beta2),
      eps: nonNegative(kind, "eps", s.eps ?? d.eps),
      weightDecay: nonNegative(kind, "weightDecay", s.weightDecay ?? d.weightDecay),
    };
    return Object.freeze(r);
  }
  throw new Error(`unknown optimizer kind ${JSON.stringify(kind)}: expected "sgd", "adam" or "adamw"`);
}

export function checkLr(lr: number): number {
  if (typeof lr !== "number" || !(lr >= 0) || !Number.isFinite(lr)) {
    throw new Error(`invalid learning rate: lr must be a finite number >= 0, got ${String(lr)}`);
  }
  return lr;
}

function checkBeta(kind: string, name: string, beta: number): number {
  if (typeof beta !== "number" || !(beta >= 0 && beta < 1)) {
    throw new Error(`${kind}: invalid ${name}: must be in [0, 1), got ${String(beta)}`);
  }
  return beta;
}

function nonNegative(kind: string, name: string, x: number): number {
  if (typeof x !== "number" || !(x >= 0) || !Number.isFinite(x)) {
    throw new Error(`${kind}: invalid ${name}: must be a finite number >= 0, got ${String(x)}`);
  }
  return x;
}

function finite(kind: string, name: string, x: number): number {
  if (typeof x !== "number" || !Number.isFinite(x)) {
    throw new Error(`${kind}: invalid ${name}: must be a finite number, got ${String(x)}`);
  }
  return x;
}

/** A misspelt option (say `betas` or `weight_decay`) would otherwise be silently ignored. */
function rejectUnknownKeys(spec: object, allowed: readonly string[]): void {
  for (const key of Object.keys(spec)) {
    if (!allowed.includes(key)) {
      throw new Error(
        `unknown optimizer option ${JSON.stringify(key)} for ${JSON.stringify((spec as { kind: string }).kind)}; ` +
          `expected ${allowed.filter((k) => k !== "kind").join(", ")}`,
      );
    }
  }
}
