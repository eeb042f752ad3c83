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
//
// Parameter groups (torch's param_groups, runtime/paramGroups.ts): each rule loops over the groups, reads
// the group's scalars once, then updates the group's parameters; without groups there is one group
// holding every parameter, so the loops are those of before plus one pass of an outer loop.
//
// Gradient clipping (runtime/clip.ts: torch's clip_grad_value_ and clip_grad_norm_) is a pass over the
// gradients before the rule, since the global norm needs every gradient before any parameter moves;
// applyUpdate runs it only when the trainer was created with clipping, so an unclipped step pays two
// comparisons. In float32 the norm's steps are rounded to float32 where torch's float32 tensors round.
// Element reads are written `a[k]!` (see `element` in ../ops/op.ts): they pass noUncheckedIndexedAccess.
/** The names generated code uses for the update functions, reserved by the module emitter. */
export const UPDATE_FUNCTIONS = ["applyUpdate", "sgdUpdate", "sgdMomentumUpdate", "adamUpdate", "clipGradNorm", "clipGradValue", "FusedUpdate", "UPDATE"] as const;

/**
 * The update functions of a module whose parameters are `arrayType`s. `applyUpdate(list, grads, u)`
 * clips `grads` as `u` says, then updates every trainable parameter in `list` in place from `grads` (in
 * the same order) with the rule `u.scalars` names, each group with its own scalars.
 */
export function emitUpdate(arrayType: string): string[] {
  const f32 = arrayType === "Float32Array";
  /** Rounds to the module's dtype where torch's tensor of that dtype would. */
  const round = (x: string) => (f32 ? `Math.fround(${x})` : `(${x})`);
  const signature = (name: string) => `function ${name}(list: readonly ${arrayType}[], grads: readonly ${arrayType}[], u: FusedUpdate): void {`;
  /**
   * One loop over the groups, with the group's scalars in locals; in it one loop over the group's
   * parameters; `body` updates element e of P (the parameter) from G (its gradient).
   */
  const perParam = (rule: "sgd" | "adam", names: readonly string[], flags: readonly string[], state: string[], body: string[]) => [
    "const groups = u.groups;",
    "for (let i = 0; i < groups.length; i++) {",
    "const sc = groups[i]!.scalars;",
    ...names.map((n) => `const ${n} = sc[UPDATE.${rule}.${n}]!;`),
    ...flags.map((n) => `const ${n} = sc[UPDATE.${rule}.${n}] !== 0;`),
    "const members = groups[i]!.members;",
    "for (let j = 0; j < members.length; j++) {",
    "const k = members[j]!;",
    "const P = list[k]!;",
    "const G = grads[k]!;",
    ...state,
    "for (let e = 0; e < P.length; e++) {",
    ...body,
    "}",
    "}",
    "}",
  ];
  return [
    "// ════ optimizer update: torch.optim's step on every parameter, from the gradients the training pass left ════",
    "// One function per update rule, each in torch's operation order (runtime/optim.ts); the step's scalars",
    "// (−lr, bias corrections, …) come from the optimizer's beginFusedStep(), computed as torch computes them.",
    "",
    "/** torch.optim.SGD without momentum: p ← p + (−lr)·(g + wd·p), the decay term only when wd ≠ 0. */",
    signature("sgdUpdate"),
    ...perParam(
      "sgd",
      ["negLr", "weightDecay"],
      ["decay"],
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
    ...perParam(
      "sgd",
      ["negLr", "weightDecay", "momentum", "oneMinusDampening"],
      ["decay", "nesterov", "first"],
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
    ...perParam(
      "adam",
      ["weightDecay", "paramScale", "w", "oneMinusW", "beta2", "oneMinusBeta2", "negStepSize", "biasCorrection2Sqrt", "eps"],
      ["coupledDecay", "decoupledDecay", "smallWeight"],
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
    "/**",
    " * torch.nn.utils.clip_grad_norm_(max_norm): with n_k = ‖g_k‖₂ per parameter and N = ‖(n_1, n_2, …)‖₂,",
    " * every g ← g·min(1, (1 / (N + 1e-6))·max_norm) (Python's max_norm / tensor is a reciprocal, then a product).",
    ...(f32 ? [" * Each n_k, N, N + 1e-6, the reciprocal and the coefficient are rounded to float32, as torch's float32 tensors are."] : []),
    " */",
    `function clipGradNorm(grads: readonly ${arrayType}[], maxNorm: number): void {`,
    "let squares = 0;",
    "for (let k = 0; k < grads.length; k++) {",
    "const G = grads[k]!;",
    "let sum = 0;",
    "for (let e = 0; e < G.length; e++) sum += G[e]! * G[e]!;",
    `const norm = ${f32 ? round("Math.sqrt(sum)") : "Math.sqrt(sum)"};`,
    "squares += norm * norm;",
    "}",
    f32
      ? `const coef = ${round(`${round(`1 / ${round(`${round("Math.sqrt(squares)")} + ${round("1e-6")}`)}`)} * ${round("maxNorm")}`)};`
      : "const coef = (1 / (Math.sqrt(squares) + 1e-6)) * maxNorm;",
    "if (coef >= 1) return; // × 1 changes nothing (a NaN coefficient still multiplies, as in torch)",
    "for (let k = 0; k < grads.length; k++) {",
    "const G = grads[k]!;",
    "for (let e = 0; e < G.length; e++) G[e] = G[e]! * coef;",
    "}",
    "}",
    "",
    "/** torch.nn.utils.clip_grad_value_(v): every g ← clamp(g, −v, v) (NaN stays NaN). */",
    `function clipGradValue(grads: readonly ${arrayType}[], value: number): void {`,
    "const low = -value;",
    "for (let k = 0; k < grads.length; k++) {",
    "const G = grads[k]!;",
    "for (let e = 0; e < G.length; e++) {",
    "const x = G[e]!;",
    "if (x > value) G[e] = value;",
    "else if (x < low) G[e] = low;",
    "}",
    "}",
    "}",
    "",
    "/** Clipping when the trainer asked for it (values first, then the norm), then the optimizer's rule on every trainable parameter. */",
    signature("applyUpdate"),
    "if (u.clipGradValue !== 0) clipGradValue(grads, u.clipGradValue);",
    "if (u.clipGradNorm !== 0) clipGradNorm(grads, u.clipGradNorm);",
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
