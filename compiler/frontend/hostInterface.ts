// What the frontend needs from the machine it runs on: reading the model's files, running its
// transpiled code, packages it imports, and a TypeScript program to type-check it against the DSL's
// declarations. gradc's CLI and library run on Node (./nodeHost.ts: node:fs, node:vm, ts-morph); the
// playground's bundle (playground/build.mjs) puts its browser host (playground/src/browserHost.ts) in
// place of nodeHost.ts, so the compiler runs unchanged in a Web Worker. Keep this interface small:
// everything else the compiler does is plain computation that runs anywhere.
//
// This file is the interface; ./host.ts is where the compiler gets the host from (the one place a
// bundle swaps). The hosts import this file, not host.ts, so no import goes round in a circle.
import type { ts } from "ts-morph";

/** A function of (exports, require, module, __filename, __dirname): one transpiled CommonJS file. */
export type ModuleFunction = (this: unknown, ...args: unknown[]) => void;

/** `require` as a model file sees it for packages (node's createRequire). */
export interface PackageRequire {
  (spec: string): unknown;
  resolve: (spec: string) => string;
  cache?: Record<string, unknown>;
}

export interface Host {
  /** A file's text; throws as node's readFileSync does (an error with `code`: ENOENT, ERR_ACCESS_DENIED, …). */
  readFile(file: string): string;
  /** What is at `file`; throws as node's statSync does. */
  stat(file: string): { isFile(): boolean; isDirectory(): boolean };
  /** Compiles `code` as the body of a function of `params`, its stack frames naming `file` with the code's own lines and columns. */
  compileFunction(code: string, params: readonly string[], file: string): ModuleFunction;
  /** `require` for the packages a model file imports, resolved from that file. */
  packageRequire(file: string): PackageRequire;
  /** The path of the DSL's declarations (or sources) for `base` ("index" is "gradc", "layers" is "gradc/layers"). */
  dslTypesFile(base: string): string;
  /** The folder of @types/node when a model file needs node's types and it is installed, else null. */
  nodeTypes(from: readonly string[]): string | null;
  /**
   * A program over the model's files (path → text) with `options`, the DSL's declarations and the
   * standard library; `nodeTypes` adds node's types. The files may be removed once the caller is done: call `release`.
   */
  program(files: ReadonlyMap<string, string>, options: ts.CompilerOptions, nodeTypes: string | null): { program: ts.Program; release(): void };
}


/** `console` without all of @types/node (which triples the cold type-check time): every host declares it when node's types are absent. */
export const PRELUDE = `declare var console: { log(...data: any[]): void; info(...data: any[]): void; warn(...data: any[]): void; error(...data: any[]): void; debug(...data: any[]): void; table(data: any): void };\n`;
