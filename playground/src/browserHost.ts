// The frontend's host in a browser (compiler/frontend/hostInterface.ts): playground/build.mjs bundles this file in
// place of compiler/frontend/nodeHost.ts. The model is one file, /model.ts, given as text; there is no
// disk, so reading any other file fails as a missing file does on Node (an import of ./layers.js is a
// located GC1002). The model's code runs through eval with a sourceURL naming its file, so the stack
// frames the compiler locates errors by read `/model.ts:LINE:COL`, as node:vm's do. The type-check is
// an in-memory TypeScript compiler host over the DSL's declarations and the ES2022 library, both bundled
// as text (virtual:types, made by the build); their parsed files are kept between compiles.
import { ts } from "ts-morph";
import typeFiles from "virtual:types";
import { PRELUDE, type Host, type ModuleFunction } from "../../compiler/frontend/hostInterface.js";

/** Where the bundled declarations live in the in-memory file system. */
const DSL_DIR = "/gradc/compiler/dsl/";
const LIB_DIR = "/lib/";
const PRELUDE_FILE = `${DSL_DIR}__gradc_prelude__.d.ts`;
const FILES: ReadonlyMap<string, string> = new Map([...Object.entries(typeFiles as Record<string, string>), [PRELUDE_FILE, PRELUDE]]);

function missing(file: string): Error {
  return Object.assign(new Error(`ENOENT: no such file or directory, open '${file}' (the playground has model.ts only)`), { code: "ENOENT" });
}

const isDirectory = (dir: string): boolean => {
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  for (const f of FILES.keys()) if (f.startsWith(prefix)) return true;
  return false;
};

/** Library and DSL files parsed once: they never change. */
const parsed = new Map<string, ts.SourceFile>();

export const host: Host = {
  readFile(file) {
    const text = FILES.get(file);
    if (text === undefined) throw missing(file);
    return text;
  },
  stat(file) {
    if (FILES.has(file)) return { isFile: () => true, isDirectory: () => false };
    if (isDirectory(file)) return { isFile: () => false, isDirectory: () => true };
    throw missing(file);
  },
  compileFunction(code, params, file) {
    // Indirect eval runs in the global scope; the wrapper shares the code's first line (transpiled
    // CommonJS starts with "use strict"), so every line keeps its number.
    return (0, eval)(`(function (${params.join(", ")}) {${code}\n})\n//# sourceURL=${file}`) as ModuleFunction;
  },
  packageRequire() {
    const refuse = (spec: string): never => {
      throw new Error(`cannot import "${spec}" in the playground: a model here imports "gradc" and "gradc/layers" only`);
    };
    return Object.assign(refuse, { resolve: refuse });
  },
  dslTypesFile: (base) => `${DSL_DIR}${base}.d.ts`,
  nodeTypes: () => null,
  program(files, options, nodeTypes) {
    if (nodeTypes) throw new Error("internal: no node types in the playground");
    const read = (f: string) => files.get(f) ?? FILES.get(f);
    const compilerHost: ts.CompilerHost = {
      getSourceFile(fileName, languageVersion) {
        const own = files.get(fileName);
        if (own !== undefined) return ts.createSourceFile(fileName, own, languageVersion, true);
        let sf = parsed.get(fileName);
        if (!sf) {
          const text = FILES.get(fileName);
          if (text === undefined) return undefined;
          sf = ts.createSourceFile(fileName, text, languageVersion, true);
          parsed.set(fileName, sf);
        }
        return sf;
      },
      getDefaultLibFileName: () => `${LIB_DIR}lib.es2022.d.ts`,
      getDefaultLibLocation: () => LIB_DIR,
      writeFile: () => {},
      getCurrentDirectory: () => "/",
      getCanonicalFileName: (f) => f,
      useCaseSensitiveFileNames: () => true,
      getNewLine: () => "\n",
      fileExists: (f) => read(f) !== undefined,
      readFile: read,
      directoryExists: (d) => isDirectory(d) || [...files.keys()].some((f) => f.startsWith(d.endsWith("/") ? d : `${d}/`)),
      getDirectories: () => [],
    };
    const program = ts.createProgram({ rootNames: [...files.keys(), PRELUDE_FILE], options: { ...options, types: [] }, host: compilerHost });
    return { program, release: () => {} };
  },
};
