// test/setup/thrownErrors.ts: toThrow(message) fails when the function throws a value without a message.
import { expect, it } from "vitest";

it("toThrow with a message or pattern refuses a thrown undefined or null", () => {
  const throwsValue = (v: unknown) => () => {
    throw v;
  };
  expect(() => expect(throwsValue(undefined)).toThrow("is corrupt")).toThrow(/expected the function to throw an error with a message including is corrupt, but it threw undefined/);
  expect(() => expect(throwsValue(null)).toThrow(/^corrupt$/)).toThrow(/with a message matching \/\^corrupt\$\/, but it threw null/);
  expect(() => expect(throwsValue(undefined)).toThrowError("x")).toThrow(/but it threw undefined/);
});

it("leaves every other use of toThrow as it was", () => {
  expect(() => {
    throw new Error("checkpoint m.ckpt is corrupt: truncated");
  }).toThrow("is corrupt");
  expect(() => {
    throw new Error("abc");
  }).toThrow(/^abc$/);
  expect(() => expect(() => {
    throw new Error("abc");
  }).toThrow("xyz")).toThrow();
  expect(() => undefined).not.toThrow("abc");
  expect(() => expect(() => undefined).toThrow("abc")).toThrow();
  expect(() => {
    throw undefined;
  }).toThrow();
});
