// npm run golden: regenerates every committed generated module (the list is in golden-targets.js)
// with the built compiler, after rebuilding dist/ from the current sources.
//
//   npm run golden            then review: git diff -- examples test/golden
//
// It calls compileFile (compiler/compile.ts), the function both `gradc compile` and the golden test
// call, in one process: loading the compiler once makes this several times faster than one
// `node bin/gradc.js compile` per file. Files are written to a temporary name and renamed, as the CLI does.
//
// The emitted code is reviewed as a diff, like the TypeScript compiler's baselines: when a compiler
// change alters the output, test/golden/golden.test.ts fails until this is run and the diff is read.
// Generated files under test/golden/ that no target produces any more are deleted.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ensureBuilt, root } from "./common.js";
import { goldenTargets } from "./golden-targets.js";

const started = performance.now();
await ensureBuilt({ force: true });

const targets = goldenTargets();
const read = (rel) => (existsSync(path.join(root, rel)) ? readFileSync(path.join(root, rel), "utf8") : null);
const before = new Map(targets.map((t) => [t.out, read(t.out)]));

const { compileFile } = await import(pathToFileURL(path.join(root, "dist/compiler/compile.js")).href);
const results = [];
for (const t of targets) {
  try {
    const { code } = await compileFile(path.join(root, t.model), { dtype: t.dtype, ...(t.batch !== undefined ? { batch: t.batch } : {}) });
    writeAtomic(path.join(root, t.out), code);
    results.push({ ok: true });
  } catch (e) {
    results.push({ ok: false, message: e?.loc ? `${t.model}:${e.loc.line}:${e.loc.col} - error ${e.code}: ${e.message}` : String(e?.stack ?? e) });
  }
}

function writeAtomic(file, text) {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

let failed = 0;
let changed = 0;
targets.forEach((t, i) => {
  const flags = `--dtype ${t.dtype}${t.batch !== undefined ? ` --batch ${t.batch}` : ""}`;
  const what = `${t.out.padEnd(40)} ← ${t.model} ${flags}`;
  const r = results[i];
  if (!r.ok) {
    failed++;
    console.log(`FAILED   ${what}`);
    console.log(r.message.replace(/^/gm, "         "));
    return;
  }
  const old = before.get(t.out);
  const status = old === null ? "created" : old === read(t.out) ? "same" : "updated";
  if (status !== "same") changed++;
  console.log(`${status.padEnd(8)} ${what}`);
});

const wanted = new Set(targets.map((t) => path.normalize(t.out)));
for (const f of readdirSync(path.join(root, "test/golden"))) {
  const rel = path.join("test/golden", f);
  if (f.endsWith(".gen.ts") && !wanted.has(rel)) {
    rmSync(path.join(root, rel));
    changed++;
    console.log(`removed  ${rel} (no target produces it)`);
  }
}

const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`\n${targets.length - failed} of ${targets.length} modules written, ${changed} changed, in ${seconds} s.`);
if (changed) console.log("Review the changes: git diff -- examples test/golden");
if (failed) process.exitCode = 1;
