// Specialize a graph to training or to inference: select(train, infer) keeps one branch, and a
// dropout mask stays (training) or becomes 1 (inference). Each generated pass is lowered from the
// graph of its mode. Rules as data (./rules.ts), one set per mode. Test: test/passes/specialize.test.ts
import type { Pass } from "./pass.js";
import { rewritePass, rule } from "./rules.js";

export type Mode = "train" | "infer";

export const specializeRules = {
  train: [rule("select(a, b)", "a", "select(train, infer) → train: the training pass keeps the training branch")],
  infer: [
    rule("select(a, b)", "b", "select(train, infer) → infer: forward() and evaluate() keep the inference branch"),
    rule("dropoutMask()", "1", "dropout mask → 1: inference keeps every unit"),
  ],
} as const;

const passes: Readonly<Record<Mode, Pass>> = { train: rewritePass(specializeRules.train), infer: rewritePass(specializeRules.infer) };

export const specialize = (mode: Mode): Pass => passes[mode];
