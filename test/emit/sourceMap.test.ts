// Source maps: with --source-map, a stack trace through generated code resolves (through the map)
// to the model.ts expression the failing statement implements.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../compiler/cli.js";
import { SourceMap } from "../../compiler/frontend/sourceMap.js";
import { encodeVlq } from "../../compiler/emit/sourceMap.js";
import { decodeVlq } from "../../compiler/frontend/sourceMap.js";

const dir = mkdtempSync(path.join(tmpdir(), "gradc-map-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("source maps", () => {
  it("VLQ encoding round-trips", () => {
    for (const v of [0, 1, -1, 15, 16, -16, 31, 32, 1000, -12345, 2 ** 20]) expect(decodeVlq(encodeVlq(v))).toEqual([v]);
  });

  it("a throw inside a kernel resolves to the model.ts line of its expression", async () => {
    copyFileSync("examples/xor/model.ts", path.join(dir, "model.ts"));
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => void process.stderr.write(s) }, cwd: dir };
    expect(await main(["compile", "model.ts", "-o", "model.gen.ts", "--dtype", "f64", "--source-map"], io)).toBe(0);
    const code = readFileSync(path.join(dir, "model.gen.ts"), "utf8");
    expect(code.trimEnd().endsWith("//# sourceMappingURL=model.gen.ts.map")).toBe(true);
    const map = SourceMap.parse(readFileSync(path.join(dir, "model.gen.ts.map"), "utf8"));
    expect(JSON.parse(readFileSync(path.join(dir, "model.gen.ts.map"), "utf8")).sources).toEqual(["model.ts"]);

    // Math.tanh throws: the stack's frame in model.gen.ts is inside the kernel h = tanh(x·W1 + b1).
    writeFileSync(
      path.join(dir, "run.ts"),
      [
        'import { initParams, lossAndGrad } from "./model.gen.js";',
        'Math.tanh = () => { throw new Error("boom"); };',
        "try { lossAndGrad(initParams(0), { x: [0, 1], y: [1] }); } catch (e) {",
        '  const frame = String((e as Error).stack).split("\\n").find((l) => l.includes("model.gen.ts:"))!;',
        "  console.log(/model\\.gen\\.ts:(\\d+):(\\d+)/.exec(frame)!.slice(1).join(\":\"));",
        "}",
      ].join("\n"),
    );
    const r = spawnSync(process.execPath, ["--import", path.resolve("scripts/register-ts.js"), "run.ts"], { cwd: dir, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const [line, col] = r.stdout.trim().split(":").map(Number) as [number, number];
    expect(code.split("\n")[line - 1]).toContain("Math.tanh");
    const origin = map.originalPosition(line - 1, col - 1)!;
    const modelLines = readFileSync(path.join(dir, "model.ts"), "utf8").split("\n");
    expect(modelLines[origin.line]).toContain("tanh(add(matmul(x, W1), b1))");
    expect(modelLines[origin.line]!.slice(origin.col)).toMatch(/^tanh\(/);
  });
});
