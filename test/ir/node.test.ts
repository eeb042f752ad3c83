// Hash-consing: the Builder keys nodes by (op, input ids, canonical attrs), so building the same
// expression twice gives the same node; names never take part in identity.

import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/core.js";
import { createContext, withContext } from "../../compiler/ir/context.js";
import { noLoc, type Loc } from "../../compiler/ir/loc.js";
import { Builder, canonical, type Node } from "../../compiler/ir/node.js";
import { ShapeError } from "../../compiler/ir/shape.js";
import { getOp } from "../../compiler/ops/index.js";

const at: Loc = { file: "model.ts", line: 3, col: 5 };
const fresh = () => new Builder();
const leaf = (b: Builder, name: string, shape: number[]) => b.make(getOp("param"), [], { name, shape, init: { kind: "zeros" } }, noLoc, name);

describe("Builder.make: hash-consing", () => {
  it("the same op, inputs and attrs give the same node", () => {
    const b = fresh();
    const x = leaf(b, "x", [2, 3]);
    const y = leaf(b, "y", [2, 3]);
    const s1 = b.make(getOp("add"), [x, y], {}, noLoc);
    const s2 = b.make(getOp("add"), [x, y], {}, at);
    expect(s2).toBe(s1);
    expect(b.size).toBe(3);
    // ...and the first location stays: identity does not include it.
    expect(s2.loc).toBe(noLoc);
  });

  it("other inputs, input order, op or attrs give different nodes", () => {
    const b = fresh();
    const x = leaf(b, "x", [2, 2]);
    const y = leaf(b, "y", [2, 2]);
    const xy = b.make(getOp("matmul"), [x, y], { transA: false, transB: false }, noLoc);
    expect(b.make(getOp("matmul"), [y, x], { transA: false, transB: false }, noLoc)).not.toBe(xy);
    expect(b.make(getOp("matmul"), [x, y], { transA: true, transB: false }, noLoc)).not.toBe(xy);
    expect(b.make(getOp("add"), [x, y], {}, noLoc)).not.toBe(b.make(getOp("mul"), [x, y], {}, noLoc));
    expect(b.make(getOp("add"), [x, x], {}, noLoc)).not.toBe(b.make(getOp("add"), [x, y], {}, noLoc));
  });

  it("attrs written in any key order hash alike, nested objects too", () => {
    const b = fresh();
    const x = leaf(b, "x", [2, 3]);
    const s1 = b.make(getOp("sum"), [x], { axis: 1, keepdims: false }, noLoc);
    const s2 = b.make(getOp("sum"), [x], { keepdims: false, axis: 1 }, noLoc);
    expect(s2).toBe(s1);
    const p1 = b.make(getOp("param"), [], { name: "W", shape: [2], init: { kind: "uniform", a: -1, b: 1 } }, noLoc);
    const p2 = b.make(getOp("param"), [], { init: { b: 1, a: -1, kind: "uniform" }, shape: [2], name: "W" }, noLoc);
    expect(p2).toBe(p1);
  });

  it("an attr set to undefined is the same as an absent attr", () => {
    const b = fresh();
    const x = leaf(b, "x", [2]);
    expect(b.make(getOp("neg"), [x], { note: undefined }, noLoc)).toBe(b.make(getOp("neg"), [x], {}, noLoc));
  });

  it("−0 and 0 are different constants", () => {
    const b = fresh();
    const zero = b.make(getOp("const"), [], { value: 0 }, noLoc);
    const negZero = b.make(getOp("const"), [], { value: -0 }, noLoc);
    expect(negZero).not.toBe(zero);
    expect(Object.is(negZero.attrs.value, -0)).toBe(true);
    expect(b.make(getOp("const"), [], { value: -0 }, noLoc)).toBe(negZero);
    // The same through the DSL.
    withContext(createContext(), () => {
      expect(d.scalar(-0)).not.toBe(d.scalar(0));
      expect(d.scalar(0)).toBe(d.scalar(0));
      expect(d.constant([0, -0], [2])).not.toBe(d.constant([0, 0], [2]));
    });
  });

  it("+∞ and −∞ are different constants (JSON would print both as null)", () => {
    const b = fresh();
    const inf = b.make(getOp("const"), [], { value: Infinity }, noLoc);
    const negInf = b.make(getOp("const"), [], { value: -Infinity }, noLoc);
    expect(negInf).not.toBe(inf);
    expect(negInf.attrs.value).toBe(-Infinity);
    expect(b.make(getOp("const"), [], { value: null }, noLoc)).not.toBe(inf);
  });

  it("names are not part of identity: the first name given sticks, a later one fills a gap", () => {
    const b = fresh();
    const x = leaf(b, "x", [2]);
    const e1 = b.make(getOp("exp"), [x], {}, noLoc);
    expect(e1.name).toBeUndefined();
    const e2 = b.make(getOp("exp"), [x], {}, noLoc, "h");
    expect(e2).toBe(e1);
    expect(e1.name).toBe("h");
    expect(b.make(getOp("exp"), [x], {}, noLoc, "other")).toBe(e1);
    expect(e1.name).toBe("h");
  });

  it("ids increase in creation order (a topological order), shapes and dtypes come from the op's rules", () => {
    const b = fresh();
    const x = leaf(b, "x", [4, 3]);
    const w = leaf(b, "w", [3, 2]);
    const m = b.make(getOp("matmul"), [x, w], { transA: false, transB: false }, noLoc);
    const s = b.make(getOp("sum"), [m], { axis: 0, keepdims: true }, noLoc);
    expect([x.id, w.id, m.id, s.id]).toEqual([0, 1, 2, 3]);
    expect(m.shape).toEqual([4, 2]);
    expect(s.shape).toEqual([1, 2]);
    expect(m.dtype).toBe("f");
    const labels = b.make(getOp("input"), [], { name: "y", shape: [4], dtype: "i" }, noLoc);
    expect(labels.dtype).toBe("i");
  });

  it("a shape rule that refuses throws and adds nothing", () => {
    const b = fresh();
    const x = leaf(b, "x", [4, 3]);
    const before = b.size;
    expect(() => b.make(getOp("matmul"), [x, x], { transA: false, transB: false }, noLoc)).toThrow(ShapeError);
    expect(b.size).toBe(before);
    // The valid form is made as usual (a refused make may use up an id: ids need only increase).
    const ok: Node = b.make(getOp("matmul"), [x, x], { transA: false, transB: true }, noLoc);
    expect(ok.id).toBeGreaterThan(x.id);
    expect(ok.shape).toEqual([4, 4]);
    expect(b.size).toBe(before + 1);
  });

  it("two builders never share nodes", () => {
    const b1 = fresh(), b2 = fresh();
    expect(leaf(b1, "x", [2])).not.toBe(leaf(b2, "x", [2]));
  });

  it("DSL calls in one context share structurally equal subexpressions", () => {
    withContext(createContext(), () => {
      const x = d.input("x", ["batch", 3]);
      const a = d.exp(d.add(x, 1));
      const b = d.exp(d.add(x, 1));
      expect(b).toBe(a);
      expect(d.sum(x, 1)).toBe(d.sum(x, -1)); // the axis is normalized before hashing
      expect(d.sum(x, 1)).not.toBe(d.sum(x, 1, true));
    });
  });
});

describe("canonical", () => {
  it("sorts keys at every level and drops undefined values", () => {
    expect(canonical({ b: 1, a: { d: [1, { z: 2, y: 3 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":3,"z":2}]},"b":1}');
  });
  it("keeps −0, ±∞ and NaN apart", () => {
    const forms = [0, -0, Infinity, -Infinity, NaN, null].map(canonical);
    expect(new Set(forms).size).toBe(forms.length);
    expect(canonical(-0)).toBe("-0");
  });
  it("distinguishes strings from numbers", () => {
    expect(canonical({ a: "1" })).not.toBe(canonical({ a: 1 }));
  });
});
