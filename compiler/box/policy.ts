// What gradc's box lets model code do, and the `node` flags that say so.
//
// The box is a Node process under Node's permission model: it may read the model's project folder
// (the nearest ancestor directory of model.ts holding a package.json, else the model's directory), the
// node_modules folders above it that Node searches for the model's imports, and gradc's installation
// (its package root and every package it depends on, wherever Node finds them); it may not write
// files, start processes or workers, or load native addons. Its V8 heap is capped so that running out
// of memory is an error gradc reports (GC1006), not a crash. With --trust-model none of the permission
// flags are given: the model runs with the user's rights, still in the child, under the same time and
// memory limits. This file is loaded by the CLI on every run, so it imports nothing heavy.
// Tested in test/cli/box.test.ts.

import { existsSync, readFileSync, realpathSync } from "node:fs";
import { totalmem } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface BoxOptions {
  /** Seconds the box process may run before it is stopped (GC1005). */
  readonly timeoutSeconds: number;
  /** Run the model with the user's rights: no permission model, no refused imports. */
  readonly trustModel: boolean;
  /** The box process's V8 heap limit in MB (GC1006 when the model needs more). */
  readonly maxMemoryMb: number;
}

/** 60 s; a 4 GB heap, or half the machine's memory when that is less (past it the system, not V8, would stop the box). */
export const DEFAULT_BOX: BoxOptions = { timeoutSeconds: 60, trustModel: false, maxMemoryMb: Math.min(4096, Math.floor(totalmem() / 2 ** 21)) };

/** What the box lets the model read, and how to say it in a diagnostic. */
export interface ReadPolicy {
  /** The model's project folder. */
  readonly project: string;
  /** Every folder the box may read (the project, node_modules above it, gradc's installation), as real paths. */
  readonly readable: readonly string[];
}

/** The nearest ancestor directory of `modelPath` that holds a package.json; the model's directory when none does. */
export function projectFolder(modelPath: string): string {
  const start = path.dirname(path.resolve(modelPath));
  for (let dir = start; ; ) {
    if (existsSync(path.join(dir, "package.json"))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return start;
    dir = up;
  }
}

export function readPolicy(modelPath: string): ReadPolicy {
  const project = projectFolder(modelPath);
  const folders = new Set<string>();
  const add = (dir: string) => {
    folders.add(dir);
    const real = realpath(dir);
    if (real) folders.add(real);
  };
  add(project);
  // A monorepo's packages are installed above the model's own package.json, where Node looks for them.
  for (let dir = path.dirname(project); ; dir = path.dirname(dir)) {
    const modules = path.join(dir, "node_modules");
    if (existsSync(modules)) add(modules);
    if (path.dirname(dir) === dir) break;
  }
  for (const dir of installationFolders()) add(dir);
  return { project, readable: [...folders] };
}

let installation: readonly string[] | undefined;

/** gradc's package root and the folders of the packages it depends on, recursively, as real paths. */
export function installationFolders(): readonly string[] {
  if (installation) return installation;
  const root = gradcRoot();
  const found = new Set<string>([root]);
  const visit = (dir: string): void => {
    let pkg: { dependencies?: object; optionalDependencies?: object; peerDependencies?: object };
    try {
      pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as typeof pkg;
    } catch {
      return;
    }
    for (const name of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies })) {
      const at = packageFolder(name, dir);
      if (at && !found.has(at)) {
        found.add(at);
        visit(at);
      }
    }
  };
  visit(root);
  return (installation = [...found]);
}

/** Where Node finds package `name` when it is imported from `from` (its real path), or null. */
function packageFolder(name: string, from: string): string | null {
  for (let dir = from; ; ) {
    const candidate = path.join(dir, "node_modules", name);
    if (existsSync(path.join(candidate, "package.json"))) return realpath(candidate);
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** The folder of gradc's package.json, above this file (in the sources or in dist/). */
export function gradcRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "gradc") return realpath(dir) ?? dir;
      } catch {
        // not ours
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error("gradc's package.json is not above compiler/box/policy");
    dir = up;
  }
}

function realpath(p: string): string | null {
  try {
    return realpathSync(p);
  } catch {
    return null;
  }
}

/**
 * The node flags of the box process. The permission flag is --permission from Node 22 on and
 * --experimental-permission on Node 20 (chosen by what this node accepts, not by its version number).
 */
export function boxNodeFlags(options: BoxOptions, policy: ReadPolicy): string[] {
  const accepts = process.allowedNodeEnvironmentFlags;
  const flags = [`--max-old-space-size=${options.maxMemoryMb}`];
  // Node 20 warns that the permission model is experimental; the user did not ask for it, the box did.
  if (accepts.has("--disable-warning")) flags.push("--disable-warning=ExperimentalWarning");
  if (options.trustModel) return flags;
  flags.push(accepts.has("--permission") ? "--permission" : "--experimental-permission");
  for (const dir of policy.readable) flags.push(`--allow-fs-read=${dir}`);
  return flags;
}
