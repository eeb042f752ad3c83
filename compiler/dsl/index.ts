// The "gradc" module that model.ts imports: the public DSL (see ../../README.md for a tour).
export type { Tensor, Operand } from "./core.js";
export {
  input, param, constant, zeros, matmul, add, sub, mul, div, neg, exp, log, sqrt, square, pow, abs,
  sigmoid, tanh, relu, leakyRelu, softplus, sum, mean, max, reshape, transpose,
  softmax, logSoftmax, mse, crossEntropy, softmaxCrossEntropy, binaryCrossEntropy,
  gelu, erf, logSumExp, clamp, maximum, minimum, where, greater, greaterEqual, less, lessEqual, equal,
} from "./core.js";
export { dropout, dropout1d, dropout2d, batchNorm } from "./training.js";
export { stopGradient, customGradient } from "./gradients.js";
export { sign } from "./core.js";
export { concat, slice, gather, embedding, pick, type SliceSpec } from "./indexing.js";
export { layerNorm, variance } from "./normalization.js";
export { conv1d, conv2d, maxPool2d, avgPool2d, flatten, type Conv1dOptions, type Conv2dOptions, type Pool2dOptions } from "./conv.js";
export { scan, type ScanOptions, type ScanResult, type Tree } from "./scan.js";
export { rnnCell, lstmCell, gruCell, rnn, lstm, gru, cellParams, type CellParams, type CellKind, type RecurrentOptions } from "./recurrent.js";
export { model, type ModelDef, type ModelResult } from "./model.js";
export type { InitOption, InitName } from "./init.js";
