// Compile errors carry a GCnnnn code and, when they come from the model, the model.ts location.
// The class and the code table live in runtime/errors.ts, shared with the runtime's own user errors.
export { codes, GradcError, isGradcError, type Code } from "../runtime/errors.js";
