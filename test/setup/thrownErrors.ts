// Every test file runs this first (vitest.config.ts: setupFiles).
//
// `expect(f).toThrow("message")` (and a RegExp) is chai's `throws`, which checks the message only when
// the thrown value is truthy: a function that throws `undefined` or `null` passes toThrow("anything").
// Mutation testing found it (a mutant that made checkpointFormat.ts's `corrupt(...)` return undefined
// survived every "is corrupt: …" test). Here a test that names the message it expects also requires that
// something with a message was thrown; `.not.toThrow(...)` and toThrow() without arguments are unchanged.
import { chai } from "vitest";

for (const name of ["throws", "throw", "Throw"]) {
  chai.util.overwriteMethod(chai.Assertion.prototype, name, (original: (...args: unknown[]) => unknown) =>
    function (this: object, ...args: unknown[]) {
      const expected = args[0];
      const subject = chai.util.flag(this, "object") as unknown;
      const namesMessage = typeof expected === "string" || expected instanceof RegExp;
      if (!namesMessage || typeof subject !== "function" || chai.util.flag(this, "negate")) return original.apply(this, args);
      let thrown: { value: unknown } | undefined;
      chai.util.flag(this, "object", function (this: unknown, ...callArgs: unknown[]) {
        try {
          return (subject as (...a: unknown[]) => unknown).apply(this, callArgs);
        } catch (error) {
          thrown = { value: error };
          throw error;
        }
      });
      const result = original.apply(this, args);
      if (thrown && !thrown.value) {
        throw new chai.AssertionError(`expected the function to throw an error with a message ${expected instanceof RegExp ? "matching" : "including"} ${String(expected)}, but it threw ${String(thrown.value)}`);
      }
      return result;
    },
  );
}
