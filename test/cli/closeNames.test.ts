// "Did you mean …?" candidates, shared by the CLI's commands and options and the DSL's names.
import { expect, test } from "vitest";
import { closeNames } from "../../compiler/closeNames.js";

const COMMANDS = ["compile", "explain", "graph", "train"];

test("a typo finds the command it was meant to be", () => {
  expect(closeNames("compil", COMMANDS)).toEqual(["compile"]);
  expect(closeNames("Train", COMMANDS)).toEqual(["train"]);
  expect(closeNames("explian", COMMANDS)).toEqual(["explain"]);
});

test("nothing close enough: no suggestion", () => {
  expect(closeNames("build", COMMANDS)).toEqual([]);
  expect(closeNames("x", COMMANDS)).toEqual([]);
});

test("closest first, at most four", () => {
  expect(closeNames("sigmod", ["sigmoid", "softmax", "sign", "sum"])).toEqual(["sigmoid"]);
  expect(closeNames("ab", ["ab", "abc", "abd", "abe", "abf", "abg"])).toEqual(["ab", "abc", "abd", "abe"]);
});
