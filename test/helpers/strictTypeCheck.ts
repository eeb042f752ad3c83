// Type-checks generated modules as a user's strict project would: every strictness flag that a
// project may reasonably turn on (DESIGN.md promises strict, noUncheckedIndexedAccess and
// exactOptionalPropertyTypes; the rest come for free), no lib beyond ES2022 (no DOM, no Node types:
// a module runs in a browser or a worker as well), and `gradc/runtime` resolved to the built
// declarations in dist/ (test/globalSetup.ts builds them), checked too (skipLibCheck off).
//
// One run of the repository's tsc over all the files at once (a child process: TypeScript 7 is a
// native compiler), so a test can check dozens of modules in a second or two.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

export const STRICT_OPTIONS = {
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  noImplicitOverride: true,
  noPropertyAccessFromIndexSignature: true,
  noImplicitReturns: true,
  noFallthroughCasesInSwitch: true,
  // A pass's parameter it does not read is named _n, _inputs, …; a local it does not read is not
  // declared (compiler/emit/deadLocals.ts: a slice that drops some of a row's products, (x·W)[:, 1::2]).
  noUnusedParameters: true,
  noUnusedLocals: true,
} as const;

export interface SourceFile {
  /** A file name for the messages (`mnist-mlp.f32.gen.ts`); made unique and safe here. */
  readonly name: string;
  readonly code: string;
}

/**
 * The errors tsc reports for `files` under STRICT_OPTIONS, one line each (the first line of each
 * message), naming the file as given (`name(line,col): error TSnnnn: …`); [] when every file type-checks.
 */
export function strictTypeErrors(files: readonly SourceFile[]): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), "gradc-strict-"));
  try {
    const names = new Map<string, string>();
    files.forEach((f, k) => {
      const safe = `${String(k).padStart(3, "0")}-${f.name.replace(/[^\w.-]+/g, "_").replace(/\.ts$/, "")}.ts`;
      names.set(safe, f.name);
      writeFileSync(path.join(dir, safe), f.code);
    });
    writeFileSync(path.join(dir, "package.json"), `${JSON.stringify({ type: "module" })}\n`);
    // Messages name the file as the caller did; messages about other files (the runtime's .d.ts) keep their path.
    return strictTypeErrorsIn(dir, [...names.keys()]).map((l) => {
      const file = /^([^(]+)\(/.exec(l)?.[1];
      return file !== undefined && names.has(file) ? `${names.get(file)}${l.slice(file.length)}` : l;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The errors tsc reports for `files` (relative to `dir`, where a tsconfig.json is written) under
 * STRICT_OPTIONS, `gradc/runtime` resolved as above: for files that must sit together (a consumer of a
 * generated module and its declarations).
 */
export function strictTypeErrorsIn(dir: string, files: readonly string[]): string[] {
  const compilerOptions = {
    ...STRICT_OPTIONS,
    target: "ES2022",
    lib: ["ES2022"],
    types: [],
    module: "NodeNext",
    moduleResolution: "NodeNext",
    noEmit: true,
    skipLibCheck: false,
    paths: { "gradc/runtime": [path.join(root, "dist/runtime/index.d.ts")] },
  };
  writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, files }));
  const tsc = path.join(root, "node_modules/typescript/bin/tsc");
  const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.json", "--pretty", "false"], { cwd: dir, encoding: "utf8" });
  if (r.error) throw r.error;
  const lines = `${r.stdout}${r.stderr}`.split("\n").filter((l) => /\berror TS\d+/.test(l)); // not the explanations indented below
  if (r.status !== 0 && lines.length === 0) throw new Error(`tsc exited with ${r.status} and reported no error:\n${r.stdout}${r.stderr}`);
  return lines;
}
