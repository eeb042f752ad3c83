// compiler/emit/codeText.ts: a line's code without its strings and comments, and the names it reads.
import { describe, expect, it } from "vitest";
import { codeOf, namesIn, readsName } from "../../compiler/emit/codeText.js";

describe("codeOf", () => {
  it("blanks every kind of string with spaces of its length and cuts a // comment", () => {
    expect(codeOf('a["W"] + b // c + d')).toBe("a[   ] + b ");
    expect(codeOf("x = 'y' + `z${w}`;")).toBe(`x = ${" ".repeat(3)} + ${" ".repeat(7)};`);
    expect(codeOf('s = "a\\"b" + t')).toBe("s =        + t");
    expect(codeOf('u = "http://x" / 2')).toBe("u =            / 2");
    expect(codeOf("v = a / b")).toBe("v = a / b");
    expect(codeOf("plain")).toBe("plain");
  });

  it("keeps the length of a line whose string is not closed (no more than the line)", () => {
    expect(codeOf('k = "open')).toBe(`k = ${" ".repeat(5)}`);
    expect(codeOf('k = "ends in \\')).toBe(`k = ${" ".repeat(10)}`);
  });
});

describe("namesIn and readsName", () => {
  it("names outside members and numbers, in order, with repeats", () => {
    expect(namesIn("ws.h[i] = h + $x * _y1 + 1e5 + a.b.c")).toEqual(["ws", "i", "h", "$x", "_y1", "a"]);
    expect(namesIn("")).toEqual([]);
  });

  it("a name in a string, a comment, a member or another name is not a read of it", () => {
    expect(readsName('{ "inputs": ws.y.slice(0, n) }', "inputs")).toBe(false);
    expect(readsName('{ "inputs": ws.y.slice(0, n) }', "ws")).toBe(true);
    expect(readsName('{ "inputs": ws.y.slice(0, n) }', "n")).toBe(true);
    expect(readsName('params["ws"].slice(0, 2)', "ws")).toBe(false);
    expect(readsName("x.inputs + inputs2 + $inputs", "inputs")).toBe(false);
    expect(readsName("a = 1; // inputs", "inputs")).toBe(false);
    expect(readsName("f(inputs)", "inputs")).toBe(true);
    expect(readsName("f(inputs)", "input")).toBe(false);
  });
});
