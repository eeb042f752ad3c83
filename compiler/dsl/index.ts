// The "gradc" module that model.ts imports: the public DSL (see ../../README.md for a tour). Each op's
// own function comes from the op's file (../ops/*.ts); the leaves, the compositions (mean, the losses)
// and the larger pieces (convolutions, scan, layers) from this folder.
export type { Tensor, Operand } from "./core.js";
export { input, param, constant, zeros, mean, mse, crossEntropy, softmaxCrossEntropy, binaryCrossEntropy } from "./core.js";
export { add, sub, mul, div, neg, exp, log, sqrt, square, pow, abs, sign, erf } from "../ops/math.js";
export { sigmoid, tanh, relu, leakyRelu, softplus, gelu } from "../ops/activations.js";
export { clamp, maximum, minimum, where, greater, greaterEqual, less, lessEqual, equal } from "../ops/compare.js";
export { sum, max } from "../ops/reduce.js";
export { reshape, transpose } from "../ops/layout.js";
export { matmul } from "../ops/matmul.js";
export { softmax, logSoftmax, logSumExp } from "../ops/softmax.js";
export { dropout, dropout1d, dropout2d, batchNorm } from "./training.js";
export { stopGradient, customGradient } from "./gradients.js";
export { concat, slice, gather, embedding, pick, type SliceSpec } from "./indexing.js";
export { layerNorm, variance } from "./normalization.js";
export { conv1d, conv2d, maxPool2d, avgPool2d, flatten, type Conv1dOptions, type Conv2dOptions, type Pool2dOptions } from "./conv.js";
export { scan, type ScanOptions, type ScanResult, type Tree } from "./scan.js";
export { rnnCell, lstmCell, gruCell, rnn, lstm, gru, cellParams, type CellParams, type CellKind, type RecurrentOptions } from "./recurrent.js";
export { model, type ModelDef, type ModelResult } from "./model.js";
export type { InitOption, InitName } from "./init.js";
