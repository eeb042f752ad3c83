/** The examples every explain format is checked on. */
export const EXAMPLES = ["simple", "worked", "xor", "mnist-mlp", "mnist-cnn"];
