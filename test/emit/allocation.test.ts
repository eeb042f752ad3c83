// A training step allocates no arrays: workspaces are created once per batch size, inputs of the
// module's array type are used as they are, and the optimizer updates in place. Measured over 10,000
// steps in a plain Node process (allocationProbe.ts): the heap after a full collection stays flat, and
// the heap used with no collection in between grows by less than 256 bytes a step — V8 may box a few
// numbers (the loss `step` returns), while an array or object per step would show as far more.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runtimeSpecifierFor } from "../../compiler/cli.js";
import { compileFile } from "../../compiler/compile.js";

const dir = mkdtempSync(path.join(tmpdir(), "gradc-alloc-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("allocation", () => {
  for (const [example, dtype, optimizer, batch] of [
    ["simple", "f64", { kind: "adam", lr: 1e-3 }, 3],
    ["xor", "f32", { kind: "sgd", lr: 0.1, momentum: 0.9, nesterov: true }, 4],
    ["mnist-mlp", "f32", { kind: "adamw", lr: 1e-3 }, 1],
  ] as const) {
    it(`${example} (${dtype}): the heap stays flat over 10,000 steps`, async () => {
      const file = path.join(dir, `${example}.gen.ts`);
      const runtime = runtimeSpecifierFor(file);
      const { code } = await compileFile(`examples/${example}/model.ts`, { dtype, ...(runtime ? { runtime } : {}) });
      writeFileSync(file, code);
      const r = spawnSync(process.execPath, ["--expose-gc", "--import", "./scripts/register-ts.js", "test/emit/allocationProbe.ts", file, JSON.stringify(optimizer), String(batch)], {
        encoding: "utf8",
        timeout: 240_000,
      });
      expect(r.status, r.stderr).toBe(0);
      const { perStep, retained } = JSON.parse(r.stdout) as { perStep: number; retained: number };
      expect(retained).toBeLessThan(64 * 1024);
      expect(perStep).toBeLessThan(256);
    }, 300_000); // the probe's own limit is 240 s; vitest's default 60 s is too short on a loaded machine
  }
});
