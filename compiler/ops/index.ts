// The op registry: every op gradc knows, listed explicitly. Adding an op is one file plus one line here.
import { sigmoidOp, tanhOp, reluOp, leakyReluOp, softplusOp, geluOp, stepOp } from "./activations.js";
import { clampOp, greaterEqualOp, greaterOp, maximumOp, minimumOp, whereOp } from "./compare.js";
import { concatOp } from "./concat.js";
import { conv2dOp, conv2dBackwardInputOp, conv2dBackwardFilterOp } from "./conv.js";
import { customGradientOp } from "./customGradient.js";
import { softmaxCEOp, onehotOp } from "./crossEntropy.js";
import { gatherOp, scatterAddOp } from "./gather.js";
import { broadcastToOp, reshapeOp, transposeOp } from "./layout.js";
import { constOp, dimOp, inputOp, paramOp } from "./leaf.js";
import { addOp, subOp, mulOp, divOp, powOp, negOp, expOp, logOp, erfOp, sqrtOp, squareOp, absOp, signOp, eqOp } from "./math.js";
import { matmulOp } from "./matmul.js";
import type { OpDef } from "./op.js";
import { dropoutMaskOp, selectOp } from "./mode.js";
import { avgPool2dBackwardOp, avgPool2dOp, maxPool2dBackwardOp, maxPool2dOp, maxPool2dSelectOp } from "./pool.js";
import { maxOp, sumOp } from "./reduce.js";
import { pickGradOp, pickOp } from "./pick.js";
import { partOp, scanOp } from "./scan.js";
import { sliceGradOp, sliceOp } from "./slice.js";
import { logSoftmaxOp, logSumExpOp, softmaxOp } from "./softmax.js";
import { stopGradientOp } from "./stopGradient.js";

export const allOps: readonly OpDef[] = [
  inputOp, paramOp, constOp, dimOp,
  addOp, subOp, mulOp, divOp, powOp, negOp, expOp, logOp, erfOp, sqrtOp, squareOp, absOp, signOp, eqOp,
  sigmoidOp, tanhOp, reluOp, leakyReluOp, softplusOp, geluOp, stepOp,
  greaterOp, greaterEqualOp, whereOp, maximumOp, minimumOp, clampOp,
  sumOp, maxOp,
  reshapeOp, broadcastToOp, transposeOp,
  concatOp, sliceOp, sliceGradOp, gatherOp, scatterAddOp, pickOp, pickGradOp,
  matmulOp,
  conv2dOp, conv2dBackwardInputOp, conv2dBackwardFilterOp,
  maxPool2dOp, maxPool2dBackwardOp, maxPool2dSelectOp, avgPool2dOp, avgPool2dBackwardOp,
  softmaxOp, logSoftmaxOp, logSumExpOp, softmaxCEOp, onehotOp,
  selectOp, dropoutMaskOp,
  scanOp, partOp,
  stopGradientOp, customGradientOp,
];

let registry: Map<string, OpDef> | null = null;

export function getOp(name: string): OpDef {
  registry ??= new Map(allOps.map((o) => [o.name, o]));
  const op = registry.get(name);
  if (!op) throw new Error(`unknown op "${name}"`);
  return op;
}
