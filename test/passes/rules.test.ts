// rules.ts: the pattern language (parse), matching (variables, repeated variables, x:scalar, numbers,
// attrs), fitting replacements to the node's shape, guards, and rewritePass's bounded rounds.

import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/core.js";
import * as ix from "../../compiler/dsl/indexing.js";
import type { Node } from "../../compiler/ir/node.js";
import { applyRules, rewritePass, rule, type Rule } from "../../compiler/passes/rules.js";
import { expectPreserved, inFreshContext, outputOf, runPass, show, traced } from "./util.js";

const dummy = "test rule";

describe("rule(): parsing patterns", () => {
  it("nested ops, variables and numbers", () => {
    expect(rule("mul(neg(x), 2.5)", "x", dummy).from).toEqual({
      kind: "op", op: "mul", attrs: {}, args: [
        { kind: "op", op: "neg", attrs: {}, args: [{ kind: "var", name: "x", scalar: false }] },
        { kind: "num", value: 2.5 },
      ],
    });
    expect(rule("mul(-1, x)", "x", dummy).from).toMatchObject({ args: [{ kind: "num", value: -1 }, { kind: "var", name: "x" }] });
    expect(rule("add(x, 0)", "x", dummy).to).toEqual({ kind: "var", name: "x", scalar: false });
  });

  it("numbers of several digits, with decimals, and only identifiers at a term's start", () => {
    expect(rule("mul(x, 12.25)", "x", dummy).from).toMatchObject({ args: [{ kind: "var" }, { kind: "num", value: 12.25 }] });
    expect(rule("mul(x, -100)", "x", dummy).from).toMatchObject({ args: [{ kind: "var" }, { kind: "num", value: -100 }] });
    expect(() => rule("mul(x, $y)", "x", dummy)).toThrow('rule "mul(x, $y)": unexpected "$y)"');
  });

  it("attrs in braces, as JSON values", () => {
    expect(rule("neg(sum{axis=1,keepdims=false}(x))", "x", dummy).from).toEqual({
      kind: "op", op: "neg", attrs: {}, args: [
        { kind: "op", op: "sum", attrs: { axis: 1, keepdims: false }, args: [{ kind: "var", name: "x", scalar: false }] },
      ],
    });
    expect(rule("sum{ axis = null }(x)", "x", dummy).from).toMatchObject({ attrs: { axis: null } });
  });

  it("x:scalar, zero-argument ops, and free spacing", () => {
    expect(rule("mul(s:scalar, x)", "x", dummy).from).toMatchObject({ args: [{ kind: "var", name: "s", scalar: true }, { kind: "var", name: "x", scalar: false }] });
    expect(rule("div(x, dim())", "x", dummy).from).toMatchObject({ args: [{ kind: "var" }, { kind: "op", op: "dim", args: [] }] });
    expect(rule("  mul( x ,  1 )  ", "  x ", dummy).from).toEqual(rule("mul(x, 1)", "x", dummy).from);
  });

  it("malformed patterns throw, quoting the pattern and saying what is wrong", () => {
    const bad: [string, string, RegExp][] = [
      ["mul(x, 1", "x", /^rule "mul\(x, 1": expected "\)" at 8$/],
      ["mul(x,, 1)", "x", /^rule "mul\(x,, 1\)": unexpected ", 1\)"$/],
      ["mul(x y)", "x", /^rule "mul\(x y\)": expected "\)" at 6$/],
      ["mul(x, 1) x", "x", /^rule "mul\(x, 1\) x": trailing "x"$/],
      ["", "x", /^rule "": unexpected ""$/],
      ["sum{axis=1(x)", "x", /^rule "sum\{axis=1\(x\)": unclosed "\{" at 3$/],
      ["sum{axis}(x)", "x", /^rule "sum\{axis\}\(x\)": expected "name=value" in \{\.\.\.\}, got "axis"$/],
      ["sum{axis=one}(x)", "x", /^rule "sum\{axis=one\}\(x\)": the value of attribute "axis" is not a JSON value: "one"$/],
      ["sum{ axis }(x)", "x", /^rule "sum\{ axis \}\(x\)": expected "name=value" in \{\.\.\.\}, got "axis"$/],
      ["sum{axis= one }(x)", "x", /^rule "sum\{axis= one \}\(x\)": the value of attribute "axis" is not a JSON value: "one"$/],
      ["mull(x, 1)", "x", /^rule "mull\(x, 1\)": unknown op "mull"$/],
      ["exp(x)", "squar(x)", /^rule "squar\(x\)": unknown op "squar"$/],
      ["exp(x)", "mul(x, y)", /^rule "exp\(x\)" → "mul\(x, y\)": the replacement uses "y", which the pattern does not bind$/],
    ];
    for (const [from, to, message] of bad) expect(() => rule(from, to, dummy), `${from} → ${to}`).toThrow(message);
  });
});

/** Applies `rules` to the node `build` makes (in a fresh context); returns the replacement and the rules that fired. */
function apply(rules: readonly Rule[], build: () => Node): { out: Node | undefined; fired: string[]; node: Node } {
  return inFreshContext(() => {
    const node = build();
    const fired: string[] = [];
    const out = applyRules(rules, node, (r) => fired.push(r.description));
    return { out, fired, node };
  });
}

const A = () => d.param("A", [2, 3]);
const B = () => d.param("B", [2, 3]);

describe("applyRules: matching", () => {
  it("a repeated variable must bind the same node", () => {
    const same = [rule("sub(x, x)", "0", "x − x → 0")];
    const hit = apply(same, () => {
      const a = A();
      return d.sub(a, a);
    });
    expect(hit.fired).toEqual(["x − x → 0"]);
    // 0 is a scalar: it is broadcast back to the node's shape.
    expect(show(hit.out!)).toBe("broadcastTo{shape=[2,3]}(0)");
    expect(apply(same, () => d.sub(A(), B())).out).toBeUndefined();
    // Structurally equal is the same node, thanks to hash-consing.
    expect(apply(same, () => {
      const a = A();
      return d.sub(d.exp(a), d.exp(a));
    }).fired).toHaveLength(1);
  });

  it("x:scalar binds only rank-0 nodes", () => {
    const rules = [rule("mul(s:scalar, x)", "mul(x, s)", "scalars to the right")];
    const hit = apply(rules, () => d.mul(d.param("s", []), A()));
    expect(show(hit.out!)).toBe("mul(A, s)");
    expect(apply(rules, () => d.mul(d.param("v", [3]), A())).out).toBeUndefined();
    expect(apply(rules, () => d.mul(d.param("one", [1]), A())).out).toBeUndefined(); // rank 1, even of size 1
  });

  it("a number matches a scalar constant of that value only", () => {
    const rules = [rule("mul(x, 2)", "add(x, x)", "2x → x + x")];
    expect(show(apply(rules, () => d.mul(A(), 2)).out!)).toBe("add(A, A)");
    expect(apply(rules, () => d.mul(A(), 3)).out).toBeUndefined();
    expect(apply(rules, () => d.mul(A(), d.constant([2, 2, 2]))).out).toBeUndefined();
    expect(apply(rules, () => d.mul(A(), B())).out).toBeUndefined();
  });

  it("attrs in a pattern must match; attrs it does not mention are free", () => {
    const rules = [rule("sum{axis=1}(exp(x))", "x", dummy)];
    // The replacement [2, 3] does not fit sum's [2]: no fire, but the pattern matched, as the guard shows.
    const seen: number[] = [];
    const guarded = [rule("sum{axis=1}(exp(x))", "exp(x)", dummy, (n) => (seen.push(n.attrs.axis as number), false))];
    apply(guarded, () => d.sum(d.exp(A()), 1));
    apply(guarded, () => d.sum(d.exp(A()), 1, true));
    apply(guarded, () => d.sum(d.exp(A()), 0));
    apply(guarded, () => d.sum(d.exp(A())));
    expect(seen).toEqual([1, 1]); // keepdims was not in the pattern; axis 0 and all-axes were refused
    expect(apply(rules, () => d.sum(d.exp(A()), 1)).out).toBeUndefined();
  });

  it("a guard can refuse a match; the next rule is tried", () => {
    const rules = [rule("neg(x)", "x", "never", () => false), rule("neg(x)", "mul(-1, x)", "−x → (−1)·x")];
    const r = apply(rules, () => d.neg(A()));
    expect(r.fired).toEqual(["−x → (−1)·x"]);
    expect(show(r.out!)).toBe("mul(-1, A)");
  });

  it("c:const binds only a rank-0 constant", () => {
    const rules = [rule("mul(c:const, x)", "x", "drop the constant")];
    expect(show(apply(rules, () => d.mul(3, A())).out!)).toBe("A");
    expect(apply(rules, () => d.mul(d.param("s", []), A())).out).toBeUndefined(); // a scalar, not a constant
    expect(apply(rules, () => d.mul(d.constant([2, 2, 2]), A())).out).toBeUndefined(); // a constant, not rank 0
    expect(rule("mul(c:const, x)", "x", dummy).from).toMatchObject({ args: [{ kind: "var", name: "c", scalar: true, constant: true }, { kind: "var", name: "x" }] });
  });

  it("a replacement may be a function of the bindings and the node; undefined declines", () => {
    const doubled = rule("mul(c:const, x)", (env) => d.mul(2 * (env.get("c")!.attrs.value as number), env.get("x")!), "c·x → (2c)·x");
    expect(show(apply([doubled], () => d.mul(3, A())).out!)).toBe("mul(6, A)");
    let seenNode = "";
    const declining = rule("exp(x)", (_env, n) => ((seenNode = show(n)), undefined), "never");
    const r = apply([declining, rule("exp(x)", "x", "eˣ → x")], () => d.exp(A()));
    expect(seenNode).toBe("exp(A)");
    expect(r.fired).toEqual(["eˣ → x"]);
  });

  it("a commutative rule also matches its mirror image and keeps the node's operand order", () => {
    const rules = [rule("mul(neg(x), y)", "neg(mul(x, y))", "(−x)·y → −(x·y)", { commutative: true })];
    const left = apply(rules, () => d.mul(d.neg(A()), B()));
    const right = apply(rules, () => d.mul(A(), d.neg(B())));
    expect(show(left.out!)).toBe("neg(mul(A, B))");
    expect(show(right.out!)).toBe("neg(mul(A, B))");
    expect(right.fired).toEqual(["(−x)·y → −(x·y)"]);
    // The mirror swaps add's operands in the replacement too: (−y) + x → x − y.
    const sub = [rule("add(x, neg(y))", "sub(x, y)", "x + (−y) → x − y", { commutative: true })];
    expect(show(apply(sub, () => d.add(d.neg(A()), B())).out!)).toBe("sub(B, A)");
    // Without the mark, the other order is not matched.
    expect(apply([rule("mul(neg(x), y)", "neg(mul(x, y))", dummy)], () => d.mul(A(), d.neg(B()))).out).toBeUndefined();
    // Nested commutative ops are all mirrored: c·(d·x) also matches (x·d)·c.
    const nested = [rule("mul(c:const, mul(d:const, x))", "x", "drop both", { commutative: true })];
    expect(show(apply(nested, () => d.mul(d.mul(A(), 2), 3)).out!)).toBe("A");
    expect(apply(nested, () => d.mul(d.mul(2, A()), 3)).out).toBeUndefined(); // a mixed order needs its own line
  });

  it("marking a rule commutative that has nothing to mirror is an error", () => {
    expect(() => rule("exp(x)", "x", dummy, { commutative: true })).toThrow(/^rule "exp\(x\)": marked commutative, but it has no add or mul whose operands differ$/);
    expect(() => rule("mul(x, x)", "square(x)", dummy, { commutative: true })).toThrow(/marked commutative/);
  });

  it("the guard sees the matched node and the bindings", () => {
    let seen: [string, string] | undefined;
    const rules = [rule("add(x, exp(y))", "x", dummy, (n, env) => ((seen = [n.op, `${show(env.get("x")!)},${show(env.get("y")!)}`]), false))];
    apply(rules, () => d.add(A(), d.exp(B())));
    expect(seen).toEqual(["add", "A,B"]);
  });
});

describe("applyRules: arity", () => {
  it("a pattern matches only a node with as many operands as it has", () => {
    const other = [rule("concat(x, y)", (_env, n) => d.param("P", n.shape as number[]), "concat → P")];
    const two = apply(other, () => ix.concat([A(), B()], 1));
    expect(two.fired).toEqual(["concat → P"]);
    const three = apply(other, () => ix.concat([A(), B(), d.param("C", [2, 3])], 1));
    expect(three.out).toBeUndefined();
    expect(three.fired).toEqual([]);
  });
});

describe("applyRules: shapes", () => {
  it("a replacement smaller than the node is broadcast back", () => {
    const r = apply([rule("add(x, broadcastTo(y))", "add(x, y)", dummy)], () => d.add(d.param("s", []), d.broadcastTo(d.param("b", [3]), [2, 3])));
    expect(show(r.out!)).toBe("broadcastTo{shape=[2,3]}(add(s, b))");
    expect(r.out!.shape).toEqual([2, 3]);
  });

  it("a replacement of another size does not fire", () => {
    const r = apply([rule("sum(x)", "x", "Σx → x")], () => d.sum(A()));
    expect(r.out).toBeUndefined();
    expect(r.fired).toEqual([]);
  });

  it("a replacement its own shape rule refuses is skipped, and the next rule wins", () => {
    const rules = [rule("add(x, y)", "matmul(x, y)", "refused"), rule("add(x, y)", "add(y, x)", "swap")];
    const r = apply(rules, () => d.add(A(), d.param("b", [3])));
    expect(r.fired).toEqual(["swap"]);
    expect(show(r.out!)).toBe("add(b, A)");
  });

  it("a reshape's replacement of the same size is reshaped back to the node's shape", () => {
    const r = apply([rule("reshape(exp(x))", "neg(x)", "exp → neg")], () => d.reshape(d.exp(A()), [3, 2]));
    expect(r.fired).toEqual(["exp → neg"]);
    expect(show(r.out!)).toBe("reshape{shape=[3,2]}(neg(A))");
    expect(r.out!.shape).toEqual([3, 2]);
  });

  it("a replacement of the same size does not fit a node that is not a reshape: equal sizes are no evidence the values line up", () => {
    const r = apply([rule("transpose(x)", "x", "drop the transpose")], () => d.transpose(A()));
    expect(r.out).toBeUndefined();
    expect(r.fired).toEqual([]);
  });

  it("a reshape's replacement fits only with as many batch dimensions as the node", () => {
    // [batch, 3, 2] and [batch, 6]: the same static size (6) and one batch dimension each → reshaped.
    const one = apply([rule("reshape(x)", () => d.input("y", ["batch", 3, 2]), "to y")], () => d.reshape(d.input("x", ["batch", 2, 3]), ["batch", 6]));
    expect(one.fired).toEqual(["to y"]);
    expect(show(one.out!)).toBe('reshape{shape=["batch",6]}(y)');
    // [6, 1] has the static size 6 too, but no batch dimension: its size is not the node's.
    const none = apply([rule("reshape(x)", () => d.param("p", [6, 1]), "to p")], () => d.reshape(d.input("x", ["batch", 2, 3]), ["batch", 6]));
    expect(none.out).toBeUndefined();
    expect(none.fired).toEqual([]);
    // Another static size (the same number of batch dimensions) does not fit either.
    const other = apply([rule("reshape(x)", () => d.input("y", ["batch", 4]), "to y")], () => d.reshape(d.input("x", ["batch", 2, 3]), ["batch", 6]));
    expect(other.out).toBeUndefined();
  });

  it("a replacement equal to the node itself is not a change", () => {
    const r = apply([rule("exp(x)", "exp(x)", "identity")], () => d.exp(A()));
    expect(r.out).toBeUndefined();
    expect(r.fired).toEqual([]);
  });
});

describe("rewritePass", () => {
  const negModel = () =>
    traced(() => {
      const W = d.param("W", [2, 2]);
      const out = d.neg(W);
      return { loss: d.sum(d.mul(out, d.constant([[1, 2], [3, 4]]))), outputs: { out } };
    });

  it("terminates on rules that undo each other, after maxRounds rounds", () => {
    const flipFlop = [rule("neg(x)", "mul(-1, x)", "−x → (−1)·x"), rule("mul(-1, x)", "neg(x)", "(−1)·x → −x")];
    const g = negModel();
    const r = runPass(rewritePass(flipFlop), g);
    expect(r.changes).toBe(20); // the default bound, one firing per round
    expect(r.notes).toHaveLength(20);
    expect(show(outputOf(r.graph, "out"))).toBe("neg(W)"); // an even number of flips
    expectPreserved(g, r.graph);
    const odd = runPass(rewritePass(flipFlop, 3), g);
    expect(odd.changes).toBe(3);
    expect(show(outputOf(odd.graph, "out"))).toBe("mul(-1, W)");
    expectPreserved(g, odd.graph);
  });

  it("terminates on a rule that undoes itself (commutation)", () => {
    const g = negModel();
    const r = runPass(rewritePass([rule("mul(x, y)", "mul(y, x)", "swap")], 5), g);
    expect(r.changes).toBe(5);
    expect(show(r.graph.loss!)).toBe("sum(mul(C[2,2], neg(W)))");
    expectPreserved(g, r.graph);
  });

  it("applies rules bottom-up within a round, so a chain of matches needs one round", () => {
    const g = traced(() => {
      const W = d.param("W", [2]);
      const out = d.neg(d.neg(d.neg(d.neg(d.neg(d.neg(W))))));
      return { loss: d.sum(out), outputs: { out } };
    });
    const r = runPass(rewritePass([rule("neg(neg(x))", "x", "−(−x) → x")], 1), g);
    expect(show(outputOf(r.graph, "out"))).toBe("W");
    expect(r.changes).toBe(3);
    expect(r.notes).toEqual(Array(3).fill("−(−x) → x"));
    expectPreserved(g, r.graph);
  });

  it("rewrites what a replacement builds in the next round, and stops when a round changes nothing", () => {
    // (−A)·(−B) → −(A·(−B)) [round 1] → −(−(A·B)) → A·B [round 2]; round 3 finds nothing.
    const rules = [
      rule("mul(neg(x), y)", "neg(mul(x, y))", "(−x)·y → −(x·y)"),
      rule("mul(x, neg(y))", "neg(mul(x, y))", "x·(−y) → −(x·y)"),
      rule("neg(neg(x))", "x", "−(−x) → x"),
    ];
    const g = traced(() => {
      const out = d.mul(d.neg(d.param("A", [2])), d.neg(d.param("B", [2])));
      return { loss: d.sum(d.exp(out)), outputs: { out } };
    });
    const one = runPass(rewritePass(rules, 1), g);
    expect(show(outputOf(one.graph, "out"))).toBe("neg(mul(A, neg(B)))");
    expect(one.changes).toBe(1);
    const two = runPass(rewritePass(rules, 2), g);
    expect(show(outputOf(two.graph, "out"))).toBe("mul(A, B)");
    expect(two.notes).toEqual(["(−x)·y → −(x·y)", "x·(−y) → −(x·y)", "−(−x) → x"]);
    const all = runPass(rewritePass(rules), g);
    expect(all.changes).toBe(3);
    expect(all.notes).toEqual(two.notes);
    for (const r of [one, two, all]) expectPreserved(g, r.graph);
  });

  it("with no rules, the graph is rebuilt unchanged", () => {
    const g = negModel();
    const r = runPass(rewritePass([]), g);
    expect(r.changes).toBe(0);
    expect(r.notes).toEqual([]);
  });
});
