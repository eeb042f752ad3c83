// A module compiled into a directory that cannot resolve "gradc/runtime" imports this installation's
// runtime by a relative path instead, so it runs wherever it was written.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runtimeSpecifierFor } from "../../compiler/cli.js";

const outside = mkdtempSync(path.join(tmpdir(), "gradc-runtime-"));
afterAll(() => rmSync(outside, { recursive: true, force: true }));

describe("runtime import of generated modules", () => {
  it("is the package name inside this package", () => {
    expect(runtimeSpecifierFor(path.resolve("examples/simple/model.gen.ts"))).toBeUndefined();
  });
  it("is a relative path to the built runtime elsewhere", () => {
    const built = path.resolve("dist/runtime/index.js");
    expect(existsSync(built)).toBe(true); // built before every test run (test/globalSetup.ts, test/dist.test.ts)
    const spec = runtimeSpecifierFor(path.join(outside, "model.gen.ts"));
    expect(spec).toMatch(/^\.{1,2}\//);
    expect(path.resolve(outside, spec!)).toBe(built);
  });
});
