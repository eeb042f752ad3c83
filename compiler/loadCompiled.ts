// Running a generated module without writing it anywhere: the module text is transpiled and imported
// from a data: URL, importing this installation's built runtime by its file URL (a data: module cannot
// resolve "gradc/runtime"). Commands that compile in memory and run the result use it (gradc check).
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ts } from "ts-morph";

/** The file URL of this installation's built runtime (dist/runtime/index.js), for CompileOptions.runtime. */
export function builtRuntimeUrl(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // dist/compiler/loadCompiled.js → dist/runtime; compiler/loadCompiled.ts (from source) → dist/runtime
  for (const dir of [path.resolve(here, "../runtime"), path.resolve(here, "../dist/runtime")]) {
    if (existsSync(path.join(dir, "index.js"))) return pathToFileURL(path.join(dir, "index.js")).href;
  }
  throw new Error("gradc needs its built runtime (dist/runtime); run npm run build");
}

/** Imports generated TypeScript (compiled with `runtime: builtRuntimeUrl()`) from memory. */
export async function importCompiled<T>(code: string): Promise<T> {
  const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  return (await import(`data:text/javascript;base64,${Buffer.from(js).toString("base64")}`)) as T;
}
