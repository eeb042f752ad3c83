// Parameter groups, as torch.optim's param_groups: some parameters train with their own learning rate
// or weight decay (the usual case: no weight decay on biases and normalization parameters).
//
//   createTrainer(params, {
//     optimizer: { kind: "adamw", lr: 1e-3, weightDecay: 0.01 },
//     groups: [{ params: (name, shape) => shape.length === 1, weightDecay: 0 }],
//   });
//
// is torch's
//
//   AdamW([{ "params": decay }, { "params": no_decay, "weight_decay": 0 }], lr=1e-3, weight_decay=0.01)
//
// A group selects parameters by name (a list), by a regular expression on the name, or by a predicate of
// the name and shape; the parameters no group selects form the default group, which runs the optimizer
// spec as given. A group's settings default to the spec's. Its learning rate is a multiple of the
// optimizer's (`lrScale`, default 1) rather than a number of its own, so a schedule, which sets the
// optimizer's rate, moves every group in proportion — what torch's multiplicative schedulers (StepLR,
// ExponentialLR, OneCycleLR, ReduceLROnPlateau) do to groups whose base rates stand in that ratio.
//
// Errors, as torch raises them and more: a parameter in two groups, a name that is not a trainable
// parameter, a group that selects nothing (a selector that matches nothing is a typo, not a choice),
// an unknown setting (`lr`, `weight_decay`) and a negative or non-finite value.

/** Which parameters a group holds: their names, a pattern their names match, or a test. */
export type ParamSelector = readonly string[] | RegExp | ((name: string, shape: readonly number[]) => boolean);

export interface ParamGroup {
  readonly params: ParamSelector;
  /** The group's learning rate is lrScale × the optimizer's (default 1). */
  readonly lrScale?: number;
  /** The group's weight decay (default the optimizer spec's). */
  readonly weightDecay?: number;
}

/** A group as the optimizer runs it: the selected parameters' names, in the parameters' order. */
export interface ResolvedGroup {
  readonly params: readonly string[];
  readonly lrScale: number;
  readonly weightDecay: number;
}

/** A parameter as groups select it. */
export interface NamedParam {
  readonly name: string;
  readonly shape: readonly number[];
}

/**
 * The groups' members as parameter indices: `members[0]` is the default group (every parameter no group
 * selects, possibly none), `members[g + 1]` is `groups[g]`'s. Throws an Error naming the group and the
 * problem.
 */
export function resolveGroups(
  groups: readonly ParamGroup[],
  params: readonly NamedParam[],
  defaultWeightDecay: number,
): { readonly groups: readonly ResolvedGroup[]; readonly members: readonly Int32Array[] } {
  if (!Array.isArray(groups)) throw new Error(`groups must be a list of { params, lrScale?, weightDecay? }, got ${String(groups)}`);
  const owner = new Int32Array(params.length).fill(-1);
  const resolved = groups.map((group, g): ResolvedGroup => {
    const where = `groups[${g}]`;
    if (typeof group !== "object" || group === null) throw new Error(`${where} must be an object { params, lrScale?, weightDecay? }`);
    for (const key of Object.keys(group)) {
      if (key !== "params" && key !== "lrScale" && key !== "weightDecay") {
        const hint = key === "lr" ? " (a group's rate is lrScale × the optimizer's lr)" : key === "weight_decay" ? " (did you mean weightDecay?)" : "";
        throw new Error(`${where}: unknown setting ${JSON.stringify(key)}${hint}; expected params, lrScale, weightDecay`);
      }
    }
    const selected = select(group.params, params, where);
    if (selected.length === 0) throw new Error(`${where} selects no parameter (the trainable parameters: ${params.map((p) => p.name).join(", ")})`);
    for (const k of selected) {
      const other = owner[k]!;
      if (other !== -1) throw new Error(`parameter "${params[k]!.name}" is in more than one group (groups[${other}] and ${where}); each parameter belongs to one group`);
      owner[k] = g;
    }
    return {
      params: selected.map((k) => params[k]!.name),
      lrScale: nonNegativeFinite(group.lrScale ?? 1, `${where}.lrScale`),
      weightDecay: nonNegativeFinite(group.weightDecay ?? defaultWeightDecay, `${where}.weightDecay`),
    };
  });
  const members = [-1, ...resolved.map((_, g) => g)].map((g) => Int32Array.from(params.flatMap((_, k) => (owner[k] === g ? [k] : []))));
  return { groups: resolved, members };
}

function select(selector: ParamSelector, params: readonly NamedParam[], where: string): number[] {
  if (Array.isArray(selector)) {
    const names = params.map((p) => p.name);
    return (selector as readonly unknown[]).map((name) => {
      const k = typeof name === "string" ? names.indexOf(name) : -1;
      if (k === -1) throw new Error(`${where}: ${JSON.stringify(name)} is not a trainable parameter (the trainable parameters: ${names.join(", ")})`);
      return k;
    }).filter((k, i, all) => all.indexOf(k) === i);
  }
  if (selector instanceof RegExp) return params.flatMap((p, k) => (new RegExp(selector.source, selector.flags.replace(/[gy]/g, "")).test(p.name) ? [k] : []));
  if (typeof selector === "function") return params.flatMap((p, k) => (selector(p.name, p.shape) ? [k] : []));
  throw new Error(`${where}.params must be a list of parameter names, a RegExp or a function (name, shape) => boolean, got ${String(selector)}`);
}

function nonNegativeFinite(x: unknown, what: string): number {
  if (typeof x !== "number" || !(x >= 0) || !Number.isFinite(x)) throw new Error(`${what} must be a finite number >= 0, got ${String(x)}`);
  return x;
}
