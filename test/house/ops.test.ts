// One op, one object, one file: what an op file defines is what the registry lists, and the README's
// "Adding an op" example is the source as it is.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as d from "../../compiler/dsl/core.js";
import { createContext, withContext } from "../../compiler/ir/context.js";
import { allOps, getOp } from "../../compiler/ops/index.js";
import { opOf, type OpDef } from "../../compiler/ops/op.js";
import { softplus, softplusOp } from "../../compiler/ops/activations.js";

const opsDir = new URL("../../compiler/ops/", import.meta.url);
const isOp = (v: unknown): v is OpDef =>
  !!v && typeof v === "object" && typeof (v as OpDef).name === "string" && typeof (v as OpDef).kind === "string" && typeof (v as OpDef).shape === "function" && typeof (v as OpDef).eval === "function";

describe("the op registry", () => {
  it("lists every op object an op file exports, once, and nothing else", async () => {
    const defined: OpDef[] = [];
    for (const f of readdirSync(opsDir).filter((f) => f.endsWith(".ts") && f !== "index.ts")) {
      const mod = (await import(new URL(f, opsDir).href)) as Record<string, unknown>;
      for (const v of Object.values(mod)) if (isOp(v) && !defined.includes(v)) defined.push(v);
    }
    expect(defined.length).toBeGreaterThan(50);
    expect(defined.filter((o) => !allOps.includes(o)).map((o) => o.name)).toEqual([]);
    expect(allOps.filter((o) => !defined.includes(o)).map((o) => o.name)).toEqual([]);
    expect(new Set(allOps.map((o) => o.name)).size).toBe(allOps.length);
    for (const o of allOps) expect(getOp(o.name)).toBe(o);
    expect(() => getOp("softmaxx")).toThrow('unknown op "softmaxx"'); // a name from a bad graph is our bug, said at once
  });

  it("an op file's DSL function makes a node that carries the op object itself", () => {
    const node = withContext(createContext(), () => softplus(d.constant([1, -2])));
    expect(node.op).toBe("softplus");
    expect(node.def).toBe(softplusOp);
    expect(opOf(node)).toBe(softplusOp);
  });
});

describe("README: adding an op", () => {
  it("shows softplus as compiler/ops/activations.ts has it", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("- Adding an op is"));
    const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block, "the README's \"Adding an op\" has a ```ts block").toBeDefined();
    const source = readFileSync(new URL("activations.ts", opsDir), "utf8");
    const lines = block!.split("\n").map((l) => l.replace(/\s+\/\/ .*$/, "").trim()).filter((l) => l.length > 0);
    expect(lines.length).toBeGreaterThan(5);
    for (const l of lines) expect(source, `README line not in activations.ts: ${l}`).toContain(l);
  });
});
