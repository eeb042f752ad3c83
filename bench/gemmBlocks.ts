// Which register block the blocked GEMM should use, by measurement: compiles the workloads' models with
// each candidate block (rows × columns of C kept in locals), then times their training steps with
// bench/ab.ts (one process per workload, modules interleaved, CPU-time medians).
//
//   node --import ./scripts/register-ts.js bench/gemmBlocks.ts [W3 W4 W5] [--rounds 9] [--ms 400]
//
// The default (compiler/ops/matmul.ts GEMM_ROWS × GEMM_COLS) is the one this measured best; the
// numbers of the run it was chosen on are in bench/RESULTS.md.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { runtimeSpecifierFor } from "../compiler/cli.js";
import { compileFile } from "../compiler/compile.js";
import { WORKLOADS } from "./workloads.js";

const BLOCKS = [
  [4, 4],
  [2, 4],
  [4, 2],
  [2, 8],
  [4, 8],
  [8, 4],
  [3, 4],
  [3, 8],
  [6, 4],
  [3, 6],
] as const;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: "string", default: "9" }, ms: { type: "string", default: "400" } },
});
const ids = positionals.length ? positionals.map((p) => p.toUpperCase()) : ["W3", "W4"];
const out = path.resolve("bench/.out/gemm");
mkdirSync(out, { recursive: true });
for (const id of ids) {
  const w = WORKLOADS.find((x) => x.id === id);
  if (!w) throw new Error(`unknown workload ${id}`);
  const files: string[] = [];
  for (const [rows, cols] of BLOCKS) {
    const file = path.join(out, `${id.toLowerCase()}.block${rows}x${cols}.gen.ts`);
    const runtime = runtimeSpecifierFor(file);
    const { code } = await compileFile(w.model, { dtype: "f32", gemmBlock: { rows, cols }, ...(runtime ? { runtime } : {}) });
    writeFileSync(file, code);
    files.push(file);
  }
  const r = spawnSync(process.execPath, ["--import", "./scripts/register-ts.js", "bench/ab.ts", id, ...files, "--rounds", values.rounds!, "--ms", values.ms!], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  process.stdout.write(r.stdout);
}
