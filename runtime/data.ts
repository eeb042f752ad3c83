// Data sets and mini-batches for training loops, in one import: what a data set is and how one is
// built (dataset.ts), subsets and train/test splits (splits.ts), and the batches of an epoch
// (batches.ts). The runtime's entry point re-exports the same names.
export * from "./dataset.js";
export * from "./splits.js";
export * from "./batches.js";
