// The README's custom-gradient example (the ```ts gradients block) compiles, and `gradc check` says of it
// what the README says: W2 passes, W1 (behind a straight-through estimator) fails.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkFile } from "../../compiler/check.js";

const readme = readFileSync("README.md", "utf8");
const block = /^```ts gradients\n([^]*?)^```$/m.exec(readme)?.[1];

describe("README: custom gradients", () => {
  it("the example's gradient check passes W2 and fails W1, as the README says", async () => {
    expect(block).toBeDefined();
    expect(readme).toContain("`gradc check` (below) passes W2 and fails W1 on this model");
    const dir = mkdtempSync(path.join(os.tmpdir(), "gradc-readme-"));
    try {
      const file = path.join(dir, "model.ts");
      writeFileSync(file, block!);
      const r = await checkFile(file);
      expect(r.params.map((p) => [p.name, p.ok])).toEqual([["W1", false], ["W2", true]]);
      // the estimator's gradient is not zero (the true derivative is 0 almost everywhere)
      expect(r.params[0]!.worst[0]!.numeric).toBe(0);
      expect(r.params[0]!.worst[0]!.analytic).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
