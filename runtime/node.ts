// gradc/runtime/node: the parts of the runtime that need Node (files): the MNIST digits, checkpoints,
// atomic writes and whole training runs. Generated modules never import this; gradc/runtime stays
// usable in a browser.
export * from "./index.js";

export type { Mnist, MnistDataset, MnistOptions } from "./mnist.js";
export { loadMnist, mnistDigitsDir, MNIST_CLASSES, MNIST_PIXELS, MNIST_TRAIN_FRACTION } from "./mnist.js";

export type { Checkpoint, CheckpointData, CheckpointSpec } from "./checkpoint.js";
export { CHECKPOINT_FORMAT_VERSION, CHECKPOINT_MAGIC, crc32, decodeCheckpoint, encodeCheckpoint, loadCheckpoint, restoreInto, saveCheckpoint } from "./checkpoint.js";

export type { AtomicFs, WriteFileAtomicOptions } from "./fsAtomic.js";
export { removeStaleTemporaries, temporaryName, writeFileAtomic } from "./fsAtomic.js";

export type { CheckpointTrainer, LoadTrainingCheckpointOptions } from "./trainCheckpoint.js";
export { loadTrainingCheckpoint, saveTrainingCheckpoint } from "./trainCheckpoint.js";

export type { RunOptions, RunResult, TrainableModule } from "./session.js";
export { runTraining } from "./session.js";

export type { ParallelModule, ParallelTrainer, ParallelTrainerOptions, SingleThreadTrainer } from "./parallel.js";
export { createParallelTrainer } from "./parallel.js";

export { dataDiagnostic, displayPath, exitOnUserError, formatUserError } from "./userErrors.js";
