// The model's module graph: model.ts and the user's own TypeScript files it imports, transitively.
//
// A relative import (`import { dense } from "./layers.js"`) is resolved as TypeScript resolves it for
// the type-check (moduleResolution "bundler": ./layers.js, ./layers and ./layers.ts all name
// layers.ts), read, and followed. "gradc", "gradc/layers" and packages are not files of the model:
// the loader (load.ts) provides or guards them. Every problem is located at the import that causes it:
//   - a file that does not exist, or is not TypeScript (.js, .d.ts, .tsx): GC1002, as tsc's TS2307;
//   - an import cycle: GC1002, naming the cycle (the files run in order, like CommonJS, and one of a
//     cycle would see the other half-loaded); `import type` cycles are harmless and allowed;
//   - in gradc's box, a file outside the model's project folder: GC1003, worded by the box's guard.
// Tested through the CLI in test/cli/multiFile.test.ts.

import path from "node:path";
import { ts } from "ts-morph";
import { codes, GradcError } from "../diagnostics.js";
import { setAsideBulkLiterals, type SetAside } from "./bulkLiterals.js";
import { ModelSource } from "./source.js";
import { host } from "./host.js";

/** One of the model's files as the compiler works on it: its large number literals set aside (./bulkLiterals.ts). */
export interface UserFile {
  readonly src: ModelSource;
  readonly aside: SetAside | null;
}

/** Reads `text` as the file `file` of the model. */
export function openSource(file: string, text: string): UserFile {
  const aside = setAsideBulkLiterals(text);
  return { src: new ModelSource(file, aside?.text ?? text), aside };
}

export interface UserModule extends UserFile {
  /** Each relative import's specifier → the file it names. */
  readonly deps: ReadonlyMap<string, string>;
  /** The specifiers of `import type` / `export type` declarations only: they vanish when transpiled. */
  readonly typeOnly: ReadonlySet<string>;
}

export interface ModuleGraph {
  /** model.ts. */
  readonly root: string;
  /** Every file of the model, dependencies before the files that import them (model.ts last). */
  readonly modules: ReadonlyMap<string, UserModule>;
}

/** The extensions gradc compiles: TypeScript with code in it. */
const COMPILED = new Set<string>([ts.Extension.Ts, ts.Extension.Mts, ts.Extension.Cts]);

/** How the type-check resolves module specifiers (compiler/frontend/typecheck.ts uses the same options). */
export const RESOLUTION: ts.CompilerOptions = {
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  allowImportingTsExtensions: true,
  noEmit: true,
};

export const isRelative = (spec: string): boolean => spec.startsWith("./") || spec.startsWith("../") || spec === "." || spec === "..";

/**
 * Follows the relative imports of `root` (model.ts, already read) through the files on disk.
 * `describe` words a read the box refused (the guard's describe); throws located GradcErrors.
 */
export function moduleGraph(root: UserFile, describe?: (e: unknown) => string | undefined): ModuleGraph {
  const modules = new Map<string, UserModule>();
  const visit = ({ src, aside }: UserFile): void => {
    const deps = new Map<string, string>();
    const typeOnly = new Set<string>();
    modules.set(src.file, { src, aside, deps, typeOnly }); // placeholder while its imports load; re-inserted after them below
    for (const { decl, spec } of src.imports()) {
      const s = spec.text;
      if (!isRelative(s)) {
        if (path.isAbsolute(s) || s.startsWith("file:")) {
          throw new GradcError(codes.typecheck, `cannot import "${s}": import the model's own files by a relative path ("./layers.js"), so the project moves as a whole`, src.locOf(spec));
        }
        continue;
      }
      const file = resolve(s, src, describe);
      deps.set(s, file);
      if (ts.isImportDeclaration(decl) ? decl.importClause?.isTypeOnly : decl.isTypeOnly) typeOnly.add(s);
      if (!modules.has(file)) visit(openSource(file, read(file, s, src, describe)));
    }
    const self = modules.get(src.file)!;
    modules.delete(src.file);
    modules.set(src.file, self);
  };
  visit(root);
  refuseCycles(root.src.file, modules);
  return { root: root.src.file, modules };
}

/** A cycle of imports that stay in the transpiled code is a located error at the import that closes it. */
function refuseCycles(root: string, modules: ReadonlyMap<string, UserModule>): void {
  const base = path.dirname(root);
  const shown = (file: string) => path.relative(base, file).split(path.sep).join("/") || path.basename(file);
  const chain: string[] = [];
  const done = new Set<string>();
  const visit = (file: string): void => {
    chain.push(file);
    const { src, deps, typeOnly } = modules.get(file)!;
    for (const [spec, dep] of deps) {
      if (typeOnly.has(spec) || done.has(dep)) continue;
      const open = chain.indexOf(dep);
      if (open >= 0) {
        const cycle = [...chain.slice(open), dep].map(shown).join(" → ");
        throw new GradcError(
          codes.typecheck,
          `import cycle: ${cycle}; gradc runs the model's files in order, so one of them would see the other half-loaded: move what both need into a file of its own`,
          src.locOf(importSpec(src, spec)),
        );
      }
      visit(dep);
    }
    chain.pop();
    done.add(file);
  };
  visit(root);
}

/** The file a relative specifier names, as the type-check resolves it; a located GC1002 (or GC1003) when there is none. */
function resolve(spec: string, from: ModelSource, describe: ((e: unknown) => string | undefined) | undefined): string {
  let denied: unknown = null;
  const exists = (p: string, dir: boolean): boolean => {
    try {
      const st = host.stat(p);
      return dir ? st.isDirectory() : st.isFile();
    } catch (e) {
      if ((e as { code?: unknown }).code === "ERR_ACCESS_DENIED") denied ??= e;
      return false;
    }
  };
  const resolutionHost: ts.ModuleResolutionHost = {
    fileExists: (p) => exists(p, false),
    directoryExists: (p) => exists(p, true),
    readFile: (p) => {
      try {
        return host.readFile(p);
      } catch {
        return undefined;
      }
    },
  };
  const found = ts.resolveModuleName(spec, from.file, RESOLUTION, resolutionHost).resolvedModule;
  const at = from.locOf(importSpec(from, spec));
  if (!found) {
    // Word it after the file asked for, not the folder the resolver happened to look at first.
    const why = denied ? describe?.({ code: "ERR_ACCESS_DENIED", permission: "FileSystemRead", resource: path.resolve(path.dirname(from.file), spec) }) : undefined;
    if (why) throw new GradcError(codes.threw, why, at);
    const target = path.resolve(path.dirname(from.file), spec);
    throw new GradcError(codes.typecheck, `cannot find "${spec}": there is no ${path.relative(path.dirname(from.file), target.replace(/\.([cm]?)js$/, ".$1ts")) || spec} next to ${path.basename(from.file)}`, at);
  }
  if (!COMPILED.has(found.extension)) {
    throw new GradcError(
      codes.typecheck,
      `cannot import "${spec}": it is ${path.basename(found.resolvedFileName)}, and gradc follows imports of the model's own TypeScript files (.ts, .mts, .cts) only`,
      at,
    );
  }
  return path.resolve(found.resolvedFileName);
}

function read(file: string, spec: string, from: ModelSource, describe: ((e: unknown) => string | undefined) | undefined): string {
  try {
    return host.readFile(file);
  } catch (e) {
    const at = from.locOf(importSpec(from, spec));
    const why = describe?.(e);
    if (why) throw new GradcError(codes.threw, why, at);
    throw new GradcError(codes.io, `cannot read ${path.basename(file)} (imported as "${spec}"): ${(e as Error).message}`, at);
  }
}

function importSpec(src: ModelSource, spec: string): ts.StringLiteral {
  return src.imports().find((i) => i.spec.text === spec)!.spec;
}
