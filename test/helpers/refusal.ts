// A shape rule's or argument check's refusal, read as the user sees it: "CODE message".
import { isGradcError } from "../../runtime/errors.js";
import { inFreshContext } from "../passes/util.js";

/** The error `build` throws inside a fresh trace context, as "CODE message"; fails when it throws none. */
export function refusal(build: () => unknown): string {
  try {
    inFreshContext(build);
  } catch (e) {
    if (isGradcError(e)) return `${e.code} ${e.message}`;
    throw e;
  }
  throw new Error("expected a refusal, but the call succeeded");
}
