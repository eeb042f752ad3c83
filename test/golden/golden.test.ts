// The committed generated modules (examples/*/model.gen.ts and test/golden/*.gen.ts, listed in
// scripts/golden-targets.js) must be exactly what the compiler emits today, and emitting must be
// deterministic. When the compiler's output changes on purpose: `npm run golden`, then review the diff.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/compile.js";
import { goldenTargets, type GoldenTarget } from "../../scripts/golden-targets.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const targets = goldenTargets();

// One compilation per (model, dtype, batch); several committed files may hold the same one.
const groups = new Map<string, GoldenTarget[]>();
for (const t of targets) {
  const key = `${t.model} --dtype ${t.dtype}${t.batch !== undefined ? ` --batch ${t.batch}` : ""}`;
  groups.set(key, [...(groups.get(key) ?? []), t]);
}

const compile = async (t: GoldenTarget) =>
  (await compileFile(path.join(root, t.model), { dtype: t.dtype, ...(t.batch !== undefined ? { batch: t.batch } : {}) })).code;

describe("golden generated modules", () => {
  for (const [key, group] of groups) {
    it(`${key} → ${group.map((t) => t.out).join(", ")}`, async () => {
      const first = await compile(group[0]!);
      // Under mutation testing (scripts/mutation.js sets GRADC_MUTATE) the text is compared with the
      // committed file only: every surviving mutant runs this test, and a second compilation would double
      // its time for a fault (an emitter that is not deterministic) that the comparison with the committed
      // file almost always catches on its own.
      if (process.env["GRADC_MUTATE"] === undefined) {
        const second = await compile(group[0]!);
        expect(second, `compiling ${key} twice gave different text: the emitter is not deterministic`).toBe(first);
      }
      for (const t of group) {
        const file = path.join(root, t.out);
        expect(existsSync(file), `${t.out} is missing: run npm run golden and review the diff`).toBe(true);
        const committed = readFileSync(file, "utf8");
        expect(committed, `${t.out} is not what the compiler emits for ${key}: run npm run golden and review the diff`).toBe(first);
      }
    });
  }

  it("test/golden holds no generated module that no target produces", () => {
    const wanted = new Set(targets.map((t) => path.normalize(t.out)));
    const stray = readdirSync(path.join(root, "test/golden"))
      .filter((f) => f.endsWith(".gen.ts"))
      .map((f) => path.join("test/golden", f))
      .filter((f) => !wanted.has(f));
    expect(stray, "stray golden files: run npm run golden (it deletes them) and review the diff").toEqual([]);
  });

  it("every example is covered: model.gen.ts and both dtypes", () => {
    for (const dir of readdirSync(path.join(root, "examples"))) {
      if (!existsSync(path.join(root, "examples", dir, "model.ts"))) continue;
      const mine = targets.filter((t) => t.model === `examples/${dir}/model.ts` && t.batch === undefined);
      expect(mine.map((t) => t.out)).toContain(`examples/${dir}/model.gen.ts`);
      expect(new Set(mine.map((t) => t.dtype))).toEqual(new Set(["f32", "f64"])); // the example's file covers its dtype
    }
  });
});
