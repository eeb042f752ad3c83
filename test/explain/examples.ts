import { exampleNames } from "../examples/util.js";

/** The examples every explain format is checked on: all of them. */
export const EXAMPLES = exampleNames();
