// compiler/emit/deadLocals.ts: a pass's `const` locals nothing reads go, with what only they read;
// everything that might be read or might do something stays.
import { describe, expect, it } from "vitest";
import { dropDeadLocals } from "../../compiler/emit/deadLocals.js";
import * as d from "../../compiler/dsl/index.js";
import * as ix from "../../compiler/dsl/indexing.js";
import { model } from "../../compiler/dsl/model.js";
import { compileAndImport } from "../helpers/compiled.js";

const kept = (lines: string[]) => dropDeadLocals(lines);

describe("dropDeadLocals", () => {
  it("drops an unread local and, in turn, the locals only it read", () => {
    const lines = ["for (let i = 0; i < n; i++) {", "  const a = x[i * 2]! * W[0]!;", "  const b = a + 1;", "  const c = x[i * 2 + 1]!;", "  y[i] = c;", "}"];
    expect(kept(lines)).toEqual(["for (let i = 0; i < n; i++) {", "  const c = x[i * 2 + 1]!;", "  y[i] = c;", "}"]);
  });

  it("keeps a local that is written through, returned or read in a condition", () => {
    const lines = ["const h = ws.h;", "h[0] = 1;", "const loss = s / n;", "return loss;", "const t = u > 0 ? 1 : 0;", "if (t === 1) s += 1;"];
    expect(kept(lines)).toEqual(lines);
  });

  it("a member's property is not a read of the local of that name", () => {
    expect(kept(["const h = ws.h;", "const g = ws.g;", "g[0] = ws.h[0]!;"])).toEqual(["const g = ws.g;", "g[0] = ws.h[0]!;"]);
  });

  it("a mention in a comment or a string keeps nothing alive", () => {
    expect(kept(["// a = x·W", "const a = x[0]!;", 'label("a"); // a'])).toEqual(["// a = x·W", 'label("a"); // a']);
    expect(kept(["const b = x[0]!;", "const c = x[1]!;", "label('b', `c`);"])).toEqual(["label('b', `c`);"]);
    // …and a name after a string (of odd length, with an escaped quote) is still read.
    const after = ["const b = x[0]!;", "const c = x[1]!;", 'f("a", b);', "g('it\\'s', c);"];
    expect(kept(after)).toEqual(after);
  });

  it("computing it must have no effect: a call other than Math's, an assignment or a template literal stays", () => {
    const stays = ["const at = GEMM.product(4, 4, 4, a, 4, 1, b, 4);", "const r = rng.uniform();", "const q = (s = 2);", "const z = (k++);", 'const m = f("x");', "const t = `${a}`;", "let acc = 0;"];
    expect(kept(stays)).toEqual(stays);
    expect(kept(["const e = Math.exp(-x[0]!);", "const f = Math.fround(e * 2);", 'const W = params["W"];', 'const s = o["f(x) = 1"];'])).toEqual([]);
  });

  it("comparisons are not assignments", () => {
    expect(kept(["const a = x[0]! === 0 ? 1 : x[0]! <= 2 ? 2 : x[0]! !== 3 ? 3 : 4;"])).toEqual([]);
  });

  it("a name declared in two blocks goes only when neither is read", () => {
    const lines = ["{", "const mem = E.mem;", "out[0] = mem[0]!;", "}", "{", "const mem = E.mem;", "}"];
    expect(kept(lines)).toEqual(lines);
    expect(kept(["{", "const mem = E.mem;", "}", "{", "const mem = E.mem;", "}"])).toEqual(["{", "}", "{", "}"]);
  });

  it("is linear: a chain of 100,000 locals, each read only by the next, goes at once", () => {
    const lines = ["const v0 = x[0]!;", ...Array.from({ length: 100_000 }, (_, k) => `const v${k + 1} = v${k} * 2;`)];
    expect(kept(lines)).toEqual([]); // a quadratic sweep would take minutes here
  });
});

describe("in a compiled module", () => {
  it("(x·W)[:, 1::2] computes the products of the columns the slice keeps, and no others", async () => {
    const sliced = model("sliced", () => {
      const W = d.param("W", [2, 5]);
      const x = d.input("x", ["batch", 2]);
      return { loss: d.mean(d.tanh(ix.slice(d.matmul(x, W), { start: 1, step: 2 }))) };
    });
    const { code: module } = await compileAndImport(sliced);
    for (const column of [1, 3]) expect(module).toContain(`W[${column}]!`);
    for (const column of [0, 2, 4]) expect(module).not.toContain(`W[${column}]!`);
  });
});
