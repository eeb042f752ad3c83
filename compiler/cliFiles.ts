// The files `gradc` writes: the default names beside the model (model.gen.ts, model.graph.svg), the
// output language by extension, the runtime specifier a module written there imports, and the atomic
// writes (a temporary file renamed into place: a failed write never leaves a half-written or changed file).
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { codes, GradcError } from "./diagnostics.js";
import { removeStaleTemporaries, temporaryName } from "../runtime/fsAtomic.js";
import { displayPath } from "../runtime/userErrors.js";

/** model.ts → model.graph.svg in the same directory. */
export function defaultGraphPicture(modelPath: string): string {
  return defaultOutput(modelPath).replace(/\.gen\.ts$/, ".graph.svg");
}

/** model.ts → model.gen.ts in the same directory. */
export function defaultOutput(modelPath: string): string {
  const ext = path.extname(modelPath);
  const base = /^\.[cm]?tsx?$/.test(ext) ? modelPath.slice(0, -ext.length) : modelPath;
  return `${base}.gen.ts`;
}

/**
 * What `gradc compile -o out` writes, by out's extension: JavaScript for .js and .mjs (with its
 * declarations beside it), TypeScript otherwise. The module is an ES module, so .cjs is refused.
 */
export function outputLanguage(out: string): "typescript" | "javascript" {
  const ext = path.extname(out);
  if (ext === ".cjs" || ext === ".cts") throw new GradcError(codes.usage, `gradc writes ES modules, not CommonJS: -o ${path.basename(out)} must end in .js or .mjs (JavaScript), or .ts or .mts (TypeScript)`);
  return ext === ".js" || ext === ".mjs" ? "javascript" : "typescript";
}

/** The declarations beside a JavaScript module: model.gen.js → model.gen.d.ts, model.gen.mjs → model.gen.d.mts. */
export function declarationsFile(out: string): string {
  return out.endsWith(".mjs") ? `${out.slice(0, -".mjs".length)}.d.mts` : `${out.slice(0, -".js".length)}.d.ts`;
}

/**
 * How the module written to `out` should import the runtime: "gradc/runtime" wherever that resolves
 * (a project that depends on gradc, or this package itself); elsewhere a relative path to this
 * installation's runtime, so a module compiled into any directory runs as it is. (undefined = default)
 */
export function runtimeSpecifierFor(out: string): string | undefined {
  try {
    createRequire(out).resolve("gradc/runtime");
    return undefined;
  } catch {
    const here = path.dirname(fileURLToPath(import.meta.url));
    // dist/compiler/cliFiles.js → dist/runtime/index.js; compiler/cliFiles.ts (tests, from source) → dist/runtime/index.js
    const runtime = [path.resolve(here, "../runtime/index.js"), path.resolve(here, "../dist/runtime/index.js")].find((f) => existsSync(f));
    if (!runtime) return undefined;
    let rel = path.relative(path.dirname(out), runtime).split(path.sep).join("/");
    if (!rel.startsWith(".")) rel = `./${rel}`;
    return rel;
  }
}

/**
 * Writes several files that belong together (a module, its declarations, its source map): every text
 * goes to a temporary file first, and only when all are written are they renamed into place, in the
 * order given, so a failure to write (a full disk) leaves every existing file as it was, and a failed
 * rename leaves the files after it (put the main one last) as they were. Each file is whole.
 */
export async function writeAllAtomic(files: readonly (readonly [file: string, text: string])[], cwd: string = process.cwd()): Promise<void> {
  const written: [tmp: string, file: string][] = [];
  try {
    for (const [file, text] of files) {
      const tmp = temporaryName(file);
      await mkdir(path.dirname(file), { recursive: true });
      written.push([tmp, file]);
      await writeFile(tmp, text, { flag: "wx" });
    }
  } catch (e) {
    await Promise.all(written.map(([tmp]) => rm(tmp, { force: true }).catch(() => {})));
    const failed = written[written.length - 1]?.[1] ?? files[0]![0];
    throw new GradcError(codes.io, `cannot write ${path.relative(cwd, failed) || failed}: ${(e as Error).message}`);
  }
  for (const [tmp, file] of written) {
    try {
      await rename(tmp, file);
      removeStaleTemporaries(file);
    } catch (e) {
      await Promise.all(written.map(([t]) => rm(t, { force: true }).catch(() => {})));
      throw new GradcError(codes.io, `cannot write ${path.relative(cwd, file) || file}: ${(e as Error).message}`);
    }
  }
}

/** Writes `text` to a unique temporary file next to `file`, then renames it over `file`. */
export async function writeAtomic(file: string, text: string | Uint8Array, cwd: string = process.cwd()): Promise<void> {
  const dir = path.dirname(file);
  const tmp = temporaryName(file); // named after its target, so a later write removes it if this process is killed
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(tmp, text, { flag: "wx" });
    await rename(tmp, file);
    removeStaleTemporaries(file);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw new GradcError(codes.io, `cannot write ${displayPath(file, cwd)}: ${(e as Error).message}`);
  }
}
