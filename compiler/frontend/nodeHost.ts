// The frontend's host on Node (./host.ts): the model's files from disk, its code run by node:vm under
// its real path, packages through node's require, and the type-check through one ts-morph Project per
// process (lib files and the DSL's types are parsed once).
import { existsSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import { Project, type ts } from "ts-morph";
import { PRELUDE, type Host, type ModuleFunction } from "./hostInterface.js";

const projects = new Map<string, Project>();

export const host: Host = {
  readFile: (file) => readFileSync(file, "utf8"),
  stat: (file) => statSync(file),
  compileFunction: (code, params, file) => vm.compileFunction(code, [...params], { filename: file }) as ModuleFunction,
  packageRequire: (file) => createRequire(file),
  dslTypesFile(base) {
    const dir = fileURLToPath(new URL("../dsl/", import.meta.url));
    const order = import.meta.url.endsWith(".ts") ? [`${base}.ts`, `${base}.d.ts`] : [`${base}.d.ts`, `${base}.ts`];
    for (const f of order) if (existsSync(path.join(dir, f))) return path.join(dir, f);
    throw new Error(`internal: no gradc DSL types (${base}.ts or ${base}.d.ts) in ${dir}`);
  },
  nodeTypes(from) {
    for (const f of [...from, fileURLToPath(import.meta.url)]) {
      try {
        return path.dirname(createRequire(f).resolve("@types/node/package.json"));
      } catch {
        // not installed there
      }
    }
    return null;
  },
  program(files, options, nodeTypes) {
    const p = project(options, nodeTypes);
    const sfs = [...files].map(([file, text]) => p.createSourceFile(file, text, { overwrite: true }));
    return { program: p.getProgram().compilerObject, release: () => sfs.forEach((sf) => p.removeSourceFile(sf)) };
  },
};

/** One Project per process (and per need of node's types): the compiler options never change within one. */
function project(options: ts.CompilerOptions, nodeTypes: string | null): Project {
  const key = nodeTypes ?? "";
  let p = projects.get(key);
  if (p) return p;
  p = new Project({
    skipAddingFilesFromTsConfig: true,
    compilerOptions: { ...options, types: nodeTypes ? ["node"] : [], ...(nodeTypes ? { typeRoots: [path.dirname(nodeTypes)] } : {}) },
  });
  if (!nodeTypes) p.createSourceFile(path.join(path.dirname(host.dslTypesFile("index")), "__gradc_prelude__.d.ts"), PRELUDE, { overwrite: true });
  projects.set(key, p);
  return p;
}
