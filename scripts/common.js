// Shared by scripts/start.js and scripts/golden.js: keep dist/ in step with the sources, and compile
// a model with the real `gradc` command line.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file is scripts/common.js). */
export const root = fileURLToPath(new URL("..", import.meta.url));

/** Runs a command with inherited stdio; resolves to its exit code. */
export function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: "inherit", ...options });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** Like run, but collects stdout and stderr instead of printing them. */
export function capture(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"], ...options });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), stdout, stderr }));
  });
}

const npm = process.platform === "win32" ? "npm.cmd" : "npm";

/**
 * The first compiler/ or runtime/ source whose dist/ output is missing or older, or null when dist/
 * is up to date. (A deleted source leaves a harmless stale file in dist/; `npm run build` does too.)
 */
export function staleBuildReason() {
  for (const dir of ["compiler", "runtime"]) {
    for (const file of walk(path.join(root, dir))) {
      if (!file.endsWith(".ts") || file.endsWith(".d.ts")) continue;
      const rel = path.relative(root, file);
      const built = path.join(root, "dist", rel.replace(/\.ts$/, ".js"));
      if (!existsSync(built)) return `${path.relative(root, built)} is missing`;
      if (statSync(built).mtimeMs < statSync(file).mtimeMs) return `${rel} changed since the last build`;
    }
  }
  return null;
}

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(p);
    else yield p;
  }
}

/**
 * Runs `npm run build` when dist/ is missing or older than the sources (or always, with force).
 * tsc still writes dist/ when the sources have type errors; that is reported, and fatal only when
 * the CLI did not get built at all.
 */
export async function ensureBuilt({ force = false, log = console.log } = {}) {
  const reason = force ? "regenerating from the current sources" : staleBuildReason();
  if (reason === null) return;
  log(`gradc: building dist/ (${reason}): npm run build`);
  const code = await run(npm, ["run", "--silent", "build"]);
  if (code !== 0) {
    if (!existsSync(path.join(root, "dist/compiler/cli.js"))) throw new Error(`npm run build failed (exit code ${code})`);
    log(`gradc: warning: npm run build exited with code ${code} (type errors above); continuing with what it emitted`);
  }
}

/**
 * `node bin/gradc.js compile MODEL -o OUT --dtype DTYPE [--batch N]`, paths relative to the root.
 * Resolves to { code, stdout, stderr } when quiet, else prints as it goes and resolves to { code }.
 */
export async function gradcCompile({ model, out, dtype, batch }, { quiet = false } = {}) {
  const args = [path.join(root, "bin/gradc.js"), "compile", model, "-o", out, "--dtype", dtype];
  if (batch !== undefined) args.push("--batch", String(batch));
  return quiet ? capture(process.execPath, args) : { code: await run(process.execPath, args) };
}
