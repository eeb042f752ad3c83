// The optimizer update of a generated trainer: one function per update rule of torch.optim (SGD, SGD
// with momentum, Adam/AdamW). The trainer's step runs the rule its optimizer was created with right
// after the training pass has left the gradients in the workspace (small ones summed in locals and
// stored once, see kernels.ts), with the step's hyper-parameters in locals.
//
// The per-element formulas and their operation order are runtime/optim.ts's (torch's), which is what
// makes the fused trainer bit-identical to lossAndGrad + the runtime optimizer (test/emit/
// fusedUpdate.test.ts). The step's scalars (−lr, bias corrections, …) are not recomputed here: the
// runtime's `beginFusedStep()` computes them, the same function its own `step` uses.
//
// What the generated update saves over the runtime's `step` is per call, not per element: no argument
// checks, no per-parameter call and setup, and element accesses of this module's one array type (the
// runtime's loops serve Float32Array and Float64Array modules alike, and turn polymorphic when both
// run in one process). One loop over the parameters rather than a block per parameter with its size
// as a constant bound: measured on W1 (bench/ab.ts), 177 vs 175 ns per step, within noise, for half
// the emitted text.
/** The names generated code uses for the update functions, reserved by the module emitter. */
export const UPDATE_FUNCTIONS = ["applyUpdate", "sgdUpdate", "sgdMomentumUpdate", "adamUpdate", "FusedUpdate", "UPDATE"] as const;

/**
 * The update functions of a module whose parameters are `arrayType`s. `applyUpdate(list, grads, u)`
 * updates every trainable parameter in `list` in place from `grads` (in the same order) with the rule
 * `u.scalars` names.
 */
export function emitUpdate(arrayType: string): string[] {
  const signature = (name: string) => `function ${name}(list: readonly ${arrayType}[], grads: readonly ${arrayType}[], u: FusedUpdate): void {`;
  /** One loop over the parameters; `body` updates element e of P (the parameter) from G (its gradient). */
  const perParam = (state: string[], body: string[]) => [
    "for (let k = 0; k < list.length; k++) {",
    "const P = list[k]!;",
    "const G = grads[k]!;",
    ...state,
    "for (let e = 0; e < P.length; e++) {",
    ...body,
    "}",
    "}",
  ];
  const locals = (group: "sgd" | "adam", names: readonly string[], flags: readonly string[] = []) => [
    "const sc = u.scalars;",
    ...names.map((n) => `const ${n} = sc[UPDATE.${group}.${n}]!;`),
    ...flags.map((n) => `const ${n} = sc[UPDATE.${group}.${n}] !== 0;`),
  ];
  return [
    "// ════ optimizer update: torch.optim's step on every parameter, from the gradients the training pass left ════",
    "// One function per update rule, each in torch's operation order (runtime/optim.ts); the step's scalars",
    "// (−lr, bias corrections, …) come from the optimizer's beginFusedStep(), computed as torch computes them.",
    "",
    "/** torch.optim.SGD without momentum: p ← p + (−lr)·(g + wd·p), the decay term only when wd ≠ 0. */",
    signature("sgdUpdate"),
    ...locals("sgd", ["negLr", "weightDecay"], ["decay"]),
    ...perParam(
      [],
      ["const p = P[e]!;", "P[e] = p + negLr * (decay ? G[e]! + weightDecay * p : G[e]!);"],
    ),
    "}",
    "",
    "/**",
    " * torch.optim.SGD with momentum μ: d = g + wd·p;  buf = d on the first step, else buf·μ + (1 − dampening)·d;",
    " * p ← p + (−lr)·(d + μ·buf) with Nesterov, else p + (−lr)·buf. buf is read back after it is stored, so",
    " * float32 uses the rounded buffer as torch's in-place tensor does.",
    " */",
    signature("sgdMomentumUpdate"),
    ...locals("sgd", ["negLr", "weightDecay", "momentum", "oneMinusDampening"], ["decay", "nesterov", "first"]),
    ...perParam(
      ["const B = u.first[k]!;"],
      [
        "const p = P[e]!;",
        "const d = decay ? G[e]! + weightDecay * p : G[e]!;",
        "B[e] = first ? d : B[e]! * momentum + oneMinusDampening * d;",
        "P[e] = p + negLr * (nesterov ? d + momentum * B[e]! : B[e]!);",
      ],
    ),
    "}",
    "",
    "/**",
    " * torch.optim.Adam / AdamW, per element: AdamW p = p·(1 − lr·wd), Adam g = g + wd·p (when wd ≠ 0);",
    " * m = lerp(m, g, 1 − β1) (torch's lerp: two formulas, switching at weight 0.5); v = v·β2 + ((1 − β2)·g)·g",
    " * (addcmul); p = p + ((−lr/bc1)·m) / (√v / √bc2 + ε) (addcdiv), with bc = 1 − β^step. m and v are read",
    " * back after they are stored, so float32 uses the rounded moments as torch's tensors hold them.",
    " */",
    signature("adamUpdate"),
    ...locals(
      "adam",
      ["weightDecay", "paramScale", "w", "oneMinusW", "beta2", "oneMinusBeta2", "negStepSize", "biasCorrection2Sqrt", "eps"],
      ["coupledDecay", "decoupledDecay", "smallWeight"],
    ),
    ...perParam(
      ["const M = u.first[k]!;", "const V = u.second[k]!;"],
      [
        "let p = P[e]!;",
        "let g = G[e]!;",
        "if (decoupledDecay) p = p * paramScale;",
        "if (coupledDecay) g = g + weightDecay * p;",
        "const m = M[e]!;",
        "M[e] = smallWeight ? m + w * (g - m) : g - (g - m) * oneMinusW;",
        "V[e] = V[e]! * beta2 + oneMinusBeta2 * g * g;",
        "P[e] = p + (negStepSize * M[e]!) / (Math.sqrt(V[e]!) / biasCorrection2Sqrt + eps);",
      ],
    ),
    "}",
    "",
    "/** The update rule the optimizer runs, on every trainable parameter. */",
    signature("applyUpdate"),
    "switch (u.scalars[UPDATE.rule]) {",
    "case UPDATE.SGD:",
    "return sgdUpdate(list, grads, u);",
    "case UPDATE.SGD_MOMENTUM:",
    "return sgdMomentumUpdate(list, grads, u);",
    "case UPDATE.ADAM:",
    "return adamUpdate(list, grads, u);",
    "default:",
    'throw new Error(`unknown update rule ${u.scalars[UPDATE.rule]}`);',
    "}",
    "}",
  ];
}
