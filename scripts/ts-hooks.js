// Node module-customization hooks (module.register, Node 20.6+) that let plain `node` run this repo's
// TypeScript: examples/*/main.ts, their generated model.gen.ts, and the compiler's own sources.
//
//   resolve: `./x.js` that does not exist on disk → `./x.ts` (TypeScript's NodeNext convention of
//            writing the emitted name in imports), likewise `.mjs` → `.mts`.
//   load:    `.ts` / `.mts` files are transpiled on the fly with TypeScript's transpileModule (types and
//            imports used only as types are erased; nothing is type-checked: run tsc for that) into ES
//            modules with an inline source map, so that stack traces point at .ts lines once source
//            maps are enabled (register-ts.js enables them).
//
// Install with `node --import ./scripts/register-ts.js file.ts`. These hooks run on Node's loader
// thread; the TypeScript compiler (bundled in ts-morph, a runtime dependency) is loaded once there.
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ts } from "ts-morph";

const TS_EXT = /\.m?ts$/;

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    // Only relative or file: specifiers naming a missing .js/.mjs get a second try as .ts/.mts.
    const local = specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("file:");
    if (error?.code !== "ERR_MODULE_NOT_FOUND" || !local || !/\.m?js$/.test(specifier)) throw error;
    const tsSpecifier = specifier.replace(/js$/, "ts");
    const url = new URL(tsSpecifier, context.parentURL ?? pathToFileURL(`${process.cwd()}/`)); // no parent: the entry point
    if (!existsSync(fileURLToPath(url))) throw error;
    return nextResolve(tsSpecifier, context);
  }
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith("file:") || !TS_EXT.test(new URL(url).pathname)) return nextLoad(url, context);
  const file = fileURLToPath(url);
  const source = await readFile(file, "utf8");
  const out = ts.transpileModule(source, {
    fileName: file,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      inlineSourceMap: true,
      inlineSources: true,
    },
  });
  return { format: "module", source: out.outputText, shortCircuit: true };
}
