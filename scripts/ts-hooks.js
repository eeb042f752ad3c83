// Node module-customization hooks (module.register, Node 20.6+) that let plain `node` run this repo's
// TypeScript: examples/*/main.ts, their generated model.gen.ts, and the compiler's own sources.
//
//   resolve: `./x.js` that does not exist on disk → `./x.ts` (TypeScript's NodeNext convention of
//            writing the emitted name in imports), likewise `.mjs` → `.mts`.
//   load:    `.ts` / `.mts` files are transpiled on the fly with TypeScript's transpileModule (types and
//            imports used only as types are erased; nothing is type-checked: run tsc for that) into ES
//            modules with an inline source map, so that stack traces point at .ts lines once source
//            maps are enabled (register-ts.js enables them). A file that names a map of its own (a
//            module `gradc compile --source-map` wrote: model.gen.ts.map, to model.ts) gets the two
//            maps composed, so its frames name model.ts lines: Node follows one map, never a chain.
//
// Install with `node --import ./scripts/register-ts.js file.ts`. These hooks run on Node's loader
// thread; the TypeScript compiler (bundled in ts-morph, a runtime dependency) is loaded once there.
import { readFile } from "node:fs/promises";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
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
  const own = ownSourceMap(file, source);
  if (!own) return { format: "module", source: out.outputText, shortCircuit: true };
  const inline = /\n\/\/# sourceMappingURL=data:application\/json;base64,(\S+)\s*$/.exec(out.outputText);
  if (!inline) throw new Error(`ts-hooks: no inline source map in the transpiled ${file}`);
  const { composeSourceMaps } = await import("../dist/compiler/frontend/composeSourceMaps.js");
  const transpiled = JSON.parse(Buffer.from(inline[1], "base64").toString("utf8"));
  const composed = composeSourceMaps({ ...transpiled, sources: [pathToFileURL(file).href] }, own);
  const map = Buffer.from(JSON.stringify(composed)).toString("base64");
  return { format: "module", source: `${out.outputText.slice(0, inline.index)}\n//# sourceMappingURL=data:application/json;base64,${map}\n`, shortCircuit: true };
}

/** The map a .ts file names itself (`//# sourceMappingURL=model.gen.ts.map`, a file beside it), its sources made absolute; else null. */
function ownSourceMap(file, source) {
  const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(source)?.[1];
  if (!url || url.startsWith("data:")) return null;
  const mapFile = path.resolve(path.dirname(file), decodeURI(url));
  if (!existsSync(mapFile)) return null;
  const map = JSON.parse(readFileSync(mapFile, "utf8"));
  return { ...map, sources: map.sources.map((s) => pathToFileURL(path.resolve(path.dirname(mapFile), s)).href) };
}
